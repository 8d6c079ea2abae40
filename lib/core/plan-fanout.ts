import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { ItemChange } from './stream-change.ts';

/** One frame to one connection. */
export interface Delivery {
  connectionId: string;
  key: string;
  frame: ServerFrame;
}

/** The distinct keys a batch of changes touches, in first-seen order: one subscriber lookup each. */
export function distinctKeys(changes: readonly ItemChange[]): string[] {
  return [...new Set(changes.map((change) => change.key))];
}

/**
 * Who gets what: one delivery per (change, subscriber of the change's key), in change order.
 * Connections of other keys get nothing; a connection listed twice for a key gets one frame per change.
 */
export function planFanout(
  changes: readonly ItemChange[],
  subscribersByKey: ReadonlyMap<string, readonly string[]>,
): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const change of changes) {
    const subscribers = new Set(subscribersByKey.get(change.key) ?? []);
    for (const connectionId of subscribers) {
      deliveries.push({ connectionId, key: change.key, frame: change.frame });
    }
  }
  return deliveries;
}
