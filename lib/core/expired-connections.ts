import type { ErrorFrame } from '#contracts/ws-protocol.ts';
import { SlowConnectionError, StaleConnectionError } from './errors.ts';
import type { Clock, ConnectionPublisher, ConnectionStore } from './ports.ts';

/** How far back a sweep looks: a sweep that did not run for a while still finds what expired meanwhile. */
const SWEEP_LOOKBACK_MINUTES = 10;

/** Connections by the minute their token expires (the connection rows' sparse `byExpiry` index). */
export interface ExpiringConnectionStore {
  /** Connections whose token expires in minutes `fromMinute`…`toMinute` (epoch minutes), with their `exp`. */
  listExpiringConnections(
    fromMinute: number,
    toMinute: number,
  ): Promise<Array<{ connectionId: string; expiresAt: number }>>;
}

const TOKEN_EXPIRED_FRAME: ErrorFrame = {
  type: 'error',
  code: 'TokenExpired',
  message: 'the token expired; reconnect with a fresh token',
  closing: true,
};

/**
 * Closes the connections whose token expired: a `TokenExpired` frame with `closing`, then
 * DeleteConnection (API Gateway cannot choose a close code; `$disconnect` then removes the rows).
 * A connection already gone has its rows removed here, so nothing waits for the TTL.
 * @returns how many were closed and how many were gone.
 */
export async function closeExpiredConnections(ports: {
  connections: ExpiringConnectionStore & Pick<ConnectionStore, 'removeConnection'>;
  publisher: ConnectionPublisher;
  clock: Clock;
}): Promise<{ closed: number; gone: number }> {
  const now = ports.clock.now();
  const nowMinute = Math.floor(now / 60_000);
  const expiring = await ports.connections.listExpiringConnections(
    nowMinute - SWEEP_LOOKBACK_MINUTES,
    nowMinute,
  );
  let closed = 0;
  let gone = 0;
  for (const { connectionId, expiresAt } of expiring) {
    if (expiresAt * 1000 > now) continue;
    try {
      await ports.publisher.post(connectionId, TOKEN_EXPIRED_FRAME);
      await ports.publisher.disconnect?.(connectionId);
      closed += 1;
    } catch (error) {
      if (error instanceof StaleConnectionError) {
        await ports.connections.removeConnection(connectionId);
        gone += 1;
      } else if (error instanceof SlowConnectionError) {
        // It cannot take the frame: close it without one.
        await ports.publisher.disconnect?.(connectionId);
        closed += 1;
      } else throw error;
    }
  }
  return { closed, gone };
}
