import { describe, expect, it } from 'vitest';
import {
  canIngest,
  canSubscribe,
  claimsFromAuthorizerContext,
  claimsFromTokenPayload,
  matchesKeyPattern,
  NO_ACCESS,
  OPEN_ACCESS,
  toAuthorizerContext,
} from '#core/authorise.ts';
import { isAcceptedApiKey } from '#runtime/api-key.ts';
import { UnauthorizedError } from '#runtime/errors.ts';

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

describe('isAcceptedApiKey', () => {
  it('accepts only a configured key', () => {
    expect(isAcceptedApiKey(['k1', 'k2'], 'k2')).toBe(true);
    expect(isAcceptedApiKey(['k1', 'k2'], 'k3')).toBe(false);
    expect(isAcceptedApiKey(['k1'], 'k1 ')).toBe(false);
    expect(isAcceptedApiKey(['k1'], undefined)).toBe(false);
    expect(isAcceptedApiKey([], '')).toBe(false);
  });
});
