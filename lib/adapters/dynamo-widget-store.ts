import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { WidgetDataSchema } from '#contracts/widget-request.ts';
import { DependencyError } from '#core/errors.ts';
import { parseOrThrow } from '#core/issues.ts';
import type { StoredWidget, WidgetStore, WidgetWrite } from '#core/widget-requests.ts';
import { fromDynamoError } from './dynamo-errors.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Widgets in RealTimeData (item `owner` / `widget#<id>`) plus the applied request ids in the
 * idempotency table. A write and its request-id row go in one transaction, so a request is applied
 * exactly once even when two deliveries race: the loser's transaction is cancelled on the id row.
 * Chosen over Powertools idempotency, whose record and the write are two steps (a crash between
 * them either blocks the request until the record expires or lets it apply twice).
 */
export class DynamoWidgetStore implements WidgetStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: { items: string; requests: string },
    /** How long an applied request id is remembered (duplicates later than that apply again). */
    private readonly requestTtlSeconds: number,
  ) {}

  async wasApplied(requestId: string): Promise<boolean> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tables.requests, Key: { requestId }, ConsistentRead: true }),
      );
      return result.Item !== undefined;
    } catch (error) {
      throw fromDynamoError(error, `read request ${requestId}`);
    }
  }

  async getWidget(itemKey: string, channel: string): Promise<StoredWidget | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tables.items, Key: { itemKey, channel }, ConsistentRead: true }),
      );
      item = result.Item;
    } catch (error) {
      throw fromDynamoError(error, `get widget ${itemKey}/${channel}`);
    }
    if (!item) return undefined;
    return {
      ts: Number(item.ts),
      version: Number(item.version),
      data: parseOrThrow(WidgetDataSchema, item.data, `stored ${channel}`),
    };
  }

  async apply(
    write: WidgetWrite,
    requestId: string,
    source: { keyAttribute: string; receivedAt: number },
  ): Promise<'applied' | 'duplicate'> {
    const requestRow: TransactItem = {
      Put: {
        TableName: this.tables.requests,
        Item: {
          requestId,
          itemKey: write.itemKey,
          channel: write.channel,
          appliedAt: source.receivedAt,
          expiresAt: Math.floor(source.receivedAt / 1000) + this.requestTtlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(requestId)',
      },
    };
    const itemWrite: TransactItem =
      write.kind === 'put'
        ? {
            Put: {
              TableName: this.tables.items,
              Item: {
                itemKey: write.itemKey,
                channel: write.channel,
                [source.keyAttribute]: write.itemKey,
                ts: write.ts,
                version: write.version,
                source: 'queue',
                data: write.data,
                receivedAt: source.receivedAt,
              },
              // Planned against version - 1: a concurrent change makes the plan stale (retried).
              ...(write.version === 1
                ? { ConditionExpression: 'attribute_not_exists(itemKey)' }
                : {
                    ConditionExpression: '#version = :expected',
                    ExpressionAttributeNames: { '#version': 'version' },
                    ExpressionAttributeValues: { ':expected': write.version - 1 },
                  }),
            },
          }
        : {
            Delete: {
              TableName: this.tables.items,
              Key: { itemKey: write.itemKey, channel: write.channel },
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': write.expectedVersion },
            },
          };
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: [requestRow, itemWrite] }));
      return 'applied';
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if (reasons?.[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      if (reasons?.[1]?.Code === 'ConditionalCheckFailed') {
        throw new DependencyError(`widget ${write.itemKey}/${write.channel} changed meanwhile`, {
          cause: error,
        });
      }
      throw fromDynamoError(error, `apply request ${requestId}`);
    }
  }
}
