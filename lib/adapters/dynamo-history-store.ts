import { type DynamoDBDocumentClient, GetCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Seq } from '#contracts/seq.ts';
import { DependencyError } from '#core/errors.ts';
import {
  type ChannelRequest,
  channelTimeKey,
  type HistoryRow,
  type HistoryStore,
  padSeq,
  unpadSeq,
} from '#core/history.ts';
import type { Clock } from '#core/ports.ts';
import { batchWriteAll } from './batch-write.ts';
import { fromDynamoError } from './dynamo-errors.ts';
import { queryUpTo } from './paged-query.ts';

/** The table's local secondary index: one channel of a key by event time (see channelTimeKey). */
const BY_CHANNEL_TIME_INDEX = 'byChannelTime';
/** Sorts after every digit: the upper end of a channel's (or a ts's) range of channel-time keys. */
const AFTER_DIGITS = '~';

/**
 * ItemHistoryTable in DynamoDB: partition `itemKey`, sort `seq` zero-padded (padSeq), LSI
 * `byChannelTime`. TTL deletes expired rows up to days late, so every read also leaves out rows past
 * `expiresAt` by `clock`.
 */
export class DynamoHistoryStore implements HistoryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async putRows(rows: HistoryRow[]): Promise<void> {
    // One request may not name a key twice; a batch holding one record twice writes the same row.
    const unique = [...new Map(rows.map((row) => [`${row.key}\n${row.seq}`, row])).values()];
    try {
      const puts = unique.map((row) => ({ PutRequest: { Item: toStored(row) } }));
      await batchWriteAll(this.client, this.tableName, puts, 'history rows');
    } catch (error) {
      if (error instanceof DependencyError) throw error;
      throw fromDynamoError(error, `write ${unique.length} history rows`);
    }
  }

  async getRow(key: string, seq: Seq): Promise<HistoryRow | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { itemKey: key, seq: padSeq(seq) },
          ConsistentRead: true,
        }),
      );
      const row = Item ? fromStored(Item) : undefined;
      return row && this.isLive(row) ? row : undefined;
    } catch (error) {
      throw fromDynamoError(error, `get history ${key}/${seq}`);
    }
  }

  async listAfter(key: string, after: Seq, limit: number) {
    return this.query(
      {
        KeyConditionExpression: 'itemKey = :key AND seq > :after',
        ExpressionAttributeValues: { ':key': key, ':after': padSeq(after) },
      },
      limit,
      `list history of ${key} after ${after}`,
    );
  }

  async listChannel(key: string, request: ChannelRequest) {
    const { channel, start } = request;
    return this.query(
      {
        IndexName: BY_CHANNEL_TIME_INDEX,
        KeyConditionExpression: 'itemKey = :key AND channelTs BETWEEN :low AND :high',
        ExpressionAttributeValues: {
          ':key': key,
          ':low':
            request.from === undefined ? channelTimeKey(channel) : channelTimeKey(channel, request.from),
          ':high': `${request.to === undefined ? channelTimeKey(channel) : channelTimeKey(channel, request.to)}${AFTER_DIGITS}`,
        },
        ...(start === undefined
          ? {}
          : {
              ExclusiveStartKey: {
                itemKey: key,
                seq: padSeq(start.seq),
                channelTs: channelTimeKey(channel, start.ts, start.seq),
              },
            }),
        ...(request.newestFirst ? { ScanIndexForward: false } : {}),
      },
      request.limit,
      `list history of ${key}/${channel}`,
    );
  }

  async findChange(key: string, channel: string, ts: number, version: number) {
    const { rows } = await this.query(
      {
        IndexName: BY_CHANNEL_TIME_INDEX,
        KeyConditionExpression: 'itemKey = :key AND begins_with(channelTs, :prefix)',
        FilterExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':key': key,
          ':prefix': channelTimeKey(channel, ts),
          ':version': version,
        },
      },
      1,
      `find history of ${key}/${channel} v${version}`,
    );
    return rows[0];
  }

  async newestSeq(key: string): Promise<Seq | undefined> {
    const { rows } = await this.query(
      {
        KeyConditionExpression: 'itemKey = :key',
        ExpressionAttributeValues: { ':key': key },
        ScanIndexForward: false,
      },
      1,
      `newest history of ${key}`,
    );
    return rows[0]?.seq;
  }

  /** A consistent Query of live rows (expiresAt still ahead), up to `limit`, and whether more match. */
  private async query(
    input: Omit<QueryCommandInput, 'TableName'>,
    limit: number,
    what: string,
  ): Promise<{ rows: HistoryRow[]; more: boolean }> {
    const live = 'expiresAt > :now';
    try {
      const page = await queryUpTo(
        this.client,
        {
          ...input,
          TableName: this.tableName,
          // Consistent: a sync right after a change must find the row the writer just put.
          ConsistentRead: true,
          FilterExpression: input.FilterExpression ? `(${input.FilterExpression}) AND ${live}` : live,
          ExpressionAttributeValues: {
            ...input.ExpressionAttributeValues,
            ':now': Math.floor(this.clock.now() / 1000),
          },
        },
        limit,
      );
      return { rows: page.items.map(fromStored), more: page.more };
    } catch (error) {
      throw fromDynamoError(error, what);
    }
  }

  private isLive(row: HistoryRow): boolean {
    return row.expiresAt > Math.floor(this.clock.now() / 1000);
  }
}

function toStored(row: HistoryRow): Record<string, unknown> {
  return {
    itemKey: row.key,
    seq: padSeq(row.seq),
    channelTs: channelTimeKey(row.channel, row.ts, row.seq),
    channel: row.channel,
    version: row.version,
    ts: row.ts,
    ...(row.removed ? { removed: true } : { data: row.data ?? {} }),
    appliedAt: row.appliedAt,
    expiresAt: row.expiresAt,
  };
}

function fromStored(item: Record<string, unknown>): HistoryRow {
  const common = {
    key: String(item.itemKey),
    seq: unpadSeq(String(item.seq)),
    channel: String(item.channel),
    version: Number(item.version),
    ts: Number(item.ts),
    appliedAt: Number(item.appliedAt),
    expiresAt: Number(item.expiresAt),
  };
  return item.removed === true
    ? { ...common, removed: true }
    : { ...common, data: (item.data ?? {}) as HistoryRow['data'] };
}
