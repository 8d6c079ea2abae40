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
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue, StreamRecord } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/template/local-identity.ts';
import {
  type batchFailureEnvelope,
  type ShardBatchFailureDetails,
  type ShardBatchInfo,
  type ShardDescription,
  type ShardReader,
  StreamMapping,
  type StreamMappingOptions,
  toShardDescriptions,
} from './shard-poller.ts';

/** GetRecords returns at most 1000 records per call; larger batches are filled over several calls. */
const MAX_GET_RECORDS_LIMIT = 1000;

/**
 * What Lambda sends to an on-failure destination when a stream batch is discarded
 * (the `DDBStreamBatchInfo` message). The records themselves are not included: as on AWS, a consumer
 * reads them from the stream with the sequence numbers.
 */
export interface StreamBatchFailure extends ReturnType<typeof batchFailureEnvelope> {
  DDBStreamBatchInfo: ShardBatchInfo;
}

/** Local extras handed to `onFailure` next to the destination message. */
export type StreamBatchFailureDetails = ShardBatchFailureDetails<DynamoDBRecord>;

/** Options of {@link DynamoDbStreamPoller}. */
export interface DynamoDbStreamPollerOptions
  extends StreamMappingOptions<StreamBatchFailure, DynamoDBRecord> {
  /** Streams client pointed at DynamoDB Local (see {@link createLocalStreamsClient}); owned by the caller. */
  client: DynamoDBStreamsClient;
  /** The stream to read. Either this or `tableName`. */
  streamArn?: string;
  /** Table whose most recent stream is read (resolved with ListStreams at start). */
  tableName?: string;
  /**
   * Replaces `awsRegion` of every record. DynamoDB Local stamps `ddblocal`; by default that is passed
   * through unchanged, as Lambda copies what the stream returns.
   */
  recordRegion?: string;
}

/** A DynamoDB Streams client for DynamoDB Local: fixed region and credentials (with -sharedDb any work). */
export function createLocalStreamsClient(endpoint: string, region = LOCAL_REGION): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
  });
}

/**
 * Reads a table's DynamoDB Stream and invokes a function with it, with the semantics of Lambda's event
 * source mapping (see {@link ShardPoller}): per-shard order, one batch in flight per shard, BatchSize and
 * batching window, LATEST / TRIM_HORIZON, retries with bisection, ReportBatchItemFailures,
 * MaximumRetryAttempts and MaximumRecordAgeInSeconds, then `onFailure`.
 */
export class DynamoDbStreamPoller extends StreamMapping<_Record, DynamoDBRecord, StreamBatchFailure> {
  readonly #options: DynamoDbStreamPollerOptions;

  constructor(options: DynamoDbStreamPollerOptions) {
    super('DynamoDbStreamPoller', 'DynamoDB', options, (streamArn) =>
      streamsReader(options.client, streamArn),
    );
    if (options.streamArn === undefined && options.tableName === undefined) {
      throw new Error('DynamoDbStreamPoller needs streamArn or tableName');
    }
    this.#options = options;
  }

  protected override async resolveStreamArn(signal: AbortSignal): Promise<string> {
    if (this.#options.streamArn !== undefined) return this.#options.streamArn;
    const tableName = this.#options.tableName ?? '';
    const streams = [];
    let exclusiveStartStreamArn: string | undefined;
    do {
      const page = await this.#options.client.send(
        new ListStreamsCommand({ TableName: tableName, ExclusiveStartStreamArn: exclusiveStartStreamArn }),
        { abortSignal: signal },
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

  protected override toLambdaRecords(_shardId: string, records: _Record[]): DynamoDBRecord[] {
    return records.map((record) => toLambdaRecord(record, this.streamArn ?? '', this.#options.recordRegion));
  }

  protected override failureMessage(
    envelope: ReturnType<typeof batchFailureEnvelope>,
    info: ShardBatchInfo,
  ): StreamBatchFailure {
    return { ...envelope, DDBStreamBatchInfo: info };
  }

  /** Lambda writes DynamoDB arrival times as ISO 8601 without milliseconds. */
  protected override formatArrival(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
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
        shards.push(...toShardDescriptions(description?.Shards));
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
  // The SDK reads an empty map (`{"M":{}}` on the wire) as an attribute with no member at all;
  // Lambda's event has `{"M":{}}`, and an empty object would fail every unmarshall of the image.
  if (Object.keys(known).length === 0) return { M: {} };
  return known as LambdaAttributeValue;
}
