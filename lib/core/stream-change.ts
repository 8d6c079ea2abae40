import { RealTimeItemSchema } from '#contracts/real-time-item.ts';
import type { ItemFrame, RemovedFrame } from '#contracts/ws-protocol.ts';
import { parseOrThrow } from './issues.ts';

/** A DynamoDB stream record after unmarshalling its images (the adapter does that). */
export interface StreamRecordInput {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE' | string;
  newImage?: Record<string, unknown> | undefined;
  oldImage?: Record<string, unknown> | undefined;
  userIdentity?: { type?: string; principalId?: string } | undefined;
}

/** A change to broadcast: the frame every subscriber of `key` gets. */
export interface ItemChange {
  key: string;
  frame: ItemFrame | RemovedFrame;
  /** When the platform stored the item (epoch ms), for the stored → streamed → posted latencies. */
  receivedAt?: number;
}

/**
 * Turns one stream record into the change subscribers see, or `undefined` when nothing is to be sent:
 * TTL expiry removals (done by the DynamoDB service principal) are housekeeping, not news.
 * @throws ValidationError when an image is not a RealTimeData item (a permanent, non-retryable fault).
 */
export function toItemChange(record: StreamRecordInput): ItemChange | undefined {
  if (record.eventName === 'REMOVE') {
    if (isTtlExpiry(record)) return undefined;
    const old = parseOrThrow(RealTimeItemSchema, record.oldImage, 'oldImage');
    return {
      key: old.itemKey,
      frame: { type: 'removed', key: old.itemKey, channel: old.channel, version: old.version },
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
