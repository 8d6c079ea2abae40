import { z } from 'zod';

/**
 * What an SQS message of the ingest queue may carry (after an optional SNS envelope): one reading,
 * `{"readings":[…]}` (contracts/reading.ts), a widget request (contracts/widget-request.ts), or a
 * claim check pointing at the real payload in S3.
 */

/** The JSON SNS wraps a message in when the subscription does not use raw delivery. */
export const SnsEnvelopeSchema = z.looseObject({
  Type: z.literal('Notification'),
  MessageId: z.string().optional(),
  TopicArn: z.string().optional(),
  Message: z.string(),
});
export type SnsEnvelope = z.output<typeof SnsEnvelopeSchema>;

/** Claim check: the payload is the S3 object; it is deleted once applied. */
export const ClaimCheckSchema = z.strictObject({
  s3: z.strictObject({ bucket: z.string().min(3).max(63), key: z.string().min(1).max(1024) }),
});
export type ClaimCheck = z.output<typeof ClaimCheckSchema>;

/** One bad line of an S3 object, in its reject report (`rejected/<key>.json`). */
export const RejectedLineSchema = z.strictObject({
  /** 1-based line (NDJSON, CSV with its header as line 1) or element (JSON array) number. */
  line: z.number().int().nonnegative(),
  /** The error code, as `RejectCode` on a dead-lettered message: `ValidationError`, `Forbidden` (an app-owned item), … */
  code: z.string(),
  reason: z.string(),
});
export type RejectedLine = z.output<typeof RejectedLineSchema>;

export const RejectReportSchema = z.strictObject({
  bucket: z.string(),
  key: z.string(),
  rejectedAt: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  rejected: z.array(RejectedLineSchema),
});
export type RejectReport = z.output<typeof RejectReportSchema>;
