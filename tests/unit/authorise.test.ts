import { describe, expect, it } from 'vitest';
import {
  assertApiKeyCovers,
  assertCanQueueJob,
  assertCanRead,
  canIngest,
  canSubscribe,
  claimsFromAuthorizerContext,
  claimsFromJwtAuthorizer,
  claimsFromTokenPayload,
  matchesKeyPattern,
  NO_ACCESS,
  OPEN_ACCESS,
  toAuthorizerContext,
} from '#core/authorise.ts';
import { ForbiddenError, UnauthorizedError } from '#core/errors.ts';
import { acceptedApiKey } from '#runtime/api-key.ts';
import { ApiKeysEnvSchema } from '#runtime/config.ts';

describe('matchesKeyPattern', () => {
  it('matches exact keys only without a star', () => {
    expect(matchesKeyPattern(['3'], '3')).toBe(true);
    expect(matchesKeyPattern(['3'], '33')).toBe(false);
  });

  it('matches globs anywhere in the pattern', () => {
    expect(matchesKeyPattern(['room-*'], 'room-a')).toBe(true);
    expect(matchesKeyPattern(['room-*'], 'room-')).toBe(true);
    expect(matchesKeyPattern(['room-*'], 'xroom-a')).toBe(false);
    expect(matchesKeyPattern(['*-eu'], 'v1-eu')).toBe(true);
    expect(matchesKeyPattern(['a*b*c'], 'axxbyyc')).toBe(true);
    expect(matchesKeyPattern(['a*b*c'], 'acb')).toBe(false);
    expect(matchesKeyPattern(['ab*ba'], 'aba')).toBe(false);
    expect(matchesKeyPattern(['*'], 'anything')).toBe(true);
  });

  it('matches nothing with no patterns', () => {
    expect(matchesKeyPattern([], '3')).toBe(false);
  });
});

describe('claims', () => {
  it('reads keys and ingest actions given as lists or comma separated text', () => {
    expect(claimsFromTokenPayload({ sub: 'alice', keys: ['3', 'room-*'], ingest: 'publish,bid' })).toEqual({
      subject: 'alice',
      userName: 'alice',
      keyPatterns: ['3', 'room-*'],
      ingestActions: ['publish', 'bid'],
    });
  });

  it('drops malformed patterns instead of widening them', () => {
    expect(claimsFromTokenPayload({ sub: 'a', keys: ['ok', 'a b', '.*', 42, 'x/y'] }).keyPatterns).toEqual([
      'ok',
      '.*',
    ]);
    expect(matchesKeyPattern(['.*'], 'anything')).toBe(false);
  });

  it('refuses a payload without a subject', () => {
    expect(() => claimsFromTokenPayload({ keys: ['*'] })).toThrow(UnauthorizedError);
  });

  it('round-trips through the flat authorizer context', () => {
    const claims = { subject: 'alice', keyPatterns: ['3', 'room-*'], ingestActions: ['publish'] };
    const context = toAuthorizerContext(claims);
    expect(Object.values(context).every((value) => typeof value === 'string')).toBe(true);
    expect(claimsFromAuthorizerContext({ principalId: 'alice', ...context })).toEqual(claims);
  });

  it('carries the token exp from the payload through the authorizer context', () => {
    const claims = claimsFromTokenPayload({ sub: 'alice', keys: ['3'], exp: 1_700_000_000 });
    expect(claims.expiresAt).toBe(1_700_000_000);
    expect(claimsFromAuthorizerContext(toAuthorizerContext(claims))).toEqual(claims);
  });

  it('allows nothing without an authorizer context', () => {
    expect(claimsFromAuthorizerContext(undefined)).toEqual(NO_ACCESS);
    expect(claimsFromAuthorizerContext({ keys: '*' })).toEqual(NO_ACCESS);
  });
});

describe('canSubscribe and canIngest', () => {
  const alice = { subject: 'alice', keyPatterns: ['3', 'room-*'], ingestActions: ['publish'] };

  it('allows subscribing only to covered keys', () => {
    expect(canSubscribe(alice, 'room-1')).toBe(true);
    expect(canSubscribe(alice, '4')).toBe(false);
    expect(canSubscribe(NO_ACCESS, '3')).toBe(false);
    expect(canSubscribe(OPEN_ACCESS, '3')).toBe(true);
  });

  it('allows an ingest action only when both the action and the key are covered', () => {
    expect(canIngest(alice, 'publish', 'room-1')).toBe(true);
    expect(canIngest(alice, 'bid', 'room-1')).toBe(false);
    expect(canIngest(alice, 'publish', '4')).toBe(false);
    expect(canIngest(OPEN_ACCESS, 'command', '4')).toBe(true);
  });
});

describe('acceptedApiKey', () => {
  const grants = [{ key: 'k1' }, { key: 'k2', keyPatterns: ['room-*'] }];

  it('accepts only a configured key, with its limits', () => {
    expect(acceptedApiKey(grants, 'k2')).toEqual({ key: 'k2', keyPatterns: ['room-*'] });
    expect(acceptedApiKey(grants, 'k1')).toEqual({ key: 'k1' });
    expect(acceptedApiKey(grants, 'k3')).toBeUndefined();
    expect(acceptedApiKey(grants, 'k1 ')).toBeUndefined();
    expect(acceptedApiKey(grants, undefined)).toBeUndefined();
    expect(acceptedApiKey([], '')).toBeUndefined();
  });
});

describe('IngestApiKeys format', () => {
  const parse = (value: string) => ApiKeysEnvSchema.safeParse({ INGEST_API_KEYS: value });

  it('reads plain keys and keys limited to patterns', () => {
    expect(parse('fleet:vehicle-*|3, admin ,').data?.INGEST_API_KEYS).toEqual([
      { key: 'fleet', keyPatterns: ['vehicle-*', '3'] },
      { key: 'admin' },
    ]);
    expect(parse('').data?.INGEST_API_KEYS).toEqual([]);
  });

  it('refuses an entry with an empty key or a bad pattern', () => {
    expect(parse(':3').success).toBe(false);
    expect(parse('k:').success).toBe(false);
    expect(parse('k:a b').success).toBe(false);
  });
});

describe('assertApiKeyCovers', () => {
  it('lets an unlimited key write anything and a limited one only its patterns', () => {
    expect(() => assertApiKeyCovers(undefined, ['product-1'])).not.toThrow();
    expect(() => assertApiKeyCovers(['vehicle-*'], ['vehicle-1', 'vehicle-2'])).not.toThrow();
    expect(() => assertApiKeyCovers(['vehicle-*'], ['vehicle-1', 'product-1'])).toThrow(
      /may not write key product-1/,
    );
  });
});

describe('claimsFromJwtAuthorizer', () => {
  it('reads claims as API Gateway passes them, lists flattened to "[a b]"', () => {
    const authorizer = { jwt: { claims: { sub: 'ann', keys: '[3 room-*]', ingest: '[publish]' } } };
    expect(claimsFromJwtAuthorizer(authorizer)).toEqual({
      subject: 'ann',
      keyPatterns: ['3', 'room-*'],
      ingestActions: ['publish'],
    });
  });

  it('is undefined when no JWT authorizer ran or the token named nobody', () => {
    expect(claimsFromJwtAuthorizer(undefined)).toBeUndefined();
    expect(claimsFromJwtAuthorizer({ lambda: { sub: 'x' } })).toBeUndefined();
    expect(claimsFromJwtAuthorizer({ jwt: { claims: { keys: '[*]' } } })).toBeUndefined();
  });
});

describe('assertCanRead and assertCanQueueJob', () => {
  const claims = { subject: 'ann', keyPatterns: ['3', 'job-*'], ingestActions: [] };
  const jobId = '6f1c2d3e-4b5a-4c6d-8e7f-901234567890';

  it('refuses keys outside the claims with ForbiddenError', () => {
    expect(() => assertCanRead(claims, '3')).not.toThrow();
    expect(() => assertCanRead(claims, '4')).toThrow(ForbiddenError);
  });

  it("covers the job's own key and a stats job's input key", () => {
    expect(() => assertCanQueueJob(claims, { type: 'stats', input: { key: '3' } }, jobId)).not.toThrow();
    expect(() => assertCanQueueJob(claims, { type: 'stats', input: { key: '4' } }, jobId)).toThrow(
      /read key 4/,
    );
    const noJobs = { ...claims, keyPatterns: ['3'] };
    expect(() => assertCanQueueJob(noJobs, { type: 'fail', input: { reason: 'x' } }, jobId)).toThrow(
      /read key job-/,
    );
  });
});
