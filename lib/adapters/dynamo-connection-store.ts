import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConnectionStore } from '#core/ports.ts';
import type { ConnectionIdentityStore } from '#core/room-messages.ts';
import { DependencyError } from '#runtime/errors.ts';
import { fromDynamoError } from './dynamo-errors.ts';
import { queryItems } from './paged-query.ts';

/** Sort key of the row that stands for the connection itself. */
const CONNECTION_SK = 'conn';
const subscriptionSk = (key: string) => `sub#${key}`;
/** The row of one subscription; `itemKey` puts it in the byItemKey GSI. */
const subscriptionRow = (input: { connectionId: string; key: string; expiresAt: number }) => ({
  connectionId: input.connectionId,
  sk: subscriptionSk(input.key),
  itemKey: input.key,
  expiresAt: input.expiresAt,
});
/** GSI over subscription rows only (sparse: the connection row has no itemKey). */
const BY_ITEM_KEY_INDEX = 'byItemKey';
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

/**
 * WebSocketConnectionManager in DynamoDB: one `conn` row per connection and one `sub#<key>` row per
 * subscription, found per key through the `byItemKey` GSI (queried, never scanned).
 */
export class DynamoConnectionStore implements ConnectionStore, ConnectionIdentityStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async addConnection(input: {
    connectionId: string;
    key: string;
    connectedAt: number;
    expiresAt: number;
    user?: string;
  }) {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  connectionId: input.connectionId,
                  sk: CONNECTION_SK,
                  connectedAt: input.connectedAt,
                  expiresAt: input.expiresAt,
                  ...(input.user === undefined ? {} : { user: input.user }),
                },
              },
            },
            { Put: { TableName: this.tableName, Item: subscriptionRow(input) } },
          ],
        }),
      );
    } catch (error) {
      throw fromDynamoError(error, `add connection ${input.connectionId}`);
    }
  }

  /** The user recorded on the connection row at $connect; undefined for anonymous or unknown connections. */
  async getConnectionUser(connectionId: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { connectionId, sk: CONNECTION_SK },
          ProjectionExpression: '#user',
          ExpressionAttributeNames: { '#user': 'user' },
          ConsistentRead: true,
        }),
      );
      const user = result.Item?.user;
      return typeof user === 'string' ? user : undefined;
    } catch (error) {
      throw fromDynamoError(error, `get connection ${connectionId}`);
    }
  }

  async addSubscription(input: { connectionId: string; key: string; expiresAt: number }) {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: subscriptionRow(input) }));
    } catch (error) {
      throw fromDynamoError(error, `subscribe ${input.connectionId} to ${input.key}`);
    }
  }

  async removeSubscription(input: { connectionId: string; key: string }) {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { connectionId: input.connectionId, sk: subscriptionSk(input.key) },
        }),
      );
    } catch (error) {
      throw fromDynamoError(error, `unsubscribe ${input.connectionId} from ${input.key}`);
    }
  }

  async removeConnection(connectionId: string) {
    const keys: Array<{ connectionId: string; sk: string }> = [];
    try {
      const rows = queryItems(this.client, {
        TableName: this.tableName,
        KeyConditionExpression: 'connectionId = :id',
        ExpressionAttributeValues: { ':id': connectionId },
        ProjectionExpression: 'connectionId, sk',
      });
      for await (const row of rows) keys.push({ connectionId, sk: String(row.sk) });
      for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
        await this.deleteAll(keys.slice(i, i + BATCH_WRITE_LIMIT));
      }
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw fromDynamoError(error, `remove connection ${connectionId}`);
    }
  }

  /** BatchWrite deletes, retrying UnprocessedItems with backoff; leftovers throw (never dropped). */
  private async deleteAll(keys: Array<{ connectionId: string; sk: string }>) {
    let requests = keys.map((key) => ({ DeleteRequest: { Key: key } }));
    for (let attempt = 0; requests.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new DependencyError(
          `${requests.length} connection rows left unprocessed after ${UNPROCESSED_RETRIES} retries`,
        );
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      const result = await this.client.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
      );
      requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
    }
  }

  async listSubscribers(key: string): Promise<string[]> {
    const connectionIds: string[] = [];
    try {
      const rows = queryItems(this.client, {
        TableName: this.tableName,
        IndexName: BY_ITEM_KEY_INDEX,
        KeyConditionExpression: 'itemKey = :key',
        ExpressionAttributeValues: { ':key': key },
      });
      for await (const row of rows) connectionIds.push(String(row.connectionId));
    } catch (error) {
      throw fromDynamoError(error, `list subscribers of ${key}`);
    }
    return connectionIds;
  }
}
