import { randomUUID } from 'node:crypto';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { asyncInvocationFailure } from '#local/event-sources/on-failure-queue.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';

/** An object creation the emulator served, as S3 would report it. */
export interface ObjectCreated {
  bucket: string;
  /** The object key, decoded. */
  key: string;
  size: number;
  /** Without quotes, as in S3 events. */
  eTag: string;
  eventName: 'ObjectCreated:Put' | 'ObjectCreated:Copy' | 'ObjectCreated:CompleteMultipartUpload';
}

/** One `Type: S3` event of a function, with the bucket's local name. */
export interface S3NotificationTarget {
  functionLogicalId: string;
  configurationId: string;
  bucketName: string;
  /** e.g. `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`. */
  events: string[];
  prefix?: string;
  suffix?: string;
  /** The function's `EventInvokeConfig.MaximumRetryAttempts`; default the notifier's. */
  maximumRetryAttempts?: number;
  /** The function's on-failure destination (`EventInvokeConfig.DestinationConfig.OnFailure`), if any. */
  onFailureQueueLogicalId?: string;
}

interface S3NotifierOptions {
  invoker: LambdaInvoker;
  targets: S3NotificationTarget[];
  region: string;
  /** Retries after a failed invocation when the target names none (S3 invokes asynchronously: Lambda retries twice). */
  maximumRetryAttempts?: number;
  /**
   * Sends Lambda's on-failure record of an event that failed every attempt to the target's queue;
   * resolves whether it was sent. Without it (or a queue) the event is dropped with a log line.
   */
  sendToFailureQueue?: (queueLogicalId: string, record: unknown) => Promise<boolean>;
  /** Delay before the first retry, doubled for each further one (Lambda waits minutes; locally short). */
  retryDelayMs?: number;
  log: (line: string) => void;
}

interface S3NotifierStats {
  notifications: number;
  invocations: number;
  /** Notifications the function accepted (after retries, if any). */
  delivered: number;
  retries: number;
  failures: number;
  /** Events given up after every retry failed, with no on-failure destination to keep them. */
  dropped: number;
  /** Events that failed every attempt and went to the function's on-failure queue. */
  sentToFailureQueue: number;
}

/**
 * S3 event notifications to Lambda, raised by the local runtime (fauxqs has none): each object
 * creation matching a target's events and key filter invokes the function with the real S3 event
 * shape, asynchronously, retried on failure (the function's `EventInvokeConfig`), then sent to its
 * on-failure queue with Lambda's destination record, or given up with a log line when it has none.
 */
export class S3Notifier {
  readonly stats: S3NotifierStats = {
    notifications: 0,
    invocations: 0,
    delivered: 0,
    retries: 0,
    failures: 0,
    dropped: 0,
    sentToFailureQueue: 0,
  };
  readonly #options: S3NotifierOptions;
  readonly #inFlight = new Set<Promise<void>>();
  #stopping = false;
  #sequence = 0;

  constructor(options: S3NotifierOptions) {
    this.#options = options;
  }

  /** Raises the notifications of one creation; returns at once (delivery is asynchronous). */
  objectCreated(object: ObjectCreated): void {
    if (this.#stopping) return;
    for (const target of this.#options.targets) {
      if (!matches(target, object)) continue;
      this.stats.notifications++;
      const event = this.#eventOf(target, object);
      const delivery = this.#deliver(target, event).finally(() => this.#inFlight.delete(delivery));
      this.#inFlight.add(delivery);
    }
  }

  /** Resolves once every notification raised so far is delivered or given up (retries included). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops retrying and waits for invocations in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.settled();
  }

  async #deliver(target: S3NotificationTarget, event: S3Event): Promise<void> {
    const retries = target.maximumRetryAttempts ?? this.#options.maximumRetryAttempts ?? 2;
    for (let attempt = 0; ; attempt++) {
      this.stats.invocations++;
      try {
        await this.#options.invoker.invoke(target.functionLogicalId, event);
        this.stats.delivered++;
        return;
      } catch (error) {
        this.stats.failures++;
        if (attempt >= retries || this.#stopping) {
          await this.#giveUp(target, event, attempt + 1, error);
          return;
        }
        this.stats.retries++;
        await new Promise((resolve) =>
          setTimeout(resolve, (this.#options.retryDelayMs ?? 200) * 2 ** attempt),
        );
      }
    }
  }

  async #giveUp(
    target: S3NotificationTarget,
    event: S3Event,
    attempts: number,
    error: unknown,
  ): Promise<void> {
    const queue = target.onFailureQueueLogicalId;
    const send = this.#options.sendToFailureQueue;
    if (queue !== undefined && send !== undefined) {
      const record = asyncInvocationFailure({
        region: this.#options.region,
        functionLogicalId: target.functionLogicalId,
        attempts,
        event,
        error,
      });
      if (await send(queue, record)) {
        this.stats.sentToFailureQueue++;
        return;
      }
    }
    this.stats.dropped++;
    const key = event.Records[0]?.s3.object.key;
    this.#options.log(
      `${target.functionLogicalId}: S3 event for s3://${target.bucketName}/${key} dropped after ` +
        `${attempts} attempt(s): ${(error as Error).message}`,
    );
  }

  #eventOf(target: S3NotificationTarget, object: ObjectCreated): S3Event {
    // The sequencer orders events of one key; a hex counter keeps that property.
    const sequencer = (Date.now() * 1000 + (this.#sequence++ % 1000)).toString(16).toUpperCase();
    const record: S3EventRecord = {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: this.#options.region,
      eventTime: new Date().toISOString(),
      eventName: object.eventName,
      userIdentity: { principalId: 'AWS:local' },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      responseElements: {
        'x-amz-request-id': randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
        'x-amz-id-2': 'local',
      },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: target.configurationId,
        bucket: {
          name: object.bucket,
          ownerIdentity: { principalId: 'local' },
          arn: `arn:aws:s3:::${object.bucket}`,
        },
        object: { key: encodeEventKey(object.key), size: object.size, eTag: object.eTag, sequencer },
      },
    };
    return { Records: [record] };
  }
}

function matches(target: S3NotificationTarget, object: ObjectCreated): boolean {
  if (target.bucketName !== object.bucket) return false;
  if (target.prefix !== undefined && !object.key.startsWith(target.prefix)) return false;
  if (target.suffix !== undefined && !object.key.endsWith(target.suffix)) return false;
  const name = `s3:${object.eventName}`;
  return target.events.some((pattern) =>
    pattern.endsWith(':*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern,
  );
}

/** S3 event keys are URL-encoded like a form value (`+` for a space), slashes kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}
