import { IssueSchema } from './error-body.ts';
import { ChannelSchema, ItemKeySchema } from './item-key.ts';
import { PageCursorSchema, PageLimitSchema } from './item-page.ts';
import { ItemDataSchema } from './real-time-item.ts';
import { RoomActionSchema } from './room-messages.ts';
import { BidActionSchema } from './sales.ts';
import { SeqSchema } from './seq.ts';
import { VehicleCommandActionSchema } from './vehicle-command.ts';
import * as z from './zod.ts';

/**
 * The WebSocket protocol between dashboards and the platform. This file is the source of truth:
 * the gateway routes on `action`, handlers parse with these schemas, tests assert frames against them.
 */

// ---------------------------------------------------------------- client -> server

export const SubscribeActionSchema = z.strictObject({ action: z.literal('subscribe'), key: ItemKeySchema });
export const UnsubscribeActionSchema = z.strictObject({
  action: z.literal('unsubscribe'),
  key: ItemKeySchema,
});
/**
 * Snapshot of the key's items with a version above `since` (all of them when omitted), one page at a
 * time: at most `limit` items (DEFAULT_PAGE_LIMIT, at most MAX_PAGE_LIMIT, see item-page.ts). When
 * more remain, the last snapshot frame of the answer carries `next`; send `sync` again with
 * `cursor: next` (and the same `since`) for the following page. A room's sync (`room-*` keys) is
 * its latest ROOM_SYNC_MESSAGES messages instead, on one page.
 *
 * With `after` (a `seq` the client holds) the answer is instead every change of the key applied
 * after that seq, on all channels, in apply order, from the key's history: `item` frames and
 * `removed` frames, each with its `seq` (paged the same way, `cursor: next` with the same `after`).
 * When `after` is older than the history's retention (or unknown), the answer has `reset: true` and
 * the key's full current state instead. Deduplicating by (channel, version) then leaves every change
 * exactly once. `after` and `since` do not combine.
 */
export const SyncActionSchema = z
  .strictObject({
    action: z.literal('sync'),
    key: ItemKeySchema,
    since: z.optional(z.int().check(z.nonnegative())),
    after: z.optional(SeqSchema),
    limit: z.optional(PageLimitSchema),
    cursor: z.optional(PageCursorSchema),
  })
  .check(
    z.refine((action) => action.since === undefined || action.after === undefined, {
      message: '`since` and `after` cannot be combined',
      path: ['after'],
    }),
  );
export const PingActionSchema = z.strictObject({ action: z.literal('ping') });

/** Actions answered by the real-time path itself (function `ws-actions`). */
export const ClientActionSchema = z.discriminatedUnion('action', [
  SubscribeActionSchema,
  UnsubscribeActionSchema,
  SyncActionSchema,
  PingActionSchema,
]);
export type ClientAction = z.output<typeof ClientActionSchema>;
export type ClientActionName = ClientAction['action'];

/**
 * Every message a client may send: the real-time path's actions and the ingest actions routed to
 * their own functions (`publish`, `edit`, `delete` → `ws-rooms`; see room-messages.ts;
 * `command` → `ws-command`, see vehicle-command.ts; `bid` → `ws-bids`, see sales.ts).
 */
export const ClientMessageSchema = z.discriminatedUnion('action', [
  ...ClientActionSchema.def.options,
  ...RoomActionSchema.def.options,
  VehicleCommandActionSchema,
  BidActionSchema,
]);
export type ClientMessage = z.output<typeof ClientMessageSchema>;

// ---------------------------------------------------------------- server -> client

/**
 * The current state of one item, sent when it changes and inside snapshots. `seq` is on every live
 * frame and on every change replayed by `sync` with `after`; items of a full snapshot (read from the
 * current state) have none: the snapshot frame's own `seq` is where to resume from.
 */
export const ItemFrameSchema = z.strictObject({
  type: z.literal('item'),
  key: z.string(),
  channel: ChannelSchema,
  version: z.int().check(z.positive()),
  seq: z.optional(SeqSchema),
  ts: z.int().check(z.nonnegative()),
  data: ItemDataSchema,
});
export type ItemFrame = z.output<typeof ItemFrameSchema>;

/** The item was deleted (never sent for TTL expiry). `version` is the last version it had. */
export const RemovedFrameSchema = z.strictObject({
  type: z.literal('removed'),
  key: z.string(),
  channel: ChannelSchema,
  version: z.int().check(z.positive()),
  seq: z.optional(SeqSchema),
});
export type RemovedFrame = z.output<typeof RemovedFrameSchema>;

/**
 * Items of one `sync` page. A page bigger than a 32 KB frame arrives as several snapshot frames; only
 * the last carries `next`, present when the key holds more items than the page: send `sync` with
 * `cursor: next` to continue.
 * - Answering `sync` with `after`: `items` are the changes after it, `item` and `removed` frames in
 *   apply order; `reset: true` instead says `after` was older than the retention and `items` are
 *   the full current state.
 * - `seq` (on the last frame of an answer, when the key has history): a resume point. Everything
 *   applied after it is in this answer or follows live, so `sync` with `after: seq` after a
 *   reconnect misses nothing (it may repeat a change: deduplicate by (channel, version)).
 */
export const SnapshotFrameSchema = z.strictObject({
  type: z.literal('snapshot'),
  key: z.string(),
  items: z.array(z.discriminatedUnion('type', [ItemFrameSchema, RemovedFrameSchema])),
  next: z.optional(PageCursorSchema),
  reset: z.optional(z.literal(true)),
  seq: z.optional(SeqSchema),
});
export type SnapshotFrame = z.output<typeof SnapshotFrameSchema>;

/**
 * Several changes in one WebSocket message: the `item` and `removed` frames one fan-out invocation
 * has for this connection, in the order they would have been sent one by one (per key, apply order),
 * as many per message as fit MAX_FRAME_BYTES. Handle each inner frame as if it had come alone.
 * A latest-value item (contracts/channels.ts) changed several times in the invocation appears as its
 * newest change only; every-item channels keep every change. Only a batch frame leaves versions out,
 * so a batch may hold a single frame standing for conflated ones. Connections that asked for one
 * change per frame at connect (`?batch=false`) never get one, and get every change.
 */
export const BatchFrameSchema = z.strictObject({
  type: z.literal('batch'),
  frames: z.array(z.discriminatedUnion('type', [ItemFrameSchema, RemovedFrameSchema])).check(z.minLength(1)),
});
export type BatchFrame = z.output<typeof BatchFrameSchema>;

export const AckFrameSchema = z.strictObject({
  type: z.literal('ack'),
  action: z.string(),
  key: z.optional(z.string()),
});
export type AckFrame = z.output<typeof AckFrameSchema>;

/**
 * Codes a client can act on. The connection stays open after an error frame unless it says `closing`.
 * - `LimitExceeded`: the connection holds as many subscriptions as it may; unsubscribe first.
 * - `RateLimited`: too many actions in the current window; the action was not carried out. A
 *   connection that keeps sending gets one with `closing` and is closed.
 * - `TokenExpired`: the token's `exp` has passed; always `closing`. Reconnect with a fresh token.
 */
export const WsErrorCodeSchema = z.enum([
  'ValidationError',
  'Forbidden',
  'NotFound',
  'Conflict',
  'PayloadTooLarge',
  'LimitExceeded',
  'RateLimited',
  'TokenExpired',
  'InternalError',
]);
export type WsErrorCode = z.output<typeof WsErrorCodeSchema>;

export const ErrorFrameSchema = z.strictObject({
  type: z.literal('error'),
  code: WsErrorCodeSchema,
  message: z.string(),
  action: z.optional(z.string()),
  issues: z.optional(z.array(IssueSchema)),
  /** The server closes the connection right after this frame. */
  closing: z.optional(z.literal(true)),
});
export type ErrorFrame = z.output<typeof ErrorFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  ItemFrameSchema,
  RemovedFrameSchema,
  SnapshotFrameSchema,
  BatchFrameSchema,
  AckFrameSchema,
  ErrorFrameSchema,
]);
export type ServerFrame = z.output<typeof ServerFrameSchema>;
