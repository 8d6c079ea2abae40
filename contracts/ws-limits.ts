/**
 * The WebSocket protocol's limits and fixed names (ws-protocol.ts holds its frames and actions). Apart
 * from the schemas so that code needing only these builds no frame schema when it loads.
 */

/** Query parameter of `$connect`: `batch=false` asks for one change per frame (no `batch` frames). */
export const BATCH_QUERY_PARAMETER = 'batch';

/** API Gateway's limit for one WebSocket frame; larger frames are refused at ingest. */
export const MAX_FRAME_BYTES = 32 * 1024;

/**
 * Deepest nesting of objects and arrays a client message may have; deeper messages are refused
 * before they are parsed. Room for item `data` nested to its own limit (16) inside an action.
 */
export const MAX_MESSAGE_DEPTH = 20;

/**
 * Close code of a connection whose token's `exp` passed (4000–4999 are the application's own): the
 * client reconnects with a fresh token. The local gateway closes with it at `exp`. API Gateway's
 * DeleteConnection cannot choose a close code, so wherever the platform closes a connection itself
 * (expired token on AWS, a connection that keeps exceeding its rate limit) it first posts an error
 * frame with `closing` (`TokenExpired`, `RateLimited`): that frame is the signal on every path.
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4001;
