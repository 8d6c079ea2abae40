import { describe, expect, it } from 'vitest';
import { type JobMessage, JobRequestSchema, type JobStatusData } from '#contracts/jobs.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { DependencyError, LimitExceededError, StaleWriteError } from '#core/errors.ts';
import {
  addToStats,
  emptyStats,
  type JobItemStore,
  type JobSlotStore,
  jobCallerOf,
  queueJob,
  runJob,
} from '#core/jobs.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import { inMemoryItemPages } from '../helpers/item-pages.ts';

const JOB_ID = '0b9f2c1e-4a57-4c1b-9a9e-2f1f8d7c6b5a';

/** An in-memory RealTimeData with the conditional writers' rules (strictly newer ts wins; create once). */
function memoryItems(clockStart = 1_000_000) {
  const items = new Map<string, RealTimeItem & { expiresAt?: number }>();
  const history: JobStatusData[] = [];
  let now = clockStart;
  let failNextWrite: Error | undefined;
  const write = (reading: NormalisedReading, when: (stored: RealTimeItem | undefined) => boolean) => {
    if (failNextWrite) {
      const error = failNextWrite;
      failNextWrite = undefined;
      throw error;
    }
    const id = `${reading.itemKey}/${reading.channel}`;
    const stored = items.get(id);
    if (!when(stored)) return { applied: false as const };
    const version = (stored?.version ?? 0) + 1;
    items.set(id, { ...stored, ...reading, version });
    history.push(reading.data as JobStatusData);
    return { applied: true as const, version };
  };
  const store: JobItemStore = {
    applyReading: async (reading) => write(reading, (stored) => !stored || stored.ts < reading.ts),
    createItem: async (reading) => write(reading, (stored) => !stored),
    getItem: async (key, channel) => items.get(`${key}/${channel}`),
    listItemPage: inMemoryItemPages(() => items.values()),
  };
  // A clock that stands still: status writes must still get strictly increasing ts.
  return {
    store,
    items,
    history,
    clock: { now: () => now },
    setNow: (t: number) => (now = t),
    failNextWrite: (error: Error) => (failNextWrite = error),
  };
}

/** JobSlotStore in memory, with its contract: a slot per job id, leases that end, at most `limit`. */
function memorySlots() {
  const callers = new Map<string, Map<string, number>>();
  const slots: JobSlotStore = {
    claim: async ({ caller, jobId, limit, leaseEndsAt, now }) => {
      const jobs = callers.get(caller) ?? new Map<string, number>();
      callers.set(caller, jobs);
      if (jobs.has(jobId)) return 'taken';
      for (const [id, endsAt] of jobs) if (endsAt <= now) jobs.delete(id);
      if (jobs.size >= limit) return 'full';
      jobs.set(jobId, leaseEndsAt);
      return 'claimed';
    },
    release: async (caller, jobId) => void callers.get(caller)?.delete(jobId),
  };
  return { slots, held: (caller: string) => [...(callers.get(caller)?.keys() ?? [])] };
}

const job = (request: unknown, caller?: string): JobMessage => ({
  ...JobRequestSchema.parse(request),
  jobId: JOB_ID,
  queuedAt: 1_000,
  ...(caller ? { caller } : {}),
});

const CALLER = 'sub:alice';
const queueContext = { keyAttribute: 'vehicleId', caller: CALLER, inFlightLimit: 2, ttlSeconds: 600 };

describe('jobCallerOf', () => {
  it('is the token subject when there is one, else the source IP', () => {
    expect(jobCallerOf({ sub: 'alice', sourceIp: '10.0.0.1' })).toBe('sub:alice');
    expect(jobCallerOf({ sub: undefined, sourceIp: '10.0.0.1' })).toBe('ip:10.0.0.1');
  });
});

describe('queueJob', () => {
  function setUp() {
    const items = memoryItems();
    const slots = memorySlots();
    const sent: JobMessage[] = [];
    let next = 0;
    const ports = {
      items: items.store,
      slots: slots.slots,
      queue: { send: async (m: JobMessage) => void sent.push(m) },
      clock: items.clock,
      newId: () => `00000000-0000-4000-8000-00000000000${next++}`,
    };
    return { items, slots, sent, ports };
  }
  const request = JobRequestSchema.parse({ type: 'fail', input: {} });

  it('writes queued (expiring ttlSeconds later) before sending, and refuses a client id already taken', async () => {
    const { items, slots, sent, ports } = setUp();
    expect(await queueJob({ ...request, jobId: JOB_ID }, queueContext, ports)).toEqual({
      jobId: JOB_ID,
      key: `job-${JOB_ID}`,
    });
    expect(items.history.map((status) => status.status)).toEqual(['queued']);
    expect(items.items.get(`job-${JOB_ID}/status`)?.expiresAt).toBe(1_000 + 600);
    expect(sent).toEqual([
      {
        type: 'fail',
        input: { reason: 'failed on purpose' },
        jobId: JOB_ID,
        queuedAt: 1_000_000,
        caller: CALLER,
      },
    ]);
    await expect(queueJob({ ...request, jobId: JOB_ID }, queueContext, ports)).rejects.toThrow(
      StaleWriteError,
    );
    expect(slots.held(CALLER)).toEqual([JOB_ID]);
  });

  it('refuses an id of a finished job, and frees the slot it claimed for it', async () => {
    const { items, slots, ports } = setUp();
    await queueJob({ ...request, jobId: JOB_ID }, queueContext, ports);
    await slots.slots.release(CALLER, JOB_ID);
    await expect(queueJob({ ...request, jobId: JOB_ID }, queueContext, ports)).rejects.toThrow(
      StaleWriteError,
    );
    expect(slots.held(CALLER)).toEqual([]);
    expect(items.history).toHaveLength(1);
  });

  it('refuses a job beyond the in-flight limit with 429, and takes it once one finished', async () => {
    const { slots, ports } = setUp();
    const first = await queueJob(request, queueContext, ports);
    await queueJob(request, queueContext, ports);
    const refused = queueJob(request, queueContext, ports);
    await expect(refused).rejects.toThrow(LimitExceededError);
    await expect(refused).rejects.toMatchObject({ httpStatus: 429 });
    await expect(queueJob(request, { ...queueContext, caller: 'sub:bob' }, ports)).resolves.toBeDefined();
    await slots.slots.release(CALLER, first.jobId);
    await expect(queueJob(request, queueContext, ports)).resolves.toBeDefined();
  });

  it('leaves a job it could not send failed, not queued, and its slot free', async () => {
    const { items, slots, ports } = setUp();
    const outage = new DependencyError('SQS is down');
    const failing = { ...ports, queue: { send: async () => Promise.reject(outage) } };
    await expect(queueJob({ ...request, jobId: JOB_ID }, queueContext, failing)).rejects.toBe(outage);
    expect(items.history.map((status) => status.status)).toEqual(['queued', 'failed']);
    expect(items.history.at(-1)?.reason).toMatch(/could not be queued/);
    expect(slots.held(CALLER)).toEqual([]);
  });
});

describe('runJob', () => {
  const noSleep = async () => {};
  const runContext = { keyAttribute: 'vehicleId', attempt: 1, maxAttempts: 3 };

  it('reports progress and the result with strictly newer status items under a still clock', async () => {
    const { store, history, clock } = memoryItems();
    const { slots } = memorySlots();
    const outcome = await runJob(job({ type: 'sleep', input: { seconds: 1, steps: 4 } }), runContext, {
      items: store,
      slots,
      clock,
      sleep: noSleep,
    });
    expect(outcome).toBe('done');
    expect(history.map((status) => [status.status, status.progress])).toEqual([
      ['running', 0],
      ['running', 0.25],
      ['running', 0.5],
      ['running', 0.75],
      ['done', 1],
    ]);
    expect(history.at(-1)?.result).toEqual({ sleptMs: 1000 });
  });

  it('fails on purpose with the reason, and skips a job already finished (redelivery)', async () => {
    const { store, history, clock } = memoryItems();
    const { slots } = memorySlots();
    const ports = { items: store, slots, clock, sleep: noSleep };
    const failing = job({ type: 'fail', input: { reason: 'nope' } });
    expect(await runJob(failing, runContext, ports)).toBe('failed');
    expect(history.at(-1)).toMatchObject({ status: 'failed', reason: 'nope' });
    expect(await runJob(failing, runContext, ports)).toBe('skipped');
    expect(history).toHaveLength(2);
  });

  it('fails a stats job on a key without items', async () => {
    const { store, history, clock } = memoryItems();
    const { slots } = memorySlots();
    const outcome = await runJob(job({ type: 'stats', input: { key: 'nothing' } }), runContext, {
      items: store,
      slots,
      clock,
      sleep: noSleep,
    });
    expect(outcome).toBe('failed');
    expect(history.at(-1)?.reason).toBe('key nothing has no items');
  });

  it('frees the caller slot when the job finishes', async () => {
    const { store, clock } = memoryItems();
    const slots = memorySlots();
    await slots.slots.claim({ caller: CALLER, jobId: JOB_ID, limit: 1, leaseEndsAt: 9_999, now: 1 });
    await runJob(job({ type: 'fail', input: {} }, CALLER), runContext, {
      items: store,
      slots: slots.slots,
      clock,
      sleep: noSleep,
    });
    expect(slots.held(CALLER)).toEqual([]);
  });

  it('rethrows an outage before the last attempt, and marks the job failed on the last one', async () => {
    const { store, history, clock, failNextWrite } = memoryItems();
    const slots = memorySlots();
    await slots.slots.claim({ caller: CALLER, jobId: JOB_ID, limit: 1, leaseEndsAt: 9_999, now: 1 });
    const ports = { items: store, slots: slots.slots, clock, sleep: noSleep };
    const sleeper = job({ type: 'sleep', input: { seconds: 0, steps: 1 } }, CALLER);
    const outage = new DependencyError('DynamoDB throttled');
    failNextWrite(outage);
    await expect(runJob(sleeper, { ...runContext, attempt: 2 }, ports)).rejects.toBe(outage);
    expect(history).toEqual([]);
    expect(slots.held(CALLER)).toEqual([JOB_ID]);
    failNextWrite(outage);
    await expect(runJob(sleeper, { ...runContext, attempt: 3 }, ports)).rejects.toBe(outage);
    expect(history.at(-1)).toMatchObject({
      status: 'failed',
      reason: 'gave up after 3 attempt(s): DependencyUnavailable',
    });
    expect(slots.held(CALLER)).toEqual([]);
  });
});

describe('addToStats', () => {
  const item = (channel: string, data: Record<string, unknown>) =>
    ({ itemKey: 'k', channel, ts: 1, version: 1, source: 'rest', data, receivedAt: 1 }) as RealTimeItem;

  it('summarises numeric fields per channel and ignores the rest', () => {
    const stats = emptyStats();
    addToStats(stats, [item('a', { x: 1, s: 'no' }), item('b', { x: 3 }), item('a2', { x: 5 })]);
    expect(stats).toEqual({
      items: 3,
      fields: {
        'a.x': { count: 1, min: 1, max: 1, mean: 1 },
        'b.x': { count: 1, min: 3, max: 3, mean: 3 },
        'a2.x': { count: 1, min: 5, max: 5, mean: 5 },
      },
    });
  });

  it('gives the same figures page by page as over all items at once', () => {
    const items = [1, 2, 3, 4, 10].map((x, i) => item(`c${i % 2}`, { x }));
    const whole = emptyStats();
    addToStats(whole, items);
    const paged = emptyStats();
    addToStats(paged, items.slice(0, 2));
    addToStats(paged, items.slice(2));
    expect(paged).toEqual(whole);
    expect(paged.fields['c0.x']).toEqual({ count: 3, min: 1, max: 10, mean: 14 / 3 });
  });
});
