import { describe, expect, it } from 'vitest';
import { APP_OWNED_ITEMS } from '#contracts/app-ownership.ts';
import { assertNotAppOwned, owningApp } from '#core/app-ownership.ts';
import { ForbiddenError, ValidationError } from '#core/errors.ts';
import { normaliseReading, normaliseReadingsBody } from '#core/normalise-reading.ts';

const options = { keyAttribute: 'vehicleId', source: 'rest', now: 1_700_000_000_000 };

describe('owningApp', () => {
  it.each([
    ['product-1', 'bid', 'sales'],
    ['product-1', 'telemetry', 'sales'],
    ['room-lobby', 'message#abc', 'rooms'],
    ['job-5b0c', 'status', 'jobs'],
    ['owner-7', 'widget#w-1', 'widgets'],
    ['3', 'widget#x', 'widgets'],
  ])('gives %s/%s to %s', (itemKey, channel, app) => {
    expect(owningApp({ itemKey, channel })?.app).toBe(app);
  });

  it.each([
    ['3', 'telemetry'],
    ['products-1', 'bid'],
    ['Product-1', 'bid'],
    ['my-room-lobby', 'message#abc'],
    ['3', 'widget'],
    ['3', 'widgets#x'],
  ])('leaves %s/%s to readings', (itemKey, channel) => {
    expect(owningApp({ itemKey, channel })).toBeUndefined();
  });

  it('matches a rule naming both patterns only when both match', () => {
    const rules = [{ app: 'demo', keyPattern: 'd-*', channelPattern: 'x', writtenBy: 'the demo' }];
    expect(owningApp({ itemKey: 'd-1', channel: 'x' }, rules)?.app).toBe('demo');
    expect(owningApp({ itemKey: 'd-1', channel: 'y' }, rules)).toBeUndefined();
    expect(owningApp({ itemKey: 'e-1', channel: 'x' }, rules)).toBeUndefined();
  });

  it('declares every rule with at least one pattern', () => {
    for (const rule of APP_OWNED_ITEMS) expect(rule.keyPattern ?? rule.channelPattern).toBeDefined();
  });
});

describe('assertNotAppOwned', () => {
  it('names the reading, the item, the app and its writer', () => {
    expect(() => assertNotAppOwned({ itemKey: 'product-1', channel: 'bid' }, 'body')).toThrow(
      'body: item product-1/bid belongs to the sales app (written only by the WebSocket action bid); a reading may not write it',
    );
  });
});

describe('normaliseReading and app-owned items', () => {
  it('refuses a reading of an app-owned item with ForbiddenError', () => {
    const bid = { vehicleId: 'product-1', channel: 'bid', data: { amount: 999_999_999, bidder: 'mallory' } };
    expect(() => normaliseReading(bid, options)).toThrow(ForbiddenError);
  });

  it('refuses a whole batch naming the first app-owned reading', () => {
    const body = {
      readings: [
        { vehicleId: '3', data: { speed: 1 } },
        { vehicleId: 'room-a', channel: 'message#m', data: { text: 'forged' } },
        { vehicleId: 'job-1', channel: 'status', data: { status: 'done' } },
      ],
    };
    expect(() => normaliseReadingsBody(body, options)).toThrow(/^body\.readings\.1: item room-a\/message#m/);
  });

  it('answers a batch with malformed readings with their issues first', () => {
    const body = {
      readings: [{ vehicleId: 'product-1', channel: 'bid', data: {} }, { data: {} }],
    };
    expect(() => normaliseReadingsBody(body, options)).toThrow(ValidationError);
  });
});
