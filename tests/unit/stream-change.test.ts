import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { ValidationError } from '#core/errors.ts';
import { seqFromSequenceNumber, toItemChange } from '#core/stream-change.ts';
import { fixture } from '../helpers/fixtures.ts';

describe('toItemChange', () => {
  it('turns inserts and modifications into item frames with the new image', () => {
    const event = fixture<DynamoDBStreamEvent>('stream-event-insert-modify.json');
    const changes = event.Records.map((record) => toItemChange(readStreamRecord(record)));
    expect(changes.map((change) => change?.frame)).toEqual([
      {
        type: 'item',
        key: '3',
        channel: 'telemetry',
        version: 1,
        seq: '100000000000000000001',
        ts: 1_763_900_000_000,
        data: { speed: 42, gear: 'D' },
      },
      {
        type: 'item',
        key: '3',
        channel: 'telemetry',
        version: 2,
        seq: '100000000000000000002',
        ts: 1_763_900_001_000,
        data: { speed: 44, gear: 'D' },
      },
    ]);
    for (const change of changes) expect(ServerFrameSchema.safeParse(change?.frame).success).toBe(true);
  });

  it('skips TTL expiry removals and sends other deletions as removed', () => {
    const event = fixture<DynamoDBStreamEvent>('stream-event-removals.json');
    const [ttl, deletion] = event.Records.map((record) => toItemChange(readStreamRecord(record)));
    expect(ttl).toBeUndefined();
    expect(deletion).toEqual({
      key: '5',
      frame: { type: 'removed', key: '5', channel: 'widget#w-1', version: 4, seq: '100000000000000000004' },
      // No ApproximateCreationDateTime in the fixture: the removal is placed at the item's own ts.
      removedAt: 1_763_800_000_000,
    });
  });

  it('derives seq from the sequence number without the leading zeros DynamoDB Local writes', () => {
    expect(seqFromSequenceNumber('000000000000000000042')).toBe('42');
    expect(seqFromSequenceNumber('100000000000000000001')).toBe('100000000000000000001');
    expect(() => seqFromSequenceNumber('0000')).toThrow(ValidationError);
    expect(() => seqFromSequenceNumber('12ab')).toThrow(ValidationError);
  });

  it('refuses an image that is not a RealTimeData item', () => {
    expect(() => toItemChange({ eventName: 'INSERT', newImage: { itemKey: '3' } })).toThrow(ValidationError);
  });
});
