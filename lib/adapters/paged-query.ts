import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Every item a Query matches, page after page (a page ends at 1 MB; `LastEvaluatedKey` says there is
 * more). SDK errors pass through unmapped: the caller names the operation in its `fromDynamoError`.
 */
export async function* queryItems(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Up to `count` items a Query matches, from `input.ExclusiveStartKey` on, and whether it matched
 * more. Asks for one more than `count` (a filter applies after DynamoDB's `Limit`, so it keeps asking
 * until it has that many or the key ends): the extra item only says there is more and is dropped.
 */
export async function queryUpTo(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  count: number,
): Promise<{ items: Record<string, unknown>[]; more: boolean }> {
  const items: Record<string, unknown>[] = [];
  let startKey = input.ExclusiveStartKey;
  do {
    const page = await client.send(
      new QueryCommand({ ...input, Limit: count + 1 - items.length, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length <= count);
  return { items: items.slice(0, count), more: items.length > count };
}
