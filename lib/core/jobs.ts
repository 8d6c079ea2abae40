import { JOB_STATUS_CHANNEL, jobKey } from '#contracts/app-keys.ts';
import {
  type JobAccepted,
  type JobMessage,
  JobMessageSchema,
  type JobRequest,
  JobRequestSchema,
  type JobStatusData,
  JobStatusDataSchema,
} from '#contracts/jobs.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { type AccessClaims, assertCanQueueJob } from './authorise.ts';
import { LimitExceededError, StaleWriteError, toPlatformError } from './errors.ts';
import { parseJsonWith, parseOrThrow } from './issues.ts';
import { forEachItemPage, type ItemPageStore } from './item-pages.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ApplyResult, Clock } from './ports.ts';

/** The `source` of job status items. */
const JOBS_SOURCE = 'jobs';

/**
 * How long a job counts against its caller's limit at most (seconds): longer than every delivery
 * JobsQueue makes (visibility timeout × attempts), so only a job whose worker never reported back
 * (a timed-out invocation) is forgotten this way.
 */
const JOB_SLOT_LEASE_SECONDS = 3600;

/** RealTimeData as jobs need it: the conditional writers and reads. */
export interface JobItemStore {
  applyReading(reading: NormalisedReading): Promise<ApplyResult>;
  /** Writes only when the item does not exist yet (of two racing creates, one applies). */
  createItem(reading: NormalisedReading): Promise<ApplyResult>;
  getItem(key: string, channel: string): Promise<RealTimeItem | undefined>;
  listItemPage: ItemPageStore['listItemPage'];
}

/** What claiming a job slot gave: a slot, none free, or the job id already holds one. */
export type SlotClaim = 'claimed' | 'full' | 'taken';

/** Jobs in flight per caller (JobSlotsTable). */
export interface JobSlotStore {
  /**
   * Takes a slot for `jobId` when `caller` holds fewer than `limit` slots whose lease (epoch s) has
   * not ended by `now`; racing claims never exceed the limit.
   */
  claim(input: {
    caller: string;
    jobId: string;
    limit: number;
    leaseEndsAt: number;
    now: number;
  }): Promise<SlotClaim>;
  /** Frees the job's slot; one already free is not an error. */
  release(caller: string, jobId: string): Promise<void>;
}

/** JobsQueue. */
interface JobQueue {
  send(message: JobMessage): Promise<void>;
}

/**
 * Who a job request counts against: the token's `sub` (the HTTP API's JWT authorizer), or the
 * source IP when there is no token (AuthMode=none).
 */
export function jobCallerOf(request: { sub?: string | undefined; sourceIp: string }): string {
  return request.sub ? `sub:${request.sub}` : `ip:${request.sourceIp}`;
}

/**
 * Parses the body of `POST /jobs`.
 * @throws ValidationError naming the bad fields.
 */
function parseJobRequest(body: unknown): JobRequest {
  return parseOrThrow(JobRequestSchema, body, 'body');
}

/**
 * Parses a JobsQueue message body.
 * @throws ValidationError for bad JSON or fields (the message can never run).
 */
export function parseJobMessage(body: string): JobMessage {
  return parseJsonWith(JobMessageSchema, body, 'body');
}

type StatusUpdate = Omit<JobStatusData, 'jobId' | 'type' | 'updatedAt'>;

/**
 * Writes a job's status items with strictly increasing `ts`, so each one is newer than the last.
 * The first one (`queued`) is created, never overwritten: of two requests with one id, one wins.
 */
function statusWriter(
  context: { keyAttribute: string; jobId: string; type: string; afterTs: number },
  ports: { items: JobItemStore; clock: Clock },
) {
  let lastTs = context.afterTs;
  return async (status: StatusUpdate, create?: { expiresAt: number }): Promise<void> => {
    const now = ports.clock.now();
    // Later than the previous status even when the API's and the worker's clocks disagree.
    const ts = Math.max(now, lastTs + 1);
    lastTs = ts;
    const data: JobStatusData = { jobId: context.jobId, type: context.type, ...status, updatedAt: now };
    const reading: NormalisedReading = {
      keyAttribute: context.keyAttribute,
      itemKey: jobKey(context.jobId),
      channel: JOB_STATUS_CHANNEL,
      ts,
      source: JOBS_SOURCE,
      data,
      receivedAt: now,
    };
    const result = create
      ? await ports.items.createItem({ ...reading, expiresAt: create.expiresAt })
      : await ports.items.applyReading(reading);
    if (!result.applied)
      throw new StaleWriteError(
        create
          ? `job ${context.jobId} exists already; pick another id`
          : `job ${context.jobId} has a newer status`,
      );
  };
}

/**
 * Queues a job for `caller`: takes one of its slots, creates the `queued` status (so a page
 * subscribing at once finds it; it expires `ttlSeconds` later), then sends the message. A failed
 * send leaves the job `failed` and its slot free, never `queued` for good.
 * @throws LimitExceededError (429) when the caller has `inFlightLimit` jobs queued or running.
 * @throws StaleWriteError (409) when a client-chosen `jobId` is taken (or being taken right now).
 * @throws DependencyError when DynamoDB or SQS fails (the caller answers 5xx; nothing runs).
 */
export async function queueJob(
  request: JobRequest,
  context: { keyAttribute: string; caller: string; inFlightLimit: number; ttlSeconds: number },
  ports: { items: JobItemStore; slots: JobSlotStore; queue: JobQueue; clock: Clock; newId: () => string },
): Promise<JobAccepted> {
  const jobId = request.jobId ?? ports.newId();
  const queuedAt = ports.clock.now();
  const nowSeconds = Math.floor(queuedAt / 1000);
  const claim = await ports.slots.claim({
    caller: context.caller,
    jobId,
    limit: context.inFlightLimit,
    leaseEndsAt: nowSeconds + JOB_SLOT_LEASE_SECONDS,
    now: nowSeconds,
  });
  if (claim === 'full')
    throw new LimitExceededError(
      `at most ${context.inFlightLimit} jobs may be queued or running per caller; wait for one to finish`,
    );
  if (claim === 'taken') throw new StaleWriteError(`job ${jobId} exists already; pick another id`);
  const write = statusWriter(
    { keyAttribute: context.keyAttribute, jobId, type: request.type, afterTs: 0 },
    ports,
  );
  try {
    await write({ status: 'queued' }, { expiresAt: nowSeconds + context.ttlSeconds });
  } catch (error) {
    await ports.slots.release(context.caller, jobId);
    throw error;
  }
  try {
    await ports.queue.send({ ...request, jobId, queuedAt, caller: context.caller });
  } catch (error) {
    // Best effort: the send's error is what the client must hear; should these fail too, the
    // status still expires with its TTL and the slot with its lease.
    await Promise.allSettled([
      write({ status: 'failed', reason: 'the job could not be queued; submit it again' }),
      ports.slots.release(context.caller, jobId),
    ]);
    throw error;
  }
  return { jobId, key: jobKey(jobId) };
}

/**
 * POST /jobs as the core sees it: parses the body, picks the id (the client's, else a new one) before
 * anything is written so the token check covers server-chosen ids too, checks that the claims allow
 * the job, and queues it.
 * @throws ValidationError for a bad body, ForbiddenError when the claims do not cover the job's key
 * (or a stats job's input key), and what {@link queueJob} throws.
 */
export async function submitJob(
  body: unknown,
  context: Parameters<typeof queueJob>[1] & { claims: AccessClaims },
  ports: Parameters<typeof queueJob>[2],
): Promise<JobAccepted> {
  const request = parseJobRequest(body);
  const jobId = request.jobId ?? ports.newId();
  assertCanQueueJob(context.claims, request, jobId);
  return queueJob(request, context, { ...ports, newId: () => jobId });
}

type JobOutcome = 'done' | 'failed' | 'skipped';

/**
 * Runs a queued job and writes `running` (with progress), then `done` with its result or `failed`
 * with its reason, and frees the caller's slot. A job already finished (a redelivered message) is
 * skipped. A job that fails on its own terms is `failed`, not retried. Other errors are thrown (the
 * message is retried); on the last delivery (`attempt` = `maxAttempts`), or when retrying cannot
 * help, the job is marked `failed` first, so a dead-lettered job never stays `running`.
 */
export async function runJob(
  job: JobMessage,
  context: { keyAttribute: string; attempt: number; maxAttempts: number },
  ports: { items: JobItemStore; slots: JobSlotStore; clock: Clock; sleep: (ms: number) => Promise<void> },
): Promise<JobOutcome> {
  const stored = await ports.items.getItem(jobKey(job.jobId), JOB_STATUS_CHANNEL);
  const current = JobStatusDataSchema.safeParse(stored?.data);
  const release = async () => {
    if (job.caller !== undefined) await ports.slots.release(job.caller, job.jobId);
  };
  if (current.success && (current.data.status === 'done' || current.data.status === 'failed')) {
    await release();
    return 'skipped';
  }
  const write = statusWriter(
    {
      keyAttribute: context.keyAttribute,
      jobId: job.jobId,
      type: job.type,
      afterTs: stored?.ts ?? job.queuedAt,
    },
    ports,
  );
  let outcome: Exclude<JobOutcome, 'skipped'>;
  try {
    outcome = await executeJob(job, write, ports);
  } catch (error) {
    const platformError = toPlatformError(error);
    if (platformError.retryable && context.attempt < context.maxAttempts) throw error;
    // The reason is pushed to the job's subscribers: exposed messages only, never internals.
    const why = platformError.expose ? platformError.message : platformError.code;
    await write({ status: 'failed', reason: `gave up after ${context.attempt} attempt(s): ${why}` });
    await release();
    throw error;
  }
  await release();
  return outcome;
}

/** The job's own work: `running` with progress, then `done` or `failed`. */
async function executeJob(
  job: JobMessage,
  write: (status: StatusUpdate) => Promise<void>,
  ports: { items: JobItemStore; sleep: (ms: number) => Promise<void> },
): Promise<Exclude<JobOutcome, 'skipped'>> {
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
      // Page by page: a key of any size is summed in one page's memory.
      const stats = emptyStats();
      await forEachItemPage(ports.items, job.input.key, (items) => addToStats(stats, items));
      if (stats.items === 0) {
        await write({ status: 'failed', reason: `key ${job.input.key} has no items` });
        return 'failed';
      }
      await write({ status: 'done', progress: 1, result: { key: job.input.key, ...stats } });
      return 'done';
    }
    case 'fail':
      await write({ status: 'failed', reason: job.input.reason });
      return 'failed';
  }
}

/** Count, min, max and mean of every numeric field over a key's items (`channel.field`). */
interface NumericStats {
  items: number;
  fields: Record<string, { count: number; min: number; max: number; mean: number }>;
}

export function emptyStats(): NumericStats {
  return { items: 0, fields: {} };
}

/** Adds `items` to `stats` (a running mean, so pages can be added one after another). */
export function addToStats(stats: NumericStats, items: readonly RealTimeItem[]): void {
  for (const item of items) {
    for (const [name, value] of Object.entries(item.data)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const field = `${item.channel}.${name}`;
      const entry = stats.fields[field] ?? { count: 0, min: value, max: value, mean: 0 };
      entry.mean = (entry.mean * entry.count + value) / (entry.count + 1);
      entry.count += 1;
      entry.min = Math.min(entry.min, value);
      entry.max = Math.max(entry.max, value);
      stats.fields[field] = entry;
    }
  }
  stats.items += items.length;
}
