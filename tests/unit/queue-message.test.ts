import { describe, expect, it } from 'vitest';
import { positionOf } from '#core/normalise-reading.ts';
import { parseClaimedPayload, parseQueueMessage, unwrapSnsEnvelope } from '#core/queue-message.ts';
import { localArn } from '#local/template/local-identity.ts';
import { validationIssues } from '../helpers/validation.ts';

const options = { keyAttribute: 'vehicleId', source: 'queue', now: 1_700_000_000_000 };
const envelope = (message: unknown) =>
  JSON.stringify({
    Type: 'Notification',
    MessageId: 'm-1',
    TopicArn: localArn('sns', 'ingest'),
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2026-01-01T00:00:00.000Z',
    SignatureVersion: '1',
  });

describe('unwrapSnsEnvelope', () => {
  it('returns the decoded message of an SNS notification', () => {
    expect(unwrapSnsEnvelope(JSON.parse(envelope({ a: 1 })))).toEqual({ a: 1 });
  });

  it('returns anything else unchanged (raw delivery)', () => {
    expect(unwrapSnsEnvelope({ Type: 'Other', Message: '{}' })).toEqual({ Type: 'Other', Message: '{}' });
    expect(unwrapSnsEnvelope([1])).toEqual([1]);
  });

  it('refuses an envelope whose message is not JSON', () => {
    expect(() => unwrapSnsEnvelope(JSON.parse(envelope('plain text')))).toThrow(
      'body.Message: is not valid JSON',
    );
  });
});

describe('parseQueueMessage', () => {
  it('reads one reading, raw or in an SNS envelope, alike', () => {
    const reading = { vehicleId: 3, ts: 5, data: { speed: 1 } };
    const raw = parseQueueMessage(JSON.stringify(reading), options);
    expect(raw).toEqual({
      kind: 'readings',
      readings: [
        {
          keyAttribute: 'vehicleId',
          itemKey: '3',
          channel: 'telemetry',
          ts: 5,
          position: positionOf(undefined, 0),
          source: 'queue',
          data: { speed: 1 },
          receivedAt: options.now,
        },
      ],
    });
    expect(parseQueueMessage(envelope(reading), options)).toEqual(raw);
  });

  it('reads a batch of readings', () => {
    const command = parseQueueMessage(
      JSON.stringify({
        readings: [
          { vehicleId: '1', data: {} },
          { vehicleId: '2', channel: 'fuel', data: {} },
        ],
      }),
      options,
    );
    expect(command.kind === 'readings' && command.readings.map((r) => `${r.itemKey}/${r.channel}`)).toEqual([
      '1/telemetry',
      '2/fuel',
    ]);
  });

  it('reads a widget request', () => {
    const command = parseQueueMessage(
      envelope({ type: 'delete', requestId: 'r', widgetId: 'w', owner: 7 }),
      options,
    );
    expect(command).toEqual({
      kind: 'widget',
      request: { type: 'delete', requestId: 'r', widgetId: 'w', owner: '7' },
    });
  });

  it('reads a claim check', () => {
    expect(
      parseQueueMessage(JSON.stringify({ s3: { bucket: 'b-1', key: 'claims/x.json' } }), options),
    ).toEqual({
      kind: 'claimCheck',
      claimCheck: { bucket: 'b-1', key: 'claims/x.json' },
    });
  });

  it('names what is wrong with a bad message', () => {
    const issuesOf = (body: string) =>
      validationIssues(() => parseQueueMessage(body, options)).map((issue) => issue.path);
    expect(issuesOf('{"vehicleId":')).toEqual(['body']);
    expect(issuesOf(JSON.stringify({ data: {} }))).toEqual(['body.vehicleId']);
    expect(issuesOf(JSON.stringify({ type: 'rename', requestId: 'r' }))).toEqual(['message.type']);
    expect(issuesOf(JSON.stringify({ type: 'create', requestId: 'r', widgetId: 'w', owner: 'o' }))).toEqual([
      'message.label',
    ]);
    expect(issuesOf(JSON.stringify({ s3: { bucket: 'b-1' } }))).toEqual(['message.s3.key']);
  });
});

describe('parseClaimedPayload', () => {
  it('reads the payload a claim check points at', () => {
    expect(parseClaimedPayload(JSON.stringify({ vehicleId: '1', data: {} }), options).kind).toBe('readings');
  });

  it('refuses a claim check pointing at another claim check', () => {
    expect(() => parseClaimedPayload(JSON.stringify({ s3: { bucket: 'b-1', key: 'k' } }), options)).toThrow(
      'may not be another claim check',
    );
  });
});
