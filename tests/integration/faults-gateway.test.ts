import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemFrame, ServerFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, itemsOf, type TestClient } from '../helpers/ws-client.ts';

/**
 * Fault: the WebSocket gateway goes away and comes back on the same port. Clients reconnect with a
 * plain retry loop, resubscribe and `sync` since the last version they hold, and end with the latest
 * state of their keys, including readings posted while the gateway was down. The old connections'
 * rows do not outlive them.
 */
const KEYS = ['gw-0', 'gw-1', 'gw-2', 'gw-3'];

let platform: Platform;
let dynamo: DynamoDBClient;
const clients: ResumingClient[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  platform = await startTestPlatform();
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all(clients.map((client) => client.close()));
  dynamo?.destroy();
  await platform?.stop();
});

/**
 * A client as a dashboard would write it: on any close it reconnects (retrying every 100 ms),
 * resubscribes its keys and syncs each since the last version it holds.
 */
interface ResumingClient {
  keys: string[];
  /** Frames of every connection so far, in arrival order. */
  frames: ServerFrame[];
  invalid: unknown[];
  connections: number;
  /** The newest item frame held per key (live or from a snapshot). */
  latest(key: string): ItemFrame | undefined;
  close(): Promise<void>;
}

async function resumingClient(keys: string[]): Promise<ResumingClient> {
  const frames: ServerFrame[] = [];
  const invalid: unknown[] = [];
  let current: TestClient | undefined;
  let closed = false;
  const latest = (key: string) => {
    let newest: ItemFrame | undefined;
    for (const frame of frames) {
      const items = frame.type === 'item' ? [frame] : frame.type === 'snapshot' ? itemsOf(frame) : [];
      for (const item of items) {
        if (item.key === key && item.channel === 'telemetry' && item.version > (newest?.version ?? 0))
          newest = item;
      }
    }
    return newest;
  };
  const client: ResumingClient = {
    keys,
    frames,
    invalid,
    connections: 0,
    latest,
    close: async () => {
      closed = true;
      await current?.close();
    },
  };
  const connect = async (resume: boolean) => {
    for (;;) {
      try {
        current = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${keys[0]}`);
        break;
      } catch {
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    client.connections++;
    const connection = current;
    // The recording client keeps its own arrays: mirror them into the client's history.
    const mirror = setInterval(() => {
      frames.push(...connection.frames.splice(0));
      invalid.push(...connection.invalid.splice(0));
    }, 5);
    connection.socket.once('close', () => {
      clearInterval(mirror);
      frames.push(...connection.frames.splice(0));
      invalid.push(...connection.invalid.splice(0));
      if (!closed) void connect(true);
    });
    for (const key of keys.slice(1)) connection.send({ action: 'subscribe', key });
    if (resume) {
      for (const key of keys) {
        const since = latest(key)?.version;
        connection.send(since === undefined ? { action: 'sync', key } : { action: 'sync', key, since });
      }
    }
  };
  await connect(false);
  await waitFor(
    () => frames.filter((frame) => frame.type === 'ack').length >= keys.length - 1,
    'the subscribe acks',
  );
  clients.push(client);
  return client;
}

const post = async (key: string, seq: number, ts: number) => {
  const response = await postJson(platform.endpoints.http, '/readings', {
    vehicleId: key,
    channel: 'telemetry',
    ts,
    data: { seq },
  });
  expect(response.status).toBe(202);
};

async function connectionIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: platform.resources.connectionsTable,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) if (item.connectionId?.S) ids.add(item.connectionId.S);
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}

describe('fault: the WebSocket gateway restarts', () => {
  it('lets clients reconnect and sync to the latest state, readings posted during the outage included', async () => {
    const base = Date.now() - 60_000;
    const everyKey = await resumingClient(KEYS);
    const perKey = await Promise.all(KEYS.flatMap((key) => [resumingClient([key]), resumingClient([key])]));
    const all = [everyKey, ...perKey];
    const holds = (seq: number) =>
      all.every((client) =>
        client.keys.every((key) => (client.latest(key)?.data as { seq?: number })?.seq === seq),
      );

    for (let seq = 0; seq < 5; seq++) for (const key of KEYS) await post(key, seq, base + seq);
    await waitFor(() => holds(4), 'every client to hold seq 4 of its keys', 30_000);
    const before = await connectionIds();
    expect(before.size).toBe(all.length);

    await platform.websocketGateway.stop();
    // The outage: readings keep coming in over HTTP and are stored; no one is connected to get them.
    for (let seq = 5; seq < 10; seq++) for (const key of KEYS) await post(key, seq, base + seq);
    const stored = (await (await fetch(`${platform.endpoints.http}/items/${KEYS[0]}`)).json()) as {
      items: Array<{ version: number; data: { seq: number } }>;
    };
    expect(stored.items[0]).toMatchObject({ version: 10, data: { seq: 9 } });
    await platform.websocketGateway.start();

    await waitFor(() => all.every((client) => client.connections === 2), 'every client reconnected', 30_000);
    await waitFor(() => holds(9), 'every client to hold seq 9 of its keys after sync', 30_000);

    // The subscriptions were resumed too: a live reading reaches everyone on the new connections.
    for (const key of KEYS) await post(key, 10, base + 10);
    await waitFor(() => holds(10), 'the live reading after the restart', 30_000);

    // The old connections' rows went with their $disconnect; only the new connections remain.
    const after = await connectionIds();
    expect([...before].filter((id) => after.has(id))).toEqual([]);
    expect(after.size).toBe(all.length);
    const versions = all.flatMap((client) => client.keys.map((key) => client.latest(key)?.version));
    expect(new Set(versions)).toEqual(new Set([11]));
    console.log(
      `gateway restart: ${all.length} clients (${all.reduce((sum, c) => sum + c.keys.length, 0)} subscriptions) ` +
        `reconnected, synced 5 readings per key posted during the outage, resumed live delivery; ` +
        `${before.size} stale connections cleaned`,
    );
    expect(all.flatMap((client) => client.invalid)).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 120_000);
});
