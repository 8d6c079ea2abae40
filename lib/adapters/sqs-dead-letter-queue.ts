import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  REJECT_BODY_ENCODING_ATTRIBUTE,
  REJECT_CODE_ATTRIBUTE,
  REJECT_REASON_ATTRIBUTE,
  REJECT_SOURCE_ATTRIBUTE,
} from '#contracts/rejects.ts';
import { DependencyError } from '#core/errors.ts';
import type { RejectDestination, RejectedInput } from '#core/ingest-ports.ts';

/** SQS message attribute values are limited to 256 KB in total; a reason never needs that much. */
const MAX_REASON_CHARS = 1024;

/** Characters SQS accepts in a message body (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | astral). */
const SQS_BODY_TEXT = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * A reject destination on SQS (a source's reject queue, a queue's dead-letter queue), written
 * directly for inputs that can never apply: the original bytes as the body, with the reason and the
 * source as message attributes (`RejectCode`, `RejectReason`, `Source`, the source's ids) —
 * something SQS's own redrive cannot say — and without waiting out maxReceiveCount visibility
 * timeouts. Bytes that are not UTF-8 text SQS can carry are sent as base64 (`BodyEncoding=base64`).
 */
export class SqsDeadLetterQueue implements RejectDestination {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** @throws DependencyError when SQS refuses or is unreachable (retryable: the input is not lost). */
  async reject(input: RejectedInput, reason: { code: string; message: string }): Promise<void> {
    const body = messageBody(input.payload);
    const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    const ids = Object.entries(input.ids).filter(([, value]) => value !== '');
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: body.text,
          MessageAttributes: {
            [REJECT_CODE_ATTRIBUTE]: text(reason.code),
            [REJECT_REASON_ATTRIBUTE]: text(reason.message.slice(0, MAX_REASON_CHARS)),
            [REJECT_SOURCE_ATTRIBUTE]: text(input.source),
            ...(body.base64 ? { [REJECT_BODY_ENCODING_ATTRIBUTE]: text('base64') } : {}),
            ...Object.fromEntries(ids.map(([name, value]) => [name, text(value)])),
          },
        }),
      );
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name;
      const where = Object.values(input.ids).join(' ');
      throw new DependencyError(`reject ${input.source} ${where}: SQS failed (${name ?? 'unknown error'})`, {
        cause: error,
      });
    }
  }
}

/** The payload as SQS body text: as is when it is text SQS can carry, base64 otherwise (an empty body too). */
function messageBody(payload: string | Uint8Array): { text: string; base64: boolean } {
  let text: string | undefined;
  if (typeof payload === 'string') text = payload;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch {
      text = undefined;
    }
  }
  if (text !== undefined && text !== '' && SQS_BODY_TEXT.test(text)) return { text, base64: false };
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  // SQS refuses an empty body: base64 of nothing is still empty, so a marker says so.
  return { text: bytes.length === 0 ? '=' : bytes.toString('base64'), base64: true };
}
