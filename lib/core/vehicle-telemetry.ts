import { ItemKeySchema } from '#contracts/item-key.ts';
import { type VehicleTelemetryEvent, VehicleTelemetryEventSchema } from '#contracts/vehicle-telemetry.ts';
import { jsonObjectOrThrow, parseJsonObjectOrThrow, parseOrThrow } from './issues.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';

/** Source of every reading that arrives through the IoT telemetry rule. */
const IOT_SOURCE = 'iot';

/** One message of `VehicleTelemetryRule`: its envelope, the payload decoded to the device's bytes. */
export type TelemetryMessage = Omit<VehicleTelemetryEvent, 'payload'> & { bytes: Buffer };

/**
 * Whether a JSON object is the telemetry rules' envelope (its three fields and no other, the payload
 * a string) rather than a reading or flat telemetry: how a Kinesis record from
 * `FleetTelemetryToKinesisRule` is told from one a producer put.
 */
export function isTelemetryEnvelope(message: Record<string, unknown>): boolean {
  const keys = Object.keys(message);
  return (
    keys.length === 3 &&
    typeof message.payload === 'string' &&
    'vehicleId' in message &&
    'receivedAt' in message
  );
}

/**
 * Reads the envelope `VehicleTelemetryRule` invokes the ingestor with, and `FleetTelemetryToKinesisRule`
 * puts on the stream (contracts/vehicle-telemetry.ts).
 * @throws ValidationError (prefix `event`) when the event is not that envelope (no payload, bad
 * base64): then there are no device bytes, only the event as delivered.
 */
export function readTelemetryEvent(event: unknown): TelemetryMessage {
  const { payload, ...envelope } = parseOrThrow(VehicleTelemetryEventSchema, event, 'event');
  return { ...envelope, bytes: Buffer.from(payload, 'base64') };
}

/**
 * Maps the device's bytes of one rule message to a reading: they must be a JSON object of
 * telemetry, mapped by {@link mapVehicleTelemetry} with the vehicle id of the topic (which wins
 * over a `vehicleId` in the payload) and the receive time.
 * @throws ValidationError `payload: is not JSON`, `payload: must be a JSON object`, or naming the
 * bad fields; PayloadTooLargeError (see {@link mapVehicleTelemetry}).
 */
export function mapTelemetryMessage(
  message: TelemetryMessage,
  options: Omit<NormaliseOptions, 'source'> & { source?: string },
): NormalisedReading {
  // The topic's key is the envelope's, not the device's: a bad one is named as the event's field.
  parseOrThrow(ItemKeySchema, message.vehicleId, 'event.vehicleId');
  const telemetry = parseJsonObjectOrThrow(message.bytes.toString('utf8'), 'payload');
  return mapVehicleTelemetry(
    { ...telemetry, vehicleId: message.vehicleId, receivedAt: message.receivedAt },
    options,
    'payload',
  );
}

/**
 * Maps flat telemetry with its vehicle id and receive time (the device's telemetry + `vehicleId`
 * from the topic + `receivedAt` from `timestamp()`, as a rule message or a Kinesis record carries
 * them) to a reading of channel `telemetry` through the same normalisation as every source (fields
 * of any JSON type, `ts` as epoch ms or ISO 8601). A device without `ts` gets `receivedAt` (else
 * `options.sourceTime`): a redelivery is then a duplicate.
 * @throws ValidationError naming the bad fields under `prefix` (`payload.speed` for a device's bytes,
 * so a reject's reason names the field as the device sent it), or when the event is not an object;
 * PayloadTooLargeError when the frame would exceed the WebSocket frame limit.
 */
export function mapVehicleTelemetry(
  event: unknown,
  options: Omit<NormaliseOptions, 'source'> & { source?: string },
  prefix = 'event',
): NormalisedReading {
  const { vehicleId, receivedAt, ...telemetry } = jsonObjectOrThrow(event, prefix);
  const sourceTime =
    typeof receivedAt === 'number' && Number.isSafeInteger(receivedAt) ? receivedAt : undefined;
  return normaliseReading(
    { ...telemetry, [options.keyAttribute]: vehicleId },
    { ...options, source: options.source ?? IOT_SOURCE, sourceTime: sourceTime ?? options.sourceTime },
    prefix,
  );
}
