import { randomUUID } from 'node:crypto';
import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { compareSeq } from '#contracts/seq.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import { type ConformanceTarget, startConformanceTarget } from '../helpers/conformance-target.ts';
import { waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * The WebSocket semantics clients rely on, as API Gateway defines them. Runs against the local
 * runtime, or a deployed stack (see tests/helpers/conformance-target.ts).
 */
let target: ConformanceTarget;
const clients: TestClient[] = [];

beforeAll(async () => {
  target = await startConformanceTarget();
  console.log(`WebSocket conformance against the ${target.name}`);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await target?.stop();
});

const uniqueKey = () => `conf-${randomUUID().slice(0, 8)}`;
const connectionIdsOf = async (key: string) =>
  (await target.subscribersOf(key)).map((subscriber) => subscriber.connectionId);

async function open(key: string, query = ''): Promise<{ client: TestClient; connectionId: string }> {
  const client = await connectClient(
    `${target.wsUrl}/?${target.keyAttribute}=${key}${query}${target.connectSuffix}`,
  );
  clients.push(client);
  let ids: string[] = [];
  await waitFor(async () => {
    ids = await connectionIdsOf(key);
    return ids.length === 1;
  }, `the connection of ${key}`);
  return { client, connectionId: ids[0] as string };
}

const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

describe('$connect', () => {
  it('answers 400 when the key is missing, and opens with a key', async () => {
    const refused = await connectClient(`${target.wsUrl}/?${target.connectSuffix.slice(1)}`).catch(
      (error: { status?: number }) => error.status,
    );
    expect(refused).toBe(400);
    const { client } = await open(uniqueKey());
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});

describe('framing (?batch=)', () => {
  it('records batch=false for the first key and every later subscription, batching otherwise', async () => {
    const key = uniqueKey();
    const { client: single } = await open(key, '&batch=false');
    single.send({ action: 'subscribe', key: `${key}-b` });
    await single.next((frame) => frame.type === 'ack' && frame.action === 'subscribe', 'the subscribe ack');
    expect((await target.subscribersOf(key)).map((s) => s.batch)).toEqual([false]);
    expect((await target.subscribersOf(`${key}-b`)).map((s) => s.batch)).toEqual([false]);
    const other = uniqueKey();
    await open(other);
    expect((await target.subscribersOf(other)).map((s) => s.batch)).toEqual([true]);
  });

  it('refuses a batch parameter that is neither true nor false with 400', async () => {
    const refused = await connectClient(
      `${target.wsUrl}/?${target.keyAttribute}=${uniqueKey()}&batch=maybe${target.connectSuffix}`,
    ).catch((error: { status?: number }) => error.status);
    expect(refused).toBe(400);
  });

  it('delivers a batch frame whole; the client sees its inner frames in order', async () => {
    const key = uniqueKey();
    const { client, connectionId } = await open(key);
    const inner = [1, 2].map((version) => ({
      type: 'item',
      key,
      channel: 'telemetry',
      version,
      ts: version,
      data: {},
    }));
    await target.management.send(
      new PostToConnectionCommand({
        ConnectionId: connectionId,
        Data: JSON.stringify({ type: 'batch', frames: inner }),
      }),
    );
    await waitFor(() => client.received.some((frame) => frame.type === 'batch'), 'the batch frame');
    expect(client.frames.filter((frame) => frame.type === 'item')).toEqual(inner);
  });
});

describe('route selection', () => {
  it('routes on $request.body.action, and to $default for unknown actions and non-JSON text', async () => {
    const { client } = await open(uniqueKey());
    client.send({ action: 'ping' });
    await client.next((frame) => frame.type === 'ack' && frame.action === 'ping', 'the ping route');
    client.send({ action: 'no-such-route' });
    client.send('not json at all');
    await waitFor(
      () => client.frames.filter((frame) => frame.type === 'error').length === 2,
      'two $default replies',
    );
    expect(client.frames.filter((frame) => frame.type === 'error').map((frame) => frame.code)).toEqual([
      'ValidationError',
      'ValidationError',
    ]);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes with 1009 on a message over 128 KB', async () => {
    const { client } = await open(uniqueKey());
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    client.send({ action: 'ping', pad: 'x'.repeat(130 * 1024) });
    expect(await closed).toBe(1009);
  });
});

describe('@connections', () => {
  it('posts to an open connection and reads its details', async () => {
    const { client, connectionId } = await open(uniqueKey());
    await target.management.send(
      new PostToConnectionCommand({
        ConnectionId: connectionId,
        Data: JSON.stringify({ type: 'ack', action: 'conformance' }),
      }),
    );
    await client.next((frame) => frame.type === 'ack' && frame.action === 'conformance', 'the posted frame');
    const details = await target.management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(details.ConnectedAt).toBeInstanceOf(Date);
    expect(details.Identity?.SourceIp).toBeTruthy();
  });

  it('answers 410 GoneException for an id that never existed and for a closed connection', async () => {
    const never = target.management.send(
      new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: '{}' }),
    );
    await expect(never).rejects.toBeInstanceOf(GoneException);
    const { client, connectionId } = await open(uniqueKey());
    await client.close();
    await waitFor(
      () =>
        target.management.send(new GetConnectionCommand({ ConnectionId: connectionId })).then(
          () => false,
          (error: unknown) => statusOf(error) === 410,
        ),
      'GetConnection to answer 410',
    );
  });

  it('refuses a post over 128 KB with 413 PayloadTooLargeException', async () => {
    const { connectionId } = await open(uniqueKey());
    const big = target.management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(129 * 1024) }),
    );
    await expect(big).rejects.toBeInstanceOf(PayloadTooLargeException);
  });
});

describe('live frames', () => {
  it('carry seq on every item frame, increasing per key in apply order', async () => {
    const key = uniqueKey();
    const { client } = await open(key);
    // Three channels: one item each, so a batching fan-out has nothing to conflate.
    for (const [speed, channel] of ['telemetry', 'engine', 'cabin'].entries()) {
      expect(
        await target.postReading({ [target.keyAttribute]: key, channel, ts: Date.now(), data: { speed } }),
      ).toBe(202);
    }
    const items = () =>
      client.frames.flatMap((frame): ItemFrame[] =>
        frame.type === 'item'
          ? [frame]
          : frame.type === 'batch'
            ? frame.frames.filter((inner) => inner.type === 'item')
            : [],
      );
    await waitFor(() => items().length === 3, 'three item frames', 10_000);
    const seqs = items().map((frame) => frame.seq);
    expect(seqs.every((seq) => seq !== undefined)).toBe(true);
    expect([...(seqs as string[])].sort(compareSeq)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
    expect(client.invalid).toEqual([]);
  });
});

describe('$disconnect', () => {
  it('runs when the client closes: the connection and its subscriptions are removed', async () => {
    const key = uniqueKey();
    const { client } = await open(key);
    client.send({ action: 'subscribe', key: `${key}-b` });
    await client.next((frame) => frame.type === 'ack' && frame.action === 'subscribe', 'the subscribe ack');
    expect(await connectionIdsOf(`${key}-b`)).toHaveLength(1);
    await client.close();
    await waitFor(
      async () =>
        (await connectionIdsOf(key)).length === 0 && (await connectionIdsOf(`${key}-b`)).length === 0,
      'the rows of the closed connection to be removed',
    );
  });

  it('runs after DeleteConnection: the client sees the close and the rows go', async () => {
    const key = uniqueKey();
    const { client, connectionId } = await open(key);
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    await target.management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect(await closed).toBeGreaterThanOrEqual(1000);
    await waitFor(async () => (await connectionIdsOf(key)).length === 0, 'the rows to be removed');
  });
});
