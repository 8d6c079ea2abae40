import type { RealTimeItem } from '#contracts/real-time-item.ts';
import {
  messageChannel,
  type RoomAction,
  RoomActionSchema,
  type RoomMessageData,
  RoomMessageDataSchema,
  roomKey,
} from '#contracts/room-messages.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import { type AccessClaims, assertCanIngest } from './authorise.ts';
import { ForbiddenError, NotFoundError, StaleWriteError } from './errors.ts';
import { parseJsonWith } from './issues.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ApplyResult, Clock } from './ports.ts';

/** The `source` of message items. */
const ROOMS_SOURCE = 'rooms';

/** Who a connection is: the user recorded at $connect (`?user=<name>`), if any. */
export interface ConnectionIdentityStore {
  getConnectionUser(connectionId: string): Promise<string | undefined>;
}

/** RealTimeData as the rooms need it: one item by key and channel, and the conditional write. */
export interface RoomItemStore {
  getItem(key: string, channel: string): Promise<RealTimeItem | undefined>;
  applyReading(reading: NormalisedReading): Promise<ApplyResult>;
}

export interface RoomPorts {
  connections: ConnectionIdentityStore;
  items: RoomItemStore;
  clock: Clock;
  /** A new message id, unique and safe in a channel (`[A-Za-z0-9_-]`). */
  newId: () => string;
}

/**
 * Parses a WebSocket message body into a room action.
 * @throws ValidationError for non-JSON bodies and bad fields.
 */
export function parseRoomAction(body: string | null | undefined): RoomAction {
  return parseJsonWith(RoomActionSchema, body ?? '', 'body');
}

/**
 * Who carries out a room action: the connection, the item key attribute, the rooms' retention, and
 * with auth on the token's claims and `authorId` (a digest of their `sub`, recorded on the message).
 */
export interface RoomActionContext {
  connectionId: string;
  keyAttribute: string;
  retentionHours: number;
  claims?: AccessClaims;
  authorId?: string;
}

/**
 * Carries out a room action as the connection's user and returns the ack for the sender; the
 * message itself reaches every member (the sender too) through the stream fan-out.
 * Times are the server's; authorship comes from the connection (and with auth on from the token's
 * subject, whatever the display name), so only the author may edit or delete a message. Deletion
 * is soft: the item keeps author and times, loses its text.
 * With `claims` (auth on), the token must allow the action on the room's key. A message expires
 * (DynamoDB TTL `expiresAt`) `retentionHours` after it was posted.
 * @throws ForbiddenError when the claims do not allow it, the connection has no user, or the
 * message is someone else's.
 * @throws NotFoundError when the message does not exist in that room.
 * @throws StaleWriteError when a concurrent change won (the client may retry).
 */
export async function runRoomAction(
  action: RoomAction,
  context: RoomActionContext,
  ports: RoomPorts,
): Promise<ServerFrame> {
  const key = roomKey(action.room);
  if (context.claims) assertCanIngest(context.claims, action.action, key);
  const user = await ports.connections.getConnectionUser(context.connectionId);
  if (user === undefined) {
    throw new ForbiddenError('rooms need a user name: connect with ?user=<name>');
  }
  const now = ports.clock.now();
  const write = async (channel: string, ts: number, data: RoomMessageData) => {
    const result = await ports.items.applyReading({
      keyAttribute: context.keyAttribute,
      itemKey: key,
      channel,
      ts,
      source: ROOMS_SOURCE,
      data,
      receivedAt: now,
      // Counted from posting, so an edit does not keep a message alive.
      expiresAt: Math.ceil((data.postedAt + context.retentionHours * 3_600_000) / 1000),
    });
    if (!result.applied) throw new StaleWriteError('the message changed meanwhile; try again');
  };

  if (action.action === 'publish') {
    const authorId = context.authorId === undefined ? {} : { authorId: context.authorId };
    await write(messageChannel(ports.newId()), now, {
      author: user,
      ...authorId,
      text: action.text,
      postedAt: now,
    });
    return { type: 'ack', action: 'publish', key };
  }

  const channel = messageChannel(action.messageId);
  const item = await ports.items.getItem(key, channel);
  const stored = item ? RoomMessageDataSchema.safeParse(item.data) : undefined;
  if (!item || !stored?.success) {
    throw new NotFoundError(`no message ${action.messageId} in room ${action.room}`);
  }
  const isAuthor =
    stored.data.authorId === undefined
      ? stored.data.author === user
      : stored.data.authorId === context.authorId;
  if (!isAuthor) {
    throw new ForbiddenError(`only ${stored.data.author} may ${action.action} this message`);
  }
  // A later ts than the stored one even when clocks disagree: the item store refuses equal or older.
  const ts = Math.max(now, item.ts + 1);
  const { author, authorId, postedAt } = stored.data;
  const by = authorId === undefined ? { author } : { author, authorId };
  if (action.action === 'edit') {
    if (stored.data.deleted) throw new NotFoundError(`message ${action.messageId} was deleted`);
    await write(channel, ts, { ...by, postedAt, text: action.text, editedAt: now });
    return { type: 'ack', action: 'edit', key };
  }
  if (!stored.data.deleted) await write(channel, ts, { ...by, postedAt, deleted: true, deletedAt: now });
  return { type: 'ack', action: 'delete', key };
}

/**
 * A new message id: the time in base 36 (so ids sort by posting time) and a random suffix.
 * `random` gives hex or base-36 text (e.g. a UUID without dashes).
 */
export function newMessageId(now: number, random: string): string {
  return `${now.toString(36).padStart(9, '0')}-${random.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}`;
}
