import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket as ServerSocket, WebSocketServer } from 'ws';
import type { ItemFrame, RemovedFrame, ServerFrame } from '#contracts/ws-protocol.ts';
import { LiveConnection } from '../../web/src/live-connection.ts';
import { waitFor } from '../helpers/platform.ts';

/**
 * The dashboard's connection class against a scripted WebSocket server on loopback (the protocol's
 * side of the platform is proven in the integration tests; here the client's resume logic is): what
 * it sends on reconnect, how it pages, dedups and resets.
 */
describe('LiveConnection resume with sync after', () => {
  let server: WebSocketServer | undefined;
  let live: LiveConnection | undefined;

  afterEach(async () => {
    live?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  interface Script {
    url: string;
    /** Every message the client sent, parsed, per connection. */
    received: Record<string, unknown>[][];
    sockets: ServerSocket[];
    send(frame: ServerFrame): void;
    /** Closes the client's current socket from the server's side, after the frames already sent. */
    drop(): void;
  }

  async function scriptedServer(
    answer: (message: Record<string, unknown>) => ServerFrame[],
  ): Promise<Script> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server = wss;
    await new Promise((resolve) => wss.once('listening', resolve));
    const script: Script = {
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      received: [],
      sockets: [],
      send: (frame) => script.sockets.at(-1)?.send(JSON.stringify(frame)),
      drop: () => script.sockets.at(-1)?.close(1012, 'restarting'),
    };
    wss.on('connection', (socket) => {
      const messages: Record<string, unknown>[] = [];
      script.received.push(messages);
      script.sockets.push(socket);
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as Record<string, unknown>;
        messages.push(message);
        for (const frame of answer(message)) socket.send(JSON.stringify(frame));
      });
    });
    return script;
  }

  const item = (channel: string, version: number, seq?: string): ItemFrame => ({
    type: 'item',
    key: 'k',
    channel,
    version,
    ...(seq ? { seq } : {}),
    ts: 1_700_000_000_000 + version,
    data: { v: version },
  });
  const syncs = (messages: Record<string, unknown>[] | undefined) =>
    (messages ?? []).filter((message) => message.action === 'sync');

  function connect(script: Script) {
    const applied: string[] = [];
    const resets: string[] = [];
    live = new LiveConnection({
      websocketUrl: script.url,
      keyAttribute: 'vehicleId',
      onItem: (frame) => applied.push(`${frame.channel}@${frame.version}`),
      onRemoved: (frame: RemovedFrame) => applied.push(`${frame.channel}@${frame.version} removed`),
      onReset: (key) => resets.push(key),
    });
    live.subscribe('k');
    return { live, applied, resets };
  }

  it('resumes after the highest seq by value, pages with the same after, applies each change once', async () => {
    const script = await scriptedServer((message) => {
      if (message.action !== 'sync') return [];
      if (message.after === undefined)
        return [{ type: 'snapshot', key: 'k', items: [item('telemetry', 1)], seq: '998' }];
      if (message.cursor === undefined) {
        // The change held already (telemetry@2) comes again: the page must not apply it twice.
        return [
          {
            type: 'snapshot',
            key: 'k',
            items: [item('telemetry', 2, '1000'), item('telemetry', 3, '1001')],
            next: 'page2',
          },
        ];
      }
      return [
        {
          type: 'snapshot',
          key: 'k',
          items: [
            item('status', 1, '1002'),
            { type: 'removed', key: 'k', channel: 'status', version: 1, seq: '1003' },
          ],
          seq: '1003',
        },
      ];
    });
    const { applied } = connect(script);
    await waitFor(() => applied.length === 1, 'the snapshot');
    // '999' < '1000' by value, though not as strings.
    script.send(item('telemetry', 2, '1000'));
    script.send(item('telemetry', 2, '999'));
    await waitFor(() => applied.length === 2, 'the live frame');

    script.drop();
    await waitFor(() => syncs(script.received[1]).length === 2, 'the resumed sync and its second page');
    expect(syncs(script.received[1])).toEqual([
      { action: 'sync', key: 'k', after: '1000' },
      { action: 'sync', key: 'k', after: '1000', cursor: 'page2' },
    ]);
    await waitFor(() => applied.length === 5, 'the replayed changes');
    expect(applied).toEqual(['telemetry@1', 'telemetry@2', 'telemetry@3', 'status@1', 'status@1 removed']);
    script.drop();
    await waitFor(() => syncs(script.received[2]).length > 0, 'the sync after the second drop');
    expect(syncs(script.received[2])[0]).toEqual({ action: 'sync', key: 'k', after: '1003' });
  });

  it('does not resume after a live frame that came while a sync was still being answered', async () => {
    const script = await scriptedServer((message) => {
      if (message.action !== 'sync') return [];
      if (message.after === undefined) {
        return [{ type: 'snapshot', key: 'k', items: [item('telemetry', 1)], seq: '100' }];
      }
      // The second page never comes: the connection drops before it.
      if (message.cursor !== undefined) return [];
      return [
        { type: 'snapshot', key: 'k', items: [item('telemetry', 2, '101')], next: 'page2' },
        item('telemetry', 9, '200'),
      ];
    });
    const { applied } = connect(script);
    await waitFor(() => applied.length === 1, 'the snapshot');
    script.drop();
    await waitFor(() => applied.length === 3, 'the first page and the live frame');
    // Changes between 101 and 200 may be on the page that never came: resume after 101.
    script.drop();
    await waitFor(() => syncs(script.received[2]).length > 0, 'the third sync');
    expect(syncs(script.received[2])[0]).toEqual({ action: 'sync', key: 'k', after: '101' });
  });

  it('replaces the key on reset, once per answer, pages the reset state plainly, and syncs plainly a key without a seq', async () => {
    let resetAnswers = 0;
    const script = await scriptedServer((message) => {
      if (message.action !== 'sync') return [];
      if (message.cursor === 'full2') {
        return [{ type: 'snapshot', key: 'k', items: [item('other', 1)], seq: '50' }];
      }
      if (message.after === undefined) {
        return [{ type: 'snapshot', key: 'k', items: [item('telemetry', 5)], seq: '10' }];
      }
      resetAnswers += 1;
      // A reset answer's first page in two frames: the state held is replaced once, not per frame;
      // its next page is a page of the current state (plain sync with the cursor).
      return [
        { type: 'snapshot', key: 'k', items: [item('telemetry', 1)], reset: true },
        { type: 'snapshot', key: 'k', items: [item('status', 1)], reset: true, next: 'full2', seq: '40' },
      ];
    });
    const { applied, resets } = connect(script);
    await waitFor(() => applied.length === 1, 'the snapshot');
    script.drop();
    await waitFor(() => applied.length === 4, 'the reset state');
    expect(resets).toEqual(['k']);
    // After a reset the versions held no longer count: telemetry@1 is applied though @5 was held.
    expect(applied).toEqual(['telemetry@5', 'telemetry@1', 'status@1', 'other@1']);
    expect(syncs(script.received[0])).toEqual([{ action: 'sync', key: 'k' }]);
    expect(syncs(script.received[1])).toEqual([
      { action: 'sync', key: 'k', after: '10' },
      { action: 'sync', key: 'k', cursor: 'full2' },
    ]);
    expect(resetAnswers).toBe(1);
    script.drop();
    await waitFor(() => syncs(script.received[2]).length > 0, 'the sync after the second drop');
    expect(syncs(script.received[2])[0]).toEqual({ action: 'sync', key: 'k', after: '50' });
  });
});
