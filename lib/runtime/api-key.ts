import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { UnauthorizedError } from './errors.ts';

/** The header REST clients send their key in (API Gateway's own name for it). */
export const API_KEY_HEADER = 'x-api-key';

/** Compares in constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Whether `given` is one of `keys`. Every key is compared (no early exit), so the time taken does not
 * say which key came close. An empty `keys` list accepts nothing.
 */
export function isAcceptedApiKey(keys: readonly string[], given: string | undefined): boolean {
  if (given === undefined || given.length === 0 || given.length > 512) return false;
  let accepted = false;
  for (const key of keys) accepted = sameSecret(key, given) || accepted;
  return accepted;
}

/**
 * A middy middleware that refuses a request without an accepted `x-api-key` header with 401, before
 * the body is parsed. The key is never logged nor echoed.
 */
export function requireApiKey<E extends { headers?: Record<string, string | undefined> | null }>(
  keys: readonly string[],
): MiddlewareObj<E> {
  return {
    before: (request) => {
      let given: string | undefined;
      for (const [name, value] of Object.entries(request.event.headers ?? {})) {
        if (name.toLowerCase() === API_KEY_HEADER) given = value;
      }
      if (!isAcceptedApiKey(keys, given))
        throw new UnauthorizedError('missing or invalid API key (x-api-key)');
    },
  };
}
