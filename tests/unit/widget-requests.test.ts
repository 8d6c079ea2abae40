import { describe, expect, it } from 'vitest';
import { WidgetRequestSchema } from '#contracts/widget-request.ts';
import { NotFoundError, PayloadTooLargeError } from '#core/errors.ts';
import { mergeAttributes, mergeWidget, planWidgetRequest, type StoredWidget } from '#core/widget-requests.ts';

const now = 1_700_000_000_000;
const request = (value: unknown) => WidgetRequestSchema.parse(value);
const stored: StoredWidget = {
  ts: now - 10,
  version: 3,
  data: {
    widgetId: 'w',
    label: 'Gauge',
    description: 'speed',
    otherAttributes: [
      { name: 'colour', value: 'red' },
      { name: 'size', value: 'L' },
    ],
  },
};

describe('mergeAttributes', () => {
  it('replaces values by name in place and appends new names', () => {
    expect(
      mergeAttributes(stored.data.otherAttributes, [
        { name: 'unit', value: 'km/h' },
        { name: 'colour', value: 'blue' },
      ]),
    ).toEqual([
      { name: 'colour', value: 'blue' },
      { name: 'size', value: 'L' },
      { name: 'unit', value: 'km/h' },
    ]);
  });

  it('keeps the last of repeated names in one update', () => {
    expect(
      mergeAttributes(
        [],
        [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      ),
    ).toEqual([{ name: 'a', value: '2' }]);
  });
});

describe('mergeWidget', () => {
  it('loses no attribute the update does not carry', () => {
    expect(mergeWidget(stored.data, { label: 'Speed' })).toEqual({ ...stored.data, label: 'Speed' });
    expect(mergeWidget(stored.data, {})).toEqual(stored.data);
  });
});

describe('planWidgetRequest', () => {
  const ids = { requestId: 'r', widgetId: 'w', owner: '3' };

  it('creates version 1 under the owner key and channel widget#<id>', () => {
    expect(planWidgetRequest(request({ type: 'create', ...ids, label: 'New' }), undefined, now)).toEqual({
      kind: 'put',
      itemKey: '3',
      channel: 'widget#w',
      ts: now,
      version: 1,
      data: { widgetId: 'w', label: 'New', otherAttributes: [] },
    });
  });

  it('merges an update into the stored widget, one version up', () => {
    const plan = planWidgetRequest(
      request({ type: 'update', ...ids, otherAttributes: [{ name: 'size', value: 'S' }] }),
      stored,
      now,
    );
    expect(plan).toMatchObject({
      kind: 'put',
      version: 4,
      ts: now,
      data: {
        label: 'Gauge',
        description: 'speed',
        otherAttributes: [
          { name: 'colour', value: 'red' },
          { name: 'size', value: 'S' },
        ],
      },
    });
  });

  it('stamps a request without ts after the stored one even when the clock is behind', () => {
    const plan = planWidgetRequest(
      request({ type: 'update', ...ids, label: 'x' }),
      { ...stored, ts: now + 50 },
      now,
    );
    expect(plan).toMatchObject({ kind: 'put', ts: now + 51 });
  });

  it('skips a request older than or as old as the stored widget', () => {
    expect(
      planWidgetRequest(request({ type: 'update', ...ids, ts: stored.ts, label: 'x' }), stored, now),
    ).toEqual({
      kind: 'skip',
      reason: 'stale',
    });
    expect(planWidgetRequest(request({ type: 'delete', ...ids, ts: stored.ts - 1 }), stored, now)).toEqual({
      kind: 'skip',
      reason: 'stale',
    });
  });

  it('deletes the stored version, and treats deleting a missing widget as done', () => {
    expect(planWidgetRequest(request({ type: 'delete', ...ids }), stored, now)).toEqual({
      kind: 'delete',
      itemKey: '3',
      channel: 'widget#w',
      expectedVersion: 3,
    });
    expect(planWidgetRequest(request({ type: 'delete', ...ids }), undefined, now)).toEqual({
      kind: 'skip',
      reason: 'missing',
    });
  });

  it('refuses to update a widget that does not exist', () => {
    expect(() => planWidgetRequest(request({ type: 'update', ...ids, label: 'x' }), undefined, now)).toThrow(
      NotFoundError,
    );
  });

  it('refuses a widget that would not fit one WebSocket frame', () => {
    const otherAttributes = Array.from({ length: 20 }, (_, index) => ({
      name: `a${index}`,
      value: 'x'.repeat(2000),
    }));
    expect(() =>
      planWidgetRequest(request({ type: 'create', ...ids, label: 'big', otherAttributes }), undefined, now),
    ).toThrow(PayloadTooLargeError);
  });
});
