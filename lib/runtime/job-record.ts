import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSRecord } from 'aws-lambda';
import { systemClock } from '#adapters/system-clock.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import { type JobItemStore, type JobSlotStore, parseJobMessage, runJob } from '#core/jobs.ts';
import { queueMessageFailure, retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/**
 * The per-record step of jobs-worker, for Powertools' BatchProcessor: runs the job and counts its
 * outcome. Infrastructure errors fail the record (retried, then redriven to the DLQ, the job marked
 * failed on the last attempt); a message that can never run goes to the DLQ at once with its reason.
 */
export function jobRecordHandler(
  deps: { items: JobItemStore; slots: JobSlotStore; deadLetters: RejectDestination },
  tools: Powertools,
  options: { keyAttribute: string; maxAttempts: number },
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      const outcome = await runJob(
        parseJobMessage(record.body),
        {
          keyAttribute: options.keyAttribute,
          attempt: Number(record.attributes.ApproximateReceiveCount),
          maxAttempts: options.maxAttempts,
        },
        { items: deps.items, slots: deps.slots, clock: systemClock, sleep: (ms) => sleep(ms) },
      );
      tools.metrics.addMetric(
        outcome === 'done' ? 'JobsDone' : outcome === 'failed' ? 'JobsFailed' : 'JobsSkipped',
        'Count',
        1,
      );
    } catch (error) {
      await retryOrReject(error, tools, {
        what: 'job message',
        metric: 'JobMessagesRejected',
        ...queueMessageFailure('jobs', deps.deadLetters, record),
      });
    }
  };
}
