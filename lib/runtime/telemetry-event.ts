import { telemetryTopicFor } from '#contracts/vehicle-telemetry.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ItemStore } from '#core/ports.ts';
import { mapTelemetryMessage, readTelemetryEvent, type TelemetryMessage } from '#core/vehicle-telemetry.ts';
import type { IngestSettings } from './ingest-settings.ts';
import { countReadings, retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/** What iot-telemetry returns for one event: the reading written, refused as older, or rejected. */
interface TelemetryOutcome {
  accepted: number;
  stale: number;
  rejected: number;
}

/**
 * The step of iot-telemetry: one vehicle's telemetry as the IoT rule delivers it (the device's bytes
 * in an envelope), written through the conditional writer. Bad telemetry goes to `rejects` with its
 * topic and the bytes the device sent, so a replay republishes exactly them; an event that is not the
 * rule's envelope has no such bytes and is kept as delivered. Rejects are not thrown: an async
 * invocation that throws is retried, and retrying cannot fix a permanent error. Write failures, and
 * a reject that cannot be sent, throw, so Lambda retries them.
 */
export function telemetryEventHandler(
  deps: { items: ItemStore; rejects: RejectDestination },
  tools: Powertools,
  settings: IngestSettings,
): (event: unknown) => Promise<TelemetryOutcome> {
  return async (event) => {
    let message: TelemetryMessage | undefined;
    let reading: NormalisedReading;
    try {
      message = readTelemetryEvent(event);
      reading = mapTelemetryMessage(message, {
        keyAttribute: settings.keyAttribute,
        now: settings.now(),
        maxClockSkewMs: settings.maxClockSkewMs,
      });
    } catch (error) {
      const vehicleId =
        message?.vehicleId ?? String((event as { vehicleId?: unknown } | null)?.vehicleId ?? '');
      await retryOrReject(error, tools, {
        what: 'telemetry',
        context: { itemKey: vehicleId },
        metric: 'ReadingsRejected',
        reject: {
          to: deps.rejects,
          input: {
            source: 'mqtt',
            payload: message?.bytes ?? JSON.stringify(event),
            ids: { Topic: telemetryTopicFor(vehicleId) },
          },
        },
      });
      return { accepted: 0, stale: 0, rejected: 1 };
    }
    const result = await ingestReadings([reading], deps.items);
    countReadings(tools, result);
    return { ...result, rejected: 0 };
  };
}
