import type { Clock } from './ports.ts';

interface SlowConsumerOptions {
  /** Strikes (timeouts or throttles) within `windowMs` that disconnect a connection. Default 3. */
  strikesToDisconnect?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Connections remembered at most (oldest forgotten first), so a long-lived container stays bounded. Default 10 000. */
  maxTracked?: number;
}

/**
 * Remembers which connections could not take their frames of latest-value channels in time
 * (contracts/channels.ts; every-item frames are retried instead, see fanout-batch.ts). A strike
 * drops that one frame for that connection (the item's next change carries the latest value);
 * `strikesToDisconnect` strikes within `windowMs` mean the connection is disconnected, and its
 * client reconnects and `sync`s. One per fan-out
 * container: state across invocations, lost on a cold start (a fresh container starts forgiving).
 */
export class SlowConsumerTracker {
  readonly #strikes = new Map<string, number[]>();
  readonly #strikesToDisconnect: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;

  constructor(
    private readonly clock: Clock,
    options: SlowConsumerOptions = {},
  ) {
    this.#strikesToDisconnect = options.strikesToDisconnect ?? 3;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxTracked = options.maxTracked ?? 10_000;
  }

  /** Records a strike; `disconnect` when the connection has had too many. */
  strike(connectionId: string): 'tolerate' | 'disconnect' {
    const now = this.clock.now();
    const recent = (this.#strikes.get(connectionId) ?? []).filter((at) => now - at < this.#windowMs);
    recent.push(now);
    this.#strikes.delete(connectionId);
    if (recent.length >= this.#strikesToDisconnect) return 'disconnect';
    this.#strikes.set(connectionId, recent);
    if (this.#strikes.size > this.#maxTracked) {
      const oldest = this.#strikes.keys().next().value;
      if (oldest !== undefined) this.#strikes.delete(oldest);
    }
    return 'tolerate';
  }

  /** A frame went through: the connection keeps up again. */
  clear(connectionId: string): void {
    this.#strikes.delete(connectionId);
  }
}
