import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '#contracts/item-page.ts';
import { type RealTimeItem, RealTimeItemSchema } from '#contracts/real-time-item.ts';
import { ROOM_SYNC_MESSAGES } from '#contracts/room-messages.ts';
import type { ServerFrame, SnapshotFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { fetchAllItems, postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
const clients: TestClient[] = [];
const KEY = 'bounded-1';
const CHANNELS = Array.from({ length: 130 }, (_, i) => `sensor#s${String(i).padStart(3, '0')}`);
const RETENTION_HOURS = 36;

beforeAll(async () => {
  // One member posts more messages than a room sync returns, faster than the default rate limit.
  platform = await startTestPlatform({
    parameters: { ActionRateLimit: '1000', RoomMessageRetentionHours: String(RETENTION_HOURS) },
  });
  const stored = await postJson(platform.endpoints.http, '/readings', {
    readings: CHANNELS.map((channel, i) => ({ vehicleId: KEY, channel, data: { n: i } })),
  });
  expect(stored.status).toBe(202);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
});

async function open(query: string): Promise<TestClient> {
  const client = await connectClient(`${platform.endpoints.websocket}/?${query}`);
  clients.push(client);
  return client;
}

async function getItems(key: string, query = '') {
  const response = await fetch(`${platform.endpoints.http}/items/${key}${query}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /items/{key} in pages', () => {
  it('returns every item of a key bigger than a page exactly once across pages', async () => {
    for (const limit of [undefined, 40]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const params = new URLSearchParams({
          ...(limit ? { limit: String(limit) } : {}),
          ...(cursor ? { cursor } : {}),
        });
        const { status, body } = await getItems(KEY, `?${params}`);
        expect(status).toBe(200);
        const items = (body.items as unknown[]).map((item) => RealTimeItemSchema.parse(item));
        expect(items.length).toBeLessThanOrEqual(limit ?? DEFAULT_PAGE_LIMIT);
        seen.push(...items.map((item: RealTimeItem) => item.channel));
        cursor = body.next as string | undefined;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen).toEqual(CHANNELS);
      expect(pages).toBe(Math.ceil(CHANNELS.length / (limit ?? DEFAULT_PAGE_LIMIT)));
    }
  });

  it('refuses a limit out of range and a cursor it did not give, naming the parameter', async () => {
    const tooMany = await getItems(KEY, `?limit=${MAX_PAGE_LIMIT + 1}`);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain('query.limit');
    const forged = await getItems(KEY, '?cursor=bm90IGEgY2hhbm5lbA');
    expect(forged.status).toBe(400);
    expect(JSON.stringify(forged.body)).toContain('query.cursor');
    expect((await getItems(KEY, '?limit=2')).status).toBe(200);
  });
});

describe('sync in pages', () => {
  it('follows next until the last page and gets every item exactly once', async () => {
    const client = await open(`vehicleId=${KEY}`);
    const seen: string[] = [];
    const isSnapshot = (frame: ServerFrame): frame is SnapshotFrame => frame.type === 'snapshot';
    let pages = 0;
    let cursor: string | undefined;
    do {
      const before = client.frames.length;
      client.send({ action: 'sync', key: KEY, limit: 30, ...(cursor ? { cursor } : {}) });
      // A page may arrive as several frames; the one with next (or the whole page, on the last) ends it.
      await waitFor(
        () =>
          client.frames.slice(before).some((frame) => isSnapshot(frame) && frame.next !== undefined) ||
          client.frames
            .slice(before)
            .filter(isSnapshot)
            .reduce((sum, frame) => sum + frame.items.length, 0) ===
            CHANNELS.length - seen.length,
        `sync page ${pages + 1}`,
      );
      const page = client.frames.slice(before).filter(isSnapshot);
      seen.push(...page.flatMap((frame) => frame.items.map((item) => item.channel)));
      expect(page.flatMap((frame) => frame.items).length).toBeLessThanOrEqual(30);
      cursor = page.at(-1)?.next;
      pages += 1;
    } while (cursor !== undefined);
    expect(seen).toEqual(CHANNELS);
    expect(pages).toBe(Math.ceil(CHANNELS.length / 30));
    expect(client.invalid).toEqual([]);
  });

  it('answers a limit above the maximum with a ValidationError frame and keeps the connection', async () => {
    const client = await open(`vehicleId=${KEY}`);
    client.send({ action: 'sync', key: KEY, limit: MAX_PAGE_LIMIT + 1 });
    const error = await client.next((frame) => frame.type === 'error', 'the error frame');
    expect(error).toMatchObject({ code: 'ValidationError', action: 'sync' });
    client.send({ action: 'sync', key: KEY, limit: 1 });
    const snapshot = await client.next((frame) => frame.type === 'snapshot', 'the snapshot');
    expect(snapshot).toMatchObject({ items: [{ channel: CHANNELS[0] }], next: expect.any(String) });
  });
});

describe('rooms keep their newest messages', () => {
  it('syncs the newest ROOM_SYNC_MESSAGES of a bigger room, and each message carries its TTL', async () => {
    const poster = await open('vehicleId=room-big&user=ana');
    const count = ROOM_SYNC_MESSAGES + 5;
    const before = Date.now();
    for (let i = 0; i < count; i += 1) poster.send({ action: 'publish', room: 'big', text: `m${i}` });
    await waitFor(
      () =>
        poster.frames.filter((frame) => frame.type === 'ack' && frame.action === 'publish').length === count,
      `${count} publish acks`,
      20_000,
    );
    const late = await open('vehicleId=room-big&user=ben');
    late.send({ action: 'sync', key: 'room-big' });
    const snapshot = (await late.next(
      (frame) => frame.type === 'snapshot',
      'the room snapshot',
    )) as SnapshotFrame;
    expect(snapshot.next).toBeUndefined();
    // Message ids sort by posting time: the newest are the highest channels of the room.
    const all = (await fetchAllItems(platform.endpoints.http, 'room-big')).map((item) => item.channel);
    expect(all).toHaveLength(count);
    expect(snapshot.items.map((item) => item.channel)).toEqual(all.slice(-ROOM_SYNC_MESSAGES));
    const { body } = await getItems('room-big', '?limit=1');
    const [message] = (body.items as unknown[]).map((item) => RealTimeItemSchema.parse(item));
    const postedAt = message?.data.postedAt as number;
    expect(postedAt).toBeGreaterThanOrEqual(before);
    expect(message?.expiresAt).toBe(Math.ceil((postedAt + RETENTION_HOURS * 3_600_000) / 1000));
  });
});
