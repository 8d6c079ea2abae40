import { jobKey } from '#contracts/app-keys.ts';
import type { JobRequest } from '#contracts/jobs.ts';
import { displayNameOf, isUsableName } from './display-name.ts';
import { ForbiddenError, UnauthorizedError } from './errors.ts';

/**
 * What a connection may do, from its token's claims: the keys (or key patterns) it may subscribe to
 * and sync, and the ingest actions (`publish`, `bid`, `command`, …) it may send for those keys.
 *
 * Key patterns: an exact key (`3`), or a glob where `*` matches any run of characters
 * (`room-*`, `*`). Patterns never contain anything else that is special.
 */
export interface AccessClaims {
  /** Who the token names (the JWT `sub`). */
  subject: string;
  /** The name the holder chats and bids as (see display-name.ts); absent when the token gives none. */
  userName?: string;
  keyPatterns: readonly string[];
  /** Ingest actions allowed on those keys; `*` allows every action. */
  ingestActions: readonly string[];
  /** When the token expires (its `exp`, epoch seconds); the connection ends then. */
  expiresAt?: number;
}

/** Verifies a bearer token and returns its claims. */
export interface TokenVerifier {
  /** @throws UnauthorizedError for a missing, malformed, badly signed, expired or misaddressed token. */
  verify(token: string): Promise<AccessClaims>;
}

/** A verifier for deployments without a token issuer: every token is refused. */
export const refuseEveryToken: TokenVerifier = {
  verify: () => Promise.reject(new UnauthorizedError('no token issuer is configured')),
};

/** Claims of an unauthenticated deployment (`AuthMode=none`): every key, every action. */
export const OPEN_ACCESS: AccessClaims = { subject: 'anonymous', keyPatterns: ['*'], ingestActions: ['*'] };

/** Claims that allow nothing: what a connection without an authorizer context gets when auth is on. */
export const NO_ACCESS: AccessClaims = { subject: 'anonymous', keyPatterns: [], ingestActions: [] };

const PATTERN = /^[A-Za-z0-9_.:@*-]{1,128}$/;
const ACTION = /^[A-Za-z0-9_*-]{1,64}$/;

/**
 * Splits a claim given as a list or as comma/space separated text (an HTTP API's JWT authorizer
 * passes lists as `[a b]`), dropping malformed entries.
 */
function listClaim(value: unknown, valid: RegExp): string[] {
  const text = typeof value === 'string' ? value.replace(/^\[(.*)\]$/s, '$1') : undefined;
  const raw = Array.isArray(value) ? value : text !== undefined ? text.split(/[\s,]+/) : [];
  return raw.filter((entry): entry is string => typeof entry === 'string' && valid.test(entry));
}

/**
 * The access claims of a verified JWT payload: `sub`, `keys` (list or comma separated),
 * optional `ingest` (list or comma separated action names), and the user name `displayNameOf` gives.
 * @throws UnauthorizedError when `sub` is missing.
 */
export function claimsFromTokenPayload(payload: Record<string, unknown>): AccessClaims {
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256) {
    throw new UnauthorizedError('token has no subject');
  }
  const userName = displayNameOf(payload);
  return {
    subject,
    ...(userName === undefined ? {} : { userName }),
    keyPatterns: listClaim(payload.keys, PATTERN),
    ingestActions: listClaim(payload.ingest, ACTION),
    ...expiryOf(payload.exp),
  };
}

/** `{ expiresAt }` for a positive epoch-seconds value (a number, or a string of one); else nothing. */
function expiryOf(value: unknown): { expiresAt?: number } {
  const seconds = typeof value === 'string' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isInteger(seconds) && seconds > 0
    ? { expiresAt: seconds }
    : {};
}

/**
 * The authorizer context API Gateway passes to every event of the connection. Values must be
 * strings, numbers or booleans (API Gateway drops anything else), hence the comma-joined lists.
 */
export function toAuthorizerContext(claims: AccessClaims): Record<string, string> {
  return {
    sub: claims.subject,
    ...(claims.userName === undefined ? {} : { user: claims.userName }),
    keys: claims.keyPatterns.join(','),
    ingest: claims.ingestActions.join(','),
    ...(claims.expiresAt === undefined ? {} : { exp: String(claims.expiresAt) }),
  };
}

/**
 * Claims of a connection from its `requestContext.authorizer`. Without one (no authorizer ran)
 * the claims allow nothing; callers pass `OPEN_ACCESS` themselves when auth is off.
 */
export function claimsFromAuthorizerContext(context: unknown): AccessClaims {
  if (typeof context !== 'object' || context === null) return NO_ACCESS;
  const { sub, user, keys, ingest, exp } = context as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length === 0) return NO_ACCESS;
  return {
    subject: sub,
    ...(isUsableName(user) ? { userName: user } : {}),
    keyPatterns: listClaim(keys, PATTERN),
    ingestActions: listClaim(ingest, ACTION),
    ...expiryOf(exp),
  };
}

/**
 * Claims of an HTTP API request from `requestContext.authorizer` as API Gateway's JWT authorizer
 * fills it (`jwt.claims`, every value a string). Undefined when no JWT authorizer ran.
 */
export function claimsFromJwtAuthorizer(authorizer: unknown): AccessClaims | undefined {
  const claims = (authorizer as { jwt?: { claims?: unknown } } | undefined)?.jwt?.claims;
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, keys, ingest } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length === 0) return undefined;
  return { subject: sub, keyPatterns: listClaim(keys, PATTERN), ingestActions: listClaim(ingest, ACTION) };
}

/** Whether `key` matches one of `patterns` (exact, or `*` globs). */
export function matchesKeyPattern(patterns: readonly string[], key: string): boolean {
  return patterns.some((pattern) => {
    if (!pattern.includes('*')) return pattern === key;
    const parts = pattern.split('*');
    const first = parts[0] ?? '';
    const last = parts[parts.length - 1] ?? '';
    if (key.length < first.length + last.length || !key.startsWith(first) || !key.endsWith(last))
      return false;
    let at = first.length;
    const end = key.length - last.length;
    for (const middle of parts.slice(1, -1)) {
      const found = key.indexOf(middle, at);
      if (found < 0 || found + middle.length > end) return false;
      at = found + middle.length;
    }
    return true;
  });
}

/** Whether the connection may subscribe to (and sync) `key`. */
export function canSubscribe(claims: AccessClaims, key: string): boolean {
  return matchesKeyPattern(claims.keyPatterns, key);
}

/** Whether the connection may send ingest action `action` (e.g. `publish`) for `key`. */
export function canIngest(claims: AccessClaims, action: string, key: string): boolean {
  const actionAllowed = claims.ingestActions.includes('*') || claims.ingestActions.includes(action);
  return actionAllowed && matchesKeyPattern(claims.keyPatterns, key);
}

/** @throws ForbiddenError when the claims do not cover `key`. */
export function assertCanSubscribe(claims: AccessClaims, key: string): void {
  if (!canSubscribe(claims, key)) throw new ForbiddenError(`not allowed to subscribe to key ${key}`);
}

/** @throws ForbiddenError when the claims do not allow `action` on `key`. */
export function assertCanIngest(claims: AccessClaims, action: string, key: string): void {
  if (!canIngest(claims, action, key)) throw new ForbiddenError(`not allowed to ${action} on key ${key}`);
}

/** @throws ForbiddenError when the claims do not cover `key` (`GET /items/{key}` and other reads). */
export function assertCanRead(claims: AccessClaims, key: string): void {
  if (!matchesKeyPattern(claims.keyPatterns, key)) throw new ForbiddenError(`not allowed to read key ${key}`);
}

/**
 * A job writes its status under `job-<jobId>` (the caller reads it there) and a `stats` job reads
 * its input key: the claims must cover both.
 * @throws ForbiddenError naming the first key the claims do not cover.
 */
export function assertCanQueueJob(claims: AccessClaims, request: JobRequest, jobId: string): void {
  assertCanRead(claims, jobKey(jobId));
  if (request.type === 'stats') assertCanRead(claims, request.input.key);
}

/**
 * Whether an ingest API key limited to `patterns` may write every key of `keys`; undefined
 * patterns (a key without limits) allow every key.
 * @throws ForbiddenError naming the first key outside the patterns.
 */
export function assertApiKeyCovers(patterns: readonly string[] | undefined, keys: Iterable<string>): void {
  if (patterns === undefined) return;
  for (const key of keys) {
    if (!matchesKeyPattern(patterns, key)) throw new ForbiddenError(`this API key may not write key ${key}`);
  }
}
