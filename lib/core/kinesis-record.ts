import { parseJsonObjectOrThrow } from './issues.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';
import {
  isTelemetryEnvelope,
  mapTelemetryMessage,
  mapVehicleTelemetry,
  readTelemetryEvent,
} from './vehicle-telemetry.ts';

/**
 * Reads the data of one Kinesis record (base64, as Lambda delivers it) as a reading. Three shapes are
 * accepted, all JSON objects:
 * - a reading as `POST /readings` takes it: `{"vehicleId":"3","ts":…,"data":{…}}` (recognised by `data`);
 * - the envelope `FleetTelemetryToKinesisRule` puts on the stream, `{"payload":<the device's bytes,
 *   base64>,"vehicleId":"3","receivedAt":…}` (exactly those fields), read as the IoT ingestor reads it
 *   (`mapTelemetryMessage`: the bytes must be JSON telemetry);
 * - flat vehicle telemetry: `{"vehicleId":"3","ts":…,"speed":…,"gear":"D","receivedAt":…}`, mapped as
 *   the IoT ingestor maps telemetry (`mapVehicleTelemetry`).
 * Each with this record's `source`.
 * Without `ts`, the reading takes `receivedAt`, else `options.sourceTime` (the record's arrival time);
 * `options.sourceOrder` (the sequence number) orders records of one time.
 * @throws ValidationError (permanent: the same bytes never become valid) when the data is not a JSON
 * object or fails its schema; PayloadTooLargeError when its frame would be too large.
 */
export function readKinesisReading(base64Data: string, options: NormaliseOptions): NormalisedReading {
  const text = Buffer.from(base64Data, 'base64').toString('utf8');
  const message = parseJsonObjectOrThrow(text, 'record.data');
  if ('data' in message) return normaliseReading(message, options, 'record');
  if (isTelemetryEnvelope(message)) return mapTelemetryMessage(readTelemetryEvent(message), options);
  return mapVehicleTelemetry(message, options);
}
