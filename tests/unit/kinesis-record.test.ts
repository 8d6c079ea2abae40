import { describe, expect, it } from 'vitest';
import { readKinesisReading } from '#core/kinesis-record.ts';
import { positionOf } from '#core/normalise-reading.ts';
import { fixture } from '../helpers/fixtures.ts';
import { validationIssues } from '../helpers/validation.ts';

const NOW = 1_763_900_000_500;
const options = { keyAttribute: 'vehicleId', source: 'kinesis', now: NOW };

/** Record data as Lambda delivers it: the producer's bytes, base64. */
const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

describe('readKinesisReading', () => {
  it('reads a reading as POST /readings takes it, with source kinesis', () => {
    expect(readKinesisReading(encode(fixture('reading.json')), options)).toEqual({
      keyAttribute: 'vehicleId',
      itemKey: '3',
      channel: 'telemetry',
      ts: 1_763_900_000_000,
      position: positionOf(undefined, 0),
      source: 'kinesis',
      data: { speed: 42, lat: 40.4168, lon: -3.7038, fuel: 0.61 },
      receivedAt: NOW,
    });
  });

  it('folds flat telemetry into data, without the key, ts and receivedAt', () => {
    const forwarded = { ...fixture<object>('vehicle-telemetry.json'), vehicleId: 7, receivedAt: NOW - 100 };
    expect(readKinesisReading(encode(forwarded), options)).toEqual({
      keyAttribute: 'vehicleId',
      itemKey: '7',
      channel: 'telemetry',
      ts: 1_763_900_000_000,
      position: positionOf(undefined, 0),
      source: 'kinesis',
      data: { lat: 40.4168, lon: -3.7038, speed: 42.5, heading: 270, fuel: 0.61, engineTemp: 88, rpm: 2100 },
      receivedAt: NOW,
    });
  });

  it("reads the fleet rule's envelope as the telemetry the device sent, with the topic's vehicle id", () => {
    const bytes = JSON.stringify({ ...fixture<object>('vehicle-telemetry.json'), vehicleId: '99' });
    const envelope = { payload: encode(bytes), vehicleId: '7', receivedAt: NOW - 100 };
    expect(readKinesisReading(encode(envelope), options)).toMatchObject({
      itemKey: '7',
      ts: 1_763_900_000_000,
      source: 'kinesis',
      data: { lat: 40.4168, lon: -3.7038, speed: 42.5, heading: 270, fuel: 0.61, engineTemp: 88, rpm: 2100 },
    });
  });

  it.each([
    ['bytes that are not JSON', Buffer.from([0xff, 0x00]), 'payload: is not JSON'],
    ['JSON that is not an object', Buffer.from('[1]'), 'payload: must be a JSON object'],
  ])('rejects a fleet rule envelope carrying %s', (_, bytes, message) => {
    const envelope = { payload: bytes.toString('base64'), vehicleId: '7', receivedAt: NOW };
    expect(() => readKinesisReading(encode(envelope), options)).toThrow(message);
  });

  it('reads flat telemetry with a payload field beside others as flat telemetry, not as the envelope', () => {
    const flat = { payload: 'blob', vehicleId: '7', receivedAt: NOW - 100, speed: 3 };
    expect(readKinesisReading(encode(flat), options)).toMatchObject({ data: { payload: 'blob', speed: 3 } });
  });

  it('takes the time IoT Core received forwarded telemetry as its ts when the device sent none', () => {
    const reading = readKinesisReading(encode({ vehicleId: '7', speed: 3, receivedAt: NOW - 100 }), options);
    expect(reading.ts).toBe(NOW - 100);
  });

  it('stores the key under the configured key attribute', () => {
    const reading = readKinesisReading(encode({ deviceId: 'd-1', data: { t: 21 } }), {
      ...options,
      keyAttribute: 'deviceId',
    });
    expect(reading).toMatchObject({ keyAttribute: 'deviceId', itemKey: 'd-1', data: { t: 21 } });
  });

  it('rejects data that is not JSON', () => {
    expect(validationIssues(() => readKinesisReading(encode('{"vehicleId": 3,'), options))).toEqual([
      { path: 'record.data', message: 'is not JSON' },
    ]);
  });

  it.each([['[1,2]'], ['42'], ['null'], ['"text"']])('rejects JSON %s, which is not an object', (text) => {
    expect(validationIssues(() => readKinesisReading(encode(text), options))).toEqual([
      { path: 'record.data', message: 'must be a JSON object' },
    ]);
  });

  it('names the bad fields of a reading that fails its schema', () => {
    const issues = validationIssues(() =>
      readKinesisReading(encode({ vehicleId: '3', ts: -1, data: 'fast' }), options),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(['record.data', 'record.ts']);
  });

  it('rejects forwarded telemetry without a key or with a non-numeric measurement', () => {
    expect(
      validationIssues(() => readKinesisReading(encode({ speed: 3, receivedAt: NOW }), options)),
    ).not.toEqual([]);
    expect(
      validationIssues(() =>
        readKinesisReading(encode({ vehicleId: '3', speed: 'fast', receivedAt: NOW }), options),
      ).map((issue) => issue.path),
    ).toContain('event.speed');
  });
});
