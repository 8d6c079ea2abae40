import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { REJECT_CODE_ATTRIBUTE, REJECT_REASON_ATTRIBUTE } from '#contracts/queue-message.ts';
import type { DeadLetterQueue } from '#core/ingest-ports.ts';
import { DependencyError } from '#runtime/errors.ts';

/** SQS message attribute values are limited to 256 KB in total; a reason never needs that much. */
const MAX_REASON_CHARS = 1024;

/**
 * The ingest queue's dead-letter queue, written directly for messages that can never apply: the
 * original body, with the reason as message attributes (`RejectCode`, `RejectReason`) — something
 * SQS's own redrive cannot say — and without waiting out maxReceiveCount visibility timeouts.
 */
export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async reject(
    message: { body: string; messageId: string },
    reason: { code: string; message: string },
  ): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: message.body,
          MessageAttributes: {
            [REJECT_CODE_ATTRIBUTE]: { DataType: 'String', StringValue: reason.code },
            [REJECT_REASON_ATTRIBUTE]: {
              DataType: 'String',
              StringValue: reason.message.slice(0, MAX_REASON_CHARS),
            },
            SourceMessageId: { DataType: 'String', StringValue: message.messageId },
          },
        }),
      );
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name;
      throw new DependencyError(`dead-letter ${message.messageId}: SQS failed (${name ?? 'unknown error'})`, {
        cause: error,
      });
    }
  }
}
