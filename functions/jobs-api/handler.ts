import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsJsonSender } from '#adapters/sqs-json-sender.ts';
import type { JobMessage } from '#contracts/jobs.ts';
import { parseJobRequest, queueJob } from '#core/jobs.ts';
import { systemClock } from '#core/ports.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { jsonResponse } from '#runtime/http-errors.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** POST /jobs: `{type, input}` → 202 `{jobId, key}`, status `queued`; invalid → 400 naming the fields. */
const config = loadConfig(BaseEnvSchema.extend({ JOBS_QUEUE_URL: z.url() }));
const tools = powertoolsFor('jobs-api');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);
const queue = new SqsJsonSender<JobMessage>(new SQSClient({}), config.JOBS_QUEUE_URL);

export const handler = httpHandler<APIGatewayProxyEventV2 & { body: unknown }, APIGatewayProxyResultV2>(
  async (event) => {
    const accepted = await queueJob(
      parseJobRequest(event.body),
      { keyAttribute: config.REAL_TIME_ITEM_KEY },
      { items, queue, clock: systemClock, newId: randomUUID },
    );
    tools.metrics.addMetric('JobsQueued', 'Count', 1);
    return jsonResponse(202, accepted);
  },
  tools,
  { jsonBody: true },
);
