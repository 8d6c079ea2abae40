import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { type ConnectionsProxy, startConnectionsProxy } from '../helpers/connections-proxy.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { itemsOf, subscriberPool, type TestClient } from '../helpers/ws-client.ts';

/**
 * Faults on the real-time path. The functions post to `@connections` through a fault-injecting
 * proxy in front of the local gateway (a real HTTP hop, like a flaky network or API Gateway 5xx).
 */
const POISON_FAILURES = 4;

let platform: Platform;
let proxy: ConnectionsProxy | undefined;
let poisonAttempts = 0;
const subscribers = subscriberPool(() => platform.endpoints.websocket);

beforeAll(async () => {
  proxy = await startConnectionsProxy((method, body) =>
    // More failures than the SDK's own 3 attempts: the stream record itself must be retried.
    method === 'POST' && body.includes('"poison":true') && poisonAttempts++ < POISON_FAILURES
      ? { status: 503, errorType: 'ServiceUnavailable', message: 'injected fault' }
      : undefined,
  );
  platform = await startTestPlatform({
    functionEnvironment: { WS_CALLBACK_URL: `http://127.0.0.1:${proxy.port}/develop` },
  });
  proxy.forwardTo(new URL(platform.endpoints.connections).origin);
});

afterAll(async () => {
  await subscribers.closeAll();
  await platform?.stop();
  await proxy?.stop();
});

const subscriber = (key: string): Promise<TestClient> => subscribers.connect(key);

const itemFrames = (client: TestClient) =>
  client.frames.filter((frame): frame is ItemFrame => frame.type === 'item');

describe('faults on the fan-out path', () => {
  it('retries a record whose posts fail, delivers the records beside it, and loses none', async () => {
    const watcher = await subscriber('fault-1');
    const readings = Array.from({ length: 20 }, (_, i) => ({
      vehicleId: 'fault-1',
      channel: `c${i}`,
      data: i === 7 ? { poison: true, i } : { i },
    }));
    expect((await postJson(platform.endpoints.http, '/readings', { readings })).status).toBe(202);

    await waitFor(
      () => new Set(itemFrames(watcher).map((frame) => frame.channel)).size === readings.length,
      'every reading delivered, the poisoned one included',
      20_000,
    );
    expect(poisonAttempts).toBeGreaterThan(POISON_FAILURES);
    const frames = itemFrames(watcher);
    const duplicates = frames.length - new Set(frames.map((f) => `${f.channel}@${f.version}`)).size;
    console.log(
      `fan-out fault: ${readings.length} readings, poisoned post failed ${POISON_FAILURES} times, ` +
        `${frames.length} frames received (${duplicates} redelivered duplicates), 0 lost`,
    );
    expect(frames.find((frame) => frame.channel === 'c7')?.data).toEqual({ poison: true, i: 7 });
  });

  it('lets a subscriber that dropped mid-stream catch up with sync since its last version', async () => {
    const key = 'fault-2';
    const first = await subscriber(key);
    const post = (seq: number) =>
      postJson(platform.endpoints.http, '/readings', { vehicleId: key, ts: 1_000 + seq, data: { seq } });
    for (let seq = 1; seq <= 5; seq++) await post(seq);
    await waitFor(() => itemFrames(first).some((frame) => frame.data.seq === 5), 'the first five frames');
    const lastVersion = Math.max(...itemFrames(first).map((frame) => frame.version));
    await first.close();

    // Readings go on while the subscriber is away.
    for (let seq = 6; seq <= 12; seq++) await post(seq);

    const again = await subscriber(key);
    again.send({ action: 'sync', key, since: lastVersion });
    const snapshot = await again.next((frame) => frame.type === 'snapshot', 'the snapshot');
    for (let seq = 13; seq <= 15; seq++) await post(seq);
    await waitFor(
      () => itemFrames(again).some((frame) => frame.data.seq === 15),
      'the live frames after sync',
    );

    expect(itemsOf(snapshot).map((item) => item.data.seq)).toEqual([12]);
    const seen = [...itemFrames(first), ...itemsOf(snapshot), ...itemFrames(again)];
    // Latest-value semantics: every version the client ends with is the stored one, none older kept.
    const latest = Math.max(...seen.map((frame) => frame.version));
    const stored = (await (await fetch(`${platform.endpoints.http}/items/${key}`)).json()) as {
      items: Array<{ version: number; data: { seq: number } }>;
    };
    expect(stored.items[0]).toMatchObject({ version: latest, data: { seq: 15 } });
    expect(seen.map((frame) => frame.data.seq)).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5, 12, 13, 14, 15]),
    );
  });
});
