import { ChannelSchema, DEFAULT_CHANNEL } from './item-key.ts';
import { PageCursorSchema, PageLimitSchema } from './item-page.ts';
import { ItemDataSchema } from './real-time-item.ts';
import { SeqSchema } from './seq.ts';
import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

/**
 * History: every applied change of every key, kept for a retention (template parameter
 * `HistoryRetentionHours`, default DEFAULT_HISTORY_RETENTION_HOURS) by its own consumer of the
 * RealTimeData stream. Read over `GET /items/{key}/history` (below) and replayed by the WebSocket
 * `sync` with `after` (ws-protocol.ts). TTL expiry removals are not changes and are not kept.
 */
export const DEFAULT_HISTORY_RETENTION_HOURS = 24;

/** The orders of `GET /items/{key}/history`: by `ts`, oldest first (the default) or newest first. */
export const HISTORY_ORDERS = ['oldest', 'newest'] as const;

/**
 * The query string of `GET /items/{key}/history`: `channel` (default `telemetry`), `from` and `to`
 * (event time `ts`, epoch ms or ISO 8601 with offset, both inclusive, both optional), `limit`
 * (1..100, default 50), `cursor` (`next` of the previous page) and `order` (`oldest`, the default,
 * or `newest`: the latest changes first, so one request gives a key's last `limit` readings).
 */
export const HistoryQuerySchema = z
  .strictObject({
    channel: z._default(ChannelSchema, DEFAULT_CHANNEL),
    from: z.optional(z.pipe(z.transform(numericText), TimestampSchema)),
    to: z.optional(z.pipe(z.transform(numericText), TimestampSchema)),
    limit: z.optional(z.pipe(z.coerce.number('must be a number'), PageLimitSchema)),
    cursor: z.optional(PageCursorSchema),
    order: z._default(z.enum(HISTORY_ORDERS), 'oldest'),
  })
  .check(
    z.refine((query) => query.from === undefined || query.to === undefined || query.from <= query.to, {
      message: '`from` must not be after `to`',
      path: ['from'],
    }),
  );
export type HistoryQuery = z.output<typeof HistoryQuerySchema>;

/** A query-string value of digits only is epoch ms; anything else is left for the ISO form. */
function numericText(value: unknown): unknown {
  return typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
}

/** One applied change of one (key, channel): its new state, or its removal. */
export const HistoryEntrySchema = z.union([
  z.strictObject({
    version: z.int().check(z.positive()),
    seq: SeqSchema,
    ts: z.int().check(z.nonnegative()),
    data: ItemDataSchema,
  }),
  z.strictObject({
    version: z.int().check(z.positive()),
    seq: SeqSchema,
    ts: z.int().check(z.nonnegative()),
    removed: z.literal(true),
  }),
]);
export type HistoryEntry = z.output<typeof HistoryEntrySchema>;

/** The body of `200` from `GET /items/{key}/history`. `next` is null on the last page. */
export const HistoryPageSchema = z.strictObject({
  key: z.string(),
  channel: ChannelSchema,
  items: z.array(HistoryEntrySchema),
  next: z.nullable(PageCursorSchema),
});
export type HistoryPage = z.output<typeof HistoryPageSchema>;
