import { parseJsonObjectOrThrow } from './issues.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReading } from './normalise-reading.ts';
import { mapVehicleTelemetry } from './vehicle-telemetry.ts';

/**
 * Reads the data of one Kinesis record (base64, as Lambda delivers it) as a reading. Two shapes are
 * accepted, both JSON objects:
 * - a reading as `POST /readings` takes it: `{"vehicleId":"3","ts":…,"data":{…}}` (recognised by `data`);
 * - flat vehicle telemetry as the IoT rule's Kinesis action forwards it:
 *   `{"vehicleId":"3","ts":…,"speed":…,"gear":"D","receivedAt":…}`, mapped as the IoT ingestor maps it
 *   (`mapVehicleTelemetry`), with this record's `source`.
 * Without `ts`, the reading takes `receivedAt`, else `options.sourceTime` (the record's arrival time);
 * `options.sourceOrder` (the sequence number) orders records of one time.
 * @throws ValidationError (permanent: the same bytes never become valid) when the data is not a JSON
 * object or fails its schema; PayloadTooLargeError when its frame would be too large.
 */
export function readKinesisReading(base64Data: string, options: NormaliseOptions): NormalisedReading {
  const text = Buffer.from(base64Data, 'base64').toString('utf8');
  const message = parseJsonObjectOrThrow(text, 'record.data');
  if ('data' in message) return normaliseReading(message, options, 'record');
  return mapVehicleTelemetry(message, options);
}
