import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { ErrorBody } from '#contracts/error-body.ts';
import { type PlatformError, toPlatformError, ValidationError } from '#core/errors.ts';

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function jsonResponse(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

/** A middy error thrown by @middy/http-json-body-parser (it answers 415 for both cases). */
interface MiddyHttpError {
  statusCode: number;
  message: string;
  cause?: { package?: string };
}

function isMiddyHttpError(error: unknown): error is MiddyHttpError {
  return (
    typeof error === 'object' && error !== null && typeof (error as MiddyHttpError).statusCode === 'number'
  );
}

/** Maps anything a handler throws to the platform's HTTP error body. */
export function toHttpError(error: unknown): {
  status: number;
  body: ErrorBody;
  platformError: PlatformError;
} {
  let platformError: PlatformError;
  if (isMiddyHttpError(error) && error.cause?.package === '@middy/http-json-body-parser') {
    if (/malformed/i.test(error.message)) {
      platformError = new ValidationError('body is not valid JSON', [
        { path: 'body', message: 'is not valid JSON' },
      ]);
    } else {
      return {
        status: 415,
        body: { error: { code: 'UnsupportedMediaType', message: 'content-type must be application/json' } },
        platformError: new ValidationError('unsupported media type'),
      };
    }
  } else {
    platformError = toPlatformError(error);
  }
  const body: ErrorBody = {
    error: {
      code: platformError.expose ? platformError.code : 'InternalError',
      message: platformError.expose ? platformError.message : 'internal error; try again later',
      ...(platformError instanceof ValidationError && platformError.issues.length > 0
        ? { issues: platformError.issues }
        : {}),
    },
  };
  const status = platformError.expose || platformError.httpStatus >= 500 ? platformError.httpStatus : 500;
  return { status, body, platformError };
}

/**
 * The last middleware of every HTTP handler: errors become `{"error":{code,message,issues}}` with the
 * status the taxonomy gives. Client errors are logged at info, server errors at error, once, here.
 */
export function httpErrorMapper(logger: Logger): MiddlewareObj {
  return {
    onError: async (request) => {
      const { status, body, platformError } = toHttpError(request.error);
      // The platform error carries what was thrown as its cause; log the original only when it was replaced.
      if (status >= 500) {
        logger.error(
          'request failed',
          request.error === platformError
            ? { error: platformError }
            : { error: platformError, thrown: request.error },
        );
      } else logger.info('request rejected', { status, code: body.error.code, issues: body.error.issues });
      request.response = jsonResponse(status, body);
    },
  };
}
