import { describe, expect, it } from 'vitest';
import { claimsFromAuthorizerContext, claimsFromTokenPayload, toAuthorizerContext } from '#core/authorise.ts';
import { displayNameOf, isUsableName } from '#core/display-name.ts';

const uuid = '6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b';

describe('isUsableName', () => {
  it('takes a valid user name and refuses UUIDs, with or without dashes', () => {
    expect(isUsableName('alice')).toBe(true);
    expect(isUsableName('ana.lopez')).toBe(true);
    expect(isUsableName(uuid)).toBe(false);
    expect(isUsableName(uuid.replaceAll('-', ''))).toBe(false);
    expect(isUsableName('has spaces')).toBe(false);
    expect(isUsableName('x'.repeat(33))).toBe(false);
    expect(isUsableName(42)).toBe(false);
  });
});

describe('displayNameOf', () => {
  it('prefers a usable sub', () => {
    expect(displayNameOf({ sub: 'alice', 'cognito:username': 'other' })).toBe('alice');
  });

  it('falls back to cognito:username, preferred_username, then name', () => {
    expect(
      displayNameOf({ sub: uuid, 'cognito:username': 'ana', preferred_username: 'bo', name: 'Cy' }),
    ).toBe('ana');
    expect(displayNameOf({ sub: uuid, 'cognito:username': uuid, preferred_username: 'bo', name: 'Cy' })).toBe(
      'bo',
    );
    expect(displayNameOf({ sub: uuid, preferred_username: 'b o', name: ' Cy ' })).toBe('Cy');
  });

  it('gives none when no claim is usable', () => {
    expect(displayNameOf({ sub: uuid, name: 'Ana Lopez' })).toBeUndefined();
  });

  it('travels with the claims through the authorizer context', () => {
    const claims = claimsFromTokenPayload({ sub: uuid, 'cognito:username': 'ana', keys: ['room-*'] });
    expect(claims.userName).toBe('ana');
    expect(claimsFromAuthorizerContext(toAuthorizerContext(claims))).toEqual(claims);
    expect(claimsFromAuthorizerContext({ sub: uuid, user: 'no spaces allowed' }).userName).toBeUndefined();
  });
});
