import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { MAX_MESSAGE_DEPTH, TOKEN_EXPIRED_CLOSE_CODE } from '#contracts/ws-limits.ts';
import { closeExpiredConnections } from '#core/expired-connections.ts';
import { mintDevToken } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/** Small limits so each test reaches them in a few messages. */
const MAX_SUBSCRIPTIONS = 3;
const ACTIONS_PER_WINDOW = 5;

let platform: Platform;
let documents: ReturnType<typeof createDocumentClient>;
let store: DynamoConnectionStore;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({
    parameters: {
      AuthMode: 'jwt',
      MaxSubscriptionsPerConnection: String(MAX_SUBSCRIPTIONS),
      ActionRateLimit: String(ACTIONS_PER_WINDOW),
    },
  });
  documents = createDocumentClient(new DynamoDBClient({ endpoint: platform.endpoints.dynamodb }));
  store = new DynamoConnectionStore(documents, platform.resources.connectionsTable as string);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
});

/** A client of `key` with a token for every key; `exp` is that token's. */
async function connectWithToken(key: string, ttlSeconds: number) {
  const token = await mintDevToken({ sub: 'alice', keys: ['*'], ttlSeconds });
  const client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${key}&token=${token}`);
  clients.push(client);
  const { exp } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    exp: number;
  };
  return { client, exp };
}

const connect = async (key: string) => (await connectWithToken(key, 600)).client;

const closeOf = (client: TestClient) =>
  new Promise<{ code: number; at: number }>((resolve) =>
    client.socket.once('close', (code) => resolve({ code, at: Date.now() })),
  );
const errorFrames = (client: TestClient, code: string) =>
  client.frames.filter((frame) => frame.type === 'error' && frame.code === code);

describe('subscriptions per connection', () => {
  it('refuses one subscription over the cap with LimitExceeded; other connections subscribe freely', async () => {
    const greedy = await connect('cap-0');
    for (const key of ['cap-1', 'cap-2']) {
      greedy.send({ action: 'subscribe', key });
      await greedy.next((frame) => frame.type === 'ack' && frame.key === key, `the ack of ${key}`);
    }
    greedy.send({ action: 'subscribe', key: 'cap-3' });
    const refused = await greedy.next((frame) => frame.type === 'error', 'the refusal');
    expect(refused).toMatchObject({ type: 'error', code: 'LimitExceeded', action: 'subscribe' });
    expect(await store.listSubscribers('cap-3')).toEqual([]);

    // Subscribing again to a key it holds is no new subscription; freeing one makes room.
    greedy.send({ action: 'subscribe', key: 'cap-1' });
    await waitFor(
      () => greedy.frames.filter((frame) => frame.type === 'ack' && frame.key === 'cap-1').length === 2,
      'the second ack of cap-1',
    );
    greedy.send({ action: 'unsubscribe', key: 'cap-2' });
    await greedy.next((frame) => frame.type === 'ack' && frame.action === 'unsubscribe', 'the unsubscribe');

    const other = await connect('cap-0');
    other.send({ action: 'subscribe', key: 'cap-3' });
    await other.next((frame) => frame.type === 'ack' && frame.key === 'cap-3', 'the other ack');
    expect(greedy.socket.readyState).toBe(greedy.socket.OPEN);
    expect(greedy.invalid).toEqual([]);
  });
});

describe('rate limit per connection', () => {
  it('answers a flood with RateLimited, then closes it; a calm client keeps getting frames', async () => {
    const calm = await connect('calm-1');
    const flooder = await connect('flood-1');
    const closed = closeOf(flooder);
    for (let i = 0; i < 4 * ACTIONS_PER_WINDOW; i += 1) flooder.send({ action: 'ping' });

    const { code } = await closed;
    expect(errorFrames(flooder, 'RateLimited').length).toBeGreaterThan(0);
    const last = flooder.frames.find((frame) => frame.type === 'error' && frame.closing === true);
    expect(last).toMatchObject({ code: 'RateLimited', closing: true });
    expect(code).toBe(1000);
    // At most one window's worth, or two when the flood straddles a window boundary.
    expect(flooder.frames.filter((frame) => frame.type === 'ack').length).toBeLessThanOrEqual(
      2 * ACTIONS_PER_WINDOW,
    );
    await waitFor(async () => (await store.listSubscribers('flood-1')).length === 0, 'the flooder rows gone');

    expect((await postJson(platform.endpoints.http, '/readings', reading('calm-1', 1))).status).toBe(202);
    await calm.next((frame) => frame.type === 'item' && frame.key === 'calm-1', 'the calm client item');
    calm.send({ action: 'ping' });
    await calm.next((frame) => frame.type === 'ack', 'the calm client ack');
    expect(errorFrames(calm, 'RateLimited')).toEqual([]);
  });
});

describe('deeply nested messages', () => {
  it('refuses a message nested past the limit before parsing, and the connection stays open', async () => {
    const client = await connect('deep-1');
    const deep = `{"action":"publish","key":"room-a","text":"x","data":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    client.send(deep);
    const refused = await client.next((frame) => frame.type === 'error', 'the refusal');
    expect(refused).toMatchObject({ code: 'ValidationError' });
    expect(refused.type === 'error' && refused.message).toContain(`deeper than ${MAX_MESSAGE_DEPTH}`);
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
    client.send({ action: 'sync', key: 'deep-1', extra: nested(MAX_MESSAGE_DEPTH + 1) });
    await waitFor(
      () => client.frames.filter((frame) => frame.type === 'error').length === 2,
      'second refusal',
    );
    client.send({ action: 'ping' });
    await client.next((frame) => frame.type === 'ack', 'the ack after');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });
});

describe('tokens end', () => {
  it('closes a connection at its token exp with 4001 and leaves no rows past exp', async () => {
    const { client, exp } = await connectWithToken('exp-1', 2);
    const closed = closeOf(client);
    const [connectionId] = (await store.listSubscribers('exp-1')).map((s) => s.connectionId);
    const rows = await documents.send(
      new QueryCommand({
        TableName: platform.resources.connectionsTable as string,
        KeyConditionExpression: 'connectionId = :id',
        ExpressionAttributeValues: { ':id': connectionId },
      }),
    );
    expect(rows.Items?.length).toBe(2);
    for (const row of rows.Items ?? []) expect(row.expiresAt).toBeLessThanOrEqual(exp);

    const { code, at } = await closed;
    expect(code).toBe(TOKEN_EXPIRED_CLOSE_CODE);
    expect(at).toBeGreaterThanOrEqual((exp - 1) * 1000);
    await waitFor(async () => {
      const row = await documents.send(
        new GetCommand({
          TableName: platform.resources.connectionsTable as string,
          Key: { connectionId, sk: 'conn' },
        }),
      );
      return row.Item === undefined;
    }, 'the connection row gone');
    expect(await store.listSubscribers('exp-1')).toEqual([]);
  });
});

describe('the expiry sweeper (what closes idle expired connections on AWS)', () => {
  it('sends a closing TokenExpired frame, then DeleteConnection; rows of a connection already gone are removed', async () => {
    const { client, exp } = await connectWithToken('sweep-1', 600);
    const closed = closeOf(client);
    // A connection that left without its $disconnect: only its rows remain.
    await store.addConnection({
      connectionId: 'bGVmdC13aXRob3V0LWRpc2M=',
      key: 'sweep-2',
      connectedAt: Date.now(),
      expiresAt: exp,
      tokenExpiresAt: exp,
    });
    const publisher = new ApiGatewayConnectionPublisher(
      new ApiGatewayManagementApiClient({ endpoint: platform.endpoints.connections }),
    );
    // Only these two: the other clients of this file hold tokens expiring at about the same time.
    const ours = new Set([
      ...(await store.listSubscribers('sweep-1')).map((s) => s.connectionId),
      'bGVmdC13aXRob3V0LWRpc2M=',
    ]);
    const connections = {
      listExpiringConnections: async (from: number, to: number) =>
        (await store.listExpiringConnections(from, to)).filter(({ connectionId }) => ours.has(connectionId)),
      removeConnection: (connectionId: string) => store.removeConnection(connectionId),
    };
    const afterExp = { now: () => (exp + 1) * 1000 };
    const swept = await closeExpiredConnections({ connections, publisher, clock: afterExp });
    expect(swept).toEqual({ closed: 1, gone: 1 });
    expect((await closed).code).toBe(1000);
    expect(client.frames.at(-1)).toMatchObject({ type: 'error', code: 'TokenExpired', closing: true });
    await waitFor(async () => (await store.listSubscribers('sweep-1')).length === 0, 'the swept rows gone');
    expect(await store.listSubscribers('sweep-2')).toEqual([]);
    // Before exp the sweeper leaves connections alone.
    const live = await connect('sweep-3');
    const early = await closeExpiredConnections({ connections: store, publisher, clock: { now: Date.now } });
    const indexed = await store.listExpiringConnections(Math.floor(exp / 60) - 1, Math.floor(exp / 60) + 1);
    expect(indexed.length).toBeGreaterThan(0);
    expect(early.closed).toBe(0);
    expect(live.socket.readyState).toBe(live.socket.OPEN);
  });
});

function reading(key: string, ts: number) {
  return { vehicleId: key, channel: 'telemetry', ts, data: { speed: 1 } };
}
