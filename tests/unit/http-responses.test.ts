import { describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { ErrorFrameSchema } from '#contracts/ws-protocol.ts';
import { DependencyError, ValidationError } from '#core/errors.ts';
import { toHttpError } from '#runtime/http-responses.ts';
import { toErrorFrame } from '#runtime/ws-errors.ts';

describe('toHttpError', () => {
  it('answers validation errors with 400 and the issues', () => {
    const { status, body } = toHttpError(
      new ValidationError('bad', [{ path: 'body.vehicleId', message: 'is required' }]),
    );
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.issues).toEqual([
      { path: 'body.vehicleId', message: 'is required' },
    ]);
  });

  it('answers malformed JSON from the body parser with 400 naming the body', () => {
    const middyError = Object.assign(new Error('Invalid or malformed JSON was provided'), {
      statusCode: 415,
      cause: { package: '@middy/http-json-body-parser' },
    });
    const { status, body } = toHttpError(middyError);
    expect(status).toBe(400);
    expect(body.error.issues?.[0]?.path).toBe('body');
  });

  it('hides the message of server errors', () => {
    const { status, body } = toHttpError(new DependencyError('DynamoDB at 10.0.0.1 refused: secret detail'));
    expect(status).toBe(503);
    expect(body.error.message).not.toContain('secret');
    const unknown = toHttpError(new TypeError('x is undefined'));
    expect(unknown.body.error.code).toBe('InternalError');
  });
});

describe('toErrorFrame', () => {
  it('maps validation errors to a ValidationError frame naming the action', () => {
    const frame = toErrorFrame(
      new ValidationError('bad key', [{ path: 'body.key', message: 'is required' }]),
      'subscribe',
    );
    expect(ErrorFrameSchema.parse(frame)).toMatchObject({ code: 'ValidationError', action: 'subscribe' });
  });

  it('never shows internal details', () => {
    expect(toErrorFrame(new DependencyError('table x throttled')).message).not.toContain('table');
  });
});
