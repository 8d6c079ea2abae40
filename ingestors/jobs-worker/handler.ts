import { EventType } from '@aws-lambda-powertools/batch';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { DynamoJobSlotStore } from '#adapters/dynamo-job-slot-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { jobRecordHandler } from '#runtime/job-record.ts';
import { batchHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Reads JobsQueue and runs each job, writing its status items (running, done, failed) through the
 * conditional writer and freeing its caller's slot; failures as lib/runtime/job-record.ts says.
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    DEAD_LETTER_QUEUE_URL: z.url(),
    JOB_SLOTS_TABLE: z.string().check(z.minLength(3)),
    // The queue's maxReceiveCount (template parameter JobsMaxAttempts).
    JOBS_MAX_ATTEMPTS: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(10)), 3),
  }),
);
const tools = powertoolsFor('jobs-worker');
const documents = createDocumentClient();
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const slots = new DynamoJobSlotStore(documents, config.JOB_SLOTS_TABLE);
const deadLetters = new SqsDeadLetterQueue(new SQSClient({}), config.DEAD_LETTER_QUEUE_URL);

const handleRecord = jobRecordHandler({ items, slots, deadLetters }, tools, {
  keyAttribute: config.REAL_TIME_ITEM_KEY,
  maxAttempts: config.JOBS_MAX_ATTEMPTS,
});

export const handler = batchHandler(EventType.SQS, () => handleRecord, tools);
