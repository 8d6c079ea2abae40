import { describe, expect, it } from 'vitest';
import { resolveConnectKey } from '#core/connection-key.ts';
import { ValidationError } from '#core/errors.ts';

describe('resolveConnectKey', () => {
  const query = { keyAttribute: 'vehicleId', isQueryParam: true };
  const header = { keyAttribute: 'vehicleId', isQueryParam: false };

  it('reads the key from the query string', () => {
    expect(resolveConnectKey({ queryStringParameters: { vehicleId: '3' } }, query)).toBe('3');
  });

  it('reads the key from a header, whatever its case, when IS_QUERY_PARAM is false', () => {
    expect(resolveConnectKey({ headers: { VehicleId: '9' } }, header)).toBe('9');
  });

  it('ignores the query string in header mode and the headers in query mode', () => {
    expect(() => resolveConnectKey({ queryStringParameters: { vehicleId: '3' } }, header)).toThrow(
      ValidationError,
    );
    expect(() => resolveConnectKey({ headers: { vehicleId: '3' } }, query)).toThrow(ValidationError);
  });

  it('refuses a missing, empty or malformed key naming the parameter', () => {
    for (const params of [null, {}, { vehicleId: '' }, { vehicleId: 'a b' }]) {
      try {
        resolveConnectKey({ queryStringParameters: params }, query);
        throw new Error('expected refusal');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues[0]?.path).toBe('query.vehicleId');
      }
    }
  });
});
