import {
  JOB_STATUS_CHANNEL,
  type JobAccepted,
  type JobMessage,
  JobMessageSchema,
  type JobRequest,
  JobRequestSchema,
  type JobStatusData,
  JobStatusDataSchema,
  jobKey,
} from '#contracts/jobs.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { StaleWriteError } from '#runtime/errors.ts';
import { parseOrThrow } from './issues.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ApplyResult, Clock } from './ports.ts';

/** The `source` of job status items. */
export const JOBS_SOURCE = 'jobs';

/** RealTimeData as jobs need it: the one conditional writer and reads. */
export interface JobItemStore {
  applyReading(reading: NormalisedReading): Promise<ApplyResult>;
  getItem(key: string, channel: string): Promise<RealTimeItem | undefined>;
  listItems(key: string): Promise<RealTimeItem[]>;
}

/** JobsQueue. */
export interface JobQueue {
  send(message: JobMessage): Promise<void>;
}

/**
 * Parses the body of `POST /jobs`.
 * @throws ValidationError naming the bad fields.
 */
export function parseJobRequest(body: unknown): JobRequest {
  return parseOrThrow(JobRequestSchema, body, 'body');
}

/**
 * Parses a JobsQueue message body.
 * @throws ValidationError for bad JSON or fields (the message can never run).
 */
export function parseJobMessage(body: string): JobMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return parseOrThrow(JobMessageSchema, undefined, 'body');
  }
  return parseOrThrow(JobMessageSchema, json, 'body');
}

/** Writes a job's status items with strictly increasing `ts`, so each one is newer than the last. */
function statusWriter(
  context: { keyAttribute: string; jobId: string; type: string; afterTs: number },
  ports: { items: JobItemStore; clock: Clock },
) {
  let lastTs = context.afterTs;
  return async (status: Omit<JobStatusData, 'jobId' | 'type' | 'updatedAt'>): Promise<void> => {
    const now = ports.clock.now();
    // Later than the previous status even when the API's and the worker's clocks disagree.
    const ts = Math.max(now, lastTs + 1);
    lastTs = ts;
    const data: JobStatusData = { jobId: context.jobId, type: context.type, ...status, updatedAt: now };
    const result = await ports.items.applyReading({
      keyAttribute: context.keyAttribute,
      itemKey: jobKey(context.jobId),
      channel: JOB_STATUS_CHANNEL,
      ts,
      source: JOBS_SOURCE,
      data,
      receivedAt: now,
    });
    if (!result.applied) throw new StaleWriteError(`job ${context.jobId} has a newer status`);
  };
}

/**
 * Queues a job: its `queued` status first (so a page subscribing at once finds it), then the message.
 * A client-chosen `jobId` must be new (checked by a read: ids are UUIDs, a clash is a client bug).
 * @throws StaleWriteError (409) when a client-chosen `jobId` is taken.
 * @throws DependencyError when DynamoDB or SQS fails (the caller answers 5xx; nothing ran).
 */
export async function queueJob(
  request: JobRequest,
  context: { keyAttribute: string },
  ports: { items: JobItemStore; queue: JobQueue; clock: Clock; newId: () => string },
): Promise<JobAccepted> {
  const jobId = request.jobId ?? ports.newId();
  if (request.jobId !== undefined && (await ports.items.getItem(jobKey(jobId), JOB_STATUS_CHANNEL))) {
    throw new StaleWriteError(`job ${jobId} exists already; pick another id`);
  }
  const queuedAt = ports.clock.now();
  const write = statusWriter(
    { keyAttribute: context.keyAttribute, jobId, type: request.type, afterTs: 0 },
    ports,
  );
  await write({ status: 'queued' });
  await ports.queue.send({ ...request, jobId, queuedAt });
  return { jobId, key: jobKey(jobId) };
}

export type JobOutcome = 'done' | 'failed' | 'skipped';

/**
 * Runs a queued job and writes `running` (with progress), then `done` with its result or `failed`
 * with its reason. A job already finished (a redelivered message) is skipped. A job that fails on
 * its own terms is `failed`, not retried; infrastructure errors are thrown (the message is retried).
 */
export async function runJob(
  job: JobMessage,
  context: { keyAttribute: string },
  ports: { items: JobItemStore; clock: Clock; sleep: (ms: number) => Promise<void> },
): Promise<JobOutcome> {
  const stored = await ports.items.getItem(jobKey(job.jobId), JOB_STATUS_CHANNEL);
  const current = JobStatusDataSchema.safeParse(stored?.data);
  if (current.success && (current.data.status === 'done' || current.data.status === 'failed'))
    return 'skipped';
  const write = statusWriter(
    {
      keyAttribute: context.keyAttribute,
      jobId: job.jobId,
      type: job.type,
      afterTs: stored?.ts ?? job.queuedAt,
    },
    ports,
  );
  await write({ status: 'running', progress: 0 });
  switch (job.type) {
    case 'sleep': {
      const stepMs = (job.input.seconds * 1000) / job.input.steps;
      for (let step = 1; step <= job.input.steps; step += 1) {
        await ports.sleep(stepMs);
        if (step < job.input.steps) await write({ status: 'running', progress: step / job.input.steps });
      }
      await write({ status: 'done', progress: 1, result: { sleptMs: Math.round(job.input.seconds * 1000) } });
      return 'done';
    }
    case 'stats': {
      const items = await ports.items.listItems(job.input.key);
      if (items.length === 0) {
        await write({ status: 'failed', reason: `key ${job.input.key} has no items` });
        return 'failed';
      }
      await write({ status: 'done', progress: 1, result: { key: job.input.key, ...numericStats(items) } });
      return 'done';
    }
    case 'fail':
      await write({ status: 'failed', reason: job.input.reason });
      return 'failed';
  }
}

/** Count, min, max and mean of every numeric field over the items' `data` (`channel.field`). */
export function numericStats(items: readonly RealTimeItem[]): {
  items: number;
  fields: Record<string, { count: number; min: number; max: number; mean: number }>;
} {
  const fields: Record<string, { count: number; min: number; max: number; mean: number }> = {};
  for (const item of items) {
    for (const [name, value] of Object.entries(item.data)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const field = `${item.channel}.${name}`;
      const stats = fields[field] ?? { count: 0, min: value, max: value, mean: 0 };
      stats.mean = (stats.mean * stats.count + value) / (stats.count + 1);
      stats.count += 1;
      stats.min = Math.min(stats.min, value);
      stats.max = Math.max(stats.max, value);
      fields[field] = stats;
    }
  }
  return { items: items.length, fields };
}
