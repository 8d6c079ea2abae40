import { telemetryTopicFor } from '#contracts/vehicle-telemetry.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ItemStore } from '#core/ports.ts';
import { mapVehicleTelemetry } from '#core/vehicle-telemetry.ts';
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
 * The step of iot-telemetry: one vehicle's telemetry as the IoT rule delivers it, written through
 * the conditional writer. Bad telemetry goes to `rejects` (the event as delivered, and its topic)
 * and is not thrown: an async invocation that throws is retried, and retrying cannot fix a
 * permanent error. Write failures, and a reject that cannot be sent, throw, so Lambda retries them.
 */
export function telemetryEventHandler(
  deps: { items: ItemStore; rejects: RejectDestination },
  tools: Powertools,
  settings: IngestSettings,
): (event: unknown) => Promise<TelemetryOutcome> {
  return async (event) => {
    let reading: NormalisedReading;
    try {
      reading = mapVehicleTelemetry(event, {
        keyAttribute: settings.keyAttribute,
        now: settings.now(),
        maxClockSkewMs: settings.maxClockSkewMs,
      });
    } catch (error) {
      const vehicleId = String((event as { vehicleId?: unknown } | null)?.vehicleId ?? '');
      await retryOrReject(error, tools, {
        what: 'telemetry',
        context: { itemKey: vehicleId },
        metric: 'ReadingsRejected',
        reject: {
          to: deps.rejects,
          input: {
            source: 'mqtt',
            payload: JSON.stringify(event),
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
