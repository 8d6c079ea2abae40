import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { fanoutRecordHandler } from '#runtime/fanout-record.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** Reads the RealTimeData stream and posts every change to the subscribers of its key. */
const config = loadConfig(
  BaseEnvSchema.extend(CallbackEnvSchema.shape).extend({
    FANOUT_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  }),
);
const tools = powertoolsFor('stream-fanout');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);
const publisher = new ApiGatewayConnectionPublisher(
  new ApiGatewayManagementApiClient({ endpoint: config.WS_CALLBACK_URL }),
);
const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = observedHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event, context) => {
  // A fresh batch per invocation: one subscriber lookup per key, per-key order, shared post limit.
  const batch = startFanoutBatch({ connections, publisher }, { concurrency: config.FANOUT_CONCURRENCY });
  const handleRecord = fanoutRecordHandler(batch, tools, readStreamRecord);
  return processPartialResponse(event, (record: DynamoDBRecord) => handleRecord(record), processor, {
    context,
    throwOnFullBatchFailure: false,
  });
}, tools);
