import { describe, expect, it } from 'vitest';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { parseClientAction, runClientAction } from '#core/client-actions.ts';
import type { ConnectionStore, ItemStore } from '#core/ports.ts';
import { ValidationError } from '#runtime/errors.ts';

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

function ports() {
  const subscriptions = new Set<string>();
  const connections: ConnectionStore = {
    addConnection: async () => {},
    addSubscription: async ({ connectionId, key }) => void subscriptions.add(`${connectionId}:${key}`),
    removeSubscription: async ({ connectionId, key }) => void subscriptions.delete(`${connectionId}:${key}`),
    removeConnection: async () => {},
    listSubscribers: async () => [],
  };
  const items: ItemStore = {
    applyReading: async () => ({ applied: false }),
    listItems: async (key, since) =>
      stored.filter((item) => item.itemKey === key && (since === undefined || item.version > since)),
  };
  return { connections, items, clock: { now: () => 1_000_000 }, subscriptions };
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
    expect(all.type === 'snapshot' && all.items.map((item) => item.channel)).toEqual(['telemetry', 'engine']);
    const newer = await runClientAction({ action: 'sync', key: '3', since: 2 }, context, ports());
    expect(newer.type === 'snapshot' && newer.items.map((item) => item.version)).toEqual([4]);
  });

  it('acknowledges ping', async () => {
    expect(await runClientAction({ action: 'ping' }, context, ports())).toEqual({
      type: 'ack',
      action: 'ping',
    });
  });
});
