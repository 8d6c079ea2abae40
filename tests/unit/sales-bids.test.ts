import { describe, expect, it } from 'vitest';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import type { SalesUpdate } from '#contracts/sales.ts';
import { ForbiddenError, StaleWriteError, ValidationError } from '#core/errors.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import { type BidPorts, parseBidAction, placeBid } from '#core/sales-bids.ts';

/** An in-memory RealTimeData with the bid rule of DynamoItemStore.applyIfAbove. */
function bidPorts(
  users: Record<string, string>,
  send: (update: SalesUpdate) => Promise<void> = async () => {},
) {
  const items = new Map<string, RealTimeItem>();
  const sent: SalesUpdate[] = [];
  const ports: BidPorts = {
    connections: { getConnectionUser: async (connectionId) => users[connectionId] },
    items: {
      applyIfAbove: async (reading: NormalisedReading, field: string, value: number) => {
        const id = `${reading.itemKey}/${reading.channel}`;
        const stored = items.get(id);
        if (stored && !(Number(stored.data[field]) < value)) return { applied: false };
        const version = (stored?.version ?? 0) + 1;
        items.set(id, { ...reading, version });
        return { applied: true, version };
      },
      getItem: async (key, channel) => items.get(`${key}/${channel}`),
    },
    updates: {
      send: async (update) => {
        await send(update);
        sent.push(update);
      },
    },
    clock: { now: () => 5_000 },
  };
  return { ports, sent };
}

const as = (connectionId: string) => ({ connectionId, keyAttribute: 'vehicleId' });

describe('placeBid', () => {
  it('accepts a higher bid as the connection user and sends its state with the bid count', async () => {
    const { ports, sent } = bidPorts({ a: 'ana', b: 'ben' });
    await placeBid(parseBidAction('{"action":"bid","productId":2,"amount":50}'), as('a'), ports);
    const outcome = await placeBid({ action: 'bid', productId: 2, amount: 51 }, as('b'), ports);
    expect(outcome.frame).toEqual({ type: 'ack', action: 'bid', key: 'product-2' });
    expect(sent).toEqual([
      { productId: 2, amount: 50, bidder: 'ana', bidCount: 1, placedAt: 5_000 },
      { productId: 2, amount: 51, bidder: 'ben', bidCount: 2, placedAt: 5_000 },
    ]);
  });

  it('refuses an equal or lower bid naming the current one', async () => {
    const { ports } = bidPorts({ a: 'ana', b: 'ben' });
    await placeBid({ action: 'bid', productId: 2, amount: 50 }, as('a'), ports);
    const equal = placeBid({ action: 'bid', productId: 2, amount: 50 }, as('b'), ports);
    await expect(equal).rejects.toThrow(StaleWriteError);
    await expect(equal).rejects.toThrow('bid too low: the current bid on Mechanical keyboard is 50 by ana');
  });

  it('keeps an accepted bid when its catalogue update cannot be sent', async () => {
    const { ports } = bidPorts({ a: 'ana' }, async () => {
      throw new Error('SQS down');
    });
    const outcome = await placeBid({ action: 'bid', productId: 1, amount: 200 }, as('a'), ports);
    expect(outcome.frame.type).toBe('ack');
    expect(outcome.sendError).toBeInstanceOf(Error);
    const again = placeBid({ action: 'bid', productId: 1, amount: 150 }, as('a'), ports);
    await expect(again).rejects.toThrow(StaleWriteError);
  });

  it('takes the bidder from the connection, never from the message', async () => {
    const { ports } = bidPorts({ a: 'ana' });
    await expect(
      placeBid({ action: 'bid', productId: 1, amount: 200, bidder: 'ben' }, as('a'), ports),
    ).rejects.toThrow(ForbiddenError);
    await expect(placeBid({ action: 'bid', productId: 1, amount: 200 }, as('nobody'), ports)).rejects.toThrow(
      ForbiddenError,
    );
  });

  it('checks the claims when auth is on', async () => {
    const { ports } = bidPorts({ a: 'ana' });
    const claims = { subject: 'ana', keyPatterns: ['product-*'], ingestActions: ['publish'] };
    await expect(
      placeBid({ action: 'bid', productId: 1, amount: 200 }, { ...as('a'), claims }, ports),
    ).rejects.toThrow('not allowed to bid on key product-1');
  });
});

describe('parseBidAction', () => {
  it('refuses bad JSON and bad amounts with issues', () => {
    expect(() => parseBidAction('{')).toThrow(ValidationError);
    expect(() => parseBidAction('{"action":"bid","productId":1,"amount":0}')).toThrow(ValidationError);
    expect(() => parseBidAction('{"action":"bid","productId":1.5,"amount":10}')).toThrow(ValidationError);
  });
});
