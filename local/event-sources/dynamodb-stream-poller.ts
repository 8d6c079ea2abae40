import { randomUUID } from 'node:crypto';
import {
  type _Record,
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
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

/** GetRecords returns at most 1000 records per call; larger batches are filled over several calls. */
const MAX_GET_RECORDS_LIMIT = 1000;
const MIN_IDLE_DELAY_MS = 5;
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * What Lambda sends to an on-failure destination when a stream batch is discarded
 * (the `DDBStreamBatchInfo` message). The records themselves are not included: as on AWS, a consumer
 * reads them from the stream with the sequence numbers.
 */
export interface StreamBatchFailure {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: 'Unhandled' };
  version: '1.0';
  timestamp: string;
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

/** Counters for /health. Snapshot; cumulative since `start()`. */
export interface StreamPollerStats {
  /** Shards currently being read. */
  activeShards: number;
  /** Function invocations, retries included. */
  invocations: number;
  /** Batches finished: delivered, or discarded after the last retry. */
  batches: number;
  /** Records the function processed successfully (checkpointed). */
  records: number;
  /** Invocations that threw or reported item failures. */
  failures: number;
  /** Re-invocations of (part of) a failed batch; bisecting does not count, as on AWS. */
  retries: number;
  discardedBatches: number;
  discardedRecords: number;
  /** GetRecords / DescribeStream / GetShardIterator errors (other than stop). */
  pollErrors: number;
  /** Iterators re-acquired from the checkpoint after an expired or (DynamoDB Local) spuriously trimmed one. */
  iteratorResets: number;
  /**
   * Like Lambda's IteratorAge: age of the last record read, 0 when caught up. DynamoDB Local truncates
   * `ApproximateCreationDateTime` to the minute, so locally this over-reads by up to 60 s.
   */
  iteratorAgeMs: number;
  /** How long the oldest batch in flight has been waiting since it was read; 0 when idle. */
  lagMs: number;
}

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

type ShardStatus = 'pending' | 'running' | 'finished';

interface ShardState {
  shardId: string;
  parentShardId?: string;
  status: ShardStatus;
  /** Where to start when no checkpoint exists yet. */
  initialPosition: 'LATEST' | 'TRIM_HORIZON';
  /** Sequence number of the last record processed or discarded. */
  checkpoint?: string;
  /** When the batch now in flight was read. */
  inFlightSince?: number;
}

interface PendingBatch {
  records: _Record[];
  /** Retries already spent on these records. */
  retries: number;
}

type InvocationOutcome =
  | { kind: 'ok' }
  | { kind: 'partial'; index: number; error: Error }
  | { kind: 'error'; error: unknown; functionError: boolean };

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
 * source mapping:
 * - batches of up to `batchSize` records (filled for up to `maximumBatchingWindowInSeconds`), one batch
 *   in flight per shard, shards read in parallel, a parent shard finished before its children start;
 * - `startingPosition` applies to the shards open at start; shards that appear later are read from
 *   TRIM_HORIZON, and shards already closed at a LATEST start are skipped;
 * - a thrown error retries the batch (bisected first when `bisectBatchOnFunctionError`, which costs no
 *   retry); with `reportBatchItemFailures` a `batchItemFailures` response checkpoints the records before
 *   the lowest failed sequence number and retries from there; an invalid `batchItemFailures` fails the
 *   whole batch;
 * - after `maximumRetryAttempts` retries (-1: forever) the batch is discarded, handed to `onFailure`,
 *   and the shard moves on.
 *
 * Polls again at once while records keep coming and backs off to `idleDelayMs` when the shard is quiet.
 * Checkpoints live in memory: a new poller starts from `startingPosition` again.
 */
export class DynamoDbStreamPoller {
  readonly #options: DynamoDbStreamPollerOptions;
  readonly #client: DynamoDBStreamsClient;
  readonly #source: StreamEventSourceModel;
  readonly #shards = new Map<string, ShardState>();
  readonly #workers = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #idleDelayMs: number;
  readonly #stats = {
    invocations: 0,
    batches: 0,
    records: 0,
    failures: 0,
    retries: 0,
    discardedBatches: 0,
    discardedRecords: 0,
    pollErrors: 0,
    iteratorResets: 0,
    iteratorAgeMs: 0,
  };
  #streamArn: string | undefined;
  #discovery: Promise<void> | undefined;
  #wakeDiscovery: (() => void) | undefined;
  #started = false;

  constructor(options: DynamoDbStreamPollerOptions) {
    if (options.eventSource.kind !== 'DynamoDB') {
      throw new Error(`DynamoDbStreamPoller reads DynamoDB streams, not ${options.eventSource.kind}`);
    }
    if (options.streamArn === undefined && options.tableName === undefined) {
      throw new Error('DynamoDbStreamPoller needs streamArn or tableName');
    }
    this.#options = options;
    this.#client = options.client;
    this.#source = options.eventSource;
    this.#idleDelayMs = options.idleDelayMs ?? 50;
  }

  /** ARN of the stream being read, once started. */
  get streamArn(): string | undefined {
    return this.#streamArn;
  }

  /** A snapshot of the counters. */
  get stats(): StreamPollerStats {
    const now = Date.now();
    let activeShards = 0;
    let lagMs = 0;
    for (const shard of this.#shards.values()) {
      if (shard.status === 'running' && !this.#stopping) activeShards++;
      if (shard.inFlightSince !== undefined) lagMs = Math.max(lagMs, now - shard.inFlightSince);
    }
    return { ...this.#stats, activeShards, lagMs };
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
      await this.#discoverShards(true);
      await Promise.all(this.#scheduleShards());
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#discovery = this.#discoveryLoop();
  }

  /**
   * Ends polling: pending GetRecords calls and pauses are cut short, an invocation in flight is awaited
   * (its outcome is checkpointed, but a failed batch is not retried). Idempotent.
   */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#wakeDiscovery?.();
    await this.#discovery;
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers]);
  }

  get #stopping(): boolean {
    return this.#abort.signal.aborted;
  }

  async #resolveStreamArn(tableName: string): Promise<string> {
    const streams = [];
    let exclusiveStartStreamArn: string | undefined;
    do {
      const page = await this.#client.send(
        new ListStreamsCommand({ TableName: tableName, ExclusiveStartStreamArn: exclusiveStartStreamArn }),
        { abortSignal: this.#abort.signal },
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

  async #discoverShards(initial: boolean): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription: description } = await this.#client.send(
        new DescribeStreamCommand({
          StreamArn: this.#streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
        { abortSignal: this.#abort.signal },
      );
      for (const shard of description?.Shards ?? []) {
        if (shard.ShardId === undefined || this.#shards.has(shard.ShardId)) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        const latestAtStart = initial && this.#source.startingPosition === 'LATEST';
        this.#shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          // A shard closed before a LATEST start holds only records older than the start.
          status: latestAtStart && closed ? 'finished' : 'pending',
          initialPosition: latestAtStart ? 'LATEST' : 'TRIM_HORIZON',
        });
      }
      exclusiveStartShardId = description?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
  }

  /** Starts every pending shard whose parent is done or unknown; returns their ready promises. */
  #scheduleShards(): Promise<void>[] {
    const ready: Promise<void>[] = [];
    for (const shard of this.#shards.values()) {
      if (shard.status !== 'pending') continue;
      const parent = shard.parentShardId === undefined ? undefined : this.#shards.get(shard.parentShardId);
      if (parent !== undefined && parent.status !== 'finished') continue;
      shard.status = 'running';
      let signalReady!: (error?: unknown) => void;
      ready.push(
        new Promise<void>((resolve, reject) => {
          signalReady = (error) => (error === undefined ? resolve() : reject(error));
        }),
      );
      const worker = this.#readShard(shard, signalReady).finally(() => this.#workers.delete(worker));
      this.#workers.add(worker);
    }
    return ready;
  }

  async #discoveryLoop(): Promise<void> {
    const interval = this.#options.shardDiscoveryIntervalMs ?? 1_000;
    while (!this.#stopping) {
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, interval);
        this.#wakeDiscovery = () => {
          clearTimeout(timer);
          wake();
        };
      });
      if (this.#stopping) return;
      try {
        await this.#discoverShards(false);
        // Readiness only gates start(); a later shard whose iterator fails goes back to pending.
        for (const ready of this.#scheduleShards()) ready.catch((error: unknown) => this.#pollError(error));
      } catch (error) {
        if (!this.#stopping) this.#pollError(error);
      }
    }
  }

  async #readShard(shard: ShardState, signalReady: (error?: unknown) => void): Promise<void> {
    let iterator: string | undefined;
    let idleDelay = 0;
    let failedPolls = 0;
    let firstIterator = true;
    while (!this.#stopping) {
      try {
        iterator ??= await this.#shardIterator(shard);
        if (firstIterator) {
          firstIterator = false;
          signalReady();
        }
        if (iterator === undefined) break;
        const { records, next } = await this.#fetchBatch(shard, iterator);
        iterator = next;
        failedPolls = 0;
        if (records.length > 0) {
          idleDelay = 0;
          await this.#deliver(shard, records);
        }
        if (iterator === undefined) break;
        if (records.length === 0) {
          idleDelay = Math.min(Math.max(idleDelay * 2, MIN_IDLE_DELAY_MS), this.#idleDelayMs);
          await this.#sleep(idleDelay);
        }
      } catch (error) {
        if (this.#stopping) break;
        if (firstIterator) {
          signalReady(error);
          shard.status = 'pending';
          return;
        }
        // DynamoDB Local invalidates open iterators after any transaction (TransactWriteItems on any
        // table): the next GetRecords says "trimmed". An iterator from the checkpoint reads on.
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          this.#stats.iteratorResets += 1;
          iterator = undefined;
          continue;
        }
        this.#pollError(error);
        failedPolls++;
        // The iterator usually outlives a failed call (it is valid for 15 min), and re-acquiring one
        // without a checkpoint at LATEST would skip records; only a repeated failure drops it.
        if (failedPolls >= 2) iterator = undefined;
        await this.#sleep(Math.min(this.#idleDelayMs * 2 ** failedPolls, MAX_RETRY_DELAY_MS));
      }
    }
    shard.inFlightSince = undefined;
    if (this.#stopping) return;
    // End of a closed shard: its children may start now.
    shard.status = 'finished';
    this.#wakeDiscovery?.();
  }

  /** An iterator at the checkpoint, or at the shard's initial position; undefined when the shard is gone. */
  async #shardIterator(shard: ShardState): Promise<string | undefined> {
    const request = async (type: ShardIteratorType, sequenceNumber?: string) =>
      (
        await this.#client.send(
          new GetShardIteratorCommand({
            StreamArn: this.#streamArn,
            ShardId: shard.shardId,
            ShardIteratorType: type,
            SequenceNumber: sequenceNumber,
          }),
          { abortSignal: this.#abort.signal },
        )
      ).ShardIterator;
    try {
      if (shard.checkpoint !== undefined) return await request('AFTER_SEQUENCE_NUMBER', shard.checkpoint);
      if (shard.initialPosition === 'LATEST')
        return await this.#fastForward(shard, await request('TRIM_HORIZON'));
      return await request(shard.initialPosition);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      // The checkpoint fell off the 24 h retention: the oldest record left is the next one to read.
      if (error instanceof TrimmedDataAccessException) return await request('TRIM_HORIZON');
      throw error;
    }
  }

  /**
   * LATEST, emulated: reads the shard from TRIM_HORIZON to its end, skipping what is there, and
   * checkpoints the last record skipped. DynamoDB Local's LATEST iterators break (as do all its
   * iterators) after a transaction on any table, and re-acquiring one at LATEST would skip the records
   * written meanwhile; a checkpoint (or TRIM_HORIZON on a shard that was empty) never skips.
   */
  async #fastForward(shard: ShardState, iterator: string | undefined): Promise<string | undefined> {
    let next = iterator;
    while (next !== undefined && !this.#stopping) {
      const output: GetRecordsCommandOutput = await this.#client.send(
        new GetRecordsCommand({ ShardIterator: next, Limit: MAX_GET_RECORDS_LIMIT }),
        { abortSignal: this.#abort.signal },
      );
      const last = output.Records?.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) shard.checkpoint = last;
      next = output.NextShardIterator;
      if ((output.Records ?? []).length === 0) break;
    }
    shard.initialPosition = 'TRIM_HORIZON';
    return next;
  }

  /** Reads up to batchSize records, waiting up to the batching window for more once one has arrived. */
  async #fetchBatch(shard: ShardState, iterator: string): Promise<{ records: _Record[]; next?: string }> {
    const { batchSize } = this.#source;
    const windowMs = this.#source.maximumBatchingWindowInSeconds * 1_000;
    const records: _Record[] = [];
    let next: string | undefined = iterator;
    let deadline: number | undefined;
    while (next !== undefined && !this.#stopping) {
      const limit = Math.min(MAX_GET_RECORDS_LIMIT, batchSize - records.length);
      let page: _Record[];
      let following: string | undefined;
      try {
        const output: GetRecordsCommandOutput = await this.#client.send(
          new GetRecordsCommand({ ShardIterator: next, Limit: limit }),
          {
            abortSignal: this.#abort.signal,
          },
        );
        page = output.Records ?? [];
        following = output.NextShardIterator;
      } catch (error) {
        // Records already read are delivered; the next poll resumes from the last good iterator.
        if (records.length > 0 && !this.#stopping) break;
        throw error;
      }
      next = following;
      if (page.length > 0) {
        records.push(...page);
        shard.inFlightSince ??= Date.now();
        deadline ??= Date.now() + windowMs;
        const created = page.at(-1)?.dynamodb?.ApproximateCreationDateTime;
        this.#stats.iteratorAgeMs = created === undefined ? 0 : Math.max(0, Date.now() - created.getTime());
      } else if (records.length === 0) {
        this.#stats.iteratorAgeMs = 0;
      }
      if (records.length === 0 || records.length >= batchSize) break;
      if (page.length === limit) continue;
      const remaining = (deadline ?? 0) - Date.now();
      if (remaining <= 0) break;
      await this.#sleep(Math.min(remaining, this.#idleDelayMs));
    }
    return { records, next };
  }

  /** Delivers one batch with retries, bisection and discard; returns when the shard may move on. */
  async #deliver(shard: ShardState, records: _Record[]): Promise<void> {
    shard.inFlightSince ??= Date.now();
    const queue: PendingBatch[] = [{ records, retries: 0 }];
    const maxRetries = this.#source.maximumRetryAttempts;
    while (queue.length > 0) {
      const batch = queue[0]!;
      const outcome = await this.#invoke(batch.records);
      if (outcome.kind === 'ok') {
        this.#checkpoint(shard, batch.records);
        queue.shift();
        if (queue.length === 0) this.#stats.batches++;
        continue;
      }
      this.#stats.failures++;
      if (outcome.kind === 'partial') {
        this.#checkpoint(shard, batch.records.slice(0, outcome.index));
        batch.records = batch.records.slice(outcome.index);
      } else if (this.#source.bisectBatchOnFunctionError && batch.records.length > 1) {
        const middle = Math.ceil(batch.records.length / 2);
        queue.splice(
          0,
          1,
          { records: batch.records.slice(0, middle), retries: batch.retries },
          { records: batch.records.slice(middle), retries: batch.retries },
        );
        if (this.#stopping) break;
        continue;
      }
      if (this.#stopping) break;
      if (maxRetries >= 0 && batch.retries >= maxRetries) {
        const error = outcome.error;
        const functionError = outcome.kind === 'error' && outcome.functionError;
        await this.#discard(shard, batch, error, functionError);
        queue.shift();
        if (queue.length === 0) this.#stats.batches++;
        continue;
      }
      batch.retries++;
      this.#stats.retries++;
      await this.#sleep(
        Math.min((this.#options.retryDelayMs ?? 100) * 2 ** (batch.retries - 1), MAX_RETRY_DELAY_MS),
      );
      if (this.#stopping) break;
    }
    shard.inFlightSince = undefined;
  }

  async #invoke(records: _Record[]): Promise<InvocationOutcome> {
    this.#stats.invocations++;
    let result: unknown;
    try {
      result = await this.#options.invoker.invoke(this.#options.functionLogicalId, this.#toEvent(records));
    } catch (error) {
      return { kind: 'error', error, functionError: true };
    }
    if (!this.#source.reportBatchItemFailures) return { kind: 'ok' };
    return parseBatchResponse(result, records);
  }

  #checkpoint(shard: ShardState, records: _Record[]): void {
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last === undefined) return;
    shard.checkpoint = last;
    this.#stats.records += records.length;
  }

  async #discard(
    shard: ShardState,
    batch: PendingBatch,
    error: unknown,
    functionError: boolean,
  ): Promise<void> {
    const first = batch.records[0]?.dynamodb;
    const last = batch.records.at(-1)?.dynamodb;
    shard.checkpoint = last?.SequenceNumber ?? shard.checkpoint;
    this.#stats.discardedBatches++;
    this.#stats.discardedRecords += batch.records.length;
    const onFailure = this.#options.onFailure;
    if (onFailure === undefined) return;
    const region = this.#options.region ?? 'us-east-1';
    const accountId = this.#options.accountId ?? '000000000000';
    const failure: StreamBatchFailure = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: `arn:aws:lambda:${region}:${accountId}:function:${this.#options.functionLogicalId}`,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: batch.retries + 1,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(functionError ? { functionError: 'Unhandled' as const } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: toIsoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: toIsoSeconds(last?.ApproximateCreationDateTime),
        batchSize: batch.records.length,
        streamArn: this.#streamArn ?? '',
      },
    };
    try {
      await onFailure(failure, { records: this.#toEvent(batch.records).Records, error });
    } catch (failureError) {
      this.#pollError(failureError);
    }
  }

  #toEvent(records: _Record[]): DynamoDBStreamEvent {
    return {
      Records: records.map((record) =>
        toLambdaRecord(record, this.#streamArn ?? '', this.#options.recordRegion),
      ),
    };
  }

  #pollError(error: unknown): void {
    this.#stats.pollErrors++;
    (this.#options.onError ?? ((e: unknown) => console.error('DynamoDbStreamPoller:', e)))(error);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#abort.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Lambda's reading of a ReportBatchItemFailures response: no object, no list or an empty list is
 * success; an identifier that is missing, empty or not in the batch fails the whole batch.
 */
function parseBatchResponse(result: unknown, records: _Record[]): InvocationOutcome {
  if (result === null || typeof result !== 'object') return { kind: 'ok' };
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'ok' };
  const invalid = (reason: string): InvocationOutcome => ({
    kind: 'error',
    error: new Error(`Invalid batchItemFailures: ${reason}`),
    functionError: false,
  });
  if (!Array.isArray(failures)) return invalid('not a list');
  if (failures.length === 0) return { kind: 'ok' };
  const positions = new Map(records.map((record, index) => [record.dynamodb?.SequenceNumber, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return invalid('missing itemIdentifier');
    const index = positions.get(id);
    if (index === undefined) return invalid(`${id} is not a sequence number of the batch`);
    lowest = Math.min(lowest, index);
  }
  const failed = records[lowest]?.dynamodb?.SequenceNumber;
  return { kind: 'partial', index: lowest, error: new Error(`Function reported item ${failed} as failed`) };
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
