import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalTemplate } from '#local/template/model.ts';

/**
 * Sends on-failure destination messages (a discarded stream batch's info) to the template queue
 * `queueLogicalId` when a local service gives it a URL (SQS through fauxqs). Resolves whether the
 * message was sent; without a local queue it resolves false and the caller's log line is all there is.
 * Discards are rare, so each send uses a client of its own (endpoint from `AWS_ENDPOINT_URL_SQS`).
 */
export async function sendToFailureQueue(
  template: LocalTemplate,
  queueLogicalId: string | undefined,
  message: unknown,
  log: (line: string) => void,
): Promise<boolean> {
  if (queueLogicalId === undefined) return false;
  const queueUrl = String(template.resolve({ Ref: queueLogicalId }));
  if (!/^https?:\/\//.test(queueUrl)) return false;
  const client = new SQSClient({ region: template.region });
  try {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    return true;
  } catch (error) {
    log(`on-failure message to ${queueLogicalId} not sent: ${(error as Error).message}`);
    return false;
  } finally {
    client.destroy();
  }
}
