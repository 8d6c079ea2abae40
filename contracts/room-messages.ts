import { MESSAGE_CHANNEL_PREFIX, ROOM_KEY_PREFIX } from './app-keys.ts';
import { UserNameSchema } from './user-name.ts';
import * as z from './zod.ts';

/**
 * Chat rooms on the real-time path. A room is the item key `room-<name>`; each message is the item
 * `message#<id>` under it, so joining a room is subscribing to its key and the snapshot on join
 * carries its messages. Authors come from the connection (`?user=<name>` at $connect), never
 * from a message.
 */

/** A room's name; the room lives under the item key `room-<name>`. */
export const RoomNameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(48, 'must be at most 48 characters'),
    z.regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, _ and -'),
  );
export type RoomName = z.output<typeof RoomNameSchema>;

/** The id of a message (the part after `message#` in its channel). */
export const MessageIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/, 'must be a message id'));

export const MAX_MESSAGE_TEXT_LENGTH = 2000;
export const MessageTextSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(MAX_MESSAGE_TEXT_LENGTH, `must be at most ${MAX_MESSAGE_TEXT_LENGTH} characters`),
  );

/**
 * How many messages a room's `sync` returns: its newest, on one page (older ones are not offered;
 * they expire after the template parameter RoomMessageRetentionHours).
 */
export const ROOM_SYNC_MESSAGES = 100;

/** `lobby` → `room-lobby`. */
export function roomKey(room: RoomName): string {
  return `${ROOM_KEY_PREFIX}${room}`;
}

/** `abc` → `message#abc`. */
export function messageChannel(messageId: string): string {
  return `${MESSAGE_CHANNEL_PREFIX}${messageId}`;
}

// ---------------------------------------------------------------- client -> server

/** Posts a message as the connection's user. */
export const PublishActionSchema = z.strictObject({
  action: z.literal('publish'),
  room: RoomNameSchema,
  text: MessageTextSchema,
});
/** Replaces the text of one of the connection user's own messages. */
export const EditActionSchema = z.strictObject({
  action: z.literal('edit'),
  room: RoomNameSchema,
  messageId: MessageIdSchema,
  text: MessageTextSchema,
});
/** Soft-deletes one of the connection user's own messages: the item stays, its text goes. */
export const DeleteActionSchema = z.strictObject({
  action: z.literal('delete'),
  room: RoomNameSchema,
  messageId: MessageIdSchema,
});

/** Actions answered by function `ws-rooms`. */
export const RoomActionSchema = z.discriminatedUnion('action', [
  PublishActionSchema,
  EditActionSchema,
  DeleteActionSchema,
]);
export type RoomAction = z.output<typeof RoomActionSchema>;
export type RoomActionName = RoomAction['action'];

// ---------------------------------------------------------------- stored / delivered

/**
 * `data` of a message item (what `item` frames of a room carry). Times are the server's, epoch ms.
 * A deleted message keeps its author and times, loses its text and has `deleted: true`.
 */
export const RoomMessageDataSchema = z.object({
  author: UserNameSchema,
  /**
   * Who posted it when auth is on: a digest of the token's `sub` (lib/runtime/author-id.ts). Edit
   * rights follow it, not `author`: two holders of the same display name are two authors. Absent
   * when auth is off (rights follow the name) and on messages posted before it was recorded.
   */
  authorId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  text: z.optional(z.string()),
  postedAt: z.int().check(z.nonnegative()),
  editedAt: z.optional(z.int().check(z.nonnegative())),
  deleted: z.optional(z.boolean()),
  deletedAt: z.optional(z.int().check(z.nonnegative())),
});
export type RoomMessageData = z.output<typeof RoomMessageDataSchema>;
