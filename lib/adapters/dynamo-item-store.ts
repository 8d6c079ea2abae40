import {
  type DynamoDBDocumentClient,
  GetCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type RealTimeItem, RealTimeItemSchema } from '#contracts/real-time-item.ts';
import { StaleWriteError } from '#core/errors.ts';
import type { ItemPageRequest } from '#core/item-pages.ts';
import { FIRST_POSITION, type NormalisedReading } from '#core/normalise-reading.ts';
import type { ApplyResult, ItemStore } from '#core/ports.ts';
import type { RoomItemStore } from '#core/room-messages.ts';
import type { BidItemStore } from '#core/sales-bids.ts';
import { fromDynamoError } from './dynamo-errors.ts';
import { queryUpTo } from './paged-query.ts';

/** RealTimeData in DynamoDB. Writes are conditional on (`ts`, `position`) (the rule of `ItemStore.applyReading`). */
export class DynamoItemStore implements ItemStore, RoomItemStore, BidItemStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async applyReading(reading: NormalisedReading): Promise<ApplyResult> {
    // Strictly later in (ts, position) only (`ItemStore.applyReading`): disorder and redelivery never
    // overwrite; of two readings with one ts the later in its source wins. Two comparisons, no read.
    return this.applyWhen(
      reading,
      '#ts < :ts OR (#ts = :ts AND #position < :position)',
      {},
      {},
      `apply ${reading.itemKey}/${reading.channel}`,
    );
  }

  /** Writes `reading` only when no item of its key and channel exists (two racing writes: one wins). */
  async createItem(reading: NormalisedReading): Promise<ApplyResult> {
    return this.applyWhen(
      reading,
      'attribute_not_exists(itemKey)',
      {},
      {},
      `create ${reading.itemKey}/${reading.channel}`,
    );
  }

  /**
   * Writes `reading` only when the item is new or its `data.<field>` is below `value` (a bid beats
   * the current one). `ts` plays no part: the amount orders bids. Version +1 as in applyReading.
   */
  async applyIfAbove(reading: NormalisedReading, field: string, value: number): Promise<ApplyResult> {
    // Only a strictly higher value wins; two racing writes cannot both pass.
    return this.applyWhen(
      reading,
      '#data.#field < :value',
      { '#field': field },
      { ':value': value },
      `apply ${reading.itemKey}/${reading.channel} if above`,
    );
  }

  /**
   * Stores `reading` and adds 1 to `version` when the item is new or `condition` holds (its extra
   * names and values beside the written attributes'); a failed condition is `{ applied: false }`.
   */
  private async applyWhen(
    reading: NormalisedReading,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
    what: string,
  ): Promise<ApplyResult> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { itemKey: reading.itemKey, channel: reading.channel },
          // The key attribute (e.g. vehicleId) repeats itemKey so the item reads naturally;
          // version counts applied writes and is what clients order frames by.
          UpdateExpression:
            'SET #keyAttr = :keyValue, #ts = :ts, #position = :position, #data = :data, #source = :source, #receivedAt = :receivedAt, ' +
            `#version = if_not_exists(#version, :zero) + :one${reading.expiresAt === undefined ? '' : ', expiresAt = :expiresAt'}`,
          ConditionExpression: `attribute_not_exists(itemKey) OR ${condition}`,
          ExpressionAttributeNames: {
            '#keyAttr': reading.keyAttribute,
            '#ts': 'ts',
            '#position': 'position',
            '#data': 'data',
            '#source': 'source',
            '#receivedAt': 'receivedAt',
            '#version': 'version',
            ...names,
          },
          ExpressionAttributeValues: {
            ':keyValue': reading.itemKey,
            ':ts': reading.ts,
            ':position': reading.position ?? FIRST_POSITION,
            ':data': reading.data,
            ':source': reading.source,
            ':receivedAt': reading.receivedAt,
            ':zero': 0,
            ':one': 1,
            ...(reading.expiresAt === undefined ? {} : { ':expiresAt': reading.expiresAt }),
            ...values,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return { applied: true, version: Number(result.Attributes?.version) };
    } catch (error) {
      const mapped = fromDynamoError(error, what);
      if (mapped instanceof StaleWriteError) return { applied: false };
      throw mapped;
    }
  }

  /** One item by key and channel (consistent read), or undefined. */
  async getItem(key: string, channel: string): Promise<RealTimeItem | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { itemKey: key, channel }, ConsistentRead: true }),
      );
      return result.Item ? RealTimeItemSchema.parse(result.Item) : undefined;
    } catch (error) {
      throw fromDynamoError(error, `get item ${key}/${channel}`);
    }
  }

  async listItemPage(
    key: string,
    request: ItemPageRequest,
  ): Promise<{ items: RealTimeItem[]; more: boolean }> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: 'itemKey = :key',
      ExpressionAttributeValues: { ':key': key },
      // Consistent: a client syncing right after a write must see it.
      ConsistentRead: true,
      ScanIndexForward: request.newestFirst !== true,
    };
    if (request.afterChannel !== undefined) {
      input.ExclusiveStartKey = { itemKey: key, channel: request.afterChannel };
    }
    if (request.sinceVersion !== undefined) {
      input.FilterExpression = '#version > :since';
      input.ExpressionAttributeNames = { '#version': 'version' };
      input.ExpressionAttributeValues = { ':key': key, ':since': request.sinceVersion };
    }
    try {
      const page = await queryUpTo(this.client, input, request.limit);
      return { items: page.items.map((raw) => RealTimeItemSchema.parse(raw)), more: page.more };
    } catch (error) {
      throw fromDynamoError(error, `list items of ${key}`);
    }
  }
}
