import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { readKinesisReading } from '#core/kinesis-record.ts';
import { BaseEnvSchema, loadConfig, RejectQueueEnvSchema } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { readingRecordHandler } from '#runtime/reading-record.ts';

/**
 * Reads telemetry from a Kinesis stream (producers, the IoT rule) and conditionally writes each
 * reading; a record that can never apply goes to the reject queue with its bytes and partition key.
 */
const config = loadConfig(z.extend(BaseEnvSchema, RejectQueueEnvSchema.shape));
const tools = powertoolsFor('kinesis-telemetry');
const processor = new BatchProcessor(EventType.KinesisDataStreams);
const handleRecord = readingRecordHandler<KinesisStreamRecord>({
  tools,
  items: new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE),
  read: (record) =>
    readKinesisReading(record.kinesis.data, {
      keyAttribute: config.REAL_TIME_ITEM_KEY,
      source: 'kinesis',
      now: systemClock.now(),
      // Lambda gives seconds with a fraction; readings without ts take the arrival time, and the
      // sequence number orders records of one millisecond, so a redelivered record is a duplicate.
      sourceTime: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
      sourceOrder: record.kinesis.sequenceNumber,
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    }),
  rejects: new SqsDeadLetterQueue(new SQSClient({}), config.REJECT_QUEUE_URL),
  rejected: (record) => ({
    source: 'kinesis',
    payload: Buffer.from(record.kinesis.data, 'base64'),
    ids: { PartitionKey: record.kinesis.partitionKey, SequenceNumber: record.kinesis.sequenceNumber },
  }),
});

// Records are processed in parallel: readings of one key may be written out of order within a batch,
// which the conditional writer makes harmless (only a reading later in (ts, position) overwrites).
export const handler = observedHandler<KinesisStreamEvent, KinesisStreamBatchResponse>(
  (event, context) =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }),
  tools,
);
