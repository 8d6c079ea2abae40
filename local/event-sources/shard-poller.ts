import { randomUUID } from 'node:crypto';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { LOCAL_REGION, localArn } from '#local/template/local-identity.ts';
import type { StreamEventSourceModel } from '#local/template/model.ts';
import { abortableSleep, exponentialDelay } from './backoff.ts';

const MIN_IDLE_DELAY_MS = 5;
const MAX_RETRY_DELAY_MS = 5_000;

/** A shard as the stream describes it. */
export interface ShardDescription {
  shardId: string;
  parentShardId?: string;
  /** The shard has an ending sequence number: no record will be added to it. */
  closed: boolean;
}

/** The calls a {@link ShardPoller} makes to one stream service (DynamoDB Streams, Kinesis). */
export interface ShardReader<R> {
  /** Every shard of the stream, all pages read. */
  listShards(signal: AbortSignal): Promise<ShardDescription[]>;
  /**
   * An iterator just after `checkpoint`, or at TRIM_HORIZON without one; undefined when the shard is
   * gone. A checkpoint fallen off the retention period should give TRIM_HORIZON.
   */
  iterator(shardId: string, checkpoint: string | undefined, signal: AbortSignal): Promise<string | undefined>;
  /** One GetRecords call; `next` undefined at the end of a closed shard. */
  getRecords(iterator: string, limit: number, signal: AbortSignal): Promise<{ records: R[]; next?: string }>;
  /** Errors after which the iterator is re-acquired from the checkpoint (expired, spuriously trimmed). */
  isIteratorLost(error: unknown): boolean;
  sequenceNumber(record: R): string | undefined;
  /** When the record reached the stream, for the iterator age and MaximumRecordAgeInSeconds. */
  arrival(record: R): Date | undefined;
  /** Most records one GetRecords call returns. */
  maxRecordsPerCall: number;
}

/** A batch given up on: after its last retry, or (its leading records) for their age. */
interface DiscardedBatch<R> {
  shardId: string;
  records: R[];
  condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  /** Invocations spent on these records. */
  invokeCount: number;
  error: unknown;
  /** The last attempt threw (rather than answering with an invalid batchItemFailures). */
  functionError: boolean;
}

/** Counters for /health. Snapshot; cumulative since `start()`. */
export interface ShardPollerStats {
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
  /** Shard listing and iterator / GetRecords errors (other than stop). */
  pollErrors: number;
  /** Iterators re-acquired from the checkpoint after the service expired or invalidated one. */
  iteratorResets: number;
  /** Like Lambda's IteratorAge: age of the last record read, 0 when caught up. */
  iteratorAgeMs: number;
  /** How long the oldest batch in flight has been waiting since it was read; 0 when idle. */
  lagMs: number;
}

/** Options of {@link ShardPoller}. */
interface ShardPollerOptions<R> {
  reader: ShardReader<R>;
  /** The function's stream event from the template (batch size, window, retries, …). */
  eventSource: StreamEventSourceModel;
  /** Invokes the function with the records of one shard; resolves with its response. */
  invoke(shardId: string, records: R[]): Promise<unknown>;
  /** Each discarded batch (already counted and checkpointed past); polling goes on once it resolves. */
  onDiscard?(batch: DiscardedBatch<R>): Promise<void>;
  /** Polling and onDiscard errors; the poller keeps going after each. */
  onError(error: unknown): void;
  /** Longest pause between empty polls of a shard (backs off from 5 ms). Default 50. */
  idleDelayMs?: number;
  /** How often shards are listed to find new ones. Default 1000; a shard ending triggers one at once. */
  shardDiscoveryIntervalMs?: number;
  /** Delay before the first retry of a failed batch, doubled per retry up to 5 s. Default 100. */
  retryDelayMs?: number;
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

interface PendingBatch<R> {
  records: R[];
  /** Retries already spent on these records. */
  retries: number;
}

type InvocationOutcome =
  | { kind: 'ok' }
  | { kind: 'partial'; index: number; error: Error }
  | { kind: 'error'; error: unknown; functionError: boolean };

/**
 * The engine of Lambda's stream event source mappings (DynamoDB Streams, Kinesis), independent of the
 * service read:
 * - batches of up to `batchSize` records (filled for up to `maximumBatchingWindowInSeconds`), one batch
 *   in flight per shard, records of a shard in order, shards read in parallel, a parent shard finished
 *   before its children start;
 * - `startingPosition` applies to the shards open at start: LATEST delivers every record written after
 *   `start()` resolves; shards that appear later are read from TRIM_HORIZON, and shards already closed at
 *   a LATEST start are skipped;
 * - a thrown error retries the batch (bisected first when `bisectBatchOnFunctionError`, which costs no
 *   retry); with `reportBatchItemFailures` a `batchItemFailures` response checkpoints the records before
 *   the lowest failed sequence number and retries from there; an invalid `batchItemFailures` fails the
 *   whole batch;
 * - after `maximumRetryAttempts` retries (-1: forever) the batch is discarded, handed to `onDiscard`, and
 *   the shard moves on; records older than `maximumRecordAgeInSeconds` are discarded the same way.
 *
 * Polls again at once while records keep coming and backs off to `idleDelayMs` when a shard is quiet.
 * Checkpoints live in memory: a new poller starts from `startingPosition` again.
 */
class ShardPoller<R> {
  readonly #options: ShardPollerOptions<R>;
  readonly #reader: ShardReader<R>;
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
  #discovery: Promise<void> | undefined;
  #wakeDiscovery: (() => void) | undefined;

  constructor(options: ShardPollerOptions<R>) {
    this.#options = options;
    this.#reader = options.reader;
    this.#source = options.eventSource;
    this.#idleDelayMs = options.idleDelayMs ?? 50;
  }

  /** Aborted by `stop()`; callers pass it to their own calls made before `start()`. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** A snapshot of the counters. */
  get stats(): ShardPollerStats {
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
   * Lists the shards and positions an iterator on each shard to read first, so that with LATEST every
   * record written after this resolves is delivered. Stops everything if it fails.
   */
  async start(): Promise<void> {
    try {
      await this.#discoverShards(true);
      await Promise.all(this.#scheduleShards());
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.#discovery = this.#discoveryLoop();
  }

  /**
   * Ends polling: pending calls and pauses are cut short, an invocation in flight is awaited (its
   * outcome is checkpointed, but a failed batch is not retried). Idempotent.
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

  async #discoverShards(initial: boolean): Promise<void> {
    for (const shard of await this.#reader.listShards(this.#abort.signal)) {
      if (this.#shards.has(shard.shardId)) continue;
      const latestAtStart = initial && this.#source.startingPosition === 'LATEST';
      this.#shards.set(shard.shardId, {
        shardId: shard.shardId,
        parentShardId: shard.parentShardId,
        // A shard closed before a LATEST start holds only records older than the start.
        status: latestAtStart && shard.closed ? 'finished' : 'pending',
        initialPosition: latestAtStart ? 'LATEST' : 'TRIM_HORIZON',
      });
    }
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
        if (this.#reader.isIteratorLost(error)) {
          this.#stats.iteratorResets += 1;
          iterator = undefined;
          continue;
        }
        this.#pollError(error);
        failedPolls++;
        // The iterator usually outlives a failed call, and re-acquiring one without a checkpoint at
        // LATEST would skip records; only a repeated failure drops it.
        if (failedPolls >= 2) iterator = undefined;
        await this.#sleep(exponentialDelay(this.#idleDelayMs, failedPolls, MAX_RETRY_DELAY_MS));
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
    const iterator = await this.#reader.iterator(shard.shardId, shard.checkpoint, this.#abort.signal);
    if (shard.checkpoint === undefined && shard.initialPosition === 'LATEST') {
      return await this.#fastForward(shard, iterator);
    }
    return iterator;
  }

  /**
   * LATEST, emulated: reads the shard from TRIM_HORIZON to its end, skipping what is there, and
   * checkpoints the last record skipped. The emulators' LATEST iterators can skip records: DynamoDB
   * Local's break after any transaction and a re-acquired one skips what was written meanwhile;
   * kinesalite's encodes the shard's next sequence index read without a lock, so a racing PutRecords
   * can land before it. A checkpoint (or TRIM_HORIZON on a shard that was empty) never skips.
   */
  async #fastForward(shard: ShardState, iterator: string | undefined): Promise<string | undefined> {
    let next = iterator;
    while (next !== undefined && !this.#stopping) {
      const page = await this.#reader.getRecords(next, this.#reader.maxRecordsPerCall, this.#abort.signal);
      const last = page.records.at(-1);
      const sequenceNumber = last === undefined ? undefined : this.#reader.sequenceNumber(last);
      if (sequenceNumber !== undefined) shard.checkpoint = sequenceNumber;
      next = page.next;
      if (page.records.length === 0) break;
    }
    shard.initialPosition = 'TRIM_HORIZON';
    return next;
  }

  /** Reads up to batchSize records, waiting up to the batching window for more once one has arrived. */
  async #fetchBatch(shard: ShardState, iterator: string): Promise<{ records: R[]; next?: string }> {
    const { batchSize } = this.#source;
    const windowMs = this.#source.maximumBatchingWindowInSeconds * 1_000;
    const records: R[] = [];
    let next: string | undefined = iterator;
    let deadline: number | undefined;
    while (next !== undefined && !this.#stopping) {
      const limit = Math.min(this.#reader.maxRecordsPerCall, batchSize - records.length);
      let page: { records: R[]; next?: string };
      try {
        page = await this.#reader.getRecords(next, limit, this.#abort.signal);
      } catch (error) {
        // Records already read are delivered; the next poll resumes from the last good iterator.
        if (records.length > 0 && !this.#stopping) break;
        throw error;
      }
      next = page.next;
      if (page.records.length > 0) {
        records.push(...page.records);
        shard.inFlightSince ??= Date.now();
        deadline ??= Date.now() + windowMs;
        const last = page.records.at(-1);
        const arrived = last === undefined ? undefined : this.#reader.arrival(last);
        this.#stats.iteratorAgeMs = arrived === undefined ? 0 : Math.max(0, Date.now() - arrived.getTime());
      } else if (records.length === 0) {
        this.#stats.iteratorAgeMs = 0;
      }
      if (records.length === 0 || records.length >= batchSize) break;
      if (page.records.length === limit) continue;
      const remaining = (deadline ?? 0) - Date.now();
      if (remaining <= 0) break;
      await this.#sleep(Math.min(remaining, this.#idleDelayMs));
    }
    return { records, next };
  }

  /** Delivers one batch with retries, bisection and discard; returns when the shard may move on. */
  async #deliver(shard: ShardState, records: R[]): Promise<void> {
    shard.inFlightSince ??= Date.now();
    const queue: PendingBatch<R>[] = [{ records, retries: 0 }];
    const maxRetries = this.#source.maximumRetryAttempts;
    while (queue.length > 0) {
      const batch = queue[0]!;
      await this.#discardExpired(shard, batch);
      if (batch.records.length === 0) {
        queue.shift();
        if (queue.length === 0) this.#stats.batches++;
        continue;
      }
      const outcome = await this.#invoke(shard.shardId, batch.records);
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
        await this.#discard(shard, {
          shardId: shard.shardId,
          records: batch.records,
          condition: 'RetryAttemptsExhausted',
          invokeCount: batch.retries + 1,
          error: outcome.error,
          functionError: outcome.kind === 'error' && outcome.functionError,
        });
        queue.shift();
        if (queue.length === 0) this.#stats.batches++;
        continue;
      }
      batch.retries++;
      this.#stats.retries++;
      await this.#sleep(
        exponentialDelay(this.#options.retryDelayMs ?? 100, batch.retries - 1, MAX_RETRY_DELAY_MS),
      );
      if (this.#stopping) break;
    }
    shard.inFlightSince = undefined;
  }

  /** Discards the leading records older than `maximumRecordAgeInSeconds` (a shard's records arrive in order). */
  async #discardExpired(shard: ShardState, batch: PendingBatch<R>): Promise<void> {
    const maxAgeSeconds = this.#source.maximumRecordAgeInSeconds ?? -1;
    if (maxAgeSeconds < 0) return;
    const cutoff = Date.now() - maxAgeSeconds * 1_000;
    const firstFresh = batch.records.findIndex(
      (record) => (this.#reader.arrival(record)?.getTime() ?? Number.POSITIVE_INFINITY) >= cutoff,
    );
    const count = firstFresh === -1 ? batch.records.length : firstFresh;
    if (count === 0) return;
    const expired = batch.records.slice(0, count);
    batch.records = batch.records.slice(count);
    await this.#discard(shard, {
      shardId: shard.shardId,
      records: expired,
      condition: 'RecordAgeExceeded',
      invokeCount: batch.retries,
      error: new Error(`Record older than MaximumRecordAgeInSeconds (${maxAgeSeconds})`),
      functionError: false,
    });
  }

  async #invoke(shardId: string, records: R[]): Promise<InvocationOutcome> {
    this.#stats.invocations++;
    let result: unknown;
    try {
      result = await this.#options.invoke(shardId, records);
    } catch (error) {
      return { kind: 'error', error, functionError: true };
    }
    if (!this.#source.reportBatchItemFailures) return { kind: 'ok' };
    return parseBatchResponse(result, records, (record) => this.#reader.sequenceNumber(record));
  }

  #checkpoint(shard: ShardState, records: R[]): void {
    const last = records.at(-1);
    const sequenceNumber = last === undefined ? undefined : this.#reader.sequenceNumber(last);
    if (sequenceNumber === undefined) return;
    shard.checkpoint = sequenceNumber;
    this.#stats.records += records.length;
  }

  async #discard(shard: ShardState, batch: DiscardedBatch<R>): Promise<void> {
    const last = batch.records.at(-1);
    shard.checkpoint =
      (last === undefined ? undefined : this.#reader.sequenceNumber(last)) ?? shard.checkpoint;
    this.#stats.discardedBatches++;
    this.#stats.discardedRecords += batch.records.length;
    try {
      await this.#options.onDiscard?.(batch);
    } catch (error) {
      this.#pollError(error);
    }
  }

  #pollError(error: unknown): void {
    this.#stats.pollErrors++;
    this.#options.onError(error);
  }

  #sleep(ms: number): Promise<void> {
    return abortableSleep(ms, this.#abort.signal);
  }
}

/**
 * Lambda's reading of a ReportBatchItemFailures response: no object, no list or an empty list is
 * success; an identifier that is missing, empty or not a sequence number of the batch fails the whole batch.
 */
function parseBatchResponse<R>(
  result: unknown,
  records: R[],
  sequenceNumber: (record: R) => string | undefined,
): InvocationOutcome {
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
  const positions = new Map(records.map((record, index) => [sequenceNumber(record), index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return invalid('missing itemIdentifier');
    const index = positions.get(id);
    if (index === undefined) return invalid(`${id} is not a sequence number of the batch`);
    lowest = Math.min(lowest, index);
  }
  const failed = records[lowest];
  return {
    kind: 'partial',
    index: lowest,
    error: new Error(
      `Function reported item ${failed === undefined ? '' : sequenceNumber(failed)} as failed`,
    ),
  };
}

/** The envelope of the message Lambda sends to an on-failure destination for a discarded stream batch. */
export function batchFailureEnvelope<R>(
  batch: DiscardedBatch<R>,
  functionArn: string,
): {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: DiscardedBatch<R>['condition'];
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: 'Unhandled' };
  version: '1.0';
  timestamp: string;
} {
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn,
      condition: batch.condition,
      approximateInvokeCount: batch.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(batch.functionError ? { functionError: 'Unhandled' as const } : {}),
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
  };
}

/** The shards of a DescribeStream page (DynamoDB Streams and Kinesis share the shape). */
export function toShardDescriptions(
  shards:
    | readonly {
        ShardId?: string | undefined;
        ParentShardId?: string | undefined;
        SequenceNumberRange?: { EndingSequenceNumber?: string | undefined } | undefined;
      }[]
    | undefined,
): ShardDescription[] {
  const described: ShardDescription[] = [];
  for (const shard of shards ?? []) {
    if (shard.ShardId === undefined) continue;
    described.push({
      shardId: shard.ShardId,
      ...(shard.ParentShardId === undefined ? {} : { parentShardId: shard.ParentShardId }),
      closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
    });
  }
  return described;
}

/** The batch section of an on-failure message (`DDBStreamBatchInfo`, `KinesisBatchInfo`). */
export interface ShardBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

/** Local extras handed to `onFailure` next to the destination message. */
export interface ShardBatchFailureDetails<T> {
  /** The discarded records, in the shape the function received them. */
  records: T[];
  /** What the last attempt threw, or why the records were discarded (an invalid response, their age). */
  error: unknown;
}

/** What a stream event source mapping (DynamoDB Streams, Kinesis) takes beside its service client. */
export interface StreamMappingOptions<F, T> {
  /** SAM logical id of the function, passed to the invoker. */
  functionLogicalId: string;
  /** The function's stream event (DynamoDB or Kinesis) from the template. */
  eventSource: StreamEventSourceModel;
  invoker: LambdaInvoker;
  /**
   * Receives each batch discarded after `maximumRetryAttempts` retries (or for its age); polling goes
   * on once it resolves. Without it discarded batches are only counted, like a mapping without a destination.
   */
  onFailure?: (failure: F, details: ShardBatchFailureDetails<T>) => void | Promise<void>;
  /** Polling and onFailure errors; the poller keeps going after each. Default: console.error. */
  onError?: (error: unknown) => void;
  /** Longest pause between empty polls of a shard (backs off from 5 ms). Default 50. */
  idleDelayMs?: number;
  /** How often DescribeStream looks for new shards. Default 1000; a shard ending triggers one at once. */
  shardDiscoveryIntervalMs?: number;
  /** Delay before the first retry of a failed batch, doubled per retry up to 5 s. Default 100. */
  retryDelayMs?: number;
  /** Region of the ARNs in events and failure messages. Default `LOCAL_REGION`. */
  region?: string;
}

/**
 * A Lambda stream event source mapping over a {@link ShardPoller}: the lifecycle (resolve the stream,
 * then start the engine), the counters, and the on-failure message. Subclasses say how the stream is
 * found and how records look to the function and in the failure message.
 * @typeParam R - a record as the service returns it.
 * @typeParam T - a record as the function receives it.
 * @typeParam F - the on-failure destination message.
 */
export abstract class StreamMapping<R, T, F> {
  readonly #name: string;
  readonly #options: StreamMappingOptions<F, T>;
  readonly #reader: ShardReader<R>;
  readonly #engine: ShardPoller<R>;
  #streamArn: string | undefined;
  #started = false;

  /**
   * @param name - the poller's class name, for messages.
   * @param kind - the event source kind it reads.
   * @param reader - the service reader; `streamArn` is known once `start()` has resolved it.
   * @throws when the event source is of another kind.
   */
  protected constructor(
    name: string,
    kind: StreamEventSourceModel['kind'],
    options: StreamMappingOptions<F, T>,
    reader: (streamArn: () => string | undefined) => ShardReader<R>,
  ) {
    if (options.eventSource.kind !== kind) {
      throw new Error(`${name} reads ${kind} streams, not ${options.eventSource.kind}`);
    }
    this.#name = name;
    this.#options = options;
    this.#reader = reader(() => this.#streamArn);
    this.#engine = new ShardPoller<R>({
      reader: this.#reader,
      eventSource: options.eventSource,
      invoke: (shardId, records) =>
        options.invoker.invoke(options.functionLogicalId, {
          Records: this.toLambdaRecords(shardId, records),
        }),
      onDiscard: (batch) => this.#discarded(batch),
      onError: options.onError ?? ((error: unknown) => console.error(`${name}:`, error)),
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
  get stats(): ShardPollerStats {
    return this.#engine.stats;
  }

  /**
   * Resolves the stream, lists its shards and positions an iterator on each shard to read first, so
   * that with LATEST every record written after `start()` resolves is delivered.
   * @throws when the stream does not exist or the emulator cannot be reached.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error(`${this.#name} already started`);
    this.#started = true;
    try {
      this.#streamArn = await this.resolveStreamArn(this.#engine.signal);
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

  protected get region(): string {
    return this.#options.region ?? LOCAL_REGION;
  }

  /** The ARN of the stream read, called once by `start()` with the signal `stop()` aborts. */
  protected abstract resolveStreamArn(signal: AbortSignal): Promise<string | undefined>;

  /** Records of one shard as the function receives them. */
  protected abstract toLambdaRecords(shardId: string, records: R[]): T[];

  /** The on-failure message around the envelope and the batch section. */
  protected abstract failureMessage(
    envelope: ReturnType<typeof batchFailureEnvelope>,
    info: ShardBatchInfo,
  ): F;

  /** An arrival time as the failure message writes it. Default: ISO 8601 with milliseconds. */
  protected formatArrival(date: Date): string {
    return date.toISOString();
  }

  async #discarded(batch: DiscardedBatch<R>): Promise<void> {
    const onFailure = this.#options.onFailure;
    if (onFailure === undefined) return;
    const first = batch.records[0];
    const last = batch.records.at(-1);
    const reader = this.#reader;
    const sequenceNumber = (record: R | undefined) =>
      (record === undefined ? undefined : reader.sequenceNumber(record)) ?? '';
    const arrival = (record: R | undefined) => {
      const date = record === undefined ? undefined : reader.arrival(record);
      return date === undefined ? '' : this.formatArrival(date);
    };
    const envelope = batchFailureEnvelope(
      batch,
      localArn('lambda', `function:${this.#options.functionLogicalId}`, this.region),
    );
    const failure = this.failureMessage(envelope, {
      shardId: batch.shardId,
      startSequenceNumber: sequenceNumber(first),
      endSequenceNumber: sequenceNumber(last),
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: batch.records.length,
      streamArn: this.#streamArn ?? '',
    });
    await onFailure(failure, {
      records: this.toLambdaRecords(batch.shardId, batch.records),
      error: batch.error,
    });
  }
}
