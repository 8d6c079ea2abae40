import { describe, expect, it } from 'vitest';
import { type JobMessage, JobRequestSchema, type JobStatusData } from '#contracts/jobs.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { type JobItemStore, numericStats, queueJob, runJob } from '#core/jobs.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import { StaleWriteError } from '#runtime/errors.ts';

const JOB_ID = '0b9f2c1e-4a57-4c1b-9a9e-2f1f8d7c6b5a';

/** An in-memory RealTimeData with the conditional writer's rule (strictly newer ts wins). */
function memoryItems(clockStart = 1_000) {
  const items = new Map<string, RealTimeItem>();
  const history: JobStatusData[] = [];
  let now = clockStart;
  const store: JobItemStore = {
    applyReading: async (reading: NormalisedReading) => {
      const id = `${reading.itemKey}/${reading.channel}`;
      const stored = items.get(id);
      if (stored && stored.ts >= reading.ts) return { applied: false };
      const version = (stored?.version ?? 0) + 1;
      items.set(id, { ...reading, version });
      history.push(reading.data as JobStatusData);
      return { applied: true, version };
    },
    getItem: async (key, channel) => items.get(`${key}/${channel}`),
    listItems: async (key) => [...items.values()].filter((item) => item.itemKey === key),
  };
  // A clock that stands still: status writes must still get strictly increasing ts.
  return { store, items, history, clock: { now: () => now }, setNow: (t: number) => (now = t) };
}

const job = (request: unknown): JobMessage => ({
  ...JobRequestSchema.parse(request),
  jobId: JOB_ID,
  queuedAt: 1_000,
});

describe('queueJob', () => {
  it('writes queued before sending, and refuses a client id already taken', async () => {
    const { store, history, clock } = memoryItems();
    const sent: JobMessage[] = [];
    const ports = {
      items: store,
      queue: { send: async (m: JobMessage) => void sent.push(m) },
      clock,
      newId: () => JOB_ID,
    };
    const request = JobRequestSchema.parse({ type: 'fail', input: {} });
    expect(await queueJob(request, { keyAttribute: 'vehicleId' }, ports)).toEqual({
      jobId: JOB_ID,
      key: `job-${JOB_ID}`,
    });
    expect(history.map((status) => status.status)).toEqual(['queued']);
    expect(sent).toEqual([
      { type: 'fail', input: { reason: 'failed on purpose' }, jobId: JOB_ID, queuedAt: 1_000 },
    ]);
    await expect(
      queueJob({ ...request, jobId: JOB_ID }, { keyAttribute: 'vehicleId' }, ports),
    ).rejects.toThrow(StaleWriteError);
  });
});

describe('runJob', () => {
  const noSleep = async () => {};

  it('reports progress and the result with strictly newer status items under a still clock', async () => {
    const { store, history, clock } = memoryItems();
    const outcome = await runJob(
      job({ type: 'sleep', input: { seconds: 1, steps: 4 } }),
      { keyAttribute: 'vehicleId' },
      { items: store, clock, sleep: noSleep },
    );
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
    const failing = job({ type: 'fail', input: { reason: 'nope' } });
    expect(
      await runJob(failing, { keyAttribute: 'vehicleId' }, { items: store, clock, sleep: noSleep }),
    ).toBe('failed');
    expect(history.at(-1)).toMatchObject({ status: 'failed', reason: 'nope' });
    expect(
      await runJob(failing, { keyAttribute: 'vehicleId' }, { items: store, clock, sleep: noSleep }),
    ).toBe('skipped');
    expect(history).toHaveLength(2);
  });

  it('fails a stats job on a key without items', async () => {
    const { store, history, clock } = memoryItems();
    const outcome = await runJob(
      job({ type: 'stats', input: { key: 'nothing' } }),
      { keyAttribute: 'vehicleId' },
      { items: store, clock, sleep: noSleep },
    );
    expect(outcome).toBe('failed');
    expect(history.at(-1)?.reason).toBe('key nothing has no items');
  });
});

describe('numericStats', () => {
  it('summarises numeric fields per channel and ignores the rest', () => {
    const item = (channel: string, data: Record<string, unknown>) =>
      ({ itemKey: 'k', channel, ts: 1, version: 1, source: 'rest', data, receivedAt: 1 }) as RealTimeItem;
    expect(numericStats([item('a', { x: 1, s: 'no' }), item('b', { x: 3 }), item('a2', { x: 5 })])).toEqual({
      items: 3,
      fields: {
        'a.x': { count: 1, min: 1, max: 1, mean: 1 },
        'b.x': { count: 1, min: 3, max: 3, mean: 3 },
        'a2.x': { count: 1, min: 5, max: 5, mean: 5 },
      },
    });
  });
});
