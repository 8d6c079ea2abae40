import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { createManagementApiClient } from '#adapters/apigw-management-client.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { systemClock } from '#core/ports.ts';
import { SlowConsumerTracker } from '#core/slow-consumers.ts';
import { BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { fanoutRecordHandler } from '#runtime/fanout-record.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
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
const publisher = new ApiGatewayConnectionPublisher(createManagementApiClient(config.WS_CALLBACK_URL), {
  postTimeoutMs: config.FANOUT_POST_TIMEOUT_MS,
});
// Across invocations of this container: repeated timeouts/throttles of one connection disconnect it.
const slowConsumers = new SlowConsumerTracker(systemClock);
const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = observedHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event, context) => {
  // A fresh batch per invocation: one subscriber lookup per key, per-key order, shared post limit.
  const batch = startFanoutBatch(
    { connections, publisher },
    { concurrency: config.FANOUT_CONCURRENCY, slowConsumers },
  );
  const handleRecord = fanoutRecordHandler(batch, tools, readStreamRecord);
  return processPartialResponse(event, (record: DynamoDBRecord) => handleRecord(record), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
}, tools);
