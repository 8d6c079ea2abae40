import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ActionCounter } from '#core/connection-limits.ts';
import { DependencyError, LimitExceededError, NotFoundError } from '#core/errors.ts';
import type { ExpiringConnectionStore } from '#core/expired-connections.ts';
import type { Subscriber } from '#core/plan-fanout.ts';
import type { ConnectionStore } from '#core/ports.ts';
import type { ConnectionIdentityStore } from '#core/room-messages.ts';
import { batchWriteAll } from './batch-write.ts';
import { fromDynamoError } from './dynamo-errors.ts';
import { queryItems } from './paged-query.ts';

/** Sort key of the row that stands for the connection itself. */
const CONNECTION_SK = 'conn';
const subscriptionSk = (key: string) => `sub#${key}`;
/**
 * The row of one subscription; `itemKey` puts it in the byItemKey GSI. `singleFrames` (only on
 * connections that asked `?batch=false`) is projected into the GSI, so the fan-out learns each
 * subscriber's framing from the one query that finds it.
 */
const subscriptionRow = (input: {
  connectionId: string;
  key: string;
  expiresAt: number;
  batch?: boolean;
}) => ({
  connectionId: input.connectionId,
  sk: subscriptionSk(input.key),
  itemKey: input.key,
  expiresAt: input.expiresAt,
  ...(input.batch === false ? { singleFrames: true } : {}),
});
/** GSI over subscription rows only (sparse: the connection row has no itemKey). */
const BY_ITEM_KEY_INDEX = 'byItemKey';
/** GSI over connection rows with a token `exp` only, by the minute it falls in. */
const BY_EXPIRY_INDEX = 'byExpiry';
/** Attempts of the rate counter when another invocation starts the same window at the same time. */
const COUNTER_ATTEMPTS = 3;

/** The `Code` of each cancelled part of a transaction (TransactionCanceledException). */
function cancellationCodes(error: unknown): Array<string | undefined> {
  const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
  return (reasons ?? []).map((reason) => reason.Code);
}
const isConditionFailure = (error: unknown) =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';

/**
 * WebSocketConnectionManager in DynamoDB: one `conn` row per connection and one `sub#<key>` row per
 * subscription, found per key through the `byItemKey` GSI (queried, never scanned). The `conn` row
 * also counts the connection's subscriptions (`subscriptions`, kept in step by transactions) and
 * its actions in the current rate window (`rateWindow`, `actions`).
 */
export class DynamoConnectionStore
  implements ConnectionStore, ConnectionIdentityStore, ActionCounter, ExpiringConnectionStore
{
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async addConnection(input: Parameters<ConnectionStore['addConnection']>[0]) {
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
                  subscriptions: 1,
                  ...(input.user === undefined ? {} : { user: input.user }),
                  ...(input.batch === false ? { singleFrames: true } : {}),
                  // Puts the row in the sparse byExpiry index the expiry sweeper queries.
                  ...(input.tokenExpiresAt === undefined
                    ? {}
                    : { expiryMinute: Math.floor(input.tokenExpiresAt / 60) }),
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
    const user = await this.connectionAttribute(connectionId, 'user');
    return typeof user === 'string' ? user : undefined;
  }

  /**
   * The framing chosen at $connect, read once per subscribe (not per post) so the new subscription
   * row carries it; a connection without a row batches (the transaction then finds it gone).
   */
  private async connectionBatches(connectionId: string): Promise<boolean> {
    return (await this.connectionAttribute(connectionId, 'singleFrames')) !== true;
  }

  /** One attribute of the connection row (consistent read: it was written by $connect just now). */
  private async connectionAttribute(connectionId: string, name: string): Promise<unknown> {
    try {
      const result = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { connectionId, sk: CONNECTION_SK },
          ProjectionExpression: '#attribute',
          ExpressionAttributeNames: { '#attribute': name },
          ConsistentRead: true,
        }),
      );
      return result.Item?.[name];
    } catch (error) {
      throw fromDynamoError(error, `get connection ${connectionId}`);
    }
  }

  /**
   * Adds the subscription and counts it on the connection row in one transaction; subscribing again
   * to the same key only refreshes its expiry.
   * @throws LimitExceededError when the connection already holds `maxSubscriptions`;
   * NotFoundError when the connection has no row (it is gone).
   */
  async addSubscription(input: Parameters<ConnectionStore['addSubscription']>[0]) {
    const { connectionId, key, maxSubscriptions } = input;
    const batch = await this.connectionBatches(connectionId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: subscriptionRow({ ...input, batch }),
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { connectionId, sk: CONNECTION_SK },
                UpdateExpression: 'ADD subscriptions :one',
                ConditionExpression:
                  maxSubscriptions === undefined
                    ? 'attribute_exists(connectionId)'
                    : 'attribute_exists(connectionId) AND (attribute_not_exists(subscriptions) OR subscriptions < :max)',
                ExpressionAttributeValues: {
                  ':one': 1,
                  ...(maxSubscriptions === undefined ? {} : { ':max': maxSubscriptions }),
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
    } catch (error) {
      const [subscription, connection] = cancellationCodes(error);
      if (subscription === 'ConditionalCheckFailed') return this.refreshSubscription(input);
      if (connection === 'ConditionalCheckFailed') {
        const reasons = (error as { CancellationReasons?: Array<{ Item?: unknown }> }).CancellationReasons;
        if (reasons?.[1]?.Item === undefined) throw new NotFoundError(`connection ${connectionId} is gone`);
        throw new LimitExceededError(
          `a connection may hold ${maxSubscriptions} subscriptions; unsubscribe from one first`,
        );
      }
      throw fromDynamoError(error, `subscribe ${connectionId} to ${key}`);
    }
  }

  /** An existing subscription: a new expiry, the count unchanged. */
  private async refreshSubscription(input: { connectionId: string; key: string; expiresAt: number }) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { connectionId: input.connectionId, sk: subscriptionSk(input.key) },
          UpdateExpression: 'SET expiresAt = :expiresAt',
          ExpressionAttributeValues: { ':expiresAt': input.expiresAt },
        }),
      );
    } catch (error) {
      throw fromDynamoError(error, `subscribe ${input.connectionId} to ${input.key}`);
    }
  }

  /** Removes the subscription and uncounts it in one transaction; not subscribed is not an error. */
  async removeSubscription(input: { connectionId: string; key: string }) {
    const { connectionId, key } = input;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: { connectionId, sk: subscriptionSk(key) },
                ConditionExpression: 'attribute_exists(sk)',
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { connectionId, sk: CONNECTION_SK },
                UpdateExpression: 'ADD subscriptions :minusOne',
                ConditionExpression: 'attribute_exists(connectionId)',
                ExpressionAttributeValues: { ':minusOne': -1 },
              },
            },
          ],
        }),
      );
    } catch (error) {
      const [subscription, connection] = cancellationCodes(error);
      if (subscription === 'ConditionalCheckFailed') return;
      if (connection !== 'ConditionalCheckFailed')
        throw fromDynamoError(error, `unsubscribe ${connectionId} from ${key}`);
      // The connection row is gone (expired): nothing to count, only the row to remove.
      try {
        await this.client.send(
          new DeleteCommand({ TableName: this.tableName, Key: { connectionId, sk: subscriptionSk(key) } }),
        );
      } catch (deleteError) {
        throw fromDynamoError(deleteError, `unsubscribe ${connectionId} from ${key}`);
      }
    }
  }

  /**
   * One conditional write in the common case: count up within the current window; when the row
   * still holds an older window, start the new one at 1 (conditional too, so two invocations
   * starting it at once do not both reset it; the loser counts up on its next attempt).
   */
  async countAction(connectionId: string, start: number): Promise<number | undefined> {
    const Key = { connectionId, sk: CONNECTION_SK };
    let windowStart = start;
    for (let attempt = 0; attempt < COUNTER_ATTEMPTS; attempt += 1) {
      try {
        const counted = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'ADD actions :one',
            ConditionExpression: 'rateWindow = :window',
            ExpressionAttributeValues: { ':one': 1, ':window': windowStart },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return Number(counted.Attributes?.actions);
      } catch (error) {
        if (!isConditionFailure(error)) throw fromDynamoError(error, `count action of ${connectionId}`);
      }
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET rateWindow = :window, actions = :one',
            ConditionExpression:
              'attribute_exists(connectionId) AND (attribute_not_exists(rateWindow) OR rateWindow < :window)',
            ExpressionAttributeValues: { ':one': 1, ':window': windowStart },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 1;
      } catch (error) {
        if (!isConditionFailure(error)) throw fromDynamoError(error, `count action of ${connectionId}`);
        const row = (error as { Item?: Record<string, unknown> }).Item;
        if (row === undefined) return undefined;
        // Another invocation already started a later window (this one read the clock just before the
        // boundary, or its clock is behind): the action counts in that window.
        const current = numberAttribute(row.rateWindow);
        if (Number.isFinite(current) && current > windowStart) windowStart = current;
      }
    }
    throw new DependencyError(`count action of ${connectionId}: window ${windowStart} kept changing`);
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
      const deletes = keys.map((key) => ({ DeleteRequest: { Key: key } }));
      await batchWriteAll(this.client, this.tableName, deletes, 'connection rows');
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw fromDynamoError(error, `remove connection ${connectionId}`);
    }
  }

  async listSubscribers(key: string): Promise<Subscriber[]> {
    const subscribers: Subscriber[] = [];
    try {
      const rows = queryItems(this.client, {
        TableName: this.tableName,
        IndexName: BY_ITEM_KEY_INDEX,
        KeyConditionExpression: 'itemKey = :key',
        ExpressionAttributeValues: { ':key': key },
      });
      for await (const row of rows) {
        subscribers.push({ connectionId: String(row.connectionId), batch: row.singleFrames !== true });
      }
    } catch (error) {
      throw fromDynamoError(error, `list subscribers of ${key}`);
    }
    return subscribers;
  }

  /** One query per minute of the range; each minute is one partition of the byExpiry index. */
  async listExpiringConnections(fromMinute: number, toMinute: number) {
    const found: Array<{ connectionId: string; expiresAt: number }> = [];
    try {
      for (let minute = fromMinute; minute <= toMinute; minute += 1) {
        const rows = queryItems(this.client, {
          TableName: this.tableName,
          IndexName: BY_EXPIRY_INDEX,
          KeyConditionExpression: 'expiryMinute = :minute',
          ExpressionAttributeValues: { ':minute': minute },
        });
        for await (const row of rows) {
          found.push({ connectionId: String(row.connectionId), expiresAt: Number(row.expiresAt) });
        }
      }
    } catch (error) {
      throw fromDynamoError(error, `list connections expiring in minutes ${fromMinute}-${toMinute}`);
    }
    return found;
  }
}

/**
 * A number attribute of an item an SDK error carries (`ReturnValuesOnConditionCheckFailure`): the
 * document client leaves those in DynamoDB's wire form (`{ N: "…" }`).
 */
function numberAttribute(value: unknown): number {
  if (typeof value === 'object' && value !== null && 'N' in value) return Number((value as { N: unknown }).N);
  return Number(value);
}
