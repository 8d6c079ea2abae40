import { type ConnectKeyOptions, type ConnectRequest, resolveConnectKey } from './connection-key.ts';
import type { Clock, ConnectionStore } from './ports.ts';

/**
 * Accepts a new WebSocket connection: resolves its key and records the connection with its first
 * subscription. Nothing may be posted to it yet (API Gateway answers 410 until $connect returns).
 * @throws ValidationError when the key is missing or malformed (the connection is refused with 400).
 * @returns the key the connection is subscribed to.
 */
export async function openConnection(
  request: ConnectRequest & { connectionId: string },
  options: ConnectKeyOptions & { connectionTtlSeconds: number },
  ports: { connections: ConnectionStore; clock: Clock },
): Promise<string> {
  const key = resolveConnectKey(request, options);
  const now = ports.clock.now();
  await ports.connections.addConnection({
    connectionId: request.connectionId,
    key,
    connectedAt: now,
    expiresAt: Math.floor(now / 1000) + options.connectionTtlSeconds,
  });
  return key;
}
