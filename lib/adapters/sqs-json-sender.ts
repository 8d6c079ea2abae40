import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyError } from '#core/errors.ts';

/**
 * Sends JSON messages to one SQS queue (SalesUpdatesQueue, JobsQueue). The `send(message)` shape
 * fits the core's `SalesUpdateSender` and `JobQueue` ports.
 */
export class SqsJsonSender<T> {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** @throws DependencyError when SQS refuses or is unreachable. */
  async send(message: T): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name;
      throw new DependencyError(`send to ${this.queueUrl}: SQS failed (${name ?? 'unknown error'})`, {
        cause: error,
      });
    }
  }
}
