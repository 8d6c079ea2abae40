import { describe, expect, it } from 'vitest';
import { type RejectReport, RejectReportSchema } from '#contracts/queue-message.ts';
import { DependencyError } from '#core/errors.ts';
import { ingestObject } from '#core/ingest-object.ts';
import type { ObjectStore } from '#core/ingest-ports.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ApplyResult, ItemStore } from '#core/ports.ts';

const options = {
  keyAttribute: 'vehicleId',
  source: 's3',
  now: 1_700_000_000_000,
  maxObjectBytes: 1_000_000,
};
const location = { bucket: 'b', key: 'ingest/o.ndjson' };

/** RealTimeData in memory, with the conditional write's rule: only a newer `ts` applies. */
class MemoryItemStore implements ItemStore {
  readonly items = new Map<string, NormalisedReading>();
  readonly writes: NormalisedReading[] = [];
  failAfter = Number.POSITIVE_INFINITY;

  async applyReading(reading: NormalisedReading): Promise<ApplyResult> {
    if (this.writes.length >= this.failAfter) throw new DependencyError('DynamoDB is down');
    this.writes.push(reading);
    const id = `${reading.itemKey}/${reading.channel}`;
    const stored = this.items.get(id);
    if (stored && stored.ts >= reading.ts) return { applied: false };
    this.items.set(id, reading);
    return { applied: true, version: 1 };
  }

  async listItemPage() {
    return { items: [], more: false };
  }
}

/** One object served in small chunks; `breakAfter` chunks make its stream break part way. */
function objectStore(text: string, breakAfter = Number.POSITIVE_INFINITY) {
  const reports = new Map<string, RejectReport>();
  const bytes = new TextEncoder().encode(text);
  let closed = false;
  const store: ObjectStore = {
    getText: async () => text,
    async openStream() {
      async function* chunks() {
        for (let at = 0, n = 0; at < bytes.length; at += 64, n++) {
          if (n >= breakAfter) throw new DependencyError('get s3://b/ingest/o.ndjson (stream broke)');
          yield bytes.subarray(at, at + 64);
        }
      }
      return {
        size: bytes.length,
        chunks: chunks(),
        close: () => {
          closed = true;
        },
      };
    },
    putJson: async (_bucket, key, value) => void reports.set(key, RejectReportSchema.parse(value)),
    delete: async (_bucket, key) => void reports.delete(key),
  };
  return { store, reports, wasClosed: () => closed };
}

const line = (key: string, ts: number | undefined, v: number) =>
  JSON.stringify({ vehicleId: key, ...(ts === undefined ? {} : { ts }), data: { v } });

describe('ingestObject', () => {
  it('writes the readings of one (key, channel) in the object order, across batches', async () => {
    const lines = Array.from({ length: 1_300 }, (_, i) => line(`k${i % 3}`, undefined, i));
    const items = new MemoryItemStore();
    const { store, reports } = objectStore(lines.join('\n'));
    const outcome = await ingestObject(location, { items, objects: store }, options);
    expect(outcome).toMatchObject({ kind: 'ingested', lines: 1_300, accepted: 1_300, rejected: 0 });
    for (const key of ['k0', 'k1', 'k2']) {
      const order = items.writes.filter((w) => w.itemKey === key).map((w) => w.data.v as number);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(key === 'k0' ? 434 : 433);
    }
    expect(reports.size).toBe(0);
  });

  it('reports bad lines with their bytes beside the good ones, and removes the report once clean', async () => {
    const items = new MemoryItemStore();
    const bad = objectStore([line('a', 10, 1), '{"vehicleId":', line('a', 11, 2)].join('\n'));
    await ingestObject(location, { items, objects: bad.store }, options);
    expect(bad.reports.get('rejected/ingest/o.ndjson.json')).toMatchObject({
      status: 'complete',
      accepted: 2,
      applied: 2,
      lines: 3,
      rejectedCount: 1,
      rejected: [{ line: 2, code: 'ValidationError', raw: '{"vehicleId":' }],
    });
    const clean = objectStore(line('a', 12, 3));
    clean.reports.set('rejected/ingest/o.ndjson.json', bad.reports.get('rejected/ingest/o.ndjson.json')!);
    await ingestObject(location, { items, objects: clean.store }, options);
    expect(clean.reports.size).toBe(0);
  });

  it('refuses an object above the limit unread: nothing applied, a refused report', async () => {
    const items = new MemoryItemStore();
    const { store, reports, wasClosed } = objectStore(line('a', 10, 1).repeat(10));
    const outcome = await ingestObject(
      location,
      { items, objects: store },
      { ...options, maxObjectBytes: 100 },
    );
    expect(outcome).toMatchObject({ kind: 'refused', accepted: 0 });
    expect(items.writes).toEqual([]);
    expect(wasClosed()).toBe(true);
    expect(reports.get('rejected/ingest/o.ndjson.json')).toMatchObject({
      status: 'refused',
      stoppedAt: { afterLine: 0, code: 'ObjectTooLarge' },
    });
  });

  it.each([
    ['the stream breaks', { breakAfter: 400, failAfter: Number.POSITIVE_INFINITY }],
    ['a write fails', { breakAfter: Number.POSITIVE_INFINITY, failAfter: 700 }],
  ])('writes a failed report saying where it stopped when %s, then rethrows', async (_what, fault) => {
    const lines = Array.from({ length: 1_200 }, (_, i) =>
      i === 5 ? 'bad' : line(`k${i % 7}`, 1_000 + i, i),
    );
    const items = new MemoryItemStore();
    items.failAfter = fault.failAfter;
    const { store, reports, wasClosed } = objectStore(lines.join('\n'), fault.breakAfter);
    await expect(ingestObject(location, { items, objects: store }, options)).rejects.toBeInstanceOf(
      DependencyError,
    );
    const report = reports.get('rejected/ingest/o.ndjson.json');
    expect(report).toMatchObject({ status: 'failed', rejected: [{ line: 6, raw: 'bad' }] });
    const stopped = report?.stoppedAt;
    expect(stopped?.code).toBe('DependencyUnavailable');
    // Every line up to afterLine was written (or rejected); the report's counts say so.
    expect(stopped?.afterLine).toBeGreaterThan(0);
    expect(stopped?.afterLine).toBeLessThan(1_200);
    expect(report?.accepted).toBe((stopped?.afterLine ?? 0) - 1);
    expect(items.writes.length).toBeGreaterThanOrEqual(report?.accepted ?? 0);
    expect(wasClosed()).toBe(true);
  });
});
