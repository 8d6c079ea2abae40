import { randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localArn } from '#local/template/local-identity.ts';
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

/**
 * Lambda's on-failure destination record of an asynchronous invocation that exhausted its retries:
 * the event itself (`requestPayload`) and the last error.
 */
export function asyncInvocationFailure(options: {
  region: string;
  functionLogicalId: string;
  attempts: number;
  event: unknown;
  error: unknown;
}): Record<string, unknown> {
  const failure = options.error instanceof Error ? options.error : new Error(String(options.error));
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: localArn('lambda', `function:${options.functionLogicalId}:$LATEST`, options.region),
      condition: 'RetriesExhausted',
      approximateInvokeCount: options.attempts,
    },
    requestPayload: options.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: failure.name, errorMessage: failure.message },
  };
}
