import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { DynamoJobSlotStore } from '#adapters/dynamo-job-slot-store.ts';
import { SqsJsonSender } from '#adapters/sqs-json-sender.ts';
import { systemClock } from '#adapters/system-clock.ts';
import type { JobMessage } from '#contracts/jobs.ts';
import * as z from '#contracts/zod.ts';
import { AuthModeEnvSchema, BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { jobsRequestHandler } from '#runtime/jobs-request.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * POST /jobs: `{type, input}` → 202 `{jobId, key}`, status `queued`; invalid → 400 naming the fields;
 * a token not covering the job's key (or a stats job's input key) → 403; the caller's in-flight limit
 * reached → 429; a client-chosen id taken → 409.
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    ...AuthModeEnvSchema.shape,
    JOBS_QUEUE_URL: z.url(),
    JOB_SLOTS_TABLE: z.string().check(z.minLength(3)),
    JOBS_IN_FLIGHT_PER_CALLER: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 5),
    JOBS_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(300)), 86_400),
  }),
);
const tools = powertoolsFor('jobs-api');
const documents = createDocumentClient();
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const slots = new DynamoJobSlotStore(documents, config.JOB_SLOTS_TABLE);
const queue = new SqsJsonSender<JobMessage>(new SQSClient({}), config.JOBS_QUEUE_URL);

export const handler = httpHandler(
  jobsRequestHandler(config, { items, slots, queue, clock: systemClock, newId: randomUUID }, tools),
  tools,
  { jsonBody: true },
);
