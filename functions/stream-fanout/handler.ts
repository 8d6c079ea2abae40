import { EventType } from '@aws-lambda-powertools/batch';
import * as z from 'zod';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { SlowConsumerTracker } from '#core/slow-consumers.ts';
import { BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { fanoutRecordHandler } from '#runtime/fanout-record.ts';
import { batchHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** Reads the RealTimeData stream and posts every change to the subscribers of its key. */
const config = loadConfig(
  BaseEnvSchema.extend(CallbackEnvSchema.shape).extend({
    FANOUT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
    FANOUT_POST_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(3000),
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
