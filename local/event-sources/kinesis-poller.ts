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
import type { KinesisStreamRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '#local/template/local-identity.ts';
import {
  type batchFailureEnvelope,
  type ShardBatchInfo,
  type ShardDescription,
  type ShardPollerStats,
  type ShardReader,
  StreamMapping,
  type StreamMappingOptions,
  toShardDescriptions,
} from './shard-poller.ts';

/** GetRecords returns at most 10 000 records per call, as does Lambda's largest Kinesis batch. */
const MAX_GET_RECORDS_LIMIT = 10_000;

/**
 * What Lambda sends to an on-failure destination when a Kinesis batch is discarded (the
 * `KinesisBatchInfo` message). The records are not included: as on AWS, a consumer reads them from the
 * stream with the sequence numbers (within the retention period).
 */
export interface KinesisBatchFailure extends ReturnType<typeof batchFailureEnvelope> {
  KinesisBatchInfo: ShardBatchInfo;
}

/** Counters for /health (see {@link ShardPollerStats}). */
export type KinesisPollerStats = ShardPollerStats;

/** Options of {@link KinesisPoller}. */
export interface KinesisPollerOptions extends StreamMappingOptions<KinesisBatchFailure, KinesisStreamRecord> {
  /** Kinesis client pointed at kinesalite (see `createLocalKinesisClient`); owned by the caller. */
  client: KinesisClient;
  /** The stream to read. kinesalite needs the name on every call (StreamARN alone fails). */
  streamName: string;
}

/**
 * Reads a Kinesis stream (kinesalite) and invokes a function with it, with the semantics of Lambda's
 * Kinesis event source mapping at ParallelizationFactor 1 (see {@link ShardPoller}): per-shard order,
 * one batch in flight per shard, BatchSize and batching window, LATEST / TRIM_HORIZON, retries with
 * bisection, ReportBatchItemFailures, MaximumRetryAttempts and MaximumRecordAgeInSeconds, then `onFailure`.
 */
export class KinesisPoller extends StreamMapping<KinesisRecord, KinesisStreamRecord, KinesisBatchFailure> {
  readonly #options: KinesisPollerOptions;

  constructor(options: KinesisPollerOptions) {
    super('KinesisPoller', 'Kinesis', options, () => kinesisReader(options.client, options.streamName));
    this.#options = options;
  }

  protected override async resolveStreamArn(signal: AbortSignal): Promise<string | undefined> {
    const { StreamDescriptionSummary: summary } = await this.#options.client.send(
      new DescribeStreamSummaryCommand({ StreamName: this.#options.streamName }),
      { abortSignal: signal },
    );
    return summary?.StreamARN;
  }

  protected override toLambdaRecords(shardId: string, records: KinesisRecord[]): KinesisStreamRecord[] {
    const context = {
      shardId,
      streamArn: this.streamArn ?? '',
      region: this.region,
      invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${this.#options.functionLogicalId}Role`,
    };
    return records.map((record) => toLambdaRecord(record, context));
  }

  protected override failureMessage(
    envelope: ReturnType<typeof batchFailureEnvelope>,
    info: ShardBatchInfo,
  ): KinesisBatchFailure {
    return { ...envelope, KinesisBatchInfo: info };
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
        shards.push(...toShardDescriptions(description?.Shards));
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
