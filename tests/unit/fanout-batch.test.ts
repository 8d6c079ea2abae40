import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import type { ConnectionPublisher, ConnectionStore } from '#core/ports.ts';
import type { ItemChange } from '#core/stream-change.ts';
import { DependencyError, PayloadTooLargeError, StaleConnectionError } from '#runtime/errors.ts';

const change = (key: string, version: number): ItemChange => ({
  key,
  frame: { type: 'item', key, channel: 'telemetry', version, ts: version, data: {} },
});

/** In-memory ports that record what the core asked of them. */
function fakePorts(
  subscribers: Record<string, string[]>,
  behaviour: { gone?: string[]; failing?: Record<string, Error> } = {},
) {
  const lookups: string[] = [];
  const removed: string[] = [];
  const posted: Array<{ connectionId: string; frame: ServerFrame }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const connections: ConnectionStore = {
    addConnection: async () => {},
    addSubscription: async () => {},
    removeSubscription: async () => {},
    removeConnection: async (id) => {
      removed.push(id);
    },
    listSubscribers: async (key) => {
      lookups.push(key);
      return subscribers[key] ?? [];
    },
  };
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

describe('startFanoutBatch', () => {
  it('looks subscribers up once per distinct key per batch', async () => {
    const ports = fakePorts({ '3': ['a'], '4': ['b'] });
    const batch = startFanoutBatch(ports, { concurrency: 4 });
    await Promise.all(
      [change('3', 1), change('4', 1), change('3', 2), change('3', 3)].map((c) => batch.deliver(c)),
    );
    expect(ports.lookups.sort()).toEqual(['3', '4']);
    expect(ports.posted).toHaveLength(4);
  });

  it('delivers the changes of one key in order even when started together', async () => {
    const ports = fakePorts({ '3': ['a', 'b', 'c'] });
    const batch = startFanoutBatch(ports, { concurrency: 8 });
    await Promise.all([1, 2, 3, 4, 5].map((version) => batch.deliver(change('3', version))));
    for (const id of ['a', 'b', 'c']) {
      const versions = ports.posted
        .filter((p) => p.connectionId === id)
        .map((p) => (p.frame.type === 'item' ? p.frame.version : 0));
      expect(versions).toEqual([1, 2, 3, 4, 5]);
    }
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

  it('lets a later change of the same key through after an earlier one failed', async () => {
    const ports = fakePorts({ '3': ['a'] });
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
    const batch = startFanoutBatch(flaky, { concurrency: 1 });
    const results = await Promise.allSettled([batch.deliver(change('3', 1)), batch.deliver(change('3', 2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  });
});
