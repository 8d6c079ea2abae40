import type { RejectReport } from '#contracts/queue-message.ts';
import type { ObjectStore } from './ingest-ports.ts';
import { ingestReadings } from './ingest-readings.ts';
import type { NormaliseOptions } from './normalise-reading.ts';
import { type ObjectFormat, parseObjectReadings } from './object-readings.ts';
import type { ItemStore } from './ports.ts';

/** Where the reject report of `key` goes, in the same bucket. */
export function rejectReportKey(key: string): string {
  return `rejected/${key}.json`;
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export type ObjectOutcome =
  | { kind: 'ingested'; format: ObjectFormat; accepted: number; stale: number; rejected: number }
  | { kind: 'gone' };

/**
 * Ingests the readings of one object: good lines are written (conditionally, so a retried event
 * never double-applies), bad lines go to a reject report `rejected/<key>.json` with a reason each.
 * @throws DependencyError when S3 or DynamoDB fails (the event is retried).
 */
export async function ingestObject(
  location: { bucket: string; key: string },
  deps: { items: ItemStore; objects: ObjectStore },
  options: NormaliseOptions,
): Promise<ObjectOutcome> {
  const text = await deps.objects.getText(location.bucket, location.key);
  if (text === undefined) return { kind: 'gone' };
  const parsed = parseObjectReadings(text, location.key, options);
  const result = await ingestReadings(parsed.readings, deps.items);
  if (parsed.rejected.length > 0) {
    const report: RejectReport = {
      bucket: location.bucket,
      key: location.key,
      rejectedAt: options.now,
      accepted: parsed.readings.length,
      rejected: parsed.rejected,
    };
    await deps.objects.putJson(location.bucket, rejectReportKey(location.key), report);
  }
  return {
    kind: 'ingested',
    format: parsed.format,
    accepted: result.accepted,
    stale: result.stale,
    rejected: parsed.rejected.length,
  };
}
