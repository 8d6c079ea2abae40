import { describe, expect, it } from 'vitest';
import { distinctKeys, planFanout } from '#core/plan-fanout.ts';
import type { ItemChange } from '#core/stream-change.ts';

const change = (key: string, version: number): ItemChange => ({
  key,
  frame: { type: 'item', key, channel: 'telemetry', version, ts: version, data: { v: version } },
});

describe('planFanout', () => {
  const subscribers = new Map([
    ['3', ['conn-a', 'conn-b']],
    ['4', ['conn-c']],
  ]);

  it('sends each change to every subscriber of its key, in change order', () => {
    const deliveries = planFanout([change('3', 1), change('3', 2)], subscribers);
    expect(
      deliveries.map((d) => `${d.connectionId}:${d.frame.type === 'item' ? d.frame.version : ''}`),
    ).toEqual(['conn-a:1', 'conn-b:1', 'conn-a:2', 'conn-b:2']);
  });

  it('skips connections of other keys', () => {
    const deliveries = planFanout([change('4', 1)], subscribers);
    expect(deliveries.map((d) => d.connectionId)).toEqual(['conn-c']);
  });

  it('plans nothing for a key nobody subscribes to', () => {
    expect(planFanout([change('99', 1)], subscribers)).toEqual([]);
  });

  it('posts once per change to a connection listed twice', () => {
    expect(planFanout([change('5', 1)], new Map([['5', ['x', 'x']]]))).toHaveLength(1);
  });
});

describe('distinctKeys', () => {
  it('lists each key once in first-seen order, so each is looked up once per batch', () => {
    expect(distinctKeys([change('4', 1), change('3', 1), change('4', 2)])).toEqual(['4', '3']);
  });
});
