import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, subscriberPool, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let dynamo: DynamoDBClient;
const subscribers = subscriberPool(() => platform.endpoints.websocket);

beforeAll(async () => {
  platform = await startTestPlatform();
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
});

afterAll(async () => {
  await subscribers.closeAll();
  dynamo?.destroy();
  await platform?.stop();
});

const client = (key: string): Promise<TestClient> => subscribers.connect(key);

const items = (c: TestClient) => c.frames.filter((frame) => frame.type === 'item');

describe('the spine: reading in, RealTimeData, stream, WebSocket frame', () => {
  it('delivers each reading only to the subscribers of its key', async () => {
    const three = await client('3');
    const four = await client('4');
    const alsoThree = await client('3');

    expect(
      (await postJson(platform.endpoints.http, '/readings', { vehicleId: '3', data: { speed: 42 } })).status,
    ).toBe(202);
    expect(
      (
        await postJson(platform.endpoints.http, '/readings', {
          vehicleId: 4,
          ts: Date.now(),
          data: { speed: 7 },
        })
      ).status,
    ).toBe(202);

    const frame = await three.next((f) => f.type === 'item', 'the frame of key 3');
    expect(frame).toMatchObject({
      type: 'item',
      key: '3',
      channel: 'telemetry',
      version: 1,
      data: { speed: 42 },
    });
    await alsoThree.next((f) => f.type === 'item', 'the frame of key 3 on the second subscriber');
    await four.next((f) => f.type === 'item', 'the frame of key 4');
    // The stream is fanned out in order: once a later reading's frame is in, a stray frame of key 3
    // or 4 would have been posted already.
    const five = await client('5');
    expect(
      (await postJson(platform.endpoints.http, '/readings', { vehicleId: '5', data: { speed: 5 } })).status,
    ).toBe(202);
    await five.next((f) => f.type === 'item', 'the frame of the later reading');
    expect(items(three).map((f) => f.key)).toEqual(['3']);
    expect(items(four).map((f) => f.key)).toEqual(['4']);
    for (const c of [three, four, alsoThree]) expect(c.invalid).toEqual([]);
  });

  it('refuses a connection without its key with 400', async () => {
    await expect(connectClient(`${platform.endpoints.websocket}/`)).rejects.toMatchObject({ status: 400 });
    await expect(connectClient(`${platform.endpoints.websocket}/?vehicleId=a%20b`)).rejects.toMatchObject({
      status: 400,
    });
  });

  it('subscribes, unsubscribes, syncs and pings; a bad action gets an error frame and the connection stays open', async () => {
    const c = await client('10');
    c.send({ action: 'subscribe', key: '11' });
    await c.next((f) => f.type === 'ack' && f.action === 'subscribe', 'the subscribe ack');
    await postJson(platform.endpoints.http, '/readings', { vehicleId: '11', data: { rpm: 900 } });
    await c.next((f) => f.type === 'item' && f.key === '11', 'the frame of the added key');

    c.send({ action: 'dance' });
    const error = await c.next((f) => f.type === 'error', 'the error frame');
    expect(error).toMatchObject({ code: 'ValidationError' });
    c.send('not json at all');
    await waitFor(() => c.frames.filter((f) => f.type === 'error').length === 2, 'a second error frame');

    c.send({ action: 'ping' });
    await c.next((f) => f.type === 'ack' && f.action === 'ping', 'the ping ack');

    c.send({ action: 'unsubscribe', key: '11' });
    await c.next((f) => f.type === 'ack' && f.action === 'unsubscribe', 'the unsubscribe ack');
    await postJson(platform.endpoints.http, '/readings', { vehicleId: '11', data: { rpm: 950 } });
    await postJson(platform.endpoints.http, '/readings', { vehicleId: '10', data: { rpm: 1 } });
    await c.next((f) => f.type === 'item' && f.key === '10', 'the frame of its own key');
    expect(items(c).filter((f) => f.key === '11')).toHaveLength(1);

    c.send({ action: 'sync', key: '11' });
    const snapshot = await c.next((f) => f.type === 'snapshot', 'the snapshot');
    expect(snapshot).toMatchObject({
      key: '11',
      items: [{ channel: 'telemetry', version: 2, data: { rpm: 950 } }],
    });
    c.send({ action: 'sync', key: '11', since: 2 });
    await waitFor(() => c.frames.filter((f) => f.type === 'snapshot').length === 2, 'the second snapshot');
    expect(c.frames.filter((f) => f.type === 'snapshot').at(-1)).toMatchObject({ items: [] });
  });

  it('never lets an older or equal reading overwrite a newer one', async () => {
    const ts = Date.now();
    await postJson(platform.endpoints.http, '/readings', { vehicleId: '20', ts, data: { speed: 50 } });
    const older = await postJson(platform.endpoints.http, '/readings', {
      vehicleId: '20',
      ts: ts - 1000,
      data: { speed: 1 },
    });
    const equal = await postJson(platform.endpoints.http, '/readings', {
      vehicleId: '20',
      ts,
      data: { speed: 2 },
    });
    expect(older).toEqual({ status: 202, body: { accepted: 1, stale: 1 } });
    expect(equal).toEqual({ status: 202, body: { accepted: 1, stale: 1 } });
    const stored = await dynamo.send(
      new GetItemCommand({
        TableName: platform.resources.realTimeDataTable,
        Key: { itemKey: { S: '20' }, channel: { S: 'telemetry' } },
      }),
    );
    expect(stored.Item?.data?.M?.speed?.N).toBe('50');
    expect(stored.Item?.version?.N).toBe('1');
  });

  it('takes readings without an API key in the local default AuthMode=none, as the README shows', async () => {
    const response = await fetch(`${platform.endpoints.http}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vehicleId: '60', data: { speed: 42 } }),
    });
    expect(response.status).toBe(202);
  });

  it('answers bad input with 400 naming the field, and keeps serving', async () => {
    const malformed = await postJson(platform.endpoints.http, '/readings', '{"vehicleId": ');
    expect(malformed.status).toBe(400);
    expect(ErrorBodySchema.parse(malformed.body).error.issues?.[0]?.path).toBe('body');
    const keyless = await postJson(platform.endpoints.http, '/readings', { data: { speed: 1 } });
    expect(keyless.status).toBe(400);
    expect(ErrorBodySchema.parse(keyless.body).error.issues?.[0]).toEqual({
      path: 'body.vehicleId',
      message: 'is required',
    });
    const batch = await postJson(platform.endpoints.http, '/readings', {
      readings: [{ vehicleId: '1', data: {} }, { data: {} }],
    });
    expect(ErrorBodySchema.parse(batch.body).error.issues?.map((issue) => issue.path)).toEqual([
      'body.readings.1.vehicleId',
    ]);
    expect((await fetch(`${platform.endpoints.http}/health`)).status).toBe(200);
  });

  it('serves the current items of a key and the health of the platform', async () => {
    await postJson(platform.endpoints.http, '/readings', {
      readings: [
        { vehicleId: '30', data: { speed: 3 } },
        { vehicleId: '30', channel: 'engine', data: { temp: 80 } },
      ],
    });
    const response = await fetch(`${platform.endpoints.http}/items/30`);
    const body = (await response.json()) as { key: string; items: Array<{ channel: string }> };
    expect(body.items.map((item) => item.channel).sort()).toEqual(['engine', 'telemetry']);
    const health = (await (await fetch(`${platform.endpoints.http}/health`)).json()) as {
      status: string;
      endpoints: Record<string, string>;
      resources: Record<string, string>;
    };
    expect(health.status).toBe('ok');
    expect(Object.keys(health.endpoints)).toEqual(
      expect.arrayContaining(['http', 'websocket', 'dynamodb', 'connections']),
    );
    expect(health.resources.realTimeDataTable).toMatch(/RealTimeData$/);
    // The functions' metrics as running totals: readings per source, frames, per-stage latency.
    const metrics = (health as unknown as { stats: { metrics: Record<string, Record<string, unknown>> } })
      .stats.metrics;
    expect(metrics['rest-readings']?.ReadingsIngested).toBeGreaterThan(0);
    expect(metrics['stream-fanout']?.FramesDelivered).toBeGreaterThan(0);
    expect(metrics['stream-fanout']?.StoredToStreamedLatency).toMatchObject({
      count: expect.any(Number),
      max: expect.any(Number),
    });
    expect((await fetch(`${platform.endpoints.http}/items/bad%20key`)).status).toBe(400);
  });

  it('removes the rows of a connection that is gone on the next fan-out to its key, and only those', async () => {
    const keeper = await client('40');
    // A connection API Gateway no longer knows (its $disconnect was lost): its rows are still there,
    // so the fan-out meets a 410 GoneException for it.
    const connectionsTable = platform.resources.connectionsTable as string;
    for (const sk of ['conn', 'sub#40', 'sub#41']) {
      await dynamo.send(
        new PutItemCommand({
          TableName: connectionsTable,
          Item: {
            connectionId: { S: 'ghost=' },
            sk: { S: sk },
            ...(sk.startsWith('sub#') ? { itemKey: { S: sk.slice(4) } } : {}),
          },
        }),
      );
    }
    const rowsOf = async (connectionId: string) =>
      (
        await dynamo.send(
          new QueryCommand({
            TableName: connectionsTable,
            KeyConditionExpression: 'connectionId = :id',
            ExpressionAttributeValues: { ':id': { S: connectionId } },
          }),
        )
      ).Items ?? [];
    expect(await rowsOf('ghost=')).toHaveLength(3);
    await postJson(platform.endpoints.http, '/readings', { vehicleId: '40', data: { speed: 1 } });
    await keeper.next((f) => f.type === 'item', 'the frame for the live subscriber');
    await waitFor(
      async () => (await rowsOf('ghost=')).length === 0,
      'every row of the gone connection to be removed',
    );
    keeper.send({ action: 'ping' });
    await keeper.next((f) => f.type === 'ack', 'the live subscriber still served');
  });

  it('cleans up the rows of a client that drops', async () => {
    const connectionsTable = platform.resources.connectionsTable as string;
    const subscriptionRows = async () =>
      (
        await dynamo.send(
          new QueryCommand({
            TableName: connectionsTable,
            IndexName: 'byItemKey',
            KeyConditionExpression: 'itemKey = :k',
            ExpressionAttributeValues: { ':k': { S: '50' } },
          }),
        )
      ).Items ?? [];
    const dropper = await client('50');
    await waitFor(async () => (await subscriptionRows()).length === 1, 'the subscription row');
    dropper.socket.terminate();
    await waitFor(
      async () => (await subscriptionRows()).length === 0,
      '$disconnect to remove the subscription',
    );
    expect(await subscriptionRows()).toEqual([]);
  });
});
