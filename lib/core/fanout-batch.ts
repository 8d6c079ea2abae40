import { isLatestValueChannel } from '#contracts/channels.ts';
import {
  DependencyError,
  type PlatformError,
  SlowConnectionError,
  StaleConnectionError,
  toPlatformError,
} from '#runtime/errors.ts';
import { createLimiter } from './limiter.ts';
import { type Delivery, planFanout } from './plan-fanout.ts';
import type { ConnectionPublisher, ConnectionStore } from './ports.ts';
import type { SlowConsumerTracker } from './slow-consumers.ts';
import type { ItemChange } from './stream-change.ts';

export interface FanoutOptions {
  /** PostToConnection calls in flight at once, across the batch. */
  concurrency: number;
  /** Strikes of slow connections, kept across batches; without it a slow post is a plain failure. */
  slowConsumers?: SlowConsumerTracker;
  /**
   * Posts of an every-item frame (contracts/channels.ts) to a slow connection before it is closed
   * instead. Default 3 (two retries; each post is bounded by the publisher's timeout).
   */
  everyItemAttempts?: number;
}

/**
 * What delivering one change did. `toStale` counts subscribers found gone (their rows are removed);
 * `failed` holds non-retryable post failures (e.g. frame too large).
 */
export interface DeliveryReport {
  key: string;
  delivered: number;
  toStale: number;
  /** Connections too slow for this latest-value frame (dropped for them only, conflated). */
  slow: number;
  /** Posts of every-item frames tried again after a timeout or throttle. */
  retried: number;
  /** Slow connections closed: too many strikes, or an every-item frame they could not take. */
  disconnected: number;
  failed: PlatformError[];
}

export interface FanoutBatch {
  /**
   * Delivers one change to every subscriber of its key. Changes of one key go out in the order
   * `deliver` is called (each waits for the previous one of its key); other keys run in parallel.
   * @throws DependencyError when a post failed in a way worth retrying (the record is then retried).
   */
  deliver(change: ItemChange): Promise<DeliveryReport>;
}

/**
 * Fan-out for one stream batch. Subscribers are looked up once per distinct key per batch (one
 * paged GSI query each, never a scan). A gone connection (410) has its own rows removed, once, and
 * gets nothing more in this batch.
 */
export function startFanoutBatch(
  ports: { connections: ConnectionStore; publisher: ConnectionPublisher },
  options: FanoutOptions,
): FanoutBatch {
  const subscriberLookups = new Map<string, Promise<string[]>>();
  const keyChains = new Map<string, Promise<unknown>>();
  const staleRemovals = new Map<string, Promise<void>>();
  const limit = createLimiter(options.concurrency);

  const subscribersOf = (key: string): Promise<string[]> => {
    let lookup = subscriberLookups.get(key);
    if (!lookup) {
      lookup = ports.connections.listSubscribers(key);
      subscriberLookups.set(key, lookup);
      // A failed lookup must not poison the retry of a later record of the same key.
      lookup.catch(() => subscriberLookups.delete(key));
    }
    return lookup;
  };

  const removeStale = (connectionId: string): Promise<void> => {
    let removal = staleRemovals.get(connectionId);
    if (!removal) {
      removal = ports.connections.removeConnection(connectionId);
      staleRemovals.set(connectionId, removal);
    }
    return removal;
  };

  const everyItemAttempts = options.everyItemAttempts ?? 3;

  /** Closed, not just forgotten: its client reconnects and syncs, so nothing stays missed. */
  const disconnect = async (connectionId: string): Promise<'disconnected'> => {
    await ports.publisher.disconnect?.(connectionId);
    await removeStale(connectionId);
    return 'disconnected';
  };

  const post = async (
    delivery: Delivery,
    retried: { count: number },
  ): Promise<'delivered' | 'stale' | 'slow' | 'disconnected' | PlatformError> => {
    const everyItem = 'channel' in delivery.frame && !isLatestValueChannel(delivery.frame.channel);
    for (let attempt = 1; ; attempt += 1) {
      if (staleRemovals.has(delivery.connectionId)) return 'stale';
      try {
        await limit(() => ports.publisher.post(delivery.connectionId, delivery.frame));
        options.slowConsumers?.clear(delivery.connectionId);
        return 'delivered';
      } catch (error) {
        if (error instanceof StaleConnectionError) {
          await removeStale(delivery.connectionId);
          return 'stale';
        }
        if (!(error instanceof SlowConnectionError && options.slowConsumers)) return toPlatformError(error);
        if (!everyItem) {
          // Latest-value: conflated, the key's next change carries the newest state.
          if (options.slowConsumers.strike(delivery.connectionId) === 'tolerate') return 'slow';
          return disconnect(delivery.connectionId);
        }
        // Every-item: this frame must not be lost; past the attempts the client resyncs instead.
        if (attempt >= everyItemAttempts) return disconnect(delivery.connectionId);
        retried.count += 1;
      }
    }
  };

  const deliverNow = async (change: ItemChange): Promise<DeliveryReport> => {
    const subscribers = await subscribersOf(change.key);
    const deliveries = planFanout([change], new Map([[change.key, subscribers]]));
    const retried = { count: 0 };
    const outcomes = await Promise.all(deliveries.map((delivery) => post(delivery, retried)));
    const report: DeliveryReport = {
      key: change.key,
      delivered: 0,
      toStale: 0,
      slow: 0,
      retried: retried.count,
      disconnected: 0,
      failed: [],
    };
    const retryable: PlatformError[] = [];
    for (const outcome of outcomes) {
      if (outcome === 'delivered') report.delivered += 1;
      else if (outcome === 'stale') report.toStale += 1;
      else if (outcome === 'slow') report.slow += 1;
      else if (outcome === 'disconnected') report.disconnected += 1;
      else if (outcome.retryable) retryable.push(outcome);
      else report.failed.push(outcome);
    }
    if (retryable.length > 0) {
      throw new DependencyError(
        `${retryable.length} of ${deliveries.length} posts for key ${change.key} failed: ${retryable[0]?.message}`,
        { cause: retryable[0] },
      );
    }
    return report;
  };

  return {
    deliver(change) {
      const previous = keyChains.get(change.key) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => deliverNow(change));
      keyChains.set(change.key, next);
      return next;
    },
  };
}
