import { setTimeout as sleep } from 'node:timers/promises';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { DynamoJobSlotStore } from '#adapters/dynamo-job-slot-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { parseJobMessage, runJob } from '#core/jobs.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { retryOrReject } from '#runtime/outcomes.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Reads JobsQueue and runs each job, writing its status items (running, done, failed) through the
 * conditional writer and freeing its caller's slot. Infrastructure errors fail the record (retried,
 * then redriven to the DLQ, the job marked failed on the last attempt); a message that can never
 * run goes to the DLQ at once with its reason.
 */
const config = loadConfig(
  BaseEnvSchema.extend({
    DEAD_LETTER_QUEUE_URL: z.url(),
    JOB_SLOTS_TABLE: z.string().min(3),
    // The queue's maxReceiveCount (template parameter JobsMaxAttempts).
    JOBS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  }),
);
const tools = powertoolsFor('jobs-worker');
const documents = createDocumentClient();
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const slots = new DynamoJobSlotStore(documents, config.JOB_SLOTS_TABLE);
const deadLetters = new SqsDeadLetterQueue(new SQSClient({}), config.DEAD_LETTER_QUEUE_URL);
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  try {
    const outcome = await runJob(
      parseJobMessage(record.body),
      {
        keyAttribute: config.REAL_TIME_ITEM_KEY,
        attempt: Number(record.attributes.ApproximateReceiveCount),
        maxAttempts: config.JOBS_MAX_ATTEMPTS,
      },
      { items, slots, clock: systemClock, sleep: (ms) => sleep(ms) },
    );
    tools.metrics.addMetric(
      outcome === 'done' ? 'JobsDone' : outcome === 'failed' ? 'JobsFailed' : 'JobsSkipped',
      'Count',
      1,
    );
  } catch (error) {
    await retryOrReject(error, tools, {
      what: 'job message',
      context: { messageId: record.messageId },
      metric: 'JobMessagesRejected',
      reject: {
        to: deadLetters,
        input: { source: 'jobs', payload: record.body, ids: { SourceMessageId: record.messageId } },
      },
    });
  }
}

export const handler = observedHandler<SQSEvent, SQSBatchResponse>(
  (event, context) =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }),
  tools,
);
