import type { ErrorFrame, WsErrorCode } from '#contracts/ws-protocol.ts';
import { type PlatformError, RateLimitedError, TokenExpiredError, ValidationError } from '#core/errors.ts';

const WS_CODES: Record<string, WsErrorCode> = {
  ValidationError: 'ValidationError',
  Unauthorized: 'Forbidden',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  StaleWrite: 'Conflict',
  PayloadTooLarge: 'PayloadTooLarge',
  LimitExceeded: 'LimitExceeded',
  RateLimited: 'RateLimited',
  TokenExpired: 'TokenExpired',
};

/** The error frame a client gets for a failed action. Unexposed errors get a generic message. */
export function toErrorFrame(error: PlatformError, action?: string): ErrorFrame {
  const code = WS_CODES[error.code] ?? 'InternalError';
  return {
    type: 'error',
    code,
    message: error.expose ? error.message : 'internal error; try again',
    ...(action ? { action } : {}),
    ...(error instanceof ValidationError && error.issues.length > 0 ? { issues: error.issues } : {}),
    ...(closesConnection(error) ? { closing: true as const } : {}),
  };
}

/** Whether the platform closes the connection after answering `error`. */
export function closesConnection(error: PlatformError): boolean {
  return error instanceof TokenExpiredError || (error instanceof RateLimitedError && error.close);
}
