import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  ResourceNotFoundException,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  DynamoDBRecord,
  DynamoDBStreamEvent,
  AttributeValue as LambdaAttributeValue,
  StreamRecord,
} from 'aws-lambda';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { StreamEventSourceModel } from '#local/template/model.ts';
import {
  batchFailureEnvelope,
  type DiscardedBatch,
  type ShardDescription,
  ShardPoller,
  type ShardPollerStats,
  type ShardReader,
} from './shard-poller.ts';

/** GetRecords returns at most 1000 records per call; larger batches are filled over several calls. */
const MAX_GET_RECORDS_LIMIT = 1000;

/**
 * What Lambda sends to an on-failure destination when a stream batch is discarded
 * (the `DDBStreamBatchInfo` message). The records themselves are not included: as on AWS, a consumer
 * reads them from the stream with the sequence numbers.
 */
export interface StreamBatchFailure extends ReturnType<typeof batchFailureEnvelope> {
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** Local extras handed to `onFailure` next to the destination message. */
export interface StreamBatchFailureDetails {
  /** The discarded records, in the shape the function received them. */
  records: DynamoDBRecord[];
  /** What the last attempt threw, or the reason its response counted as a failure. */
  error: unknown;
}

/**
 * Counters for /health (see {@link ShardPollerStats}). DynamoDB Local truncates
 * `ApproximateCreationDateTime` to the minute, so `iteratorAgeMs` over-reads by up to 60 s locally, and
 * `iteratorResets` counts the iterators it spuriously trims after any transaction.
 */
export type StreamPollerStats = ShardPollerStats;

/** Options of {@link DynamoDbStreamPoller}. */
export interface DynamoDbStreamPollerOptions {
  /** Streams client pointed at DynamoDB Local (see {@link createLocalStreamsClient}); owned by the caller. */
  client: DynamoDBStreamsClient;
  /** The stream to read. Either this or `tableName`. */
  streamArn?: string;
  /** Table whose most recent stream is read (resolved with ListStreams at start). */
  tableName?: string;
  /** SAM logical id of the function, passed to the invoker. */
  functionLogicalId: string;
  /** The function's DynamoDB event from the template. */
  eventSource: StreamEventSourceModel;
  invoker: LambdaInvoker;
  /**
   * Receives each batch discarded after `maximumRetryAttempts` retries; polling goes on once it resolves.
   * Without it discarded batches are only counted, like a mapping without a destination.
   */
  onFailure?: (failure: StreamBatchFailure, details: StreamBatchFailureDetails) => void | Promise<void>;
  /** Polling and onFailure errors; the poller keeps going after each. Default: console.error. */
  onError?: (error: unknown) => void;
  /** Longest pause between empty polls of a shard (backs off from 5 ms). Default 50. */
  idleDelayMs?: number;
  /** How often DescribeStream looks for new shards. Default 1000; a shard ending triggers one at once. */
  shardDiscoveryIntervalMs?: number;
  /** Delay before the first retry of a failed batch, doubled per retry up to 5 s. Default 100. */
  retryDelayMs?: number;
  /** Region and account of the function ARN in failure messages. Defaults us-east-1 / 000000000000. */
  region?: string;
  accountId?: string;
  /**
   * Replaces `awsRegion` of every record. DynamoDB Local stamps `ddblocal`; by default that is passed
   * through unchanged, as Lambda copies what the stream returns.
   */
  recordRegion?: string;
}

/** A DynamoDB Streams client for DynamoDB Local: fixed region and credentials (with -sharedDb any work). */
export function createLocalStreamsClient(endpoint: string, region = 'us-east-1'): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Reads a table's DynamoDB Stream and invokes a function with it, with the semantics of Lambda's event
 * source mapping (see {@link ShardPoller}): per-shard order, one batch in flight per shard, BatchSize and
 * batching window, LATEST / TRIM_HORIZON, retries with bisection, ReportBatchItemFailures,
 * MaximumRetryAttempts and MaximumRecordAgeInSeconds, then `onFailure`.
 */
export class DynamoDbStreamPoller {
  readonly #options: DynamoDbStreamPollerOptions;
  readonly #engine: ShardPoller<_Record>;
  #streamArn: string | undefined;
  #started = false;

  constructor(options: DynamoDbStreamPollerOptions) {
    if (options.eventSource.kind !== 'DynamoDB') {
      throw new Error(`DynamoDbStreamPoller reads DynamoDB streams, not ${options.eventSource.kind}`);
    }
    if (options.streamArn === undefined && options.tableName === undefined) {
      throw new Error('DynamoDbStreamPoller needs streamArn or tableName');
    }
    this.#options = options;
    this.#engine = new ShardPoller<_Record>({
      reader: streamsReader(options.client, () => this.#streamArn),
      eventSource: options.eventSource,
      invoke: (_shardId, records) =>
        options.invoker.invoke(options.functionLogicalId, this.#toEvent(records)),
      onDiscard: (batch) => this.#discarded(batch),
      onError: options.onError ?? ((error: unknown) => console.error('DynamoDbStreamPoller:', error)),
      ...(options.idleDelayMs === undefined ? {} : { idleDelayMs: options.idleDelayMs }),
      ...(options.shardDiscoveryIntervalMs === undefined
        ? {}
        : { shardDiscoveryIntervalMs: options.shardDiscoveryIntervalMs }),
      ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    });
  }

  /** ARN of the stream being read, once started. */
  get streamArn(): string | undefined {
    return this.#streamArn;
  }

  /** A snapshot of the counters. */
  get stats(): StreamPollerStats {
    return this.#engine.stats;
  }

  /**
   * Resolves the stream, lists its shards and positions an iterator on each shard to read first, so
   * that with LATEST every write made after `start()` resolves is delivered.
   * @throws when the table has no stream or DynamoDB Local cannot be reached.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('DynamoDbStreamPoller already started');
    this.#started = true;
    try {
      this.#streamArn =
        this.#options.streamArn ?? (await this.#resolveStreamArn(this.#options.tableName ?? ''));
    } catch (error) {
      await this.stop();
      throw error;
    }
    await this.#engine.start();
  }

  /**
   * Ends polling: pending GetRecords calls and pauses are cut short, an invocation in flight is awaited
   * (its outcome is checkpointed, but a failed batch is not retried). Idempotent.
   */
  stop(): Promise<void> {
    return this.#engine.stop();
  }

  async #resolveStreamArn(tableName: string): Promise<string> {
    const streams = [];
    let exclusiveStartStreamArn: string | undefined;
    do {
      const page = await this.#options.client.send(
        new ListStreamsCommand({ TableName: tableName, ExclusiveStartStreamArn: exclusiveStartStreamArn }),
        { abortSignal: this.#engine.signal },
      );
      streams.push(...(page.Streams ?? []));
      exclusiveStartStreamArn = page.LastEvaluatedStreamArn;
    } while (exclusiveStartStreamArn !== undefined);
    // A table re-created with a stream keeps its old streams listed for 24 h; the newest label wins.
    const latest = streams
      .filter((stream) => stream.TableName === tableName && stream.StreamArn !== undefined)
      .sort((a, b) => (a.StreamLabel ?? '').localeCompare(b.StreamLabel ?? ''))
      .at(-1);
    if (latest?.StreamArn === undefined) throw new Error(`Table ${tableName} has no stream`);
    return latest.StreamArn;
  }

  async #discarded(batch: DiscardedBatch<_Record>): Promise<void> {
    const onFailure = this.#options.onFailure;
    if (onFailure === undefined) return;
    const region = this.#options.region ?? 'us-east-1';
    const accountId = this.#options.accountId ?? '000000000000';
    const first = batch.records[0]?.dynamodb;
    const last = batch.records.at(-1)?.dynamodb;
    const failure: StreamBatchFailure = {
      ...batchFailureEnvelope(
        batch,
        `arn:aws:lambda:${region}:${accountId}:function:${this.#options.functionLogicalId}`,
      ),
      DDBStreamBatchInfo: {
        shardId: batch.shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: toIsoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: toIsoSeconds(last?.ApproximateCreationDateTime),
        batchSize: batch.records.length,
        streamArn: this.#streamArn ?? '',
      },
    };
    await onFailure(failure, { records: this.#toEvent(batch.records).Records, error: batch.error });
  }

  #toEvent(records: _Record[]): DynamoDBStreamEvent {
    return {
      Records: records.map((record) =>
        toLambdaRecord(record, this.#streamArn ?? '', this.#options.recordRegion),
      ),
    };
  }
}

/** DynamoDB Streams (DynamoDB Local) through the SDK; `streamArn` is known once the poller has started. */
function streamsReader(
  client: DynamoDBStreamsClient,
  streamArn: () => string | undefined,
): ShardReader<_Record> {
  return {
    maxRecordsPerCall: MAX_GET_RECORDS_LIMIT,
    async listShards(signal) {
      const shards: ShardDescription[] = [];
      let exclusiveStartShardId: string | undefined;
      do {
        const { StreamDescription: description } = await client.send(
          new DescribeStreamCommand({ StreamArn: streamArn(), ExclusiveStartShardId: exclusiveStartShardId }),
          { abortSignal: signal },
        );
        for (const shard of description?.Shards ?? []) {
          if (shard.ShardId === undefined) continue;
          shards.push({
            shardId: shard.ShardId,
            ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
            closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
          });
        }
        exclusiveStartShardId = description?.LastEvaluatedShardId;
      } while (exclusiveStartShardId !== undefined);
      return shards;
    },
    async iterator(shardId, checkpoint, signal) {
      const request = async (type: ShardIteratorType, sequenceNumber?: string) =>
        (
          await client.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn(),
              ShardId: shardId,
              ShardIteratorType: type,
              SequenceNumber: sequenceNumber,
            }),
            { abortSignal: signal },
          )
        ).ShardIterator;
      try {
        if (checkpoint !== undefined) return await request('AFTER_SEQUENCE_NUMBER', checkpoint);
        return await request('TRIM_HORIZON');
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        // The checkpoint fell off the 24 h retention: the oldest record left is the next one to read.
        if (error instanceof TrimmedDataAccessException) return await request('TRIM_HORIZON');
        throw error;
      }
    },
    async getRecords(iterator, limit, signal) {
      const output = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
        abortSignal: signal,
      });
      return { records: output.Records ?? [], next: output.NextShardIterator };
    },
    // DynamoDB Local invalidates open iterators after any transaction (TransactWriteItems on any
    // table): the next GetRecords says "trimmed". An iterator from the checkpoint reads on.
    isIteratorLost: (error) =>
      error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException,
    sequenceNumber: (record) => record.dynamodb?.SequenceNumber,
    arrival: (record) => record.dynamodb?.ApproximateCreationDateTime,
  };
}

/** The record as Lambda delivers it: epoch seconds, base64 binaries, lower-case userIdentity. */
function toLambdaRecord(
  record: _Record,
  streamArn: string,
  recordRegion: string | undefined,
): DynamoDBRecord {
  const source = record.dynamodb ?? {};
  const dynamodb: StreamRecord = {};
  if (source.ApproximateCreationDateTime !== undefined) {
    dynamodb.ApproximateCreationDateTime = source.ApproximateCreationDateTime.getTime() / 1_000;
  }
  if (source.Keys !== undefined) dynamodb.Keys = toLambdaImage(source.Keys);
  if (source.NewImage !== undefined) dynamodb.NewImage = toLambdaImage(source.NewImage);
  if (source.OldImage !== undefined) dynamodb.OldImage = toLambdaImage(source.OldImage);
  if (source.SequenceNumber !== undefined) dynamodb.SequenceNumber = source.SequenceNumber;
  if (source.SizeBytes !== undefined) dynamodb.SizeBytes = source.SizeBytes;
  if (source.StreamViewType !== undefined) dynamodb.StreamViewType = source.StreamViewType;
  const lambdaRecord: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: recordRegion ?? record.awsRegion,
    dynamodb,
    eventSourceARN: streamArn,
  };
  if (record.userIdentity !== undefined) {
    lambdaRecord.userIdentity = {
      type: record.userIdentity.Type,
      principalId: record.userIdentity.PrincipalId,
    };
  }
  return lambdaRecord;
}

function toLambdaImage(image: Record<string, AttributeValue>): Record<string, LambdaAttributeValue> {
  const out: Record<string, LambdaAttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttribute(value);
  return out;
}

function toLambdaAttribute(value: AttributeValue): LambdaAttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((item) => Buffer.from(item).toString('base64')) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  const { $unknown: _unknown, ...known } = value as AttributeValue & { $unknown?: unknown };
  return known as LambdaAttributeValue;
}

/** Lambda writes arrival times as ISO 8601 without milliseconds. */
function toIsoSeconds(date: Date | undefined): string {
  return date === undefined ? '' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
