import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Thousands of malformed WebSocket messages mixed with good actions: every message gets exactly one
 * reply (an error frame for the bad, an ack or snapshot for the good), nothing crashes, the
 * connection stays open.
 */
const BAD_INPUTS = 1600;
const GOOD_INPUTS = 400;
const SEED = 20261124;
const WINDOW = 64;

let platform: Platform;
let client: TestClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // one client sends every fuzzed message, far past a user's per-connection limits (ws-limits.test.ts covers those).
  platform = await startTestPlatform({
    parameters: { MaxSubscriptionsPerConnection: '10000', ActionRateLimit: '100000' },
  });
  client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=fw-0`);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await client?.close();
  await platform?.stop();
});

const ACTIONS = ['subscribe', 'unsubscribe', 'sync', 'ping', 'publish', 'edit', 'delete', 'command'];
const badKey = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'x/y', '#', 'ü', null, true, -1, 1.5, [], {}),
  fc.string({ minLength: 129, maxLength: 200 }),
);
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

const badMessage: fc.Arbitrary<{ kind: string; text: string }> = fc.oneof(
  fc
    .string({ maxLength: 100 })
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((text) => ({ kind: 'not json', text })),
  fc.jsonValue().map((value) => ({ kind: 'random json', text: JSON.stringify(value) ?? 'null' })),
  fc
    .oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object())
    .map((action) => ({ kind: 'non-string action', text: JSON.stringify({ action }) })),
  fc
    .string({ maxLength: 80 })
    .filter((action) => !ACTIONS.includes(action))
    .map((action) => ({ kind: 'unknown action', text: JSON.stringify({ action, key: '1' }) })),
  fc
    .tuple(fc.constantFrom('subscribe', 'unsubscribe', 'sync'), badKey)
    .map(([action, key]) => ({ kind: `bad key (${action})`, text: JSON.stringify({ action, key }) })),
  fc.constantFrom('subscribe', 'unsubscribe', 'sync').map((action) => ({
    kind: 'missing key',
    text: JSON.stringify({ action }),
  })),
  fc
    .oneof(
      fc.integer({ max: -1 }),
      fc.double({ noInteger: true, noNaN: true }),
      fc.string(),
      fc.constant(null),
    )
    .map((since) => ({ kind: 'bad since', text: JSON.stringify({ action: 'sync', key: 'fw-1', since }) })),
  fc
    .tuple(
      fc.constantFrom(...ACTIONS),
      fc.string({ minLength: 1, maxLength: 8 }).filter((name) => name !== 'action'),
    )
    .map(([action, extra]) => ({
      kind: `unknown field (${action})`,
      text: JSON.stringify({ action, key: 'fw-1', [`zz-${extra}`]: 1 }),
    })),
  fc
    .tuple(
      fc.constantFrom('publish', 'edit', 'delete', 'command'),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue()),
    )
    .map(([action, fields]) => ({
      kind: `malformed ${action}`,
      text: JSON.stringify({ ...fields, action }),
    })),
  fc.integer({ min: 40_000, max: 120_000 }).map((size) => ({
    kind: 'huge message',
    text: JSON.stringify({ action: 'ping', pad: 'x'.repeat(size) }),
  })),
  fc.integer({ min: 100, max: 3_000 }).map((depth) => ({
    kind: 'deep nesting',
    text: JSON.stringify({ action: 'sync', key: nested(depth) }),
  })),
);

function goodMessage(seq: number): { kind: string; text: string } {
  const key = `fw-${1 + (seq % 5)}`;
  const action = ['ping', 'subscribe', 'sync', 'unsubscribe'][seq % 4] as string;
  return { kind: `good ${action}`, text: JSON.stringify(action === 'ping' ? { action } : { action, key }) };
}

describe('fuzzing WebSocket actions', () => {
  it('answers every malformed message with an error frame and every good action with its reply', async () => {
    const bad = fc.sample(badMessage, { numRuns: BAD_INPUTS, seed: SEED });
    const messages = [...bad];
    for (let seq = 0; seq < GOOD_INPUTS; seq++) {
      messages.splice(Math.floor((seq * messages.length) / GOOD_INPUTS) + seq, 0, goodMessage(seq));
    }
    const counts: Record<string, number> = {};
    const started = Date.now();
    // A bounded window of unanswered messages, like a client that waits for its replies.
    for (let sent = 0; sent < messages.length; ) {
      while (sent < messages.length && sent - client.frames.length < WINDOW) {
        const message = messages[sent++] as { kind: string; text: string };
        counts[message.kind] = (counts[message.kind] ?? 0) + 1;
        client.send(message.text);
      }
      await waitFor(
        () => sent - client.frames.length - client.invalid.length < WINDOW || sent === messages.length,
        'replies',
        20_000,
      );
    }
    await waitFor(
      () => client.frames.length + client.invalid.length >= messages.length,
      `${messages.length} replies (have ${client.frames.length})`,
      30_000,
    );
    console.log(`fuzz WebSocket actions: ${messages.length} messages in ${Date.now() - started} ms`, counts);

    expect(client.invalid.slice(0, 5)).toEqual([]);
    const errors = client.frames.filter((frame) => frame.type === 'error');
    const replies = client.frames.filter((frame) => frame.type === 'ack' || frame.type === 'snapshot');
    expect(errors).toHaveLength(BAD_INPUTS);
    expect(replies).toHaveLength(GOOD_INPUTS);
    expect(errors.filter((frame) => frame.code === 'InternalError')).toEqual([]);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.send({ action: 'ping' });
    await waitFor(() => client.frames.length === messages.length + 1, 'the last ping ack');
    expect(unhandled).toEqual([]);
  }, 120_000);
});
