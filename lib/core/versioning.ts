/**
 * The ordering rules of RealTimeData. The item store enforces them with a DynamoDB condition
 * (`attribute_not_exists(itemKey) OR ts < :ts OR (ts = :ts AND position < :position)`) and
 * `version = if_not_exists(version, 0) + 1`; clients use `isNewerVersion` to drop duplicate or late
 * frames (fan-out is at-least-once).
 */

/**
 * A reading replaces the stored item only when it is strictly later in (ts, position): a later source
 * time, or the same time and a later place in its source (the second of two readings of one request).
 * Equal in both is the same reading delivered again: refused, so redelivery is idempotent. Positions
 * are fixed-width text, compared as DynamoDB compares strings (byte order). A stored item without
 * `position` (written before it existed) is never overtaken at an equal `ts`.
 */
export function shouldApplyReading(
  stored: { ts: number; position?: string } | undefined,
  incoming: { ts: number; position: string },
): boolean {
  if (stored === undefined || incoming.ts > stored.ts) return true;
  return incoming.ts === stored.ts && stored.position !== undefined && incoming.position > stored.position;
}

/** The version an applied write gets. */
export function nextVersion(stored: { version: number } | undefined): number {
  return (stored?.version ?? 0) + 1;
}

/** Whether a frame carries news for a client that holds `heldVersion` of the same item. */
export function isNewerVersion(heldVersion: number | undefined, frameVersion: number): boolean {
  return heldVersion === undefined || frameVersion > heldVersion;
}
