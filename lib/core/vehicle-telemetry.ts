import { VehicleTelemetryEventSchema } from '#contracts/vehicle-telemetry.ts';
import { ValidationError } from '#runtime/errors.ts';
import { parseOrThrow } from './issues.ts';
import { type NormalisedReading, normaliseReading } from './normalise-reading.ts';

/** Channel and source of every reading that arrives through the IoT telemetry rule. */
export const TELEMETRY_CHANNEL = 'telemetry';
export const IOT_SOURCE = 'iot';

/**
 * Maps the output of the IoT telemetry rule (device payload + `vehicleId` + `receivedAt`) to a
 * reading of channel `telemetry`, source `iot`. The measurements become `data`; `ts` defaults to
 * when IoT Core received the message (nearer the event than the time it is stored).
 * @throws ValidationError naming the bad fields (prefix `event`); PayloadTooLargeError when the
 * frame would exceed the WebSocket frame limit.
 */
export function mapVehicleTelemetry(
  event: unknown,
  options: { keyAttribute: string; now: number },
): NormalisedReading {
  const { vehicleId, receivedAt, ts, ...measurements } = parseOrThrow(
    VehicleTelemetryEventSchema,
    event,
    'event',
  );
  if (Object.keys(measurements).length === 0) {
    throw new ValidationError('event: carries no measurement', [
      { path: 'event', message: 'carries no measurement' },
    ]);
  }
  return normaliseReading(
    {
      [options.keyAttribute]: vehicleId,
      channel: TELEMETRY_CHANNEL,
      ts: ts ?? receivedAt,
      data: measurements,
    },
    { keyAttribute: options.keyAttribute, source: IOT_SOURCE, now: options.now },
    'event',
  );
}
