import { ROOM_KEY_PREFIX } from '#contracts/app-keys.ts';
import { ROOM_SYNC_MESSAGES } from '#contracts/room-messages.ts';
import {
  type ClientAction,
  ClientActionSchema,
  type ServerFrame,
  type SnapshotFrame,
} from '#contracts/ws-protocol.ts';
import { type AccessClaims, assertCanSubscribe } from './authorise.ts';
import { connectionExpiry } from './connection-limits.ts';
import { ValidationError } from './errors.ts';
import { type HistoryStore, replayAfter } from './history.ts';
import { parseJsonOrThrow, parseOrThrow } from './issues.ts';
import { readItemPage, readNewestItems } from './item-pages.ts';
import type { Clock, ConnectionStore, ItemStore } from './ports.ts';

/**
 * Parses a WebSocket message body into a client action.
 * @throws ValidationError for non-JSON bodies, unknown actions and bad fields.
 */
export function parseClientAction(body: string | null | undefined): ClientAction {
  const json = parseJsonOrThrow(body ?? '', 'body');
  const action =
    typeof json === 'object' && json !== null ? (json as { action?: unknown }).action : undefined;
  if (!CLIENT_ACTIONS.includes(action as string)) {
    throw new ValidationError(
      `unknown action ${JSON.stringify(action)}; expected one of ${CLIENT_ACTIONS.join(', ')}`,
      [{ path: 'body.action', message: `must be one of ${CLIENT_ACTIONS.join(', ')}` }],
    );
  }
  return parseOrThrow(ClientActionSchema, json, 'body');
}

const CLIENT_ACTIONS: readonly string[] = ClientActionSchema.def.options.flatMap(
  (option) => option.shape.action.def.values,
);

interface ActionContext {
  connectionId: string;
  /** The connection's claims when auth is on: `subscribe` and `sync` must stay within them. */
  claims?: AccessClaims;
  /** How long subscription rows live (API Gateway closes connections after 2 h); never past the token's `exp`. */
  connectionTtlSeconds: number;
  /** How many subscriptions one connection may hold (template parameter MaxSubscriptionsPerConnection). */
  maxSubscriptions: number;
}

/**
 * Carries out a client action and returns the frame to send back to that client.
 * Subscriptions are rows of the connection store; `sync` reads one page of RealTimeData (a room's
 * newest ROOM_SYNC_MESSAGES messages), `sync` with `after` the key's history (see replayAfter).
 */
export async function runClientAction(
  action: ClientAction,
  context: ActionContext,
  ports: { connections: ConnectionStore; items: ItemStore; history: HistoryStore; clock: Clock },
): Promise<ServerFrame> {
  if (context.claims && (action.action === 'subscribe' || action.action === 'sync')) {
    assertCanSubscribe(context.claims, action.key);
  }
  switch (action.action) {
    case 'subscribe':
      await ports.connections.addSubscription({
        connectionId: context.connectionId,
        key: action.key,
        expiresAt: connectionExpiry(context.claims, ports.clock.now(), context.connectionTtlSeconds),
        maxSubscriptions: context.maxSubscriptions,
      });
      return { type: 'ack', action: 'subscribe', key: action.key };
    case 'unsubscribe':
      await ports.connections.removeSubscription({ connectionId: context.connectionId, key: action.key });
      return { type: 'ack', action: 'unsubscribe', key: action.key };
    case 'sync': {
      if (action.after === undefined) return syncCurrentState(action, ports);
      const answer = await replayAfter(
        ports,
        { key: action.key, after: action.after, limit: action.limit, cursor: action.cursor },
        {},
        'body.cursor',
      );
      if (answer.reset)
        return { ...(await syncCurrentState({ ...action, cursor: undefined }, ports)), reset: true };
      return {
        type: 'snapshot',
        key: action.key,
        items: answer.frames,
        ...(answer.next === undefined ? {} : { next: answer.next }),
        seq: answer.seq,
      };
    }
    case 'ping':
      return { type: 'ack', action: 'ping' };
  }
}

/**
 * One page of the key's current items. The key's newest history seq is read first, so it is a resume
 * point: every change after it is in the items read next or follows live (some may be both).
 */
async function syncCurrentState(
  action: Extract<ClientAction, { action: 'sync' }>,
  ports: { items: ItemStore; history: HistoryStore },
): Promise<SnapshotFrame> {
  const seq = await ports.history.newestSeq(action.key);
  const { items, next } = action.key.startsWith(ROOM_KEY_PREFIX)
    ? await readNewestItems(ports.items, action.key, ROOM_SYNC_MESSAGES, action.since)
    : await readItemPage(
        ports.items,
        action.key,
        { limit: action.limit, cursor: action.cursor, sinceVersion: action.since },
        'body.cursor',
      );
  return {
    type: 'snapshot',
    key: action.key,
    ...(next === undefined ? {} : { next }),
    items: items.map((item) => ({
      type: 'item' as const,
      key: item.itemKey,
      channel: item.channel,
      version: item.version,
      ts: item.ts,
      data: item.data,
    })),
    ...(seq === undefined ? {} : { seq }),
  };
}
