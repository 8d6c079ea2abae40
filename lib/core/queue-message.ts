import { type ClaimCheck, ClaimCheckSchema, SnsEnvelopeSchema } from '#contracts/queue-message.ts';
import { type WidgetRequest, WidgetRequestSchema } from '#contracts/widget-request.ts';
import { ValidationError } from './errors.ts';
import { parseJsonOrThrow, parseOrThrow } from './issues.ts';
import { type NormalisedReading, type NormaliseOptions, normaliseReadingsBody } from './normalise-reading.ts';

/** What one queue message asks for, validated. */
type QueueCommand =
  | { kind: 'readings'; readings: NormalisedReading[] }
  | { kind: 'widget'; request: WidgetRequest }
  | { kind: 'claimCheck'; claimCheck: ClaimCheck['s3'] };

/** A command that carries its payload (anything but a claim check). */
export type PayloadCommand = Exclude<QueueCommand, { kind: 'claimCheck' }>;

/**
 * Parses the body of an SQS message: JSON, optionally inside an SNS envelope (subscriptions
 * without raw delivery), then a claim check (`{"s3":{…}}`), a widget request (has `type`) or
 * readings (one reading or `{"readings":[…]}`, all-or-nothing like POST /readings).
 * @throws ValidationError naming what is wrong (permanent: the message is dead-lettered).
 */
export function parseQueueMessage(body: string, options: NormaliseOptions): QueueCommand {
  return classifyPayload(unwrapSnsEnvelope(parseJsonOrThrow(body, 'body')), options, true);
}

/**
 * Parses the payload a claim check points at: the same shapes as a message, but never another
 * claim check (a chain of them could loop).
 * @throws ValidationError when the object is not a reading, readings or widget request.
 */
export function parseClaimedPayload(text: string, options: NormaliseOptions): PayloadCommand {
  return classifyPayload(parseJsonOrThrow(text, 'object'), options, false) as PayloadCommand;
}

/** The message SNS wrapped (JSON-decoded), or `value` itself when it is not an SNS envelope. */
export function unwrapSnsEnvelope(value: unknown): unknown {
  const envelope = SnsEnvelopeSchema.safeParse(value);
  if (!envelope.success) return value;
  return parseJsonOrThrow(envelope.data.Message, 'body.Message');
}

function classifyPayload(
  payload: unknown,
  options: NormaliseOptions,
  allowClaimCheck: boolean,
): QueueCommand {
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    if ('s3' in payload) {
      if (!allowClaimCheck) {
        throw new ValidationError('object: a claimed payload may not be another claim check', [
          { path: 'object.s3', message: 'a claimed payload may not be another claim check' },
        ]);
      }
      return { kind: 'claimCheck', claimCheck: parseOrThrow(ClaimCheckSchema, payload, 'message').s3 };
    }
    if ('type' in payload) {
      return { kind: 'widget', request: parseOrThrow(WidgetRequestSchema, payload, 'message') };
    }
  }
  return { kind: 'readings', readings: normaliseReadingsBody(payload, options) };
}
