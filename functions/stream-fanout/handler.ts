import { EventType } from '@aws-lambda-powertools/batch';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { SlowConsumerTracker } from '#core/slow-consumers.ts';
import { BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { fanoutRecordHandler } from '#runtime/fanout-record.ts';
import { batchHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** Reads the RealTimeData stream and posts every change to the subscribers of its key. */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    ...CallbackEnvSchema.shape,
    FANOUT_CONCURRENCY: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(256)), 32),
    FANOUT_POST_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.gte(50), z.lte(30_000)), 3000),
  }),
);
const tools = powertoolsFor('stream-fanout');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);
const publisher = connectionPublisherFor(config, { postTimeoutMs: config.FANOUT_POST_TIMEOUT_MS });
// Across invocations of this container: repeated timeouts/throttles of one connection disconnect it.
const slowConsumers = new SlowConsumerTracker(systemClock);

// A fresh batch per invocation: one subscriber lookup per key, per-key order, shared post limit.
export const handler = batchHandler(
  EventType.DynamoDBStreams,
  () =>
    fanoutRecordHandler(
      startFanoutBatch({ connections, publisher }, { concurrency: config.FANOUT_CONCURRENCY, slowConsumers }),
      tools,
      readStreamRecord,
    ),
  tools,
);
