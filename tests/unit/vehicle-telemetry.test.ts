import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError } from '#core/errors.ts';
import { positionOf } from '#core/normalise-reading.ts';
import { mapTelemetryMessage, mapVehicleTelemetry, readTelemetryEvent } from '#core/vehicle-telemetry.ts';
import { fixture } from '../helpers/fixtures.ts';
import { validationIssues } from '../helpers/validation.ts';

const NOW = 1_763_900_000_500;
const RECEIVED = 1_763_900_000_200;
const options = { keyAttribute: 'vehicleId', now: NOW };

/** Flat telemetry with the vehicle id and receive time, as mapVehicleTelemetry takes it. */
const ruleOutput = (payload: Record<string, unknown>) => ({
  ...payload,
  vehicleId: '3',
  receivedAt: RECEIVED,
});

describe('mapVehicleTelemetry', () => {
  it('maps the fixture telemetry to a telemetry reading from iot, measurements as data', () => {
    expect(mapVehicleTelemetry(ruleOutput(fixture('vehicle-telemetry.json')), options)).toEqual({
      keyAttribute: 'vehicleId',
      itemKey: '3',
      channel: 'telemetry',
      ts: 1_763_900_000_000,
      position: positionOf(undefined, 0),
      source: 'iot',
      data: { lat: 40.4168, lon: -3.7038, speed: 42.5, heading: 270, fuel: 0.61, engineTemp: 88, rpm: 2100 },
      receivedAt: NOW,
    });
  });

  it('uses the time IoT Core received the message when the device sends no ts', () => {
    expect(mapVehicleTelemetry(ruleOutput({ speed: 3 }), options).ts).toBe(RECEIVED);
  });

  it('stores the key under the configured key attribute', () => {
    const reading = mapVehicleTelemetry(ruleOutput({ speed: 3 }), { keyAttribute: 'deviceId', now: NOW });
    expect(reading).toMatchObject({ keyAttribute: 'deviceId', itemKey: '3' });
  });

  it('names every bad field', () => {
    const issues = validationIssues(() =>
      mapVehicleTelemetry(ruleOutput({ speed: -1, lat: 91, fuel: 'half', label: 'x' }), options),
    );
    expect(issues.map((issue) => issue.path).sort()).toEqual(['event.fuel', 'event.lat', 'event.speed']);
  });

  it('keeps string, boolean and nested fields as data, as every source does', () => {
    const reading = mapVehicleTelemetry(
      ruleOutput({ speed: 11, gear: 'D', doorsLocked: true, tyres: { front: 2.3 } }),
      options,
    );
    expect(reading.data).toEqual({ speed: 11, gear: 'D', doorsLocked: true, tyres: { front: 2.3 } });
  });

  it('reads an ISO 8601 ts with offset as epoch ms and refuses one without offset', () => {
    expect(
      mapVehicleTelemetry(ruleOutput({ ts: '2025-11-23T12:13:20.000+00:00', speed: 1 }), options).ts,
    ).toBe(1_763_900_000_000);
    const issues = validationIssues(() =>
      mapVehicleTelemetry(ruleOutput({ ts: '2025-11-23T12:13:20', speed: 1 }), options),
    );
    expect(issues[0]).toMatchObject({ path: 'event.ts', message: expect.stringContaining('with an offset') });
  });

  it('refuses telemetry without a vehicle id, without measurements, or from the future', () => {
    expect(
      validationIssues(() => mapVehicleTelemetry({ speed: 1, receivedAt: RECEIVED }, options))[0]?.path,
    ).toBe('event.vehicleId');
    expect(validationIssues(() => mapVehicleTelemetry(ruleOutput({ ts: 5 }), options))[0]?.message).toBe(
      'carries no measurement',
    );
    expect(
      validationIssues(() => mapVehicleTelemetry(ruleOutput({ ts: NOW + 3_600_000, speed: 1 }), options))[0]
        ?.path,
    ).toBe('event.ts');
    expect(validationIssues(() => mapVehicleTelemetry('not an object', options))[0]?.path).toBe('event');
  });

  it('refuses telemetry whose frame would exceed the WebSocket frame limit', () => {
    const wide = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`sensor${i}`, i]));
    expect(() => mapVehicleTelemetry(ruleOutput(wide), options)).toThrow(PayloadTooLargeError);
  });
});

/** What VehicleTelemetryRule hands the ingestor for these bytes published to vehicles/3/telemetry. */
const ruleEvent = (bytes: string | Uint8Array) => ({
  payload: Buffer.from(bytes).toString('base64'),
  vehicleId: '3',
  receivedAt: RECEIVED,
});
const mapEvent = (bytes: string | Uint8Array) =>
  mapTelemetryMessage(readTelemetryEvent(ruleEvent(bytes)), options);

describe('readTelemetryEvent', () => {
  it("decodes the rule's envelope to the device's bytes", () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0x7b]);
    expect(readTelemetryEvent(ruleEvent(bytes))).toEqual({
      bytes: Buffer.from(bytes),
      vehicleId: '3',
      receivedAt: RECEIVED,
    });
  });

  it('refuses an event that is not the envelope: no payload, bad base64, no receive time', () => {
    expect(validationIssues(() => readTelemetryEvent(ruleOutput({ speed: 1 })))[0]?.path).toBe(
      'event.payload',
    );
    const badBase64 = { ...ruleEvent('{}'), payload: 'not base64!' };
    expect(validationIssues(() => readTelemetryEvent(badBase64))[0]?.path).toBe('event.payload');
    const { receivedAt: _, ...noTime } = ruleEvent('{}');
    expect(validationIssues(() => readTelemetryEvent(noTime))[0]?.path).toBe('event.receivedAt');
    expect(validationIssues(() => readTelemetryEvent(null))[0]?.path).toBe('event');
  });
});

describe('mapTelemetryMessage', () => {
  it('maps the JSON telemetry the device sent, with the vehicle id of the topic and the receive time', () => {
    const bytes = JSON.stringify(fixture('vehicle-telemetry.json'));
    expect(mapEvent(bytes)).toEqual(
      mapVehicleTelemetry(ruleOutput(fixture('vehicle-telemetry.json')), options),
    );
    expect(mapEvent('{"speed":3}').ts).toBe(RECEIVED);
  });

  it("lets the topic's vehicle id and the receive time win over the payload's", () => {
    const reading = mapEvent(JSON.stringify({ vehicleId: '99', receivedAt: 5, speed: 3 }));
    expect(reading).toMatchObject({ itemKey: '3', ts: RECEIVED, data: { speed: 3 } });
  });

  it.each([
    ['bytes that are not text', Uint8Array.from([0xff, 0xfe, 0x00]), 'payload: is not JSON'],
    ['text that is not JSON', 'not json at all', 'payload: is not JSON'],
    ['no bytes', '', 'payload: is not JSON'],
    ['a JSON number', '42', 'payload: must be a JSON object'],
    ['a JSON array', '[1]', 'payload: must be a JSON object'],
    ['JSON null', 'null', 'payload: must be a JSON object'],
  ])('refuses %s with a ValidationError on payload', (_, bytes, message) => {
    expect(() => mapEvent(bytes)).toThrow(message);
    expect(validationIssues(() => mapEvent(bytes))[0]?.path).toBe('payload');
  });

  it('names a bad field as the device sent it, under payload', () => {
    expect(
      validationIssues(() => mapEvent('{"speed":"fast","fuel":2}'))
        .map((issue) => issue.path)
        .sort(),
    ).toEqual(['payload.fuel', 'payload.speed']);
  });

  it('refuses a bad vehicle id of the topic as it refuses bad telemetry', () => {
    const event = { ...ruleEvent('{"speed":1}'), vehicleId: '' };
    expect(validationIssues(() => mapTelemetryMessage(readTelemetryEvent(event), options))[0]?.path).toBe(
      'event.vehicleId',
    );
  });
});
