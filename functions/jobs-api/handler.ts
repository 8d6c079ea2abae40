import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsJsonSender } from '#adapters/sqs-json-sender.ts';
import type { JobMessage } from '#contracts/jobs.ts';
import { assertCanQueueJob } from '#core/authorise.ts';
import { parseJobRequest, queueJob } from '#core/jobs.ts';
import { systemClock } from '#core/ports.ts';
import { AuthModeEnvSchema, BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { httpCallerClaims } from '#runtime/http-caller.ts';
import { jsonResponse } from '#runtime/http-errors.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * POST /jobs: `{type, input}` → 202 `{jobId, key}`, status `queued`; invalid → 400 naming the fields;
 * a token not covering the job's key (or a stats job's input key) → 403.
 */
const config = loadConfig(BaseEnvSchema.extend(AuthModeEnvSchema.shape).extend({ JOBS_QUEUE_URL: z.url() }));
const tools = powertoolsFor('jobs-api');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);
const queue = new SqsJsonSender<JobMessage>(new SQSClient({}), config.JOBS_QUEUE_URL);

export const handler = httpHandler<APIGatewayProxyEventV2 & { body: unknown }, APIGatewayProxyResultV2>(
  async (event) => {
    const claims = httpCallerClaims(config.AUTH_MODE, event.requestContext);
    const request = parseJobRequest(event.body);
    // The id is known before anything is written, so the check covers server-chosen ids too.
    const jobId = request.jobId ?? randomUUID();
    assertCanQueueJob(claims, request, jobId);
    const accepted = await queueJob(
      request,
      { keyAttribute: config.REAL_TIME_ITEM_KEY },
      { items, queue, clock: systemClock, newId: () => jobId },
    );
    tools.metrics.addMetric('JobsQueued', 'Count', 1);
    return jsonResponse(202, accepted);
  },
  tools,
  { jsonBody: true },
);
