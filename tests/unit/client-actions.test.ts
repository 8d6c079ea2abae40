import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '#contracts/item-page.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { ROOM_SYNC_MESSAGES } from '#contracts/room-messages.ts';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { parseClientAction, runClientAction } from '#core/client-actions.ts';
import { ValidationError } from '#core/errors.ts';
import type { ItemStore } from '#core/ports.ts';
import { newMessageId } from '#core/room-messages.ts';
import { connectionStoreWith } from '../helpers/fixtures.ts';
import { inMemoryHistory } from '../helpers/history-store.ts';
import { inMemoryItemPages } from '../helpers/item-pages.ts';

const stored: RealTimeItem[] = [
  {
    itemKey: '3',
    channel: 'telemetry',
    ts: 10,
    version: 4,
    source: 'rest',
    data: { speed: 1 },
    receivedAt: 11,
  },
  { itemKey: '3', channel: 'engine', ts: 12, version: 2, source: 'rest', data: { temp: 80 }, receivedAt: 13 },
];

function ports(held: RealTimeItem[] = stored) {
  const subscriptions = new Set<string>();
  const connections = connectionStoreWith({
    addSubscription: async ({ connectionId, key }) => void subscriptions.add(`${connectionId}:${key}`),
    removeSubscription: async ({ connectionId, key }) => void subscriptions.delete(`${connectionId}:${key}`),
  });
  const items: ItemStore = {
    applyReading: async () => ({ applied: false }),
    listItemPage: inMemoryItemPages(() => held),
  };
  return { connections, items, history: inMemoryHistory(), clock: { now: () => 1_000_000 }, subscriptions };
}

const context = { connectionId: 'conn-1', connectionTtlSeconds: 7200, maxSubscriptions: 100 };

describe('parseClientAction', () => {
  it('parses each action of the protocol', () => {
    expect(parseClientAction('{"action":"subscribe","key":"4"}')).toEqual({ action: 'subscribe', key: '4' });
    expect(parseClientAction('{"action":"sync","key":3,"since":2}')).toEqual({
      action: 'sync',
      key: '3',
      since: 2,
    });
    expect(parseClientAction('{"action":"ping"}')).toEqual({ action: 'ping' });
  });

  it.each([
    ['not json', 'body'],
    ['{"action":"dance"}', 'body.action'],
    ['[]', 'body.action'],
    ['{"action":"subscribe"}', 'body.key'],
    ['{"action":"sync","key":"3","since":-1}', 'body.since'],
  ])('refuses %s naming %s', (body, path) => {
    try {
      parseClientAction(body);
      throw new Error('expected refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe(path);
    }
  });
});

describe('runClientAction', () => {
  it('subscribes and unsubscribes the sender', async () => {
    const p = ports();
    expect(await runClientAction({ action: 'subscribe', key: '4' }, context, p)).toEqual({
      type: 'ack',
      action: 'subscribe',
      key: '4',
    });
    expect(p.subscriptions.has('conn-1:4')).toBe(true);
    await runClientAction({ action: 'unsubscribe', key: '4' }, context, p);
    expect(p.subscriptions.size).toBe(0);
  });

  it('answers sync with a snapshot of the key, or only what is newer than since', async () => {
    const all = await runClientAction({ action: 'sync', key: '3' }, context, ports());
    expect(ServerFrameSchema.parse(all)).toMatchObject({ type: 'snapshot', key: '3' });
    expect(all.type === 'snapshot' && all.items.map((item) => item.channel)).toEqual(['engine', 'telemetry']);
    const newer = await runClientAction({ action: 'sync', key: '3', since: 2 }, context, ports());
    expect(newer.type === 'snapshot' && newer.items.map((item) => item.version)).toEqual([4]);
  });

  it('pages a big key: every item exactly once across pages, each page within its limit', async () => {
    const many = Array.from({ length: 130 }, (_, i) => ({
      ...stored[0],
      itemKey: 'big',
      channel: `widget#w${String(i).padStart(3, '0')}`,
      version: 1 + (i % 5),
    })) as RealTimeItem[];
    const p = ports(many);
    const walk = async (limit?: number, since?: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const frame = ServerFrameSchema.parse(
          await runClientAction({ action: 'sync', key: 'big', limit, cursor, since }, context, p),
        );
        if (frame.type !== 'snapshot') throw new Error(`expected a snapshot, got ${frame.type}`);
        expect(frame.items.length).toBeLessThanOrEqual(limit ?? DEFAULT_PAGE_LIMIT);
        seen.push(...frame.items.map((item) => item.channel));
        cursor = frame.next;
        pages += 1;
      } while (cursor !== undefined);
      return { seen, pages };
    };
    const byDefault = await walk();
    expect(byDefault.pages).toBe(Math.ceil(130 / DEFAULT_PAGE_LIMIT));
    expect(byDefault.seen).toEqual(many.map((item) => item.channel));
    const small = await walk(7);
    expect(small.pages).toBe(Math.ceil(130 / 7));
    expect(small.seen).toEqual(many.map((item) => item.channel));
    const newer = await walk(10, 3);
    expect(newer.seen).toEqual(many.filter((item) => item.version > 3).map((item) => item.channel));
  });

  it('answers a room sync with its newest messages, oldest first, on one page', async () => {
    const messages = Array.from({ length: ROOM_SYNC_MESSAGES + 20 }, (_, i) => ({
      ...stored[0],
      itemKey: 'room-lobby',
      channel: `message#${newMessageId(1_000 + i, 'r')}`,
    })) as RealTimeItem[];
    const p = ports(messages);
    const frame = await runClientAction({ action: 'sync', key: 'room-lobby' }, context, p);
    expect(frame).not.toHaveProperty('next');
    expect(frame.type === 'snapshot' && frame.items.map((item) => item.channel)).toEqual(
      messages.slice(20).map((item) => item.channel),
    );
  });

  it('refuses a sync limit above the maximum and a cursor it did not make', async () => {
    expect(() => parseClientAction(`{"action":"sync","key":"3","limit":${MAX_PAGE_LIMIT + 1}}`)).toThrow(
      ValidationError,
    );
    await expect(
      runClientAction({ action: 'sync', key: '3', cursor: 'not-a-channel' }, context, ports()),
    ).rejects.toMatchObject({ issues: [{ path: 'body.cursor' }] });
  });

  it('acknowledges ping', async () => {
    expect(await runClientAction({ action: 'ping' }, context, ports())).toEqual({
      type: 'ack',
      action: 'ping',
    });
  });
});
