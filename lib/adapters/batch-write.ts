import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyError } from '#core/errors.ts';

/** DynamoDB's BatchWriteItem limit: requests per call. */
const BATCH_WRITE_LIMIT = 25;
/** Retries of the requests a call left unprocessed (throttling) before the write fails. */
const UNPROCESSED_RETRIES = 5;

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Every request written, 25 per BatchWriteItem, retrying UnprocessedItems with backoff; what is still
 * left after the retries throws a DependencyError naming `what` (never dropped). SDK errors pass
 * through unmapped: the caller names the operation in its `fromDynamoError`.
 */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: WriteRequest[],
  what: string,
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    let pending = requests.slice(i, i + BATCH_WRITE_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new DependencyError(
          `${pending.length} ${what} left unprocessed after ${UNPROCESSED_RETRIES} retries`,
        );
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
}
