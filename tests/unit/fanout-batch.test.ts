import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import { DependencyError, PayloadTooLargeError, StaleConnectionError } from '#core/errors.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import type { ConnectionPublisher } from '#core/ports.ts';
import type { ItemChange } from '#core/stream-change.ts';
import { connectionStoreWith, subscribers as listed } from '../helpers/fixtures.ts';

const change = (key: string, version: number, channel = 'telemetry'): ItemChange => ({
  key,
  frame: { type: 'item', key, channel, version, ts: version, data: {} },
});
/** The versions a connection received, batch frames opened. */
const versionsOf = (posted: Array<{ connectionId: string; frame: ServerFrame }>, id: string) =>
  posted
    .filter((p) => p.connectionId === id)
    .flatMap((p) => (p.frame.type === 'batch' ? p.frame.frames : [p.frame]))
    .map((frame) => (frame.type === 'item' ? frame.version : 0));

/** In-memory ports that record what the core asked of them. */
function fakePorts(
  subscribers: Record<string, string[]>,
  behaviour: { gone?: string[]; failing?: Record<string, Error>; singleFrames?: string[] } = {},
) {
  const lookups: string[] = [];
  const removed: string[] = [];
  const posted: Array<{ connectionId: string; frame: ServerFrame }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const connections = connectionStoreWith({
    removeConnection: async (id) => {
      removed.push(id);
    },
    listSubscribers: async (key) => {
      lookups.push(key);
      return listed(subscribers[key] ?? [], behaviour.singleFrames);
    },
  });
  const publisher: ConnectionPublisher = {
    post: async (connectionId, frame) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      if (behaviour.gone?.includes(connectionId)) throw new StaleConnectionError(connectionId);
      const failure = behaviour.failing?.[connectionId];
      if (failure) throw failure;
      posted.push({ connectionId, frame });
    },
  };
  return { connections, publisher, lookups, removed, posted, maxInFlight: () => maxInFlight };
}

/** Ports whose first post fails retryably (a blip), and the number of posts tried. */
function failingFirstPost(subscribers: Record<string, string[]>) {
  const ports = fakePorts(subscribers);
  let calls = 0;
  const flaky = {
    ...ports,
    publisher: {
      post: async (id: string, frame: ServerFrame) => {
        calls += 1;
        if (calls === 1) throw new DependencyError('blip');
        await ports.publisher.post(id, frame);
      },
    },
  };
  return { ports, flaky, calls: () => calls };
}

describe('startFanoutBatch', () => {
  it('looks subscribers up once per distinct key per batch', async () => {
    const ports = fakePorts({ '3': ['a'], '4': ['b'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    await Promise.all(
      [change('3', 1), change('4', 1), change('3', 2), change('3', 3)].map((c) => batch.deliver(c)),
    );
    expect(ports.lookups.sort()).toEqual(['3', '4']);
    expect(ports.posted.map((p) => p.connectionId).sort()).toEqual(['a', 'b']);
  });

  it('delivers the changes of one key in order even when started together', async () => {
    const ports = fakePorts({ '3': ['a', 'b', 'c'] });
    const batch = startFanoutBatch(ports, { concurrency: 8 });
    await Promise.all([1, 2, 3, 4, 5].map((version) => batch.deliver(change('3', version, 'message#m1'))));
    await Promise.all([6, 7].map((version) => batch.deliver(change('3', version, 'message#m1'))));
    for (const id of ['a', 'b', 'c']) expect(versionsOf(ports.posted, id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps posts in flight within the concurrency bound', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const ports = fakePorts({ '3': ids });
    const batch = startFanoutBatch(ports, { concurrency: 5 });
    await batch.deliver(change('3', 1));
    expect(ports.posted).toHaveLength(40);
    expect(ports.maxInFlight()).toBeLessThanOrEqual(5);
  });

  it('removes the rows of the gone connection, not the others, and only once', async () => {
    const ports = fakePorts({ '3': ['live', 'gone'] }, { gone: ['gone'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    const first = await batch.deliver(change('3', 1));
    const second = await batch.deliver(change('3', 2));
    expect(ports.removed).toEqual(['gone']);
    expect(first).toMatchObject({ delivered: 1, toStale: 1 });
    expect(second).toMatchObject({ delivered: 1, toStale: 1 });
    expect(ports.posted.map((p) => p.connectionId)).toEqual(['live', 'live']);
  });

  it('throws a retryable error when a post fails transiently, after delivering to the rest', async () => {
    const ports = fakePorts(
      { '3': ['ok', 'throttled'] },
      { failing: { throttled: new DependencyError('throttled') } },
    );
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    await expect(batch.deliver(change('3', 1))).rejects.toBeInstanceOf(DependencyError);
    expect(ports.posted.map((p) => p.connectionId)).toEqual(['ok']);
  });

  it('reports permanent post failures without failing the record', async () => {
    const ports = fakePorts({ '3': ['big'] }, { failing: { big: new PayloadTooLargeError('too big') } });
    const report = await startFanoutBatch(ports, { concurrency: 1 }).deliver(change('3', 1));
    expect(report.failed.map((error) => error.code)).toEqual(['PayloadTooLarge']);
  });

  it('lets a change of the same key through in a later invocation after an earlier one failed', async () => {
    const { flaky } = failingFirstPost({ '3': ['a'] });
    const batch = startFanoutBatch(flaky, { concurrency: 1 });
    await expect(batch.deliver(change('3', 1))).rejects.toBeInstanceOf(DependencyError);
    await expect(batch.deliver(change('3', 2))).resolves.toMatchObject({ delivered: 1 });
  });

  it('sends the changes of one round to a connection in one batch frame, in order', async () => {
    const ports = fakePorts({ '3': ['a'], '4': ['a'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    const changes = [change('3', 1, 'message#m'), change('4', 1, 'message#m'), change('3', 2, 'message#m')];
    const reports = await Promise.all(changes.map((c) => batch.deliver(c)));
    expect(ports.posted).toHaveLength(1);
    const [only] = ports.posted;
    expect(only?.frame.type).toBe('batch');
    if (only?.frame.type === 'batch') {
      expect(only.frame.frames.map((f) => `${f.key}:${f.version}`)).toEqual(['3:1', '4:1', '3:2']);
    }
    expect(reports.map((r) => r.delivered)).toEqual([1, 1, 1]);
  });

  it('sends single frames to a connection that asked for batch=false', async () => {
    const ports = fakePorts({ '3': ['batching', 'single'] }, { singleFrames: ['single'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    await Promise.all([1, 2, 3].map((version) => batch.deliver(change('3', version))));
    const single = ports.posted.filter((p) => p.connectionId === 'single').map((p) => p.frame);
    expect(single.map((f) => (f.type === 'item' ? f.version : f.type))).toEqual([1, 2, 3]);
    // Latest-value telemetry: the batching connection gets the newest state only, in a batch frame
    // (the one kind of frame that may leave versions out).
    const batching = ports.posted.filter((p) => p.connectionId === 'batching').map((p) => p.frame);
    expect(batching).toEqual([{ type: 'batch', frames: [change('3', 3).frame] }]);
  });

  it('reports a conflated change by the post that carried its newer state, and fails it with it', async () => {
    const ports = fakePorts({ '3': ['a'] });
    const conflating = startFanoutBatch(ports, { concurrency: 1 });
    const reports = await Promise.all([1, 2].map((version) => conflating.deliver(change('3', version))));
    expect(reports.map((r) => [r.delivered, r.conflated])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const failing = fakePorts({ '3': ['a'] }, { failing: { a: new DependencyError('throttled') } });
    const batch = startFanoutBatch(failing, { concurrency: 1 });
    const results = await Promise.allSettled([1, 2].map((version) => batch.deliver(change('3', version))));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('after a retryable failure sends nothing more to that connection, so a retry never lands behind a later change', async () => {
    const { ports, flaky, calls } = failingFirstPost({ '3': ['a'] });
    // Frames small enough for one each: two posts to the same connection.
    const batch = startFanoutBatch(flaky, { concurrency: 4, maxFrameBytes: 150 });
    const changes = [change('3', 1, 'message#1'), change('3', 2, 'message#2')];
    expect(JSON.stringify({ type: 'batch', frames: changes.map((c) => c.frame) }).length).toBeGreaterThan(
      150,
    );
    const results = await Promise.allSettled(changes.map((c) => batch.deliver(c)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls()).toBe(1);
    expect(ports.posted).toEqual([]);
  });

  it('settles each record by its own posts: a failure on one key leaves the other key delivered', async () => {
    const ports = fakePorts(
      { '3': ['ok'], '4': ['throttled'] },
      { failing: { throttled: new DependencyError('x') } },
    );
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    const results = await Promise.allSettled([change('3', 1), change('4', 1)].map((c) => batch.deliver(c)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('removes a connection gone during a batched post once, and reports it for every change it carried', async () => {
    const ports = fakePorts({ '3': ['gone'], '4': ['gone'] }, { gone: ['gone'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    const reports = await Promise.all([change('3', 1), change('4', 1)].map((c) => batch.deliver(c)));
    expect(ports.removed).toEqual(['gone']);
    expect(reports.map((r) => r.toStale)).toEqual([1, 1]);
  });
});
