import type { KinesisStreamRecord } from 'aws-lambda';
import type { RejectDestination } from '#core/ingest-ports.ts';
import { readKinesisReading } from '#core/kinesis-record.ts';
import type { ItemStore } from '#core/ports.ts';
import type { IngestSettings } from './ingest-settings.ts';
import type { Powertools } from './powertools.ts';
import { readingRecordHandler } from './reading-record.ts';

/**
 * The per-record step of kinesis-telemetry (see {@link readingRecordHandler}): one reading per
 * record; a record that can never apply goes to `rejects` with its bytes and partition key.
 */
export function kinesisRecordHandler(
  deps: { items: ItemStore; rejects: RejectDestination },
  tools: Powertools,
  settings: IngestSettings,
): (record: KinesisStreamRecord) => Promise<void> {
  return readingRecordHandler<KinesisStreamRecord>({
    tools,
    ...deps,
    read: (record) =>
      readKinesisReading(record.kinesis.data, {
        keyAttribute: settings.keyAttribute,
        source: 'kinesis',
        now: settings.now(),
        // Lambda gives seconds with a fraction; readings without ts take the arrival time, and the
        // sequence number orders records of one millisecond, so a redelivered record is a duplicate.
        sourceTime: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
        sourceOrder: record.kinesis.sequenceNumber,
        maxClockSkewMs: settings.maxClockSkewMs,
      }),
    rejected: (record) => ({
      source: 'kinesis',
      payload: Buffer.from(record.kinesis.data, 'base64'),
      ids: { PartitionKey: record.kinesis.partitionKey, SequenceNumber: record.kinesis.sequenceNumber },
    }),
  });
}
