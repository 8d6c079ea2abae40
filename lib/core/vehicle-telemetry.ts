import { ValidationError } from './errors.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';

/** Source of every reading that arrives through the IoT telemetry rule. */
const IOT_SOURCE = 'iot';

/**
 * Maps the output of the IoT telemetry rule (the device's flat telemetry + `vehicleId` from the
 * topic + `receivedAt` from `timestamp()`) to a reading of channel `telemetry` through the same
 * normalisation as every source (fields of any JSON type, `ts` as epoch ms or ISO 8601). A device
 * without `ts` gets `receivedAt` (else `options.sourceTime`): a redelivery is then a duplicate.
 * @throws ValidationError naming the bad fields (prefix `event`), or when the event is not an object; PayloadTooLargeError when the
 * frame would exceed the WebSocket frame limit.
 */
export function mapVehicleTelemetry(
  event: unknown,
  options: Omit<NormaliseOptions, 'source'> & { source?: string },
): NormalisedReading {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new ValidationError('event: must be a JSON object', [
      { path: 'event', message: 'must be a JSON object' },
    ]);
  }
  const { vehicleId, receivedAt, ...telemetry } = event as Record<string, unknown>;
  const sourceTime =
    typeof receivedAt === 'number' && Number.isSafeInteger(receivedAt) ? receivedAt : undefined;
  return normaliseReading(
    { ...telemetry, [options.keyAttribute]: vehicleId },
    { ...options, source: options.source ?? IOT_SOURCE, sourceTime: sourceTime ?? options.sourceTime },
    'event',
  );
}
