import { ItemKeySchema } from './item-key.ts';
import * as z from './zod.ts';

/**
 * Async jobs: `POST /jobs` queues one on JobsQueue and answers 202 with its id; the jobs worker runs
 * it and writes its status as the item `status` of key `job-<jobId>`, so a page subscribed to that
 * key watches it go queued → running → done (with a result) or failed (with a reason).
 */

/** A job's id (a UUID). */
export const JobIdSchema = z.uuid();

/**
 * Optional on every request: a client-chosen id, so a page can subscribe to `job-<jobId>` before it
 * posts and see every status from `queued` on. Omitted: the server picks one.
 */
const clientJobId = { jobId: z.optional(JobIdSchema) };

/** Waits `seconds` in `steps` steps, reporting progress after each (a stand-in for real work). */
export const SleepJobSchema = z.strictObject({
  type: z.literal('sleep'),
  ...clientJobId,
  input: z.strictObject({
    seconds: z.number().check(z.gte(0), z.lte(30)),
    steps: z._default(z.int().check(z.gte(1), z.lte(20)), 5),
  }),
});

/** Statistics (count, min, max, mean) of each numeric field over the current items of a key. */
export const StatsJobSchema = z.strictObject({
  type: z.literal('stats'),
  ...clientJobId,
  input: z.strictObject({ key: ItemKeySchema }),
});

/** Fails on purpose with `reason`: shows what a failed job looks like. */
export const FailJobSchema = z.strictObject({
  type: z.literal('fail'),
  ...clientJobId,
  input: z.strictObject({
    reason: z._default(z.string().check(z.trim(), z.minLength(1), z.maxLength(200)), 'failed on purpose'),
  }),
});

/** The body of `POST /jobs`. */
export const JobRequestSchema = z.discriminatedUnion('type', [SleepJobSchema, StatsJobSchema, FailJobSchema]);
export type JobRequest = z.output<typeof JobRequestSchema>;
export type JobType = JobRequest['type'];

/** A message of JobsQueue. `caller` holds the job's slot (see JobSlotStore); older messages lack it. */
export const JobMessageSchema = z.intersection(
  JobRequestSchema,
  z.object({
    jobId: JobIdSchema,
    queuedAt: z.int().check(z.nonnegative()),
    caller: z.optional(z.string().check(z.minLength(1))),
  }),
);
export type JobMessage = z.output<typeof JobMessageSchema>;

/** `202` answer of `POST /jobs`: subscribe to `key` to watch the job. */
export const JobAcceptedSchema = z.strictObject({ jobId: JobIdSchema, key: z.string() });
export type JobAccepted = z.output<typeof JobAcceptedSchema>;

export const JobStatusSchema = z.enum(['queued', 'running', 'done', 'failed']);
export type JobStatus = z.output<typeof JobStatusSchema>;

/** `data` of a job's `status` item. Times are the server's, epoch ms. */
export const JobStatusDataSchema = z.object({
  jobId: JobIdSchema,
  type: z.string(),
  status: JobStatusSchema,
  /** 0–1 while running. */
  progress: z.optional(z.number().check(z.gte(0), z.lte(1))),
  /** What a `done` job produced. */
  result: z.optional(z.record(z.string(), z.json())),
  /** Why a `failed` job failed. */
  reason: z.optional(z.string()),
  updatedAt: z.int().check(z.nonnegative()),
});
export type JobStatusData = z.output<typeof JobStatusDataSchema>;
