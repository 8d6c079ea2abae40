import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { HistoryPageSchema } from '#contracts/history.ts';
import { compareSeq } from '#contracts/seq.ts';
import type { ItemFrame, RemovedFrame, SnapshotFrame } from '#contracts/ws-protocol.ts';
import { channelTimeKey, padSeq } from '#core/history.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

// One stack name and data dir for the file: the restart test starts the same platform again.
const stackName = `test-${randomUUID().slice(0, 8)}`;
let dataDir: string;
let platform: Platform;
let documents: DynamoDBDocumentClient;
const clients: TestClient[] = [];

const start = async () => {
  platform = await startTestPlatform({ stackName, dataDir });
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: platform.endpoints.dynamodb }));
};
const stop = async () => {
  documents?.destroy();
  await platform?.stop();
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'rtp-history-'));
  await start();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

const connect = async (key: string) => {
  const client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${encodeURIComponent(key)}`);
  clients.push(client);
  return client;
};

/** Every live change a client got, one by one or inside batch frames. */
const liveChanges = (client: TestClient): Array<ItemFrame | RemovedFrame> =>
  client.frames.flatMap(
    (frame): Array<ItemFrame | RemovedFrame> =>
      frame.type === 'item' || frame.type === 'removed'
        ? [frame]
        : frame.type === 'batch'
          ? frame.frames
          : [],
  );

const post = async (key: string, channel: string, ts: number, data: Record<string, unknown>) => {
  const response = await postJson(platform.endpoints.http, '/readings', {
    vehicleId: key,
    channel,
    ts,
    data,
  });
  expect(response.status).toBe(202);
};

/** Sends `sync` and resolves with the snapshot answering it (one frame: these answers are small). */
const syncAnswer = async (client: TestClient, action: Record<string, unknown>): Promise<SnapshotFrame> => {
  const from = client.frames.length;
  client.send({ action: 'sync', ...action });
  await waitFor(
    () => client.frames.slice(from).some((frame) => frame.type === 'snapshot'),
    'the sync answer',
    10_000,
  );
  return client.frames.slice(from).find((frame) => frame.type === 'snapshot') as SnapshotFrame;
};

const getHistory = async (key: string, query: string) => {
  const response = await fetch(
    `${platform.endpoints.http}/items/${encodeURIComponent(key)}/history?${query}`,
  );
  return { status: response.status, body: (await response.json()) as unknown };
};

describe('history and gap-free resume', () => {
  it('live frames carry seq, increasing per key in apply order', async () => {
    const client = await connect('h-live');
    const ts = Date.now();
    for (let i = 0; i < 3; i += 1) await post('h-live', i === 1 ? 'engine' : 'telemetry', ts + i, { i });
    await waitFor(() => liveChanges(client).length === 3, 'three live frames');
    const seqs = liveChanges(client).map((frame) => frame.seq as string);
    expect(seqs.every((seq) => /^[1-9][0-9]*$/.test(seq))).toBe(true);
    expect([...seqs].sort(compareSeq)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);
    expect(client.invalid).toEqual([]);
  });

  it('replays every change a disconnected client missed, on every channel, in apply order, with seq', async () => {
    const key = 'h-resume';
    const ts = Date.now();
    const first = await connect(key);
    await post(key, 'telemetry', ts, { n: 0 });
    await waitFor(() => liveChanges(first).length === 1, 'the first frame');
    const held = liveChanges(first)[0]?.seq as string;
    await first.close();

    // Three on one channel, two on another with OLDER event times: apply order is what counts.
    await post(key, 'telemetry', ts + 1, { n: 1 });
    await post(key, 'engine', ts - 5000, { n: 2 });
    await post(key, 'telemetry', ts + 2, { n: 3 });
    await post(key, 'engine', ts - 4000, { n: 4 });
    await post(key, 'telemetry', ts + 3, { n: 5 });

    // At once: the history may still lag; the answer waits for it rather than leave a gap.
    const again = await connect(key);
    const answer = await syncAnswer(again, { key, after: held });
    expect(answer.reset).toBeUndefined();
    expect(answer.items.map((change) => (change.type === 'item' ? change.data.n : undefined))).toEqual([
      1, 2, 3, 4, 5,
    ]);
    const seqs = answer.items.map((change) => change.seq as string);
    expect(seqs.every((seq) => compareSeq(seq, held) > 0)).toBe(true);
    expect([...seqs].sort(compareSeq)).toEqual(seqs);
    expect(answer.seq).toBe(seqs.at(-1));
    expect(again.invalid).toEqual([]);

    // Nothing new since: the same resume point, no changes.
    const none = await syncAnswer(again, { key, after: answer.seq });
    expect(none).toMatchObject({ items: [], seq: answer.seq });
  });

  it('answers reset with the full current state for a seq past the retention or never known', async () => {
    const key = 'h-reset';
    const client = await connect(key);
    await post(key, 'telemetry', Date.now(), { now: true });
    await waitFor(() => liveChanges(client).length === 1, 'the frame');
    const live = liveChanges(client)[0] as ItemFrame;
    await waitFor(
      async () => HistoryPageSchema.parse((await getHistory(key, '')).body).items.length === 1,
      'the row of the frame',
    );
    // A row TTL has not deleted yet but whose expiresAt has passed counts as gone.
    const expiredSeq = '5';
    await documents.send(
      new PutCommand({
        TableName: platform.resources.itemHistoryTable,
        Item: {
          itemKey: key,
          seq: padSeq(expiredSeq),
          channelTs: channelTimeKey('telemetry', 1, expiredSeq),
          channel: 'telemetry',
          version: 1,
          ts: 1,
          data: {},
          appliedAt: 1000,
          expiresAt: Math.floor(Date.now() / 1000) - 60,
        },
      }),
    );
    for (const after of [expiredSeq, '3']) {
      const answer = await syncAnswer(client, { key, after });
      expect(answer.reset).toBe(true);
      // Current state, as a full sync answers it: items without seq, the snapshot's own seq to resume from.
      const { seq: _seq, ...current } = live;
      expect(answer.items).toEqual([current]);
      expect(answer.seq).toBe(live.seq);
    }
  });

  it('gives a full sync the newest seq as its resume point', async () => {
    const key = 'h-full';
    const client = await connect(key);
    await post(key, 'telemetry', Date.now(), { a: 1 });
    await waitFor(() => liveChanges(client).length === 1, 'the frame');
    const live = liveChanges(client)[0] as ItemFrame;
    let answer: SnapshotFrame | undefined;
    await waitFor(async () => {
      answer = await syncAnswer(client, { key });
      return answer.seq === live.seq;
    }, 'the resume point');
    expect(answer?.seq).toBe(live.seq);
    expect(answer?.items).toMatchObject([{ key, channel: 'telemetry', data: { a: 1 } }]);
  });

  it('pages GET /items/{key}/history by event time within from..to, and refuses a bad query with 400', async () => {
    const key = 'h-rest';
    const ts = Date.now() - 10_000;
    for (let i = 0; i < 5; i += 1) await post(key, 'telemetry', ts + i * 1000, { i });
    await post(key, 'engine', ts, { other: true });
    await waitFor(
      async () => HistoryPageSchema.parse((await getHistory(key, '')).body).items.length === 5,
      'five telemetry rows',
    );

    const walk = async (query: string) => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const { status, body } = await getHistory(
          key,
          `${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(status).toBe(200);
        const page = HistoryPageSchema.parse(body);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((entry) => ('data' in entry ? (entry.data.i as number) : -1)));
        cursor = page.next;
      } while (cursor);
      return seen;
    };
    expect(await walk('channel=telemetry')).toEqual([0, 1, 2, 3, 4]);
    expect(await walk(`from=${ts + 1000}&to=${new Date(ts + 3000).toISOString()}`)).toEqual([1, 2, 3]);
    expect(await walk('order=newest')).toEqual([4, 3, 2, 1, 0]);
    expect(await walk(`order=newest&to=${ts + 2000}`)).toEqual([2, 1, 0]);
    const engine = HistoryPageSchema.parse((await getHistory(key, 'channel=engine')).body);
    expect(engine.items.map((entry) => 'data' in entry && entry.data.other)).toEqual([true]);

    for (const [query, path] of [
      [`from=${ts + 2}&to=${ts + 1}`, 'query.from'],
      ['limit=0', 'query.limit'],
      ['cursor=bm9wZQ', 'query.cursor'],
      ['since=3', 'query'],
      ['order=latest', 'query.order'],
    ] as const) {
      const { status, body } = await getHistory(key, query);
      expect(status).toBe(400);
      expect(ErrorBodySchema.parse(body).error.issues?.map((issue) => issue.path)).toContain(path);
    }
  });

  it('writes the same rows when the stream delivers a batch again', async () => {
    const event = JSON.parse(
      readFileSync(new URL('../../events/HistoryWriterFunction.json', import.meta.url), 'utf8'),
    ) as { Records: unknown[] };
    const rowsOf = async () =>
      (
        await documents.send(
          new QueryCommand({
            TableName: platform.resources.itemHistoryTable,
            KeyConditionExpression: 'itemKey = :key',
            ExpressionAttributeValues: { ':key': '3' },
          }),
        )
      ).Items;
    expect(await platform.invoke('HistoryWriterFunction', event)).toEqual({ batchItemFailures: [] });
    const first = await rowsOf();
    expect(first).toHaveLength(event.Records.length);
    expect(await platform.invoke('HistoryWriterFunction', event)).toEqual({ batchItemFailures: [] });
    expect(await rowsOf()).toEqual(first);
  });

  it('keeps seq increasing and history readable across a restart with a data dir', async () => {
    const key = 'h-restart';
    const before = await connect(key);
    await post(key, 'telemetry', Date.now(), { run: 1 });
    await waitFor(() => liveChanges(before).length === 1, 'the frame before the restart');
    const held = liveChanges(before)[0]?.seq as string;
    await waitFor(
      async () => HistoryPageSchema.parse((await getHistory(key, '')).body).items.length === 1,
      'the row before the restart',
    );
    await before.close();
    await stop();
    await start();

    const after = await connect(key);
    await post(key, 'telemetry', Date.now(), { run: 2 });
    await waitFor(() => liveChanges(after).length === 1, 'the frame after the restart', 10_000);
    expect(compareSeq(liveChanges(after)[0]?.seq as string, held)).toBeGreaterThan(0);
    const answer = await syncAnswer(after, { key, after: held });
    expect(answer.reset).toBeUndefined();
    expect(answer.items.map((change) => change.type === 'item' && change.data.run)).toEqual([2]);
    const page = HistoryPageSchema.parse((await getHistory(key, '')).body);
    expect(page.items.map((entry) => 'data' in entry && entry.data.run)).toEqual([1, 2]);
  });
});
