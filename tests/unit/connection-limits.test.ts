import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_DEPTH } from '#contracts/ws-limits.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { AccessClaims } from '#core/authorise.ts';
import {
  type ActionCounter,
  admitAction,
  assertShallowMessage,
  connectionExpiry,
  RATE_WINDOW_SECONDS,
} from '#core/connection-limits.ts';
import { PayloadTooLargeError, RateLimitedError, TokenExpiredError, ValidationError } from '#core/errors.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { toErrorFrame } from '#runtime/ws-errors.ts';
import { replyToAction } from '#runtime/ws-reply.ts';

const NOW = 1_700_000_003_000;
const clock = { now: () => NOW };
const claims = (expiresAt?: number): AccessClaims => ({
  subject: 'alice',
  keyPatterns: ['*'],
  ingestActions: [],
  ...(expiresAt === undefined ? {} : { expiresAt }),
});

/** A counter that remembers each window it was asked about and counts up from `start`. */
function counter(start = 0) {
  const windows: number[] = [];
  let count = start;
  const port: ActionCounter = {
    countAction: async (_connectionId, windowStart) => {
      windows.push(windowStart);
      count += 1;
      return count;
    },
  };
  return { port, windows };
}

const message = (body: string, expiresAt?: number) => ({
  connectionId: 'c-1',
  body,
  claims: claims(expiresAt),
});

describe('admitAction', () => {
  it('admits actions up to the limit, counted in the current fixed window', async () => {
    const { port, windows } = counter();
    for (let i = 0; i < 3; i += 1) {
      await admitAction(message('{"action":"ping"}'), { actionsPerWindow: 3 }, { counter: port, clock });
    }
    const windowStart = Math.floor(NOW / 1000 / RATE_WINDOW_SECONDS) * RATE_WINDOW_SECONDS;
    expect(windows).toEqual([windowStart, windowStart, windowStart]);
  });

  it('refuses the action after the limit with RateLimited, and closes past twice the limit', async () => {
    const over = admitAction(
      message('{"action":"ping"}'),
      { actionsPerWindow: 3 },
      { counter: counter(3).port, clock },
    );
    await expect(over).rejects.toMatchObject({ code: 'RateLimited', close: false });
    const far = admitAction(
      message('{"action":"ping"}'),
      { actionsPerWindow: 3 },
      { counter: counter(6).port, clock },
    );
    await expect(far).rejects.toBeInstanceOf(RateLimitedError);
    await expect(far).rejects.toMatchObject({ close: true });
  });

  it('refuses an expired token before counting, with a closing TokenExpired frame', async () => {
    const { port, windows } = counter();
    const expired = admitAction(
      message('{"action":"ping"}', Math.floor(NOW / 1000)),
      { actionsPerWindow: 3 },
      { counter: port, clock },
    );
    await expect(expired).rejects.toBeInstanceOf(TokenExpiredError);
    expect(windows).toEqual([]);
    const frame = toErrorFrame(new TokenExpiredError('expired'));
    expect(frame).toMatchObject({ code: 'TokenExpired', closing: true });
  });

  it('refuses a too deep message before counting or parsing it', async () => {
    const { port, windows } = counter();
    const deep = `${'['.repeat(MAX_MESSAGE_DEPTH + 1)}${']'.repeat(MAX_MESSAGE_DEPTH + 1)}`;
    await expect(
      admitAction(message(deep), { actionsPerWindow: 3 }, { counter: port, clock }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(windows).toEqual([]);
  });

  it('does not count a connection that has no row', async () => {
    const asked: string[] = [];
    const gone: ActionCounter = {
      countAction: async (connectionId) => {
        asked.push(connectionId);
        return undefined;
      },
    };
    // Past the limit of one, and still admitted: no row, no count to hold against it.
    for (let i = 0; i < 2; i += 1) {
      await expect(
        admitAction(message('{}'), { actionsPerWindow: 1 }, { counter: gone, clock }),
      ).resolves.toBeUndefined();
    }
    expect(asked).toEqual(['c-1', 'c-1']);
  });
});

describe('assertShallowMessage', () => {
  it('accepts nesting up to the limit and ignores brackets inside strings', () => {
    const atLimit = `${'{"a":'.repeat(MAX_MESSAGE_DEPTH - 1)}[1]${'}'.repeat(MAX_MESSAGE_DEPTH - 1)}`;
    expect(() => assertShallowMessage(atLimit)).not.toThrow();
    expect(() =>
      assertShallowMessage(JSON.stringify({ action: 'publish', text: '[[[[{{{{'.repeat(100) })),
    ).not.toThrow();
    expect(() =>
      assertShallowMessage(JSON.stringify({ text: '\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[' })),
    ).not.toThrow();
  });

  it('refuses one level deeper, and more than one frame of text', () => {
    const over = `${'['.repeat(MAX_MESSAGE_DEPTH + 1)}${']'.repeat(MAX_MESSAGE_DEPTH + 1)}`;
    expect(() => assertShallowMessage(over)).toThrow(ValidationError);
    expect(() => assertShallowMessage('x'.repeat(32 * 1024 + 1))).toThrow(PayloadTooLargeError);
  });
});

describe('connectionExpiry', () => {
  it('is the TTL from now, but never after the token expires', () => {
    const nowSeconds = Math.floor(NOW / 1000);
    expect(connectionExpiry(undefined, NOW, 7200)).toBe(nowSeconds + 7200);
    expect(connectionExpiry(claims(nowSeconds + 60), NOW, 7200)).toBe(nowSeconds + 60);
    expect(connectionExpiry(claims(nowSeconds + 9000), NOW, 7200)).toBe(nowSeconds + 7200);
  });
});

describe('replyToAction', () => {
  it('posts a closing frame, then closes the connection (DeleteConnection, as on AWS)', async () => {
    const calls: string[] = [];
    const publisher = {
      post: async (_id: string, frame: ServerFrame) => void calls.push(`post ${frame.type}`),
      disconnect: async (id: string) => void calls.push(`disconnect ${id}`),
    };
    const tools = powertoolsFor('ws-actions');
    await replyToAction({ tools, publisher, connectionId: 'c-1', body: '{"action":"ping"}' }, () =>
      Promise.reject(new TokenExpiredError('the token expired')),
    );
    await replyToAction({ tools, publisher, connectionId: 'c-2', body: '{"action":"ping"}' }, () =>
      Promise.reject(new RateLimitedError('slow down', false)),
    );
    expect(calls).toEqual(['post error', 'disconnect c-1', 'post error']);
  });
});
