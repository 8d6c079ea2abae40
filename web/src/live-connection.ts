import {
  type AckFrame,
  type ClientMessage,
  ClientMessageSchema,
  type ErrorFrame,
  type ItemFrame,
  type RemovedFrame,
  type ServerFrame,
  ServerFrameSchema,
  TOKEN_EXPIRED_CLOSE_CODE,
} from '#contracts/ws-protocol.ts';
import { VersionBook } from './versions.ts';

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
 * Why a full snapshot and not `since`: versions count per item (key, channel), not per key, so no
 * single `since` per key is safe (a new message in a room starts at version 1; another channel of
 * a vehicle may sit below the highest version held). The snapshot comes in pages (the connection
 * follows each page's `next` cursor; a room gives its newest messages) and the version book drops
 * what is already held.
 */
export class LiveConnection {
  readonly #options: LiveConnectionOptions;
  readonly #keys = new Set<string>();
  readonly #versions = new VersionBook();
  #socket: WebSocket | undefined;
  #state: ConnectionState = 'idle';
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #holdUntil = 0;
  #stopped = false;
  #token: string | undefined;
  #tokenExpired = false;
  /** How many times the socket opened (the first time included). */
  opens = 0;

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

  /**
   * Drops the socket as a network failure would; the usual backoff reconnects it, not before
   * `holdMs` (tests use it to post readings the connection must catch up on).
   */
  drop(holdMs = 0): void {
    this.#holdUntil = Date.now() + holdMs;
    this.#socket?.close(4000, 'dropped');
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
    this.#setState(this.opens === 0 && this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const url = new URL(this.#options.websocketUrl);
    url.searchParams.set(this.#options.keyAttribute, firstKey);
    for (const [name, value] of Object.entries(this.#options.query ?? {})) url.searchParams.set(name, value);
    if (this.#token) url.searchParams.set('token', this.#token);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempt = 0;
      this.opens += 1;
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
    const delay = Math.max(jittered, this.#holdUntil - Date.now());
    this.#attempt += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Subscribes (again: a no-op for the connect key) and asks for the key's snapshot. */
  #follow(key: string): void {
    this.send({ action: 'subscribe', key });
    this.send({ action: 'sync', key });
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
        for (const item of frame.items) {
          if (item.type === 'item') this.#applyItem(item);
          else this.#applyRemoved(item);
        }
        // A key bigger than one page: ask for the next until the last page (no `next`).
        if (frame.next !== undefined && this.#keys.has(frame.key)) {
          this.send({ action: 'sync', key: frame.key, cursor: frame.next });
        }
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

  #applyRemoved(frame: RemovedFrame): void {
    if (this.#keys.has(frame.key) && this.#versions.accept(frame.key, frame.channel, frame.version)) {
      this.#options.onRemoved?.(frame);
    }
  }

  #applyItem(frame: ItemFrame): void {
    // Frames of a key unsubscribed meanwhile may still be in flight.
    if (!this.#keys.has(frame.key)) return;
    if (this.#versions.accept(frame.key, frame.channel, frame.version)) this.#options.onItem?.(frame);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onState?.(state);
  }
}

/** The page's live connection, reachable from browser tests as `window.rtp.live`. */
export function exposeForTests(live: LiveConnection): void {
  (window as unknown as { rtp: { live: LiveConnection } }).rtp = { live };
}
