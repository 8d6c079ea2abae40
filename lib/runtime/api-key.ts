import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { UnauthorizedError } from '#core/errors.ts';

/** The header REST clients send their key in (API Gateway's own name for it). */
const API_KEY_HEADER = 'x-api-key';

/**
 * One ingest API key of `IngestApiKeys` and the item keys it may write: `keyPatterns` undefined
 * for a key without limits.
 */
export interface ApiKeyGrant {
  key: string;
  keyPatterns?: readonly string[];
}

/** What the API key middleware leaves on the event for the handler: the accepted key's limits. */
export interface ApiKeyCaller {
  apiKey?: { keyPatterns?: readonly string[] };
}

/** Compares in constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The grant whose key is `given`, or undefined. Every key is compared (no early exit), so the time
 * taken does not say which key came close. An empty `grants` list accepts nothing.
 */
export function acceptedApiKey(
  grants: readonly ApiKeyGrant[],
  given: string | undefined,
): ApiKeyGrant | undefined {
  if (given === undefined || given.length === 0 || given.length > 512) return undefined;
  let accepted: ApiKeyGrant | undefined;
  for (const grant of grants) if (sameSecret(grant.key, given)) accepted ??= grant;
  return accepted;
}

/**
 * A middy middleware that refuses a request without an accepted `x-api-key` header with 401, before
 * the body is parsed, and leaves the key's limits on `event.apiKey`. The key is never logged nor echoed.
 */
export function requireApiKey<E extends { headers?: Record<string, string | undefined> | null }>(
  grants: readonly ApiKeyGrant[],
): MiddlewareObj<E> {
  return {
    before: (request) => {
      let given: string | undefined;
      for (const [name, value] of Object.entries(request.event.headers ?? {})) {
        if (name.toLowerCase() === API_KEY_HEADER) given = value;
      }
      const grant = acceptedApiKey(grants, given);
      if (!grant) throw new UnauthorizedError('missing or invalid API key (x-api-key)');
      const caller: ApiKeyCaller = {
        apiKey: grant.keyPatterns ? { keyPatterns: grant.keyPatterns } : {},
      };
      Object.assign(request.event, caller);
    },
  };
}
