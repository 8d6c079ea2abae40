import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import { SlowConnectionError } from '#core/errors.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let stuck: Server;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  // An @connections endpoint that takes requests and never answers (a stuck connection's post).
  stuck = createServer(() => {});
  await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  stuck?.closeAllConnections();
  await new Promise((resolve) => stuck?.close(resolve));
  await platform?.stop();
});

const client = (endpoint: string) =>
  new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

describe('slow consumers', () => {
  it('bounds a post that never completes with a timeout, as a SlowConnectionError', async () => {
    const { port } = stuck.address() as AddressInfo;
    const publisher = new ApiGatewayConnectionPublisher(client(`http://127.0.0.1:${port}/develop`), {
      postTimeoutMs: 200,
    });
    await expect(publisher.post('abc=', { type: 'ack', action: 'ping' })).rejects.toBeInstanceOf(
      SlowConnectionError,
    );
  });

  it('disconnects a connection through DeleteConnection; a gone one is not an error', async () => {
    const subscriber = await connectClient(`${platform.endpoints.websocket}/?vehicleId=slow-1`);
    clients.push(subscriber);
    subscriber.send({ action: 'ping' });
    await subscriber.next((frame) => frame.type === 'ack', 'the ack');
    const store = new DynamoConnectionStore(
      createDocumentClient(new DynamoDBClient({ endpoint: platform.endpoints.dynamodb })),
      platform.resources.connectionsTable as string,
    );
    const [connectionId] = (await store.listSubscribers('slow-1')).map((s) => s.connectionId);
    expect(connectionId).toBeDefined();
    const publisher = new ApiGatewayConnectionPublisher(client(platform.endpoints.connections));
    const closed = new Promise<number>((resolve) => subscriber.socket.once('close', (code) => resolve(code)));
    await publisher.disconnect(connectionId as string);
    expect(await closed).toBe(1000);
    await publisher.disconnect(connectionId as string);
    await publisher.disconnect('bm90LWEtY29ubmVjdGlvbg=');
  });
});

describe('snapshot frames under API Gateway limits', () => {
  it('answers sync of a key whose items exceed 32 KB together with several snapshot frames, every item once', async () => {
    const subscriber = await connectClient(`${platform.endpoints.websocket}/?vehicleId=big-1`);
    clients.push(subscriber);
    const channels = Array.from({ length: 6 }, (_, i) => `part${i}`);
    for (const channel of channels) {
      const response = await postJson(platform.endpoints.http, '/readings', {
        vehicleId: 'big-1',
        channel,
        data: { blob: 'x'.repeat(20_000) },
      });
      expect(response.status).toBe(202);
    }
    await waitFor(
      () => subscriber.frames.filter((f) => f.type === 'item').length === channels.length,
      'items',
    );
    const raw: string[] = [];
    subscriber.socket.on('message', (data) => raw.push(data.toString()));
    subscriber.send({ action: 'sync', key: 'big-1' });
    await waitFor(
      () =>
        subscriber.frames.filter((f) => f.type === 'snapshot').flatMap((f) => f.items).length ===
        channels.length,
      'the snapshot frames',
    );
    const snapshots = subscriber.frames.filter((f) => f.type === 'snapshot');
    expect(snapshots.length).toBeGreaterThan(1);
    expect(snapshots.flatMap((f) => f.items.map((i) => i.channel)).sort()).toEqual(channels);
    for (const text of raw) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });
});
