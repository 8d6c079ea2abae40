import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '#local/template/local-identity.ts';
import type { SqsEventSourceModel } from '#local/template/model.ts';
import { abortableSleep } from './backoff.ts';

/** ReceiveMessage returns at most 10 messages per call. */
const MAX_RECEIVE = 10;
/** Lambda long-polls for 20 s when a queue is quiet. */
const LONG_POLL_SECONDS = 20;
const ERROR_DELAY_MS = 500;

interface SqsPollerOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  functionLogicalId: string;
  eventSource: SqsEventSourceModel;
  invoker: LambdaInvoker;
  region?: string;
  /** Long-poll wait when the queue is empty (tests of stop() may shorten it). Default 20 s. */
  waitTimeSeconds?: number;
  onError?: (error: unknown) => void;
}

/** Counters for /health, cumulative since `start()`. */
interface SqsPollerStats {
  receives: number;
  messages: number;
  invocations: number;
  deleted: number;
  /** Messages left on the queue after an invocation (returned after their visibility timeout). */
  returned: number;
  functionErrors: number;
  pollErrors: number;
}

/**
 * Reads one queue for one function with Lambda's SQS event source semantics:
 * - batches of up to `BatchSize`, gathered for at most `MaximumBatchingWindowInSeconds` (batches
 *   above 10 messages need a window, as on AWS); long polling while the queue is quiet;
 * - success deletes the batch; a thrown error (or timeout) leaves the whole batch to return after
 *   the queue's visibility timeout; with ReportBatchItemFailures only the reported messages stay,
 *   the rest are deleted (an unknown or empty identifier fails the whole batch, as on AWS);
 * - the queue's RedrivePolicy (enforced by fauxqs on receive) moves a message received more than
 *   maxReceiveCount times to its dead-letter queue.
 * One batch is in flight at a time. `stop()` aborts the long poll at once.
 */
export class SqsPoller {
  readonly stats: SqsPollerStats = {
    receives: 0,
    messages: 0,
    invocations: 0,
    deleted: 0,
    returned: 0,
    functionErrors: 0,
    pollErrors: 0,
  };
  readonly #options: SqsPollerOptions;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: SqsPollerOptions) {
    this.#options = options;
  }

  start(): void {
    if (!this.#options.eventSource.enabled) return;
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        const batch = await this.#collect();
        if (batch.length > 0) await this.#deliver(batch);
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        this.stats.pollErrors++;
        (this.#options.onError ?? ((e: unknown) => console.error('SqsPoller:', e)))(error);
        await this.#sleep(ERROR_DELAY_MS);
      }
    }
  }

  /** One batch: long-poll for the first messages, then fill up within the batching window. */
  async #collect(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowInSeconds } = this.#options.eventSource;
    const batch: Message[] = [];
    let deadline: number | undefined;
    while (batch.length < batchSize && !this.#abort.signal.aborted) {
      const remainingMs = deadline === undefined ? undefined : deadline - Date.now();
      if (remainingMs !== undefined && remainingMs <= 0) break;
      const waitSeconds =
        remainingMs === undefined
          ? (this.#options.waitTimeSeconds ?? LONG_POLL_SECONDS)
          : Math.min(LONG_POLL_SECONDS, Math.floor(remainingMs / 1000));
      this.stats.receives++;
      const result = await this.#options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#options.queueUrl,
          MaxNumberOfMessages: Math.min(MAX_RECEIVE, batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.#abort.signal },
      );
      const messages = result.Messages ?? [];
      batch.push(...messages);
      if (batch.length === 0) continue;
      if (maximumBatchingWindowInSeconds <= 0) break;
      deadline ??= Date.now() + maximumBatchingWindowInSeconds * 1000;
      if (messages.length === 0 && waitSeconds === 0) await this.#sleep(Math.min(50, deadline - Date.now()));
    }
    this.stats.messages += batch.length;
    return batch;
  }

  async #deliver(batch: Message[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map((message) => this.#toRecord(message)) };
    this.stats.invocations++;
    let failedIds: Set<string>;
    try {
      const result = await this.#options.invoker.invoke(this.#options.functionLogicalId, event);
      failedIds = this.#options.eventSource.reportBatchItemFailures
        ? failuresOf(result, batch)
        : new Set<string>();
    } catch (error) {
      this.stats.functionErrors++;
      this.stats.returned += batch.length;
      (this.#options.onError ?? (() => {}))(error);
      return;
    }
    const done = batch.filter((message) => !failedIds.has(message.MessageId ?? ''));
    this.stats.returned += batch.length - done.length;
    for (let start = 0; start < done.length; start += MAX_RECEIVE) {
      const chunk = done.slice(start, start + MAX_RECEIVE);
      const result = await this.#options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle ?? '',
          })),
        }),
      );
      this.stats.deleted += result.Successful?.length ?? 0;
      if ((result.Failed ?? []).length > 0) {
        throw new Error(`DeleteMessageBatch failed for ${result.Failed?.length} message(s)`);
      }
    }
  }

  #toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? LOCAL_ACCOUNT_ID,
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: toLambdaAttributes(message.MessageAttributes ?? {}),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#options.queueArn,
      awsRegion: this.#options.region ?? LOCAL_REGION,
    };
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return abortableSleep(ms, this.#abort.signal);
  }
}

/**
 * Lambda's reading of an SQS ReportBatchItemFailures response: no object, no list or an empty list
 * is success; an identifier that is missing, empty or not a message of the batch fails it all.
 */
function failuresOf(result: unknown, batch: readonly Message[]): Set<string> {
  const all = new Set(batch.map((message) => message.MessageId ?? ''));
  if (result === null || typeof result !== 'object') return new Set();
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id: unknown = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

/** SDK message attributes → the camel-cased shape Lambda delivers. */
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      stringListValues: [],
      binaryListValues: [],
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    };
  }
  return out;
}
