import WebSocket from 'ws';
import { type ItemFrame, type ServerFrame, ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { DEFAULT_WAIT_MS, waitFor } from './platform.ts';

/** A dashboard-like WebSocket client that records every frame, each checked against the protocol schema. */
export interface TestClient {
  socket: WebSocket;
  /** Every frame, `batch` frames opened: their inner frames in order, as if each came alone. */
  frames: ServerFrame[];
  /** Every WebSocket message as it arrived (`batch` frames whole). */
  received: ServerFrame[];
  /** Frames that did not match ServerFrameSchema (a test asserts this stays empty). */
  invalid: unknown[];
  send(message: unknown): void;
  /** Resolves with the first frame (after `from`) that `match` accepts. */
  next(match: (frame: ServerFrame) => boolean, what: string, timeoutMs?: number): Promise<ServerFrame>;
  close(): Promise<void>;
}

/** The `item` frames inside a snapshot frame (removals left out); none for any other frame. */
export function itemsOf(frame: ServerFrame): ItemFrame[] {
  return frame.type === 'snapshot'
    ? frame.items.filter((item): item is ItemFrame => item.type === 'item')
    : [];
}

/**
 * Connects to `url` and resolves once open.
 * @throws Error with the HTTP status when the gateway refuses the upgrade (e.g. 400 without a key).
 */
export function connectClient(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    const frames: ServerFrame[] = [];
    const received: ServerFrame[] = [];
    const invalid: unknown[] = [];
    socket.on('message', (data) => {
      const json = JSON.parse(data.toString()) as unknown;
      const parsed = ServerFrameSchema.safeParse(json);
      if (!parsed.success) {
        invalid.push(json);
        return;
      }
      received.push(parsed.data);
      if (parsed.data.type === 'batch') frames.push(...parsed.data.frames);
      else frames.push(parsed.data);
    });
    socket.once('unexpected-response', (_request, response) => {
      reject(
        Object.assign(new Error(`connection refused with HTTP ${response.statusCode}`), {
          status: response.statusCode,
        }),
      );
    });
    socket.once('error', reject);
    socket.once('open', () => {
      const client: TestClient = {
        socket,
        frames,
        received,
        invalid,
        send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
        async next(match, what, timeoutMs = DEFAULT_WAIT_MS) {
          await waitFor(() => frames.some(match), what, timeoutMs);
          return frames.find(match) as ServerFrame;
        },
        close: () =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done();
            socket.once('close', () => done());
            socket.close();
          }),
      };
      resolve(client);
    });
  });
}

/**
 * The subscribers of one test file: `connect(key)` opens a client on `?<keyAttribute>=<key>` and
 * remembers it; `closeAll()` (in afterAll) closes every one still open.
 */
export function subscriberPool(websocketUrl: () => string, keyAttribute = 'vehicleId') {
  const open: TestClient[] = [];
  return {
    /** `query` is appended to the connect URL, e.g. `batch=false` for one change per frame. */
    async connect(key: string, query?: string): Promise<TestClient> {
      const suffix = query === undefined ? '' : `&${query}`;
      const client = await connectClient(
        `${websocketUrl()}/?${keyAttribute}=${encodeURIComponent(key)}${suffix}`,
      );
      open.push(client);
      return client;
    },
    closeAll: async () => {
      await Promise.all(open.splice(0).map((client) => client.close()));
    },
  };
}
