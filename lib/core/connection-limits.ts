import { MAX_FRAME_BYTES, MAX_MESSAGE_DEPTH } from '#contracts/ws-limits.ts';
import type { AccessClaims } from './authorise.ts';
import { PayloadTooLargeError, RateLimitedError, TokenExpiredError, ValidationError } from './errors.ts';
import type { Clock } from './ports.ts';

/** Length of one rate-limit window. Fixed windows: one counter per connection, reset when a window starts. */
export const RATE_WINDOW_SECONDS = 10;

/**
 * Counts a connection's actions per window on its connection row, so the count holds across Lambda
 * invocations (each action may run in another one).
 */
export interface ActionCounter {
  /**
   * Counts one action of `connectionId` in the window starting at `windowStart` (epoch seconds)
   * and returns the window's count including it; `undefined` when the connection has no row.
   */
  countAction(connectionId: string, windowStart: number): Promise<number | undefined>;
}

/**
 * What a connection may still do before its action runs, cheapest check first: a token that
 * expired ends the connection; then the message's size and nesting are scanned without parsing
 * it; then the action is counted against the rate limit (one conditional write).
 * An action over the limit is refused; one over twice the limit in a window closes the connection.
 * A connection without a row (gone, or its rows expired) is not counted: it gets no frames anyway.
 * @throws TokenExpiredError, PayloadTooLargeError, ValidationError (too deep), RateLimitedError.
 */
export async function admitAction(
  message: { connectionId: string; body: string | undefined; claims: AccessClaims | undefined },
  limits: { actionsPerWindow: number },
  ports: { counter: ActionCounter; clock: Clock },
): Promise<void> {
  const now = ports.clock.now();
  assertTokenCurrent(message.claims, now);
  assertShallowMessage(message.body ?? '');
  const windowStart = Math.floor(now / 1000 / RATE_WINDOW_SECONDS) * RATE_WINDOW_SECONDS;
  const count = await ports.counter.countAction(message.connectionId, windowStart);
  if (count === undefined || count <= limits.actionsPerWindow) return;
  const close = count > 2 * limits.actionsPerWindow;
  throw new RateLimitedError(
    close
      ? `more than ${2 * limits.actionsPerWindow} actions in ${RATE_WINDOW_SECONDS} s; closing the connection`
      : `more than ${limits.actionsPerWindow} actions in ${RATE_WINDOW_SECONDS} s; slow down`,
    close,
  );
}

/** @throws TokenExpiredError when the claims carry an `exp` at or before `now` (epoch ms). */
function assertTokenCurrent(claims: AccessClaims | undefined, now: number): void {
  if (claims?.expiresAt !== undefined && claims.expiresAt * 1000 <= now) {
    throw new TokenExpiredError('the token expired; reconnect with a fresh token');
  }
}

/**
 * When rows of a connection must expire: its TTL from now, but never after its token does.
 * @returns epoch seconds.
 */
export function connectionExpiry(claims: AccessClaims | undefined, now: number, ttlSeconds: number): number {
  const ttlEnd = Math.floor(now / 1000) + ttlSeconds;
  return claims?.expiresAt === undefined ? ttlEnd : Math.min(ttlEnd, claims.expiresAt);
}

/**
 * A linear scan of a message's bytes: its size and how deep objects and arrays nest, counting only
 * brackets outside strings. Runs before `JSON.parse`, so a hostile message costs one pass and no
 * parse or schema recursion.
 * @throws PayloadTooLargeError over one frame (`MAX_FRAME_BYTES`); ValidationError deeper than
 * `MAX_MESSAGE_DEPTH`.
 */
export function assertShallowMessage(body: string): void {
  if (body.length > MAX_FRAME_BYTES) {
    throw new PayloadTooLargeError(`message is over ${MAX_FRAME_BYTES} characters`);
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i += 1) {
    const char = body.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > MAX_MESSAGE_DEPTH) {
        throw new ValidationError(`message nests deeper than ${MAX_MESSAGE_DEPTH} levels`, [
          { path: 'body', message: `nests deeper than ${MAX_MESSAGE_DEPTH} levels` },
        ]);
      }
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
}
