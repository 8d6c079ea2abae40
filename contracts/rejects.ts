/**
 * How a rejected input is kept: one SQS message per reject in its source's reject destination, the
 * body the original payload (UTF-8 text; base64 when the bytes are not text, with `BodyEncoding`),
 * the reason and where it came from as message attributes. S3 objects keep theirs in reject
 * reports (`rejected/<key>.json`, contracts/queue-message.ts). The same shape on every source, so
 * `rtp rejects` lists and replays them all alike.
 */

/** Message attributes of a reject. */
export const REJECT_CODE_ATTRIBUTE = 'RejectCode';
export const REJECT_REASON_ATTRIBUTE = 'RejectReason';
/** The source the input came from: one of {@link REJECT_SOURCES}. */
export const REJECT_SOURCE_ATTRIBUTE = 'Source';
/** `base64` when the body is the base64 of bytes that are not UTF-8 text; absent otherwise. */
export const REJECT_BODY_ENCODING_ATTRIBUTE = 'BodyEncoding';

/**
 * Every source with a reject destination, and the `/health` resource that names it (the template's
 * Outputs carry the same queues). Replay (`rtp rejects --replay`) sends the kept bytes back the way
 * they came: `mqtt` republished to the message's `Topic`, `kinesis` put on the stream with its
 * `PartitionKey`, `queue` sent to the ingest queue; `s3` reports are listed, not replayed (put the
 * object again).
 */
export const REJECT_SOURCES = {
  mqtt: { resource: 'iotTelemetryRejectQueueUrl', kind: 'queue' },
  kinesis: { resource: 'kinesisTelemetryRejectQueueUrl', kind: 'queue' },
  queue: { resource: 'ingestDeadLetterQueueUrl', kind: 'queue' },
  s3: { resource: 'ingestBucket', kind: 'reports' },
} as const;
export type RejectSource = keyof typeof REJECT_SOURCES;
