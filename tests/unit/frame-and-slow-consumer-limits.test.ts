import { describe, expect, it } from 'vitest';
import { isLatestValueChannel } from '#contracts/channels.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import type { ServerFrame, SnapshotFrame } from '#contracts/ws-protocol.ts';
import { PayloadTooLargeError, SlowConnectionError, ValidationError } from '#core/errors.ts';
import { startFanoutBatch } from '#core/fanout-batch.ts';
import { normaliseReading } from '#core/normalise-reading.ts';
import type { ConnectionPublisher } from '#core/ports.ts';
import { SlowConsumerTracker } from '#core/slow-consumers.ts';
import { splitFrame } from '#core/snapshot-frames.ts';
import { MAX_DATA_DEPTH } from '#core/storable-data.ts';
import type { ItemChange } from '#core/stream-change.ts';
import { connectionStoreWith, subscribers } from '../helpers/fixtures.ts';

const item = (channel: string, size: number) => ({
  type: 'item' as const,
  key: '3',
  channel,
  version: 1,
  ts: 1,
  data: { blob: 'x'.repeat(size) },
});
const bytes = (frame: unknown) => Buffer.byteLength(JSON.stringify(frame));

describe('splitFrame', () => {
  it('keeps a small snapshot and every other frame as one frame', () => {
    const snapshot: SnapshotFrame = { type: 'snapshot', key: '3', items: [item('a', 10), item('b', 10)] };
    expect(splitFrame(snapshot)).toEqual([snapshot]);
    expect(splitFrame({ type: 'ack', action: 'ping' })).toEqual([{ type: 'ack', action: 'ping' }]);
  });

  it('splits a big snapshot into frames under 32 KB that keep every item in order', () => {
    const items = Array.from({ length: 12 }, (_, i) => item(`c${i}`, 9_000 + i * 500));
    const parts = splitFrame({ type: 'snapshot', key: '3', items });
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(bytes(part)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(parts.flatMap((part) => (part.type === 'snapshot' ? part.items : []))).toEqual(items);
  });

  it('keeps the page cursor on the last part only, so a client continues after the whole page', () => {
    const items = Array.from({ length: 8 }, (_, i) => item(`c${i}`, 9_000));
    const parts = splitFrame({ type: 'snapshot', key: '3', items, next: 'YzE' }) as SnapshotFrame[];
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.map((part) => part.next)).toEqual([...parts.slice(1).map(() => undefined), 'YzE']);
    expect(parts.slice(0, -1).every((part) => !('next' in part))).toBe(true);
  });

  it('sends an item too big to share a frame alone', () => {
    const parts = splitFrame(
      { type: 'snapshot', key: '3', items: [item('a', 100), item('b', 32_500)] },
      32_768,
    );
    expect(parts.map((part) => (part as SnapshotFrame).items.map((i) => i.channel))).toEqual([['a'], ['b']]);
  });
});

describe('ingest limits', () => {
  const options = { keyAttribute: 'vehicleId', source: 'test', now: 1_000_000 };

  it('refuses data whose frame would exceed 32 KB', () => {
    expect(() => normaliseReading({ vehicleId: '3', data: { blob: 'x'.repeat(33_000) } }, options)).toThrow(
      PayloadTooLargeError,
    );
  });

  it('refuses data nested deeper than DynamoDB can store, without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(() => normaliseReading({ vehicleId: '3', data: deep }, options)).toThrow(ValidationError);
    let fine: unknown = 1;
    for (let i = 0; i < MAX_DATA_DEPTH - 1; i++) fine = { a: fine };
    expect(normaliseReading({ vehicleId: '3', data: { a: fine } }, options).data).toEqual({ a: fine });
  });

  it('refuses numbers DynamoDB cannot store and keeps those it can', () => {
    for (const v of [1e300, -1e300, 1e-200, 2 ** 60]) {
      expect(() => normaliseReading({ vehicleId: '3', data: { v } }, options)).toThrow(ValidationError);
    }
    const ok = normaliseReading({ vehicleId: '3', data: { v: 0.1, w: -12.5, z: 0, big: 2 ** 52 } }, options);
    expect(ok.data).toEqual({ v: 0.1, w: -12.5, z: 0, big: 2 ** 52 });
  });
});

describe('SlowConsumerTracker', () => {
  it('disconnects on the third strike within the window, forgives after a success or after the window', () => {
    let now = 0;
    const tracker = new SlowConsumerTracker({ now: () => now }, { strikesToDisconnect: 3, windowMs: 1000 });
    expect(tracker.strike('a')).toBe('tolerate');
    expect(tracker.strike('a')).toBe('tolerate');
    tracker.clear('a');
    expect(tracker.strike('a')).toBe('tolerate');
    now = 2000;
    expect(tracker.strike('a')).toBe('tolerate');
    expect(tracker.strike('a')).toBe('tolerate');
    expect(tracker.strike('a')).toBe('disconnect');
  });
});

describe('fan-out with a slow connection', () => {
  const change = (version: number): ItemChange => ({
    key: '3',
    frame: { type: 'item', key: '3', channel: 'telemetry', version, ts: version, data: {} },
  });

  it('drops frames for the slow connection only, never retries the record, and disconnects it on the third strike', async () => {
    const posted: Array<{ connectionId: string; frame: ServerFrame }> = [];
    const disconnected: string[] = [];
    const removed: string[] = [];
    const connections = connectionStoreWith({
      removeConnection: async (id) => {
        removed.push(id);
      },
      listSubscribers: async () => subscribers(['fast', 'slow']),
    });
    const publisher: ConnectionPublisher = {
      post: async (connectionId, frame) => {
        if (connectionId === 'slow') throw new SlowConnectionError(connectionId, 'timed out');
        posted.push({ connectionId, frame });
      },
      disconnect: async (connectionId) => {
        disconnected.push(connectionId);
      },
    };
    const slowConsumers = new SlowConsumerTracker({ now: () => 0 });
    const reports = [];
    for (const version of [1, 2, 3, 4]) {
      // A batch per invocation; the tracker outlives them, as in the fan-out container.
      const batch = startFanoutBatch({ connections, publisher }, { concurrency: 4, slowConsumers });
      reports.push(await batch.deliver(change(version)));
    }
    expect(posted.map((p) => p.connectionId)).toEqual(['fast', 'fast', 'fast', 'fast']);
    expect(reports.map((r) => [r.delivered, r.slow, r.disconnected])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 0, 1],
      [1, 1, 0],
    ]);
    expect(disconnected).toEqual(['slow']);
    expect(removed).toEqual(['slow']);
  });

  it('retries an every-item frame to a slow connection and closes it when it still cannot take it', async () => {
    const failuresLeft = new Map([
      ['flaky', 2],
      ['stuck', Number.POSITIVE_INFINITY],
    ]);
    const posted: string[] = [];
    const disconnected: string[] = [];
    const connections = connectionStoreWith({ listSubscribers: async () => subscribers(['flaky', 'stuck']) });
    const publisher: ConnectionPublisher = {
      post: async (connectionId) => {
        const left = failuresLeft.get(connectionId) ?? 0;
        failuresLeft.set(connectionId, left - 1);
        if (left > 0) throw new SlowConnectionError(connectionId, 'throttled');
        posted.push(connectionId);
      },
      disconnect: async (connectionId) => {
        disconnected.push(connectionId);
      },
    };
    const batch = startFanoutBatch(
      { connections, publisher },
      { concurrency: 4, slowConsumers: new SlowConsumerTracker({ now: () => 0 }) },
    );
    const message: ItemChange = {
      key: 'room-a',
      frame: { type: 'item', key: 'room-a', channel: 'message#m1', version: 1, ts: 1, data: { text: 'hi' } },
    };
    const report = await batch.deliver(message);
    expect(posted).toEqual(['flaky']);
    expect(disconnected).toEqual(['stuck']);
    expect(report).toMatchObject({ delivered: 1, slow: 0, retried: 4, disconnected: 1 });
  });
});

describe('isLatestValueChannel', () => {
  it('conflates telemetry and other reading channels, never messages, widgets, bids or job statuses', () => {
    for (const channel of ['telemetry', 'engine', 'sensor#s1'])
      expect(isLatestValueChannel(channel)).toBe(true);
    for (const channel of ['message#m1', 'widget#w1', 'bid', 'status']) {
      expect(isLatestValueChannel(channel)).toBe(false);
    }
  });
});
