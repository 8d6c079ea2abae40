import type { Seq } from '#contracts/seq.ts';
import { TOKEN_EXPIRED_CLOSE_CODE } from '#contracts/ws-limits.ts';
import {
  type AckFrame,
  type ClientMessage,
  ClientMessageSchema,
  type ErrorFrame,
  type ItemFrame,
  type RemovedFrame,
  type ServerFrame,
  ServerFrameSchema,
  type SnapshotFrame,
} from '#contracts/ws-protocol.ts';
import { SeqBook, VersionBook } from './versions.ts';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveConnectionOptions {
  websocketUrl: string;
  /** Query parameter that names the connection's first key (the platform's `realTimeItemKey`). */
  keyAttribute: string;
  /** Extra query parameters of the connection, e.g. `{ user: 'ana' }`. */
  query?: Record<string, string>;
  /** Sent as `?token=` when the platform runs with `AuthMode=jwt`. */
  token?: string | undefined;
  /**
   * A token to reconnect with once the platform closed the connection because its token expired
   * (close code 4001, or a `TokenExpired` frame before the close on AWS); undefined keeps the old one.
   */
  freshToken?: () => string | undefined;
  onItem?: (frame: ItemFrame) => void;
  onRemoved?: (frame: RemovedFrame) => void;
  /**
   * The platform could not resume `key` (what the page held is older than the history's retention):
   * drop everything shown for it; the key's full current state follows as `onItem` calls.
   */
  onReset?: (key: string) => void;
  onError?: (frame: ErrorFrame) => void;
  /** Acks of actions the page sent (e.g. `bid`), in arrival order. */
  onAck?: (frame: AckFrame) => void;
  onState?: (state: ConnectionState) => void;
}

/** Reconnect delays: exponential from 500 ms up to 15 s, each with full jitter in [50 %, 100 %]. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
/** API Gateway closes idle connections after 10 minutes. */
const KEEPALIVE_MS = 5 * 60_000;

/**
 * One WebSocket to the platform, kept alive for the page: it subscribes to keys, applies only
 * frames newer than what it holds, and reconnects with backoff. After every (re)connect it
 * re-subscribes and syncs each key, so frames missed while it was away arrive in the snapshot.
 *
 * Resume: per key it keeps the highest `seq` seen (replayed changes, a snapshot's resume point, and
 * live frames once the key's sync is answered) and syncs with `after: seq`, which replays only the changes missed, on every
 * channel; a key with no seq yet gets a plain (full) sync. Why not `since`: versions count per item
 * (key, channel), not per key, so no single version is a safe position for a key. Answers come in
 * pages (the connection follows each page's `next` cursor) and the version book drops what is
 * already held, so a change replayed and also received live is applied once.
 */
export class LiveConnection {
  readonly #options: LiveConnectionOptions;
  readonly #keys = new Set<string>();
  readonly #versions = new VersionBook();
  readonly #seqs = new SeqBook();
  /**
   * Live seqs of keys whose sync is still being answered. They join `#seqs` only once the answer's
   * last frame came: a live frame can be ahead of changes the answer has yet to bring, so resuming
   * after it, were the socket to drop meanwhile, would skip those.
   */
  readonly #liveWhileSyncing = new SeqBook();
  readonly #syncing = new Set<string>();
  /** The `after` of each key's sync being answered: its following pages must repeat it. */
  readonly #syncAfter = new Map<string, Seq>();
  /** Keys whose current sync answer already reset them (a reset answer may span several frames). */
  readonly #resetting = new Set<string>();
  #socket: WebSocket | undefined;
  #state: ConnectionState = 'idle';
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #stopped = false;
  #token: string | undefined;
  #tokenExpired = false;
  /** How many times the socket opened (the first time included). */
  #opens = 0;

  constructor(options: LiveConnectionOptions) {
    this.#options = options;
    this.#token = options.token;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get keys(): string[] {
    return [...this.#keys];
  }

  /** Follows `key`: snapshot now, live frames from then on. Connects on the first key. */
  subscribe(key: string): void {
    if (this.#keys.has(key)) return;
    this.#keys.add(key);
    if (this.#state === 'open') this.#follow(key);
    else if (this.#state === 'idle') this.#connect();
  }

  unsubscribe(key: string): void {
    if (!this.#keys.delete(key)) return;
    this.#versions.forget(key);
    this.#seqs.forget(key);
    this.#liveWhileSyncing.forget(key);
    this.#syncing.delete(key);
    this.#syncAfter.delete(key);
    if (this.#state === 'open') this.send({ action: 'unsubscribe', key });
  }

  /**
   * Sends a client message (validated against the protocol first).
   * @returns false when the socket is not open (the caller shows it; nothing is queued).
   */
  send(message: ClientMessage): boolean {
    const parsed = ClientMessageSchema.parse(message);
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(parsed));
    return true;
  }

  /** Closes for good (page left). */
  close(): void {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#keepAlive);
    this.#socket?.close(1000, 'page closed');
    this.#setState('closed');
  }

  #connect(): void {
    const [firstKey] = this.#keys;
    if (this.#stopped || firstKey === undefined) return;
    this.#setState(this.#opens === 0 && this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const url = new URL(this.#options.websocketUrl);
    url.searchParams.set(this.#options.keyAttribute, firstKey);
    for (const [name, value] of Object.entries(this.#options.query ?? {})) url.searchParams.set(name, value);
    if (this.#token) url.searchParams.set('token', this.#token);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempt = 0;
      this.#opens += 1;
      this.#setState('open');
      for (const key of this.#keys) this.#follow(key);
      clearInterval(this.#keepAlive);
      this.#keepAlive = setInterval(() => this.send({ action: 'ping' }), KEEPALIVE_MS);
    };
    socket.onmessage = (event) => this.#onMessage(event.data);
    socket.onclose = (event) => {
      clearInterval(this.#keepAlive);
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = undefined;
      if (event.code === TOKEN_EXPIRED_CLOSE_CODE || this.#tokenExpired) {
        // Not a failure: the token ended. Reconnect at once with a fresh one, not after backoff.
        this.#tokenExpired = false;
        this.#token = this.#options.freshToken?.() ?? this.#token;
        this.#attempt = 0;
      }
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    this.#setState('reconnecting');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.#attempt);
    const jittered = ceiling * (0.5 + Math.random() / 2);
    this.#attempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#connect(), jittered);
  }

  /**
   * Subscribes (again: a no-op for the connect key) and asks for what the page misses of the key:
   * the changes after its seq when it holds one, else the key's snapshot.
   */
  #follow(key: string): void {
    this.send({ action: 'subscribe', key });
    const after = this.#seqs.get(key);
    this.#resetting.delete(key);
    this.#syncing.add(key);
    this.#liveWhileSyncing.forget(key);
    if (after === undefined) {
      this.#syncAfter.delete(key);
      this.send({ action: 'sync', key });
    } else {
      this.#syncAfter.set(key, after);
      this.send({ action: 'sync', key, after });
    }
  }

  #applySnapshot(frame: SnapshotFrame): void {
    if (!this.#keys.has(frame.key)) return;
    if (frame.reset && !this.#resetting.has(frame.key)) {
      // Versions restart when an item is deleted and written again: what was held no longer counts.
      this.#resetting.add(frame.key);
      // Its following pages are pages of the current state: plain `sync` with the cursor.
      this.#syncAfter.delete(frame.key);
      this.#versions.forget(frame.key);
      this.#options.onReset?.(frame.key);
    }
    // Replayed changes come in apply order from `after` on: each is a safe resume point.
    for (const item of frame.items) {
      if (item.type === 'item') this.#applyItem(item, true);
      else this.#applyRemoved(item, true);
    }
    // A key bigger than one page: ask for the next until the last page (no `next`).
    if (frame.next !== undefined) {
      const after = this.#syncAfter.get(frame.key);
      this.send({ action: 'sync', key: frame.key, cursor: frame.next, ...(after ? { after } : {}) });
    } else if (frame.seq !== undefined) {
      // The answer's last frame (only it has `seq`): from here on the live frames are contiguous.
      this.#seqs.see(frame.key, frame.seq);
      this.#seqs.see(frame.key, this.#liveWhileSyncing.get(frame.key));
      this.#liveWhileSyncing.forget(frame.key);
      this.#syncing.delete(frame.key);
    }
  }

  /** Records where the key's stream stands: `replayed` by a sync, or live. */
  #seeSeq(key: string, seq: Seq | undefined, replayed: boolean): void {
    if (replayed || !this.#syncing.has(key)) this.#seqs.see(key, seq);
    else this.#liveWhileSyncing.see(key, seq);
  }

  #onMessage(data: unknown): void {
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      console.warn('ignored a frame that is not JSON');
      return;
    }
    const parsed = ServerFrameSchema.safeParse(json);
    if (!parsed.success) {
      console.warn('ignored a frame outside the protocol', json);
      return;
    }
    this.#dispatch(parsed.data);
  }

  /** One frame; a `batch` frame's inner frames one by one, as if each had come alone. */
  #dispatch(frame: ServerFrame): void {
    switch (frame.type) {
      case 'batch':
        for (const inner of frame.frames) this.#dispatch(inner);
        break;
      case 'item':
        this.#applyItem(frame);
        break;
      case 'snapshot':
        this.#applySnapshot(frame);
        break;
      case 'removed':
        this.#applyRemoved(frame);
        break;
      case 'error':
        if (frame.code === 'TokenExpired') this.#tokenExpired = true;
        this.#options.onError?.(frame);
        break;
      case 'ack':
        this.#options.onAck?.(frame);
        break;
    }
  }

  #applyRemoved(frame: RemovedFrame, replayed = false): void {
    if (!this.#keys.has(frame.key)) return;
    this.#seeSeq(frame.key, frame.seq, replayed);
    if (this.#versions.acceptRemoval(frame.key, frame.channel, frame.version))
      this.#options.onRemoved?.(frame);
  }

  #applyItem(frame: ItemFrame, replayed = false): void {
    // Frames of a key unsubscribed meanwhile may still be in flight.
    if (!this.#keys.has(frame.key)) return;
    this.#seeSeq(frame.key, frame.seq, replayed);
    if (this.#versions.accept(frame.key, frame.channel, frame.version)) this.#options.onItem?.(frame);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}
