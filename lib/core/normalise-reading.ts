import * as z from 'zod';
import type { Issue } from '#contracts/error-body.ts';
import { DEFAULT_CHANNEL } from '#contracts/item-key.ts';
import { MAX_READINGS_PER_BATCH, readingSchemaFor } from '#contracts/reading.ts';
import type { ItemData } from '#contracts/real-time-item.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-protocol.ts';
import { ForbiddenError, PayloadTooLargeError, ValidationError } from '#runtime/errors.ts';
import { assertNotAppOwned } from './app-ownership.ts';
import { parseOrThrow } from './issues.ts';
import { assertStorableData } from './storable-data.ts';

/** A reading ready for the conditional write: key resolved, defaults applied. */
export interface NormalisedReading {
  /** Name of the key attribute (the `realTimeItemKey`), stored beside `itemKey`. */
  keyAttribute: string;
  itemKey: string;
  channel: string;
  ts: number;
  source: string;
  data: ItemData;
  receivedAt: number;
  /** When DynamoDB's TTL may remove the item (epoch seconds); absent: the item stays. */
  expiresAt?: number;
}

export interface NormaliseOptions {
  keyAttribute: string;
  source: string;
  now: number;
  /** How far ahead of `now` a source clock may be; a `ts` further ahead would block later writes. */
  maxClockSkewMs?: number;
}

const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Room the frame envelope (`type`, key, channel, version, ts) takes beside `data`. */
const FRAME_ENVELOPE_BYTES = 512;

/**
 * Validates one raw reading and returns it normalised: key as text, `channel` defaulting to
 * `telemetry`, `ts` defaulting to the receive time.
 * @throws ValidationError naming the bad fields (prefix `where`), including `data` nested too deep or
 * with numbers DynamoDB cannot store; PayloadTooLargeError when its frame
 * would exceed API Gateway's 32 KB frame limit; ForbiddenError when it would write an app-owned item
 * (every source normalises here, so every source refuses those the same way).
 */
export function normaliseReading(
  raw: unknown,
  options: NormaliseOptions,
  where = 'reading',
): NormalisedReading {
  // Before the schema: its recursion over `data` must never meet an unbounded depth.
  if (typeof raw === 'object' && raw !== null && 'data' in raw) assertStorableData(raw.data, `${where}.data`);
  const parsed = parseOrThrow(readingSchemaFor(options.keyAttribute), raw, where);
  const itemKey = parsed[options.keyAttribute] as string;
  const channel = parsed.channel ?? DEFAULT_CHANNEL;
  assertNotAppOwned({ itemKey, channel }, where);
  const ts = parsed.ts ?? options.now;
  const maxSkew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (ts > options.now + maxSkew) {
    throw new ValidationError(`${where}.ts: is more than ${maxSkew} ms in the future`, [
      { path: `${where}.ts`, message: `is more than ${maxSkew} ms in the future` },
    ]);
  }
  const size = Buffer.byteLength(JSON.stringify(parsed.data)) + FRAME_ENVELOPE_BYTES;
  if (size > MAX_FRAME_BYTES) {
    throw new PayloadTooLargeError(
      `${where}.data: is ${size} bytes with its frame; the limit is ${MAX_FRAME_BYTES}`,
    );
  }
  return {
    keyAttribute: options.keyAttribute,
    itemKey,
    channel,
    ts,
    source: options.source,
    data: parsed.data,
    receivedAt: options.now,
  };
}

/**
 * Validates a body of one reading or `{"readings":[…]}` and normalises every reading.
 * All-or-nothing: one bad reading fails the request, so a client never has to guess which were kept.
 * @throws ValidationError naming every bad field of every reading; when every reading is well formed,
 * ForbiddenError naming the first one that would write an app-owned item.
 */
export function normaliseReadingsBody(body: unknown, options: NormaliseOptions): NormalisedReading[] {
  if (typeof body !== 'object' || body === null || !('readings' in body)) {
    return [normaliseReading(body, options, 'body')];
  }
  const { readings } = parseOrThrow(ReadingsBatchSchema, body, 'body');
  const normalised: NormalisedReading[] = [];
  const issues: Issue[] = [];
  let forbidden: ForbiddenError | undefined;
  readings.forEach((reading, index) => {
    try {
      normalised.push(normaliseReading(reading, options, `body.readings.${index}`));
    } catch (error) {
      if (error instanceof ForbiddenError) forbidden ??= error;
      else if (error instanceof ValidationError) issues.push(...error.issues);
      else throw error;
    }
  });
  if (issues.length > 0) {
    throw new ValidationError(
      `${issues.length} problem(s) in body.readings; first: ${issues[0]?.path}: ${issues[0]?.message}`,
      issues,
    );
  }
  if (forbidden) throw forbidden;
  return normalised;
}

const ReadingsBatchSchema = z.strictObject({
  readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_BATCH),
});
