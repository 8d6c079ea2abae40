import type { Page, WebSocketRoute } from 'playwright-core';
import type { Seq } from '#contracts/seq.ts';
import { type ServerFrame, ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { SeqBook } from '../../web/src/versions.ts';

/**
 * A page's WebSocket to the platform, seen and steered from outside the page: Playwright routes it
 * (`page.routeWebSocket`) to the real gateway and records what passes, so the web app needs no hook.
 */
export interface PageSocket {
  /** Every client message the page sent, parsed, in order. */
  readonly sent: Record<string, unknown>[];
  /** How many times the page's socket reached the platform (the first time included). */
  readonly opens: number;
  /**
   * The highest `seq` the page received for `key` (snapshot, replayed and live frames): where its
   * reconnect resumes once the key's sync is answered.
   */
  seqOf(key: string): Seq | undefined;
  /**
   * Sends `message` to the platform on the page's connection, as if the page had sent it.
   * @returns false when the page has no open connection.
   */
  send(message: unknown): boolean;
  /**
   * Drops the connection as a network failure would. The page's reconnects are held (its socket
   * stays connecting) until `release()`, so what the test does meanwhile happens while it is away.
   */
  drop(): Promise<void>;
  /** Lets the page's held reconnect through to the platform. */
  release(): void;
}

const watched = new WeakMap<Page, PageSocket>();

/**
 * Routes every WebSocket `page` opens to the platform through a recorder. Call it before `goto`.
 * @returns the page's socket, the same one on every call for a page.
 */
export async function watchSocket(page: Page): Promise<PageSocket> {
  const known = watched.get(page);
  if (known) return known;
  const sent: Record<string, unknown>[] = [];
  const seqs = new SeqBook();
  let opens = 0;
  let current: { page: WebSocketRoute; server: WebSocketRoute } | undefined;
  let held: { promise: Promise<void>; release: () => void } | undefined;

  await page.routeWebSocket(
    (url) => url.protocol === 'ws:',
    async (socket) => {
      await held?.promise;
      const server = socket.connectToServer();
      opens += 1;
      current = { page: socket, server };
      socket.onMessage((message) => {
        sent.push(JSON.parse(String(message)) as Record<string, unknown>);
        server.send(message);
      });
      server.onMessage((message) => {
        const frame = ServerFrameSchema.safeParse(JSON.parse(String(message)));
        if (frame.success) seeSeqs(seqs, frame.data);
        socket.send(message);
      });
    },
  );

  const handle: PageSocket = {
    sent,
    get opens() {
      return opens;
    },
    seqOf: (key) => seqs.get(key),
    send(message) {
      if (!current) return false;
      current.server.send(JSON.stringify(message));
      return true;
    },
    async drop() {
      const dropped = current;
      current = undefined;
      let release = () => {};
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      held = { promise, release };
      await dropped?.page.close({ code: 4000, reason: 'dropped' });
      await dropped?.server.close();
    },
    release() {
      held?.release();
      held = undefined;
    },
  };
  watched.set(page, handle);
  return handle;
}

/** Notes the seqs `frame` carries, per key (a batch's inner frames, a snapshot's items and its own). */
function seeSeqs(seqs: SeqBook, frame: ServerFrame): void {
  switch (frame.type) {
    case 'batch':
      for (const inner of frame.frames) seeSeqs(seqs, inner);
      break;
    case 'snapshot':
      for (const item of frame.items) seqs.see(item.key, item.seq);
      seqs.see(frame.key, frame.seq);
      break;
    case 'item':
    case 'removed':
      seqs.see(frame.key, frame.seq);
      break;
  }
}
