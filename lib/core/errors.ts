import type { Issue } from '#contracts/error-body.ts';

/**
 * The one error taxonomy of the platform. Core and adapters throw these; boundaries (HTTP error
 * mapper, WS error frames, batch processors) map them in one place each.
 * - `expose`: the message may be shown to the client (4xx); otherwise clients get a generic message.
 * - `retryable`: a batch record failing with it is retried; otherwise it is rejected and reported.
 */
export abstract class PlatformError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  abstract readonly expose: boolean;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input does not match its contract. `issues` name each bad field. */
export class ValidationError extends PlatformError {
  readonly code = 'ValidationError';
  readonly httpStatus = 400;
  readonly expose = true;
  readonly retryable = false;
  readonly issues: Issue[];

  constructor(message: string, issues: Issue[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.issues = issues;
  }
}

export class UnauthorizedError extends PlatformError {
  readonly code = 'Unauthorized';
  readonly httpStatus = 401;
  readonly expose = true;
  readonly retryable = false;
}

export class ForbiddenError extends PlatformError {
  readonly code = 'Forbidden';
  readonly httpStatus = 403;
  readonly expose = true;
  readonly retryable = false;
}

export class NotFoundError extends PlatformError {
  readonly code = 'NotFound';
  readonly httpStatus = 404;
  readonly expose = true;
  readonly retryable = false;
}

export class PayloadTooLargeError extends PlatformError {
  readonly code = 'PayloadTooLarge';
  readonly httpStatus = 413;
  readonly expose = true;
  readonly retryable = false;
}

/** A limit is used up (a connection's subscriptions, a caller's jobs in flight); free some or try later. */
export class LimitExceededError extends PlatformError {
  readonly code = 'LimitExceeded';
  readonly httpStatus = 429;
  readonly expose = true;
  readonly retryable = false;
}

/**
 * The connection sent more actions than its rate limit allows in the current window. `close`: it
 * kept sending well past the limit, so the connection is closed after the error frame.
 */
export class RateLimitedError extends PlatformError {
  readonly code = 'RateLimited';
  readonly httpStatus = 429;
  readonly expose = true;
  readonly retryable = false;
  readonly close: boolean;

  constructor(message: string, close: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.close = close;
  }
}

/** The connection's token expired: the connection is closed after the error frame. */
export class TokenExpiredError extends PlatformError {
  readonly code = 'TokenExpired';
  readonly httpStatus = 401;
  readonly expose = true;
  readonly retryable = false;
}

/** A write lost to newer state (not later in (`ts`, `position`)): expected under disorder and duplicates, not a fault. */
export class StaleWriteError extends PlatformError {
  readonly code = 'StaleWrite';
  readonly httpStatus = 409;
  readonly expose = true;
  readonly retryable = false;
}

/** The WebSocket connection is gone (API Gateway answered 410): its rows must be removed. */
export class StaleConnectionError extends PlatformError {
  readonly code = 'StaleConnection';
  readonly httpStatus = 410;
  readonly expose = false;
  readonly retryable = false;
  readonly connectionId: string;

  constructor(connectionId: string, options?: { cause?: unknown }) {
    super(`connection ${connectionId} is gone`, options);
    this.connectionId = connectionId;
  }
}

/**
 * One connection cannot keep up: its post timed out or API Gateway throttled it (LimitExceeded).
 * Not retried (a retry would re-post to every other subscriber of the record too): the frame is
 * dropped for that connection only, and repeated strikes disconnect it (see slow-consumers.ts).
 */
export class SlowConnectionError extends PlatformError {
  readonly code = 'SlowConnection';
  readonly httpStatus = 429;
  readonly expose = false;
  readonly retryable = false;
  readonly connectionId: string;

  constructor(connectionId: string, reason: string, options?: { cause?: unknown }) {
    super(`connection ${connectionId} is too slow (${reason})`, options);
    this.connectionId = connectionId;
  }
}

/** A dependency (DynamoDB, API Gateway, …) failed or throttled; trying again may succeed. */
export class DependencyError extends PlatformError {
  readonly code = 'DependencyUnavailable';
  readonly httpStatus = 503;
  readonly expose = false;
  readonly retryable = true;
}

/** Configuration is missing or invalid: the function cannot start. */
export class ConfigError extends PlatformError {
  readonly code = 'ConfigError';
  readonly httpStatus = 500;
  readonly expose = false;
  readonly retryable = false;
}

/** Converts anything thrown into a PlatformError; unknown errors become retryable dependency failures. */
export function toPlatformError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  return new DependencyError(error instanceof Error ? error.message : String(error), { cause: error });
}
