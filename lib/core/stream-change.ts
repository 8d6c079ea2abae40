import { RealTimeItemSchema } from '#contracts/real-time-item.ts';
import { type Seq, SeqSchema } from '#contracts/seq.ts';
import type { ItemFrame, RemovedFrame } from '#contracts/ws-protocol.ts';
import { parseOrThrow } from './issues.ts';

/** A DynamoDB stream record after unmarshalling its images (the adapter does that). */
export interface StreamRecordInput {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  newImage?: Record<string, unknown> | undefined;
  oldImage?: Record<string, unknown> | undefined;
  userIdentity?: { type?: string; principalId?: string } | undefined;
  /** The record's `dynamodb.SequenceNumber` (digits, DynamoDB Local pads them with zeros). */
  sequenceNumber?: string | undefined;
  /** The record's `ApproximateCreationDateTime` in epoch ms (DynamoDB Local: truncated to the minute). */
  approximateCreatedAt?: number | undefined;
}

/** A change to broadcast: the frame every subscriber of `key` gets. */
export interface ItemChange {
  key: string;
  frame: ItemFrame | RemovedFrame;
  /** When the platform stored the item (epoch ms), for the stored → streamed → posted latencies. */
  receivedAt?: number;
  /**
   * When a removal was applied (epoch ms): the record's approximate creation time, never before the
   * removed item's own `ts`, so a removal sorts after the state it ends.
   */
  removedAt?: number;
}

/**
 * A stream record's `SequenceNumber` as a `seq` (contracts/ws-protocol.ts): leading zeros dropped
 * (DynamoDB Local writes `000000000000000000042`), so both stream consumers derive the same value.
 * @throws ValidationError when it is not a sequence number of digits.
 */
export function seqFromSequenceNumber(sequenceNumber: string): Seq {
  return parseOrThrow(SeqSchema, sequenceNumber.replace(/^0+/, ''), 'dynamodb.SequenceNumber');
}

/**
 * Turns one stream record into the change subscribers see, or `undefined` when nothing is to be sent:
 * TTL expiry removals (done by the DynamoDB service principal) are housekeeping, not news. The
 * frame carries the record's `seq` (when the record has a sequence number: every real one does).
 * @throws ValidationError when an image is not a RealTimeData item (a permanent, non-retryable fault).
 */
export function toItemChange(record: StreamRecordInput): ItemChange | undefined {
  const seq =
    record.sequenceNumber === undefined ? {} : { seq: seqFromSequenceNumber(record.sequenceNumber) };
  if (record.eventName === 'REMOVE') {
    if (isTtlExpiry(record)) return undefined;
    const old = parseOrThrow(RealTimeItemSchema, record.oldImage, 'oldImage');
    return {
      key: old.itemKey,
      frame: { type: 'removed', key: old.itemKey, channel: old.channel, version: old.version, ...seq },
      removedAt: Math.max(old.ts, record.approximateCreatedAt ?? old.ts),
    };
  }
  const item = parseOrThrow(RealTimeItemSchema, record.newImage, 'newImage');
  return {
    key: item.itemKey,
    frame: {
      type: 'item',
      key: item.itemKey,
      channel: item.channel,
      version: item.version,
      ...seq,
      ts: item.ts,
      data: item.data,
    },
    receivedAt: item.receivedAt,
  };
}

function isTtlExpiry(record: StreamRecordInput): boolean {
  return (
    record.userIdentity?.type === 'Service' && record.userIdentity.principalId === 'dynamodb.amazonaws.com'
  );
}
