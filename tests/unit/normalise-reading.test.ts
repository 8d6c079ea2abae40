import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '#core/errors.ts';
import { normaliseReading, normaliseReadingsBody, positionOf } from '#core/normalise-reading.ts';
import { fixture } from '../helpers/fixtures.ts';
import { validationIssues } from '../helpers/validation.ts';

const NOW = 1_763_900_000_500;
const options = { keyAttribute: 'vehicleId', source: 'rest', now: NOW };

describe('normaliseReading', () => {
  it('keeps the fixture reading as sent, with its source and receive time', () => {
    const reading = normaliseReading(fixture('reading.json'), options);
    expect(reading).toEqual({
      keyAttribute: 'vehicleId',
      itemKey: '3',
      channel: 'telemetry',
      ts: 1_763_900_000_000,
      position: positionOf(undefined, 0),
      source: 'rest',
      data: { speed: 42, lat: 40.4168, lon: -3.7038, fuel: 0.61 },
      receivedAt: NOW,
    });
  });

  it('defaults channel to telemetry and ts to the receive time', () => {
    const reading = normaliseReading({ vehicleId: '3', data: { speed: 1 } }, options);
    expect(reading.channel).toBe('telemetry');
    expect(reading.ts).toBe(NOW);
  });

  it('turns a numeric key into its decimal text', () => {
    expect(normaliseReading({ vehicleId: 4, data: {} }, options).itemKey).toBe('4');
  });

  it('reads the key under the configured attribute name', () => {
    const reading = normaliseReading(
      { deviceId: 'pump-7', data: { rpm: 900 } },
      { ...options, keyAttribute: 'deviceId' },
    );
    expect(reading.itemKey).toBe('pump-7');
    expect(reading.keyAttribute).toBe('deviceId');
  });

  it('names the missing key field', () => {
    const issues = validationIssues(() => normaliseReading({ data: { speed: 1 } }, options, 'body'));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'body.vehicleId' }));
  });

  it('refuses unknown fields, bad channels and non-object data', () => {
    expect(
      validationIssues(() => normaliseReading({ vehicleId: '3', data: {}, extra: 1 }, options)).length,
    ).toBe(1);
    expect(
      validationIssues(() => normaliseReading({ vehicleId: '3', channel: 'Bad Channel', data: {} }, options)),
    ).toContainEqual(expect.objectContaining({ path: 'reading.channel' }));
    expect(
      validationIssues(() => normaliseReading({ vehicleId: '3', data: [1, 2] }, options)),
    ).toContainEqual(expect.objectContaining({ path: 'reading.data' }));
  });

  it('refuses keys with characters outside the allowed set', () => {
    const issues = validationIssues(() => normaliseReading({ vehicleId: 'a/b', data: {} }, options));
    expect(issues[0]?.path).toBe('reading.vehicleId');
  });

  it('refuses a ts far in the future, which would block every later reading', () => {
    const issues = validationIssues(() =>
      normaliseReading({ vehicleId: '3', ts: NOW + 3_600_000, data: {} }, options),
    );
    expect(issues[0]?.path).toBe('reading.ts');
  });

  it('refuses data whose frame would exceed the 32 KB WebSocket frame limit', () => {
    const data = { blob: 'x'.repeat(40_000) };
    expect(() => normaliseReading({ vehicleId: '3', data }, options)).toThrow(PayloadTooLargeError);
  });
});

describe('normaliseReadingsBody', () => {
  it('accepts a batch and keeps reading order', () => {
    const readings = normaliseReadingsBody(fixture('readings-batch.json'), options);
    expect(readings.map((reading) => `${reading.itemKey}/${reading.channel}`)).toEqual([
      '3/telemetry',
      '4/telemetry',
      '3/engine',
    ]);
  });

  it('accepts a single reading', () => {
    expect(normaliseReadingsBody(fixture('reading.json'), options)).toHaveLength(1);
  });

  it('names every bad field of every bad reading of a batch, by index', () => {
    const issues = validationIssues(() =>
      normaliseReadingsBody(
        { readings: [{ vehicleId: '1', data: {} }, { data: {} }, { vehicleId: '2', data: 5 }] },
        options,
      ),
    );
    expect(issues.map((issue) => issue.path)).toEqual(['body.readings.1.vehicleId', 'body.readings.2.data']);
  });

  it('refuses an empty batch and a body that is not an object', () => {
    expect(validationIssues(() => normaliseReadingsBody({ readings: [] }, options))[0]?.path).toBe(
      'body.readings',
    );
    expect(validationIssues(() => normaliseReadingsBody('hello', options))[0]?.path).toBe('body');
  });

  it('accepts a bare array and flat telemetry, each documented shape', () => {
    expect(
      normaliseReadingsBody(
        [
          { vehicleId: '3', data: { v: 1 } },
          { vehicleId: '4', speed: 2 },
        ],
        options,
      ),
    ).toMatchObject([
      { itemKey: '3', data: { v: 1 } },
      { itemKey: '4', channel: 'telemetry', data: { speed: 2 } },
    ]);
    expect(normaliseReadingsBody({ vehicleId: '3', ts: 5, speed: 1, gear: 'D' }, options)).toMatchObject([
      { itemKey: '3', channel: 'telemetry', ts: 5, data: { speed: 1, gear: 'D' } },
    ]);
  });

  it('names the field of a shape it cannot read', () => {
    expect(validationIssues(() => normaliseReadingsBody(42, options))[0]?.message).toContain(
      'flat telemetry',
    );
    expect(validationIssues(() => normaliseReadingsBody([{ vehicleId: '3' }], options))[0]).toMatchObject({
      path: 'body.0',
      message: 'carries no measurement',
    });
    expect(
      validationIssues(() => normaliseReadingsBody({ vehicleId: '3', channel: 'fuel', level: 1 }, options))[0]
        ?.path,
    ).toBe('body.channel');
  });

  it('gives each reading of a body its index as position, so the later of one ts wins', () => {
    const [first, second] = normaliseReadingsBody(
      {
        readings: [
          { vehicleId: '3', data: { v: 1 } },
          { vehicleId: '3', data: { v: 2 } },
        ],
      },
      { ...options, sourceTime: NOW - 10 },
    );
    expect(first?.ts).toBe(NOW - 10);
    expect(second?.ts).toBe(NOW - 10);
    // Same ts: the later position wins (ItemStore.applyReading), as DynamoDB compares strings.
    expect((second?.position ?? '') > (first?.position ?? '')).toBe(true);
  });
});

describe('normaliseReading times', () => {
  it('takes the source time when the reading has no ts', () => {
    expect(normaliseReading({ vehicleId: '3', data: {} }, { ...options, sourceTime: 7 }).ts).toBe(7);
    expect(normaliseReading({ vehicleId: '3', data: {} }, { ...options, sourceTime: Number.NaN }).ts).toBe(
      NOW,
    );
  });

  it('stores an ISO 8601 ts with offset as epoch ms', () => {
    expect(normaliseReading({ vehicleId: '3', ts: '2025-11-23T13:13:20+01:00', data: {} }, options).ts).toBe(
      1_763_900_000_000,
    );
    expect(normaliseReading({ vehicleId: '3', ts: '2025-11-23T12:13:20.123Z', data: {} }, options).ts).toBe(
      1_763_900_000_123,
    );
  });

  it('refuses an ISO ts without offset, naming what it takes', () => {
    const issues = validationIssues(() =>
      normaliseReading({ vehicleId: '3', ts: '2025-11-23T12:13:20', data: {} }, options),
    );
    expect(issues[0]).toMatchObject({
      path: 'reading.ts',
      message: 'must be epoch milliseconds or an ISO 8601 date-time with an offset (Z or ±hh:mm)',
    });
  });

  it('refuses a ts beyond the configured skew and accepts one within it', () => {
    const ahead = { vehicleId: '3', ts: NOW + 60_000, data: {} };
    expect(normaliseReading(ahead, options).ts).toBe(NOW + 60_000);
    const issues = validationIssues(() => normaliseReading(ahead, { ...options, maxClockSkewMs: 1_000 }));
    expect(issues[0]?.message).toContain('is more than 1000 ms ahead');
  });

  it('puts the source order before the index in the position', () => {
    const late = normaliseReading({ vehicleId: '3', data: {} }, { ...options, sourceOrder: '1000' }, 'r', 0);
    const early = normaliseReading({ vehicleId: '3', data: {} }, { ...options, sourceOrder: '999' }, 'r', 5);
    expect((late.position ?? '') > (early.position ?? '')).toBe(true);
  });
});
