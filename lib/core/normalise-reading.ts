import type { Issue } from '#contracts/error-body.ts';
import { DEFAULT_CHANNEL } from '#contracts/item-key.ts';
import {
  flatTelemetrySchemaFor,
  isFlatTelemetry,
  MAX_READINGS_PER_BATCH,
  readingSchemaFor,
} from '#contracts/reading.ts';
import type { ItemData } from '#contracts/real-time-item.ts';
import { DEFAULT_MAX_CLOCK_SKEW_MS } from '#contracts/timestamp.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import * as z from '#contracts/zod.ts';
import { assertNotAppOwned } from './app-ownership.ts';
import { ForbiddenError, PayloadTooLargeError, ValidationError } from './errors.ts';
import { parseOrThrow } from './issues.ts';
import { assertStorableData } from './storable-data.ts';

/** A reading ready for the conditional write: key resolved, defaults applied. */
export interface NormalisedReading {
  /** Name of the key attribute (the `realTimeItemKey`), stored beside `itemKey`. */
  keyAttribute: string;
  itemKey: string;
  channel: string;
  ts: number;
  /**
   * Where the reading sits in its source's order, compared as text when two readings of one item
   * carry the same `ts` (`ItemStore.applyReading`): the source unit's own order (a Kinesis sequence
   * number, else empty) and the reading's index within the unit, both fixed-width. Absent (app writes)
   * = `FIRST_POSITION`.
   */
  position?: string;
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
  /**
   * The source's own time for the unit the reading came in (SQS `SentTimestamp`, S3 `eventTime`,
   * Kinesis `ApproximateArrivalTimestamp`, the IoT rule's `timestamp()`, the HTTP request time),
   * epoch ms: a reading without `ts` takes it, so a redelivery of the same unit is a duplicate,
   * never newer. Default `now`.
   */
  sourceTime?: number;
  /** The unit's place in its source's order when the source has one (a Kinesis sequence number). */
  sourceOrder?: string;
  /** How far ahead of `now` a source clock may be; a `ts` further ahead would block later writes. */
  maxClockSkewMs?: number;
}

/** Widths of the parts of `position`: 64 digits hold any Kinesis sequence number, 10 any line number. */
const SOURCE_ORDER_DIGITS = 64;
const INDEX_DIGITS = 10;
/** Room the frame envelope (`type`, key, channel, version, ts) takes beside `data`. */
const FRAME_ENVELOPE_BYTES = 512;

/**
 * Validates one raw reading and returns it normalised: key as text, `channel` defaulting to
 * `telemetry`, `ts` (epoch ms or ISO 8601 with offset) as epoch ms, defaulting to the source's time.
 * A JSON object with `data` is a reading; any other object is flat telemetry (`{"vehicleId":"3",
 * "speed":1}`, channel `telemetry`, every field but key and `ts` a measurement).
 * `index` is the reading's place in its unit (request, message, object line, record): the later of
 * two readings with the same `ts` wins.
 * @throws ValidationError naming the bad fields (prefix `where`), including `data` nested too deep or
 * with numbers DynamoDB cannot store, and a `ts` further in the future than the allowed clock skew;
 * PayloadTooLargeError when its frame would exceed API Gateway's 32 KB frame limit; ForbiddenError
 * when it would write an app-owned item (every source normalises here, so every source refuses those
 * the same way).
 */
export function normaliseReading(
  raw: unknown,
  options: NormaliseOptions,
  where = 'reading',
  index = 0,
): NormalisedReading {
  const { itemKey, channel, ts: sentTs, data } = readShape(raw, options.keyAttribute, where);
  assertNotAppOwned({ itemKey, channel }, where);
  // A source time the event lacked (NaN from a missing attribute) falls back to the receive time.
  const sourceTime = Number.isSafeInteger(options.sourceTime) ? (options.sourceTime as number) : options.now;
  const ts = sentTs ?? sourceTime;
  const maxSkew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (ts > options.now + maxSkew) {
    const message = `is more than ${maxSkew} ms ahead of the platform's clock (${new Date(options.now).toISOString()})`;
    throw new ValidationError(`${where}.ts: ${message}`, [{ path: `${where}.ts`, message }]);
  }
  const size = Buffer.byteLength(JSON.stringify(data)) + FRAME_ENVELOPE_BYTES;
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
    position: positionOf(options.sourceOrder, index),
    source: options.source,
    data,
    receivedAt: options.now,
  };
}

/** `position` of the reading at `index` of a unit whose source order is `sourceOrder`. */
export function positionOf(sourceOrder: string | undefined, index: number): string {
  return (sourceOrder ?? '').padStart(SOURCE_ORDER_DIGITS, '0') + String(index).padStart(INDEX_DIGITS, '0');
}

/** The position of the first reading of a unit without source order. */
export const FIRST_POSITION = positionOf(undefined, 0);

/** A reading or flat telemetry, validated, in one shape. */
function readShape(
  raw: unknown,
  keyAttribute: string,
  where: string,
): { itemKey: string; channel: string; ts: number | undefined; data: ItemData } {
  if (isFlatTelemetry(raw)) {
    // Before the schema: its recursion must never meet an unbounded depth.
    assertStorableData(raw, where);
    const parsed = parseOrThrow(flatTelemetrySchemaFor(keyAttribute), raw, where);
    const { [keyAttribute]: itemKey, ts, channel: _channel, ...measurements } = parsed;
    if (Object.keys(measurements).length === 0) {
      throw new ValidationError(`${where}: carries no measurement`, [
        { path: where, message: 'carries no measurement' },
      ]);
    }
    return { itemKey: itemKey as string, channel: DEFAULT_CHANNEL, ts, data: measurements as ItemData };
  }
  if (typeof raw === 'object' && raw !== null && 'data' in raw) assertStorableData(raw.data, `${where}.data`);
  const parsed = parseOrThrow(readingSchemaFor(keyAttribute), raw, where);
  return {
    itemKey: parsed[keyAttribute] as string,
    channel: parsed.channel ?? DEFAULT_CHANNEL,
    ts: parsed.ts,
    data: parsed.data,
  };
}

/**
 * Validates a body of readings in any shape of `readingsBodySchemaFor` (one reading, flat telemetry,
 * `{"readings":[…]}` or a bare array) and normalises every reading, each with its index as position.
 * All-or-nothing: one bad reading fails the request, so a client never has to guess which were kept.
 * @throws ValidationError naming every bad field of every reading; when every reading is well formed,
 * ForbiddenError naming the first one that would write an app-owned item.
 */
export function normaliseReadingsBody(body: unknown, options: NormaliseOptions): NormalisedReading[] {
  const list = Array.isArray(body);
  if (!list && (typeof body !== 'object' || body === null)) {
    throw new ValidationError(`body: ${BODY_SHAPES}`, [{ path: 'body', message: BODY_SHAPES }]);
  }
  if (!list && !('readings' in body)) return [normaliseReading(body, options, 'body')];
  const { readings } = list
    ? { readings: parseOrThrow(ReadingsListSchema, body, 'body') }
    : parseOrThrow(ReadingsBatchSchema, body, 'body');
  const at = list ? 'body' : 'body.readings';
  const normalised: NormalisedReading[] = [];
  const issues: Issue[] = [];
  let forbidden: ForbiddenError | undefined;
  readings.forEach((reading, index) => {
    try {
      normalised.push(normaliseReading(reading, options, `${at}.${index}`, index));
    } catch (error) {
      if (error instanceof ForbiddenError) forbidden ??= error;
      else if (error instanceof ValidationError) issues.push(...error.issues);
      else throw error;
    }
  });
  if (issues.length > 0) {
    throw new ValidationError(
      `${issues.length} problem(s) in ${at}; first: ${issues[0]?.path}: ${issues[0]?.message}`,
      issues,
    );
  }
  if (forbidden) throw forbidden;
  return normalised;
}

const BODY_SHAPES = 'must be a reading, flat telemetry, {"readings":[…]} or an array of readings';
const ReadingsListSchema = z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_READINGS_PER_BATCH));
const ReadingsBatchSchema = z.strictObject({ readings: ReadingsListSchema });
