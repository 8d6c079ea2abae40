import { isLatestValueChannel } from '#contracts/channels.ts';
import {
  DependencyError,
  type PlatformError,
  SlowConnectionError,
  StaleConnectionError,
  toPlatformError,
} from './errors.ts';
import { createLimiter } from './limiter.ts';
import { distinctKeys, type Post, planPosts, type Subscriber } from './plan-fanout.ts';
import type { ConnectionPublisher, ConnectionStore } from './ports.ts';
import type { SlowConsumerTracker } from './slow-consumers.ts';
import type { ItemChange } from './stream-change.ts';

interface FanoutOptions {
  /** PostToConnection calls in flight at once, across the batch. */
  concurrency: number;
  /** Strikes of slow connections, kept across batches; without it a slow post is a plain failure. */
  slowConsumers?: SlowConsumerTracker;
  /**
   * Posts carrying an every-item frame (contracts/channels.ts) to a slow connection before it is
   * closed instead. Default 3 (two retries; each post is bounded by the publisher's timeout).
   */
  everyItemAttempts?: number;
  /** Largest frame one post may carry; default MAX_FRAME_BYTES (API Gateway's 32 KB). */
  maxFrameBytes?: number;
}

/**
 * What delivering one change did, counted in subscribers. `toStale` counts subscribers found gone
 * (their rows are removed); `failed` holds non-retryable post failures (e.g. frame too large).
 */
interface DeliveryReport {
  key: string;
  /** Subscribers that received this change's frame (alone or inside a `batch` frame). */
  delivered: number;
  /** Subscribers that received a newer change of this latest-value item in its place. */
  conflated: number;
  toStale: number;
  /** Connections too slow for the post carrying this latest-value change (dropped for them only). */
  slow: number;
  /** Posts that carried this change first and were tried again after a timeout or throttle. */
  retried: number;
  /** Slow connections closed: too many strikes, or an every-item frame they could not take. */
  disconnected: number;
  failed: PlatformError[];
}

export interface FanoutBatch {
  /**
   * Hands one change to the fan-out. Changes handed in during the same turn of the event loop (the
   * BatchProcessor starts every record of an invocation before any of them waits) go out together:
   * each connection gets them in as few posts as fit, in the order they were handed in (so per key,
   * apply order). Later changes wait until the posts of earlier ones are settled.
   * @throws DependencyError when a post carrying the change failed in a way worth retrying (the record
   * is then retried), or when its key's subscribers could not be looked up.
   */
  deliver(change: ItemChange): Promise<DeliveryReport>;
}

type PostOutcome = 'delivered' | 'stale' | 'slow' | 'disconnected' | PlatformError;

interface Pending {
  change: ItemChange;
  resolve: (report: DeliveryReport) => void;
  reject: (error: unknown) => void;
}

/**
 * Fan-out for one stream-fanout invocation. Subscribers are looked up once per distinct key per
 * invocation (one paged GSI query each, never a scan). A gone connection (410) has its own rows
 * removed, once, and gets nothing more in this invocation.
 */
export function startFanoutBatch(
  ports: { connections: ConnectionStore; publisher: ConnectionPublisher },
  options: FanoutOptions,
): FanoutBatch {
  const subscriberLookups = new Map<string, Promise<Subscriber[]>>();
  const staleRemovals = new Map<string, Promise<void>>();
  const limit = createLimiter(options.concurrency);
  const everyItemAttempts = options.everyItemAttempts ?? 3;
  let pending: Pending[] = [];
  let rounds: Promise<void> = Promise.resolve();

  const subscribersOf = (key: string): Promise<Subscriber[]> => {
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

  /** Closed, not just forgotten: its client reconnects and syncs, so nothing stays missed. */
  const disconnect = async (connectionId: string): Promise<'disconnected'> => {
    await ports.publisher.disconnect?.(connectionId);
    await removeStale(connectionId);
    return 'disconnected';
  };

  /** One post, with the slow-consumer rules of the frames it carries; `retried` counts extra attempts. */
  const send = async (post: Post, retried: { count: number }): Promise<PostOutcome> => {
    const frames = post.frame.type === 'batch' ? post.frame.frames : [post.frame];
    const everyItem = frames.some((frame) => 'channel' in frame && !isLatestValueChannel(frame.channel));
    for (let attempt = 1; ; attempt += 1) {
      if (staleRemovals.has(post.connectionId)) return 'stale';
      try {
        await limit(() => ports.publisher.post(post.connectionId, post.frame));
        options.slowConsumers?.clear(post.connectionId);
        return 'delivered';
      } catch (error) {
        if (error instanceof StaleConnectionError) {
          await removeStale(post.connectionId);
          return 'stale';
        }
        if (!(error instanceof SlowConnectionError && options.slowConsumers)) return toPlatformError(error);
        if (!everyItem) {
          // Latest-value only: conflated, the items' next changes carry the newest state.
          if (options.slowConsumers.strike(post.connectionId) === 'tolerate') return 'slow';
          return disconnect(post.connectionId);
        }
        // Every-item: these frames must not be lost; past the attempts the client resyncs instead.
        if (attempt >= everyItemAttempts) return disconnect(post.connectionId);
        retried.count += 1;
      }
    }
  };

  /**
   * A connection's posts one after another, so its frames arrive in order. After a retryable
   * failure the rest are not sent (they fail alike and are retried with it), so a retried change
   * never arrives after a later change of its key.
   */
  const sendInOrder = async (posts: readonly Post[]) => {
    const results: Array<{ post: Post; outcome: PostOutcome; retried: number }> = [];
    let blocked: PlatformError | undefined;
    for (const post of posts) {
      const retried = { count: 0 };
      const outcome = blocked ?? (await send(post, retried));
      if (typeof outcome !== 'string' && outcome.retryable) blocked = outcome;
      results.push({ post, outcome, retried: retried.count });
    }
    return results;
  };

  const runRound = async (round: readonly Pending[]) => {
    const changes = round.map((entry) => entry.change);
    const lookups = await Promise.all(
      distinctKeys(changes).map(async (key) => {
        try {
          return [key, await subscribersOf(key)] as const;
        } catch (error) {
          return [key, toPlatformError(error)] as const;
        }
      }),
    );
    const subscribersByKey = new Map<string, Subscriber[]>();
    const lookupFailures = new Map<string, PlatformError>();
    for (const [key, result] of lookups) {
      if (Array.isArray(result)) subscribersByKey.set(key, result);
      else lookupFailures.set(key, result);
    }

    const posts = planPosts(changes, subscribersByKey, options.maxFrameBytes);
    const byConnection = new Map<string, Post[]>();
    for (const post of posts) {
      const ofConnection = byConnection.get(post.connectionId);
      if (ofConnection) ofConnection.push(post);
      else byConnection.set(post.connectionId, [post]);
    }
    const sent = (await Promise.all([...byConnection.values()].map(sendInOrder))).flat();

    const reports: DeliveryReport[] = changes.map((change) => ({
      key: change.key,
      delivered: 0,
      conflated: 0,
      toStale: 0,
      slow: 0,
      retried: 0,
      disconnected: 0,
      failed: [],
    }));
    const retryable = new Map<number, PlatformError[]>();
    for (const { post, outcome, retried } of sent) {
      const [first] = post.carries;
      if (first !== undefined) (reports[first] as DeliveryReport).retried += retried;
      for (const index of [...post.carries, ...post.conflated]) {
        const report = reports[index] as DeliveryReport;
        if (outcome === 'delivered') {
          if (post.carries.includes(index)) report.delivered += 1;
          else report.conflated += 1;
        } else if (outcome === 'stale') report.toStale += 1;
        else if (outcome === 'slow') report.slow += 1;
        else if (outcome === 'disconnected') report.disconnected += 1;
        else if (outcome.retryable) retryable.set(index, [...(retryable.get(index) ?? []), outcome]);
        else report.failed.push(outcome);
      }
    }

    round.forEach((entry, index) => {
      const lookupFailure = lookupFailures.get(entry.change.key);
      const failures = retryable.get(index) ?? [];
      if (lookupFailure) entry.reject(lookupFailure);
      else if (failures.length > 0) {
        entry.reject(
          new DependencyError(
            `${failures.length} posts carrying key ${entry.change.key} failed: ${failures[0]?.message}`,
            { cause: failures[0] },
          ),
        );
      } else entry.resolve(reports[index] as DeliveryReport);
    });
  };

  const flush = () => {
    const round = pending;
    pending = [];
    rounds = rounds.then(() =>
      runRound(round).catch((error: unknown) => {
        for (const entry of round) entry.reject(error);
      }),
    );
  };

  return {
    deliver(change) {
      return new Promise<DeliveryReport>((resolve, reject) => {
        // The first change of a round schedules it after every record of this turn has been handed in.
        if (pending.length === 0) setImmediate(flush);
        pending.push({ change, resolve, reject });
      });
    },
  };
}
