import { describe, expect, it } from 'vitest';
import { normaliseReading, normaliseReadingsBody } from '#core/normalise-reading.ts';
import { PayloadTooLargeError } from '#runtime/errors.ts';
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
});
