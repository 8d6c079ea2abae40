import { UserNameSchema } from '#contracts/user-name.ts';
import { BATCH_QUERY_PARAMETER } from '#contracts/ws-limits.ts';
import { type AccessClaims, assertCanSubscribe } from './authorise.ts';
import { type ConnectKeyOptions, type ConnectRequest, resolveConnectKey } from './connection-key.ts';
import { connectionExpiry } from './connection-limits.ts';
import { ValidationError } from './errors.ts';
import { parseOrThrow } from './issues.ts';
import type { Clock, ConnectionStore } from './ports.ts';

/**
 * Accepts a new WebSocket connection: resolves its key and records the connection with its first
 * subscription, and the user it names (`?user=<name>`, optional; rooms author messages by it).
 * Nothing may be posted to it yet (API Gateway answers 410 until $connect returns). `?batch=false`
 * records that it wants one change per frame (no `batch` frames).
 * @throws ValidationError when the key is missing or malformed, the user name is malformed, or
 * `batch` is neither `true` nor `false` (the connection is refused with 400).
 * With `claims` (auth on), the key must be one the claims cover and the user is the token's user
 * name (its `sub`, or a name claim when `sub` is a UUID), whatever `?user=` says.
 * @throws ForbiddenError when `claims` do not cover the key (the connection is refused with 403).
 * @returns the key the connection is subscribed to.
 */
export async function openConnection(
  request: ConnectRequest & { connectionId: string; claims?: AccessClaims },
  options: ConnectKeyOptions & { connectionTtlSeconds: number },
  ports: { connections: ConnectionStore; clock: Clock },
): Promise<string> {
  const key = resolveConnectKey(request, options);
  if (request.claims) assertCanSubscribe(request.claims, key);
  const user = request.claims
    ? request.claims.userName
    : request.queryStringParameters?.user === undefined
      ? undefined
      : parseOrThrow(UserNameSchema, request.queryStringParameters.user, 'query.user');
  const batch = connectBatch(request);
  const now = ports.clock.now();
  await ports.connections.addConnection({
    connectionId: request.connectionId,
    key,
    connectedAt: now,
    // Rows expire with the token at the latest: an expired token leaves nothing behind.
    expiresAt: connectionExpiry(request.claims, now, options.connectionTtlSeconds),
    ...(user === undefined ? {} : { user }),
    ...(request.claims?.expiresAt === undefined ? {} : { tokenExpiresAt: request.claims.expiresAt }),
    ...(batch ? {} : { batch }),
  });
  return key;
}

/** `?batch=false`: one change per frame; absent or `true`: changes may come in `batch` frames. */
function connectBatch(request: ConnectRequest): boolean {
  const raw = request.queryStringParameters?.[BATCH_QUERY_PARAMETER];
  if (raw === undefined || raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ValidationError(`query parameter "${BATCH_QUERY_PARAMETER}" must be true or false`, [
    { path: `query.${BATCH_QUERY_PARAMETER}`, message: 'must be true or false' },
  ]);
}
