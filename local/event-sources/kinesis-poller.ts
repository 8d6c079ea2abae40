import {
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
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

/** GetRecords returns at most 10 000 records per call, as does Lambda's largest Kinesis batch. */
const MAX_GET_RECORDS_LIMIT = 10_000;

/**
 * What Lambda sends to an on-failure destination when a Kinesis batch is discarded (the
 * `KinesisBatchInfo` message). The records are not included: as on AWS, a consumer reads them from the
 * stream with the sequence numbers (within the retention period).
 */
export interface KinesisBatchFailure extends ReturnType<typeof batchFailureEnvelope> {
  KinesisBatchInfo: {
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
export interface KinesisBatchFailureDetails {
  /** The discarded records, in the shape the function received them. */
  records: KinesisStreamRecord[];
  /** What the last attempt threw, or the reason the records were discarded. */
  error: unknown;
}

/** Counters for /health (see {@link ShardPollerStats}). */
export type KinesisPollerStats = ShardPollerStats;

/** Options of {@link KinesisPoller}. */
export interface KinesisPollerOptions {
  /** Kinesis client pointed at kinesalite (see `createLocalKinesisClient`); owned by the caller. */
  client: KinesisClient;
  /** The stream to read. kinesalite needs the name on every call (StreamARN alone fails). */
  streamName: string;
  /** SAM logical id of the function, passed to the invoker. */
  functionLogicalId: string;
  /** The function's Kinesis event from the template. */
  eventSource: StreamEventSourceModel;
  invoker: LambdaInvoker;
  /**
   * Receives each batch discarded after `maximumRetryAttempts` retries (or for its age); polling goes
   * on once it resolves. Without it discarded batches are only counted, like a mapping without a destination.
   */
  onFailure?: (failure: KinesisBatchFailure, details: KinesisBatchFailureDetails) => void | Promise<void>;
  /** Polling and onFailure errors; the poller keeps going after each. Default: console.error. */
  onError?: (error: unknown) => void;
  /** Longest pause between empty polls of a shard (backs off from 5 ms). Default 50. */
  idleDelayMs?: number;
  /** How often DescribeStream looks for new shards. Default 1000; a shard ending triggers one at once. */
  shardDiscoveryIntervalMs?: number;
  /** Delay before the first retry of a failed batch, doubled per retry up to 5 s. Default 100. */
  retryDelayMs?: number;
  /** Region and account of the ARNs in events and failure messages. Defaults us-east-1 / 000000000000. */
  region?: string;
  accountId?: string;
}

/**
 * Reads a Kinesis stream (kinesalite) and invokes a function with it, with the semantics of Lambda's
 * Kinesis event source mapping at ParallelizationFactor 1 (see {@link ShardPoller}): per-shard order,
 * one batch in flight per shard, BatchSize and batching window, LATEST / TRIM_HORIZON, retries with
 * bisection, ReportBatchItemFailures, MaximumRetryAttempts and MaximumRecordAgeInSeconds, then `onFailure`.
 */
export class KinesisPoller {
  readonly #options: KinesisPollerOptions;
  readonly #engine: ShardPoller<KinesisRecord>;
  #streamArn: string | undefined;
  #started = false;

  constructor(options: KinesisPollerOptions) {
    if (options.eventSource.kind !== 'Kinesis') {
      throw new Error(`KinesisPoller reads Kinesis streams, not ${options.eventSource.kind}`);
    }
    this.#options = options;
    this.#engine = new ShardPoller<KinesisRecord>({
      reader: kinesisReader(options.client, options.streamName),
      eventSource: options.eventSource,
      invoke: (shardId, records) =>
        options.invoker.invoke(options.functionLogicalId, this.#toEvent(shardId, records)),
      onDiscard: (batch) => this.#discarded(batch),
      onError: options.onError ?? ((error: unknown) => console.error('KinesisPoller:', error)),
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
  get stats(): KinesisPollerStats {
    return this.#engine.stats;
  }

  /**
   * Resolves the stream's ARN, lists its shards and positions an iterator on each, so that with LATEST
   * every record put after this resolves is delivered.
   * @throws when the stream does not exist or kinesalite cannot be reached.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error('KinesisPoller already started');
    this.#started = true;
    try {
      const { StreamDescriptionSummary: summary } = await this.#options.client.send(
        new DescribeStreamSummaryCommand({ StreamName: this.#options.streamName }),
        { abortSignal: this.#engine.signal },
      );
      this.#streamArn = summary?.StreamARN;
    } catch (error) {
      await this.stop();
      throw error;
    }
    await this.#engine.start();
  }

  /** Ends polling; an invocation in flight is awaited. Idempotent. */
  stop(): Promise<void> {
    return this.#engine.stop();
  }

  get #region(): string {
    return this.#options.region ?? 'us-east-1';
  }

  get #accountId(): string {
    return this.#options.accountId ?? '000000000000';
  }

  async #discarded(batch: DiscardedBatch<KinesisRecord>): Promise<void> {
    const onFailure = this.#options.onFailure;
    if (onFailure === undefined) return;
    const first = batch.records[0];
    const last = batch.records.at(-1);
    const failure: KinesisBatchFailure = {
      ...batchFailureEnvelope(
        batch,
        `arn:aws:lambda:${this.#region}:${this.#accountId}:function:${this.#options.functionLogicalId}`,
      ),
      KinesisBatchInfo: {
        shardId: batch.shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: first?.ApproximateArrivalTimestamp?.toISOString() ?? '',
        approximateArrivalOfLastRecord: last?.ApproximateArrivalTimestamp?.toISOString() ?? '',
        batchSize: batch.records.length,
        streamArn: this.#streamArn ?? '',
      },
    };
    await onFailure(failure, {
      records: this.#toEvent(batch.shardId, batch.records).Records,
      error: batch.error,
    });
  }

  #toEvent(shardId: string, records: KinesisRecord[]): KinesisStreamEvent {
    const context = {
      shardId,
      streamArn: this.#streamArn ?? '',
      region: this.#region,
      invokeIdentityArn: `arn:aws:iam::${this.#accountId}:role/${this.#options.functionLogicalId}Role`,
    };
    return { Records: records.map((record) => toLambdaRecord(record, context)) };
  }
}

/** kinesalite through the SDK: every call names the stream (its StreamARN-only calls fail). */
function kinesisReader(client: KinesisClient, streamName: string): ShardReader<KinesisRecord> {
  return {
    maxRecordsPerCall: MAX_GET_RECORDS_LIMIT,
    async listShards(signal) {
      const shards: ShardDescription[] = [];
      let exclusiveStartShardId: string | undefined;
      let hasMore = true;
      while (hasMore) {
        const { StreamDescription: description } = await client.send(
          new DescribeStreamCommand({ StreamName: streamName, ExclusiveStartShardId: exclusiveStartShardId }),
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
        exclusiveStartShardId = description?.Shards?.at(-1)?.ShardId;
        hasMore = description?.HasMoreShards === true && exclusiveStartShardId !== undefined;
      }
      return shards;
    },
    async iterator(shardId, checkpoint, signal) {
      try {
        const output = await client.send(
          new GetShardIteratorCommand({
            StreamName: streamName,
            ShardId: shardId,
            ...(checkpoint === undefined
              ? { ShardIteratorType: 'TRIM_HORIZON' }
              : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: checkpoint }),
          }),
          { abortSignal: signal },
        );
        return output.ShardIterator;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    async getRecords(iterator, limit, signal) {
      const output = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), {
        abortSignal: signal,
      });
      return { records: output.Records ?? [], next: output.NextShardIterator };
    },
    // kinesalite expires iterators after 5 min like Kinesis; one from the checkpoint reads on.
    isIteratorLost: (error) => error instanceof ExpiredIteratorException,
    sequenceNumber: (record) => record.SequenceNumber,
    arrival: (record) => record.ApproximateArrivalTimestamp,
  };
}

/** The record as Lambda delivers it: base64 data, arrival in epoch seconds, `shardId:sequence` event ids. */
function toLambdaRecord(
  record: KinesisRecord,
  context: { shardId: string; streamArn: string; region: string; invokeIdentityArn: string },
): KinesisStreamRecord {
  const sequenceNumber = record.SequenceNumber ?? '';
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1_000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${context.shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: context.invokeIdentityArn,
    awsRegion: context.region,
    eventSourceARN: context.streamArn,
  };
}
