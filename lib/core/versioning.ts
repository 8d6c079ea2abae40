/**
 * The ordering rules of RealTimeData. The item store enforces them with a DynamoDB condition
 * (`attribute_not_exists(itemKey) OR ts < :ts`) and `version = if_not_exists(version, 0) + 1`;
 * clients use `isNewerVersion` to drop duplicate or late frames (fan-out is at-least-once).
 */

/** A reading replaces the stored item only when its source time is strictly later. */
export function shouldApplyReading(stored: { ts: number } | undefined, incoming: { ts: number }): boolean {
  return stored === undefined || incoming.ts > stored.ts;
}

/** The version an applied write gets. */
export function nextVersion(stored: { version: number } | undefined): number {
  return (stored?.version ?? 0) + 1;
}

/** Whether a frame carries news for a client that holds `heldVersion` of the same item. */
export function isNewerVersion(heldVersion: number | undefined, frameVersion: number): boolean {
  return heldVersion === undefined || frameVersion > heldVersion;
}
