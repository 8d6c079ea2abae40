import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemFrame, SnapshotFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { type ConnectionsProxy, startConnectionsProxy } from '../helpers/connections-proxy.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, itemsOf, type TestClient } from '../helpers/ws-client.ts';

/**
 * A slow client through the local runtime: the functions post to `@connections` through a proxy
 * that throttles (429, as API Gateway's LimitExceeded) the posts whose body holds a marker, the
 * given number of times (each SDK call makes up to 3 attempts of its own).
 */
const throttles = new Map<string, number>();
const hits = new Map<string, number>();
let platform: Platform;
let proxy: ConnectionsProxy | undefined;
const clients: TestClient[] = [];

beforeAll(async () => {
  proxy = await startConnectionsProxy((method, body) => {
    const marker = [...throttles.keys()].find((mark) => body.includes(mark));
    if (method !== 'POST' || marker === undefined) return undefined;
    hits.set(marker, (hits.get(marker) ?? 0) + 1);
    const left = throttles.get(marker) ?? 0;
    if (left <= 0) return undefined;
    throttles.set(marker, left - 1);
    return { status: 429, errorType: 'LimitExceededException', message: 'injected throttle' };
  });
  platform = await startTestPlatform({
    functionEnvironment: { WS_CALLBACK_URL: `http://127.0.0.1:${proxy.port}/develop` },
  });
  proxy.forwardTo(new URL(platform.endpoints.connections).origin);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
  await proxy?.stop();
});

async function open(query: string): Promise<TestClient> {
  const client = await connectClient(`${platform.endpoints.websocket}/?${query}`);
  clients.push(client);
  return client;
}

const items = (client: TestClient) =>
  client.frames.filter((frame): frame is ItemFrame => frame.type === 'item');

describe('a slow client loses nothing that matters', () => {
  it('conflates a throttled telemetry frame: the later one arrives, the dropped one is not retried', async () => {
    throttles.set('"mark":"tele-dropped"', Number.POSITIVE_INFINITY);
    const watcher = await open('vehicleId=slow-tele');
    const post = (ts: number, data: Record<string, unknown>) =>
      postJson(platform.endpoints.http, '/readings', { vehicleId: 'slow-tele', ts, data });
    expect((await post(1_000, { mark: 'tele-dropped', speed: 1 })).status).toBe(202);
    expect((await post(2_000, { speed: 2 })).status).toBe(202);
    await waitFor(
      () => items(watcher).some((frame) => frame.data.speed === 2),
      'the later telemetry frame',
      15_000,
    );
    expect(items(watcher).map((frame) => frame.data.speed)).toEqual([2]);
    // One post (the SDK's own attempts), never a retry by the platform; none when both readings
    // reached one invocation and the newer one went in its place (conflated).
    expect(hits.get('"mark":"tele-dropped"') ?? 0).toBeLessThanOrEqual(3);
    watcher.send({ action: 'ping' });
    await watcher.next(
      (frame) => frame.type === 'ack' && frame.action === 'ping',
      'the ping ack: still open',
    );
  });

  it('retries a throttled room message until the member gets it', async () => {
    // More throttles than one post's SDK attempts: only the platform's own retry delivers it.
    throttles.set('"text":"must arrive"', 4);
    const member = await open('vehicleId=room-slow&user=ben');
    const poster = await open('vehicleId=room-slow-other&user=ana');
    poster.send({ action: 'publish', room: 'slow', text: 'must arrive' });
    await member.next(
      (frame) => frame.type === 'item' && frame.data.text === 'must arrive',
      'the retried message',
      20_000,
    );
    expect(hits.get('"text":"must arrive"')).toBeGreaterThan(4);
  });

  it('closes a member that cannot take a room message, which then resyncs and has it', async () => {
    throttles.set('"text":"cannot take it"', Number.POSITIVE_INFINITY);
    const member = await open('vehicleId=room-stuck&user=ben');
    const closed = new Promise<number>((resolve) => member.socket.once('close', (code) => resolve(code)));
    const poster = await open('vehicleId=room-stuck-other&user=ana');
    poster.send({ action: 'publish', room: 'stuck', text: 'cannot take it' });
    expect(await closed).toBe(1000);
    throttles.delete('"text":"cannot take it"');
    const again = await open('vehicleId=room-stuck&user=ben');
    again.send({ action: 'sync', key: 'room-stuck' });
    const snapshot = (await again.next((frame) => frame.type === 'snapshot', 'the resync')) as SnapshotFrame;
    expect(itemsOf(snapshot).map((item) => item.data.text)).toEqual(['cannot take it']);
  });
});
