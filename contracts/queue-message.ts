import * as z from './zod.ts';

/**
 * What an SQS message of the ingest queue may carry (after an optional SNS envelope): one reading,
 * `{"readings":[…]}` (contracts/reading.ts), a widget request (contracts/widget-request.ts), or a
 * claim check pointing at the real payload in S3.
 */

/** The JSON SNS wraps a message in when the subscription does not use raw delivery. */
export const SnsEnvelopeSchema = z.looseObject({
  Type: z.literal('Notification'),
  MessageId: z.optional(z.string()),
  TopicArn: z.optional(z.string()),
  Message: z.string(),
});
export type SnsEnvelope = z.output<typeof SnsEnvelopeSchema>;

/** Claim check: the payload is the S3 object; it is deleted once applied. */
export const ClaimCheckSchema = z.strictObject({
  s3: z.strictObject({
    bucket: z.string().check(z.minLength(3), z.maxLength(63)),
    key: z.string().check(z.minLength(1), z.maxLength(1024)),
  }),
});
export type ClaimCheck = z.output<typeof ClaimCheckSchema>;

/** Bytes of a bad line kept in its reject report; longer lines keep their first bytes (`rawTruncated`). */
export const MAX_REJECTED_RAW_BYTES = 8 * 1024;
/** Bad lines listed in one reject report; beyond it only `rejectedCount` grows (the object itself stays). */
export const MAX_REJECTED_LINES_LISTED = 1000;

/** One bad line of an S3 object, in its reject report (`rejected/<key>.json`). */
export const RejectedLineSchema = z.strictObject({
  /** 1-based line (NDJSON, CSV with its header as line 1) or element (JSON array) number. */
  line: z.int().check(z.nonnegative()),
  /** The error code, as `RejectCode` on a dead-lettered message: `ValidationError`, `Forbidden` (an app-owned item), `PayloadTooLarge`, `LineTooLong`, … */
  code: z.string(),
  reason: z.string(),
  /** The line's original text (UTF-8), at most {@link MAX_REJECTED_RAW_BYTES}. */
  raw: z.string(),
  rawTruncated: z.optional(z.literal(true)),
});
export type RejectedLine = z.output<typeof RejectedLineSchema>;

/**
 * How far an object got: `complete` (read to its end), `failed` (stopped part way by an error: the
 * event is retried, then goes to the on-failure queue), `refused` (never read, e.g. above `MaxObjectBytes`).
 */
export const ObjectStatusSchema = z.enum(['complete', 'failed', 'refused']);
export type ObjectStatus = z.output<typeof ObjectStatusSchema>;

/**
 * The reject report of one object, `rejected/<key>.json`: written when a line was rejected or the
 * object did not complete, and removed when a later attempt completes without a reject.
 */
export const RejectReportSchema = z.strictObject({
  source: z.literal('s3'),
  bucket: z.string(),
  key: z.string(),
  /** The object's size in bytes, as read. */
  size: z.int().check(z.nonnegative()),
  rejectedAt: z.int().check(z.nonnegative()),
  status: ObjectStatusSchema,
  /** Good readings written (applied or refused as older than the stored state). */
  accepted: z.int().check(z.nonnegative()),
  /** Of those, readings that changed the stored state. */
  applied: z.int().check(z.nonnegative()),
  /** Lines read (every good, bad and blank line up to where the object stopped). */
  lines: z.int().check(z.nonnegative()),
  rejectedCount: z.int().check(z.nonnegative()),
  /** The first {@link MAX_REJECTED_LINES_LISTED} bad lines. */
  rejected: z.array(RejectedLineSchema),
  /** Why a `failed` or `refused` object stopped, after which line (every line up to it is accounted for). */
  stoppedAt: z.optional(
    z.strictObject({ afterLine: z.int().check(z.nonnegative()), code: z.string(), reason: z.string() }),
  ),
});
export type RejectReport = z.output<typeof RejectReportSchema>;
