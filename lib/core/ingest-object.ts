import {
  MAX_REJECTED_LINES_LISTED,
  type ObjectStatus,
  type RejectedLine,
  type RejectReport,
} from '#contracts/queue-message.ts';
import { PlatformError } from './errors.ts';
import type { ObjectStore } from './ingest-ports.ts';
import { ingestReadings } from './ingest-readings.ts';
import type { NormalisedReading, NormaliseOptions } from './normalise-reading.ts';
import { type ObjectFormat, readObjectReadings } from './object-readings.ts';
import type { ItemStore } from './ports.ts';

/** Where the reject report of `key` goes, in the same bucket. */
export function rejectReportKey(key: string): string {
  return `rejected/${key}.json`;
}

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Readings written per batch, and the line text a batch may hold: memory stays flat in the object's size. */
const BATCH_READINGS = 500;
const BATCH_CHARS = 1024 * 1024;

interface ObjectIngestOptions extends NormaliseOptions {
  /** Objects above this size are refused unread (`MaxObjectBytes`). */
  maxObjectBytes: number;
}

interface ObjectCounts {
  /** Lines (or JSON elements) read. */
  lines: number;
  /** Good readings written: applied, or refused as older than the stored state. */
  accepted: number;
  applied: number;
  rejected: number;
}

type ObjectOutcome =
  | ({ kind: 'ingested'; format: ObjectFormat } & ObjectCounts)
  | ({ kind: 'refused'; reason: string } & ObjectCounts)
  | { kind: 'gone' };

/**
 * Ingests the readings of one object as a stream: lines are parsed as they arrive and written in
 * bounded batches (conditionally, so a retried event never double-applies); readings of one
 * (key, channel) are written in the object's order. Bad lines go to the reject report
 * `rejected/<key>.json` with their line number, code, reason and original text. An object above
 * `maxObjectBytes` is refused unread (report `refused`, nothing applied, not retried). When the
 * object fails part way, the report (`failed`) says what was applied and after which line it stopped
 * before the error is rethrown; a later attempt that completes without a reject removes it.
 * @throws DependencyError when S3 or DynamoDB fails (the event is retried, then sent to the
 * function's on-failure destination).
 */
export async function ingestObject(
  location: { bucket: string; key: string },
  deps: { items: ItemStore; objects: ObjectStore },
  options: ObjectIngestOptions,
): Promise<ObjectOutcome> {
  const stream = await deps.objects.openStream(location.bucket, location.key);
  if (stream === undefined) return { kind: 'gone' };
  const tally = new ObjectTally(location, stream.size, options.now);
  const reportKey = rejectReportKey(location.key);
  if (stream.size > options.maxObjectBytes) {
    stream.close();
    const reason = `object is ${stream.size} bytes; the limit (MaxObjectBytes) is ${options.maxObjectBytes}`;
    await deps.objects.putJson(location.bucket, reportKey, tally.report('refused', 'ObjectTooLarge', reason));
    return { kind: 'refused', reason, ...tally.counts() };
  }
  try {
    const { format, entries } = await readObjectReadings(stream.chunks, location.key, options);
    let batch: NormalisedReading[] = [];
    let batchChars = 0;
    const flush = async (throughLine: number) => {
      tally.written(await writeInObjectOrder(batch, deps.items), throughLine);
      batch = [];
      batchChars = 0;
    };
    for await (const entry of entries) {
      tally.lines = entry.line;
      if ('rejected' in entry) tally.reject(entry.rejected);
      else {
        batch.push(entry.reading);
        batchChars += entry.reading.itemKey.length + JSON.stringify(entry.reading.data).length;
      }
      if (batch.length >= BATCH_READINGS || batchChars >= BATCH_CHARS) await flush(entry.line);
    }
    await flush(tally.lines);
    if (tally.rejectedCount > 0)
      await deps.objects.putJson(location.bucket, reportKey, tally.report('complete'));
    else await deps.objects.delete(location.bucket, reportKey);
    return { kind: 'ingested', format, ...tally.counts() };
  } catch (error) {
    stream.close();
    const code = error instanceof PlatformError ? error.code : ((error as Error).name ?? 'Error');
    const report = tally.report('failed', code, (error as Error).message ?? String(error));
    // The report is best effort here: the event's own failure (retry, on-failure queue) must not be masked.
    await deps.objects.putJson(location.bucket, reportKey, report).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a batch keeping the order of each (key, channel): round n holds the n-th reading of every
 * item, so writes of different items run side by side and the same item's never overtake each other.
 */
async function writeInObjectOrder(
  readings: readonly NormalisedReading[],
  items: ItemStore,
): Promise<{ accepted: number; applied: number }> {
  const rounds: NormalisedReading[][] = [];
  const seen = new Map<string, number>();
  for (const reading of readings) {
    const id = `${reading.itemKey}\u0000${reading.channel}`;
    const round = seen.get(id) ?? 0;
    seen.set(id, round + 1);
    const list = rounds[round] ?? [];
    list.push(reading);
    rounds[round] = list;
  }
  let accepted = 0;
  let applied = 0;
  for (const round of rounds) {
    const result = await ingestReadings(round, items);
    accepted += result.accepted;
    applied += result.accepted - result.stale;
  }
  return { accepted, applied };
}

/** What an object has come to so far, and its reject report. */
class ObjectTally {
  lines = 0;
  rejectedCount = 0;
  #accepted = 0;
  #applied = 0;
  /** Every line up to this one is written or listed as rejected. */
  #settledLine = 0;
  readonly #rejected: RejectedLine[] = [];

  constructor(
    private readonly location: { bucket: string; key: string },
    private readonly size: number,
    private readonly now: number,
  ) {}

  reject(line: RejectedLine): void {
    this.rejectedCount++;
    if (this.#rejected.length < MAX_REJECTED_LINES_LISTED) this.#rejected.push(line);
  }

  written(result: { accepted: number; applied: number }, throughLine: number): void {
    this.#accepted += result.accepted;
    this.#applied += result.applied;
    this.#settledLine = throughLine;
  }

  counts(): ObjectCounts {
    return {
      lines: this.lines,
      accepted: this.#accepted,
      applied: this.#applied,
      rejected: this.rejectedCount,
    };
  }

  report(status: ObjectStatus, code?: string, reason?: string): RejectReport {
    return {
      source: 's3',
      ...this.location,
      size: this.size,
      rejectedAt: this.now,
      status,
      accepted: this.#accepted,
      applied: this.#applied,
      lines: this.lines,
      rejectedCount: this.rejectedCount,
      rejected: this.#rejected,
      ...(code === undefined
        ? {}
        : { stoppedAt: { afterLine: this.#settledLine, code, reason: reason ?? code } }),
    };
  }
}
