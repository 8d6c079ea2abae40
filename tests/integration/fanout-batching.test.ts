import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import { type ItemFrame, ServerFrameSchema } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { type ConnectionsProxy, startConnectionsProxy } from '../helpers/connections-proxy.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Batching through the local runtime. The functions post to `@connections` through a proxy that
 * counts (and measures) the posts of each test's keys, and can hold a "gate" post: while the fan-out
 * invocation waits on it, the test's writes pile up in the stream, so they reach the next invocation
 * together, as they do on AWS when the stream has a backlog.
 */
let platform: Platform;
let proxy: ConnectionsProxy | undefined;
const clients: TestClient[] = [];
/** Bodies of the posts, as sent (a post is one PostToConnection call). */
const posts: string[] = [];
const gates = new Map<string, { reached: boolean; release: () => void; released: Promise<void> }>();
const gone = new Set<string>();

beforeAll(async () => {
  proxy = await startConnectionsProxy(async (method, body) => {
    if (method !== 'POST') return undefined;
    const text = body.toString();
    posts.push(text);
    if ([...gone].some((marker) => text.includes(marker))) {
      return { status: 410, errorType: 'GoneException', message: 'injected gone' };
    }
    const gate = [...gates.entries()].find(([marker]) => text.includes(marker))?.[1];
    if (gate) {
      gate.reached = true;
      await gate.released;
    }
    return undefined;
  });
  platform = await startTestPlatform({
    functionEnvironment: { WS_CALLBACK_URL: `http://127.0.0.1:${proxy.port}/develop` },
  });
  proxy.forwardTo(new URL(platform.endpoints.connections).origin);
});

afterAll(async () => {
  for (const gate of gates.values()) gate.release();
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
  await proxy?.stop();
});

async function open(keys: readonly string[], query = ''): Promise<TestClient> {
  const [first, ...rest] = keys;
  const client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${first}${query}`);
  clients.push(client);
  for (const key of rest) client.send({ action: 'subscribe', key });
  await waitFor(
    () => client.frames.filter((frame) => frame.type === 'ack').length === rest.length,
    'the subscribe acks',
  );
  return client;
}

const readings = (keys: readonly string[], ts: number, data: Record<string, unknown> = {}) =>
  postJson(platform.endpoints.http, '/readings', {
    readings: keys.map((vehicleId) => ({ vehicleId, channel: 'telemetry', ts, data: { ...data, ts } })),
  });

/**
 * Runs `write` while the fan-out is held on a post of `gateKey` (subscribed by `client`), so what it
 * writes reaches the fan-out in the invocation after the gate.
 */
async function behindGate(gateKey: string, write: () => Promise<unknown>): Promise<void> {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const gate = { reached: false, release, released };
  gates.set(`"key":"${gateKey}"`, gate);
  expect((await readings([gateKey], 1)).status).toBe(202);
  await waitFor(() => gate.reached, 'the fan-out held on the gate post', 15_000);
  await write();
  release();
}

const itemsOf = (client: TestClient, prefix: string) =>
  client.frames.filter((frame): frame is ItemFrame => frame.type === 'item' && frame.key.startsWith(prefix));
/** Posts of changes (not the acks ws-actions posts) whose body holds `marker`. */
const postsOf = (marker: string) =>
  posts.filter((body) => body.includes(marker) && !body.startsWith('{"type":"ack"'));

describe('one post per connection per invocation', () => {
  it('sends a fleet dashboard of 50 keys its changes in fewer posts than changes; batch=false gets single frames', async () => {
    const keys = Array.from({ length: 50 }, (_, index) => `fleet-${index}`);
    const dashboard = await open(['gate-fleet', ...keys]);
    const single = await open(keys, '&batch=false');
    await behindGate('gate-fleet', async () => {
      expect((await readings(keys, 1_000)).status).toBe(202);
      expect((await readings(keys, 2_000, { engine: 'on' })).status).toBe(202);
    });
    const newestOf = (key: string) => itemsOf(dashboard, key).at(-1)?.data.ts;
    await waitFor(
      () => keys.every((key) => newestOf(key) === 2_000),
      'every key newest on the dashboard',
      15_000,
    );
    await waitFor(() => itemsOf(single, 'fleet-').length === 100, 'every change as its own frame', 15_000);

    const dashboardPosts = dashboard.received.filter((frame) =>
      (frame.type === 'batch' ? frame.frames : [frame]).some(
        (inner) => inner.type === 'item' && inner.key.startsWith('fleet-'),
      ),
    );
    console.log(
      `fleet dashboard: ${itemsOf(dashboard, 'fleet-').length} changes in ${dashboardPosts.length} posts; ` +
        `batch=false: ${itemsOf(single, 'fleet-').length} changes in ${single.received.filter((f) => f.type === 'item').length} posts`,
    );
    expect(dashboardPosts.length).toBeLessThan(10);
    expect(single.received.some((frame) => frame.type === 'batch')).toBe(false);
    // The single-frame connection sees every change of a key in apply (version) order.
    for (const key of keys) {
      const versions = itemsOf(single, key)
        .filter((f) => f.key === key)
        .map((frame) => frame.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
    // Every post went through @connections as one call, and every message is a valid protocol frame.
    expect(postsOf('"key":"fleet-').length).toBeGreaterThanOrEqual(dashboardPosts.length + 100);
    for (const body of postsOf('"key":"fleet-'))
      expect(ServerFrameSchema.safeParse(JSON.parse(body)).success).toBe(true);
    expect([...dashboard.invalid, ...single.invalid]).toEqual([]);
  });

  it('keeps every batch frame within 32 KB: many large items go in several posts, in order', async () => {
    const keys = Array.from({ length: 24 }, (_, index) => `large-${index}`);
    const dashboard = await open(['gate-large', ...keys]);
    const big = 'x'.repeat(5_000);
    await behindGate('gate-large', async () => {
      expect((await readings(keys, 1_000, { big })).status).toBe(202);
    });
    await waitFor(() => itemsOf(dashboard, 'large-').length === 24, 'every large item', 15_000);
    const bodies = postsOf('"key":"large-').filter((body) => !body.includes('gate-large'));
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.length).toBeLessThan(24);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(dashboard.invalid).toEqual([]);
  });

  it('conflates a latest-value item within one invocation and keeps every room message', async () => {
    const watcher = await open(['gate-conflate', 'conflate-1', 'room-conflate'], '&user=ben');
    const single = await open(['conflate-1'], '&batch=false');
    const poster = await open(['room-conflate'], '&user=ana');
    const texts = ['one', 'two', 'three', 'four'];
    await behindGate('gate-conflate', async () => {
      for (const ts of [1_000, 2_000, 3_000, 4_000])
        expect((await readings(['conflate-1'], ts)).status).toBe(202);
      for (const text of texts) poster.send({ action: 'publish', room: 'conflate', text });
      await waitFor(
        () =>
          poster.frames.filter((frame) => frame.type === 'ack' && frame.action === 'publish').length === 4,
        'the publish acks',
      );
    });
    const messages = () => itemsOf(watcher, 'room-conflate').map((frame) => frame.data.text);
    await waitFor(() => messages().length === 4, 'every room message', 15_000);
    await waitFor(() => itemsOf(single, 'conflate-1').length === 4, 'every telemetry change, single frames');
    // Four items (one per message), applied in whatever order ws-rooms stored them: none left out.
    expect(messages().sort()).toEqual([...texts].sort());
    expect(itemsOf(watcher, 'conflate-1').map((frame) => frame.data.ts)).toEqual([4_000]);
  });

  it('removes a connection found gone during a batched post once, and posts nothing more to it', async () => {
    const keys = ['gone-1', 'gone-2', 'gone-3'];
    await open(['gate-gone', ...keys]);
    await behindGate('gate-gone', async () => {
      gone.add('"key":"gone-1"');
      expect((await readings(keys, 1_000)).status).toBe(202);
    });
    const dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
    const store = new DynamoConnectionStore(
      createDocumentClient(dynamo),
      platform.resources.connectionsTable as string,
    );
    const subscribed = async () => (await Promise.all(keys.map((key) => store.listSubscribers(key)))).flat();
    await waitFor(async () => (await subscribed()).length === 0, 'the gone connection removed', 15_000);
    dynamo.destroy();
    // One batched post carried the three changes; after its 410 nothing else was posted to it.
    expect(postsOf('"key":"gone-').length).toBe(1);
  });
});
