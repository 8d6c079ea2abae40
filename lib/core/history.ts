import type { HistoryEntry, HistoryPage, HistoryQuery } from '#contracts/history.ts';
import { DEFAULT_PAGE_LIMIT } from '#contracts/item-page.ts';
import type { ItemData } from '#contracts/real-time-item.ts';
import { compareSeq, type Seq, SeqSchema } from '#contracts/seq.ts';
import type { ItemFrame, RemovedFrame } from '#contracts/ws-protocol.ts';
import { ValidationError } from './errors.ts';
import { forEachItemPage, type ItemPageStore } from './item-pages.ts';
import { type ItemChange, type StreamRecordInput, toItemChange } from './stream-change.ts';

/**
 * Digits of a stored seq. DynamoDB orders a string sort key byte by byte, so seqs are stored
 * zero-padded to one width (a stream sequence number has at most 40 digits) and sort by value.
 */
const STORED_SEQ_DIGITS = 40;
/** Digits of a stored `ts` in the channel-time sort key (epoch ms stays under 10^15 until year 33658). */
const STORED_TS_DIGITS = 15;

/** `42` → `000…042` (40 digits): the history table's sort key. */
export function padSeq(seq: Seq): string {
  return seq.padStart(STORED_SEQ_DIGITS, '0');
}

/** The stored form back to a `seq`. */
export function unpadSeq(stored: string): Seq {
  return stored.replace(/^0+/, '');
}

/**
 * The `byChannelTime` sort key: `<channel>#<ts, 15 digits>#<seq, 40 digits>`, so one channel's rows
 * sort by event time, and rows of one `ts` by apply order. Without `seq`, the prefix of every row of
 * (channel, ts); without `ts` either, of every row of the channel.
 */
export function channelTimeKey(channel: string, ts?: number, seq?: Seq): string {
  if (ts === undefined) return `${channel}#`;
  const time = String(ts).padStart(STORED_TS_DIGITS, '0');
  return seq === undefined ? `${channel}#${time}#` : `${channel}#${time}#${padSeq(seq)}`;
}

/** One applied change of one key, as the history keeps it. */
export interface HistoryRow {
  key: string;
  seq: Seq;
  channel: string;
  version: number;
  ts: number;
  /** The new state; absent on a removal. */
  data?: ItemData;
  removed?: true;
  /** When the change was applied (the item's `receivedAt`; a removal's stream record time), epoch ms. */
  appliedAt: number;
  /** TTL, epoch seconds: `appliedAt` + the retention. */
  expiresAt: number;
}

/** What `HistoryStore.listChannel` reads: one channel's rows within a time range, a page at a time. */
export interface ChannelRequest {
  channel: string;
  from?: number;
  to?: number;
  /** The position of the previous page's last row: this page starts after it. */
  start?: { ts: number; seq: Seq };
  limit: number;
  /** Newest first by (ts, seq); oldest first when absent. */
  newestFirst?: boolean;
}

/** The history table. Rows past their `expiresAt` are gone for every read (TTL deletes them late). */
export interface HistoryStore {
  /**
   * Writes the rows; writing a row again (a redelivered record) rewrites the same row.
   * @throws DependencyError when DynamoDB fails or leaves rows unprocessed after retries.
   */
  putRows(rows: HistoryRow[]): Promise<void>;
  /** The row of `seq` (consistent read), or undefined. */
  getRow(key: string, seq: Seq): Promise<HistoryRow | undefined>;
  /** Up to `limit` rows with a seq above `after`, in apply order, and whether more follow. */
  listAfter(key: string, after: Seq, limit: number): Promise<{ rows: HistoryRow[]; more: boolean }>;
  /**
   * Up to `limit` rows of one channel with `from <= ts <= to` in (ts, seq) order (reversed when
   * `newestFirst`), after the row at `start` in that order when given, and whether more follow.
   */
  listChannel(key: string, request: ChannelRequest): Promise<{ rows: HistoryRow[]; more: boolean }>;
  /** The row of (channel, ts, version), or undefined. */
  findChange(key: string, channel: string, ts: number, version: number): Promise<HistoryRow | undefined>;
  /** The key's newest seq, or undefined when it has no history. */
  newestSeq(key: string): Promise<Seq | undefined>;
}

/**
 * The history row of one change (ws-protocol.ts on `seq`), kept `retentionHours` after it was applied.
 * @throws ValidationError when the change has no seq (its stream record had no sequence number).
 */
export function toHistoryRow(change: ItemChange, retentionHours: number): HistoryRow {
  const { frame } = change;
  if (frame.seq === undefined) {
    throw new ValidationError('stream record has no sequence number', [
      { path: 'dynamodb.SequenceNumber', message: 'is required' },
    ]);
  }
  const appliedAt = (frame.type === 'item' ? change.receivedAt : change.removedAt) ?? 0;
  const common = {
    key: change.key,
    seq: frame.seq,
    channel: frame.channel,
    version: frame.version,
    appliedAt,
    expiresAt: Math.ceil((appliedAt + retentionHours * 3_600_000) / 1000),
  };
  return frame.type === 'item'
    ? { ...common, ts: frame.ts, data: frame.data }
    : { ...common, ts: change.removedAt ?? 0, removed: true };
}

/** DynamoDB's BatchWriteItem limit: rows per write. */
const HISTORY_WRITE_BATCH = 25;

/** What {@link recordHistory} did with one batch of stream records. */
interface HistoryWriteReport {
  written: number;
  /** `appliedAt` of each row written: how far the history lags the live state. */
  appliedAt: number[];
  /** TTL expiry removals: housekeeping, not changes (the fan-out skips them too). */
  skipped: number;
  /** Records that can never become a row (not a RealTimeData image): logged and counted, not retried. */
  rejected: Array<{ id: string; error: unknown }>;
  /** The first record not written when DynamoDB failed: it and every later one are retried. */
  failedFrom?: string;
  /** The error that stopped the writes. */
  failure?: unknown;
}

/**
 * Writes one batch of RealTimeData stream records (in stream order, `id` = sequence number) to the
 * history, HISTORY_WRITE_BATCH rows per write. A write that fails stops the batch: the stream
 * consumer retries from its first record (rows already written are rewritten the same, so a
 * redelivery is harmless). Permanent faults (errors that are not retryable) reject one record only.
 */
export async function recordHistory(
  records: Array<{ id: string; record: StreamRecordInput }>,
  store: HistoryStore,
  retentionHours: number,
): Promise<HistoryWriteReport> {
  const report: HistoryWriteReport = { written: 0, appliedAt: [], skipped: 0, rejected: [] };
  const rows: Array<{ id: string; row: HistoryRow }> = [];
  for (const { id, record } of records) {
    try {
      const change = toItemChange(record);
      if (change) rows.push({ id, row: toHistoryRow(change, retentionHours) });
      else report.skipped += 1;
    } catch (error) {
      report.rejected.push({ id, error });
    }
  }
  for (let i = 0; i < rows.length; i += HISTORY_WRITE_BATCH) {
    const chunk = rows.slice(i, i + HISTORY_WRITE_BATCH);
    try {
      await store.putRows(chunk.map(({ row }) => row));
      report.written += chunk.length;
      report.appliedAt.push(...chunk.map(({ row }) => row.appliedAt));
    } catch (error) {
      return { ...report, failedFrom: chunk[0]?.id, failure: error };
    }
  }
  return report;
}

/** A row as the frame a subscriber got for it live. */
function toChangeFrame(row: HistoryRow): ItemFrame | RemovedFrame {
  return row.removed
    ? { type: 'removed', key: row.key, channel: row.channel, version: row.version, seq: row.seq }
    : {
        type: 'item',
        key: row.key,
        channel: row.channel,
        version: row.version,
        seq: row.seq,
        ts: row.ts,
        data: row.data ?? {},
      };
}

function toEntry(row: HistoryRow): HistoryEntry {
  const base = { version: row.version, seq: row.seq, ts: row.ts };
  return row.removed ? { ...base, removed: true } : { ...base, data: row.data ?? {} };
}

/**
 * One page of `GET /items/{key}/history`: the channel's changes with `from <= ts <= to`, oldest
 * first (newest first with `order=newest`), `next` when more remain (the cursor is the last entry's
 * position, base64url; the next page goes on from it in the same order).
 * @throws ValidationError when `cursor` is not one this function returned (issue at `cursorPath`).
 */
export async function readHistoryPage(
  store: HistoryStore,
  key: string,
  query: HistoryQuery,
  cursorPath = 'cursor',
): Promise<HistoryPage> {
  const { rows, more } = await store.listChannel(key, {
    channel: query.channel,
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    ...(query.cursor === undefined ? {} : { start: decodeTimeCursor(query.cursor, cursorPath) }),
    limit: query.limit ?? DEFAULT_PAGE_LIMIT,
    ...(query.order === 'newest' ? { newestFirst: true } : {}),
  });
  const last = rows.at(-1);
  return {
    key,
    channel: query.channel,
    items: rows.map(toEntry),
    next: more && last ? encodeCursor(`${last.ts}.${last.seq}`) : null,
  };
}

/** The answer to `sync` with `after`: the changes since, or `reset` when history cannot tell them. */
type Replay =
  | { reset: true }
  | { reset?: undefined; frames: Array<ItemFrame | RemovedFrame>; next?: string; seq: Seq };

/** How long a replay waits for the history writer to catch up with the current state. */
interface ReplayOptions {
  /** Give up (answer `reset`) after waiting this long in all. Default 3000. */
  maxWaitMs?: number;
  /** Pause between two looks. Default 100. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Items applied this long before the `after` row are taken as known to the client without looking
 * them up: `receivedAt` is stamped before the write, by the clocks of different functions. An item
 * older than the history's retention has no row to find; every such item is far older than this.
 */
const APPLY_ORDER_MARGIN_MS = 60_000;

/**
 * Every change of `key` after `after` (or after `cursor`, the `next` of the previous page), from
 * the history, as frames with their seq in apply order, `limit` at a time.
 *
 * Answers `reset` when the row of `after` is not in the history: expired (past the retention) or a
 * seq this key never had — the client then needs the full current state. A seq above the key's
 * newest row is waited for as below: the client may have had it live before the writer wrote it.
 *
 * Completeness: the history writer lags the fan-out by its batching window, so a client may hold a
 * seq newer than the history's newest row, or the history may not yet hold a change the client
 * missed. Before the last page is answered, every current item (consistent read) that is not among
 * the rows answered must be in the history at or before the answer's last seq; if one is not, the
 * history is behind: wait and look again, and after `maxWaitMs` answer `reset` rather than leave a gap.
 * @throws ValidationError when `cursor` is not one this function returned (issue at `cursorPath`).
 */
export async function replayAfter(
  ports: { history: HistoryStore; items: ItemPageStore },
  request: { key: string; after: Seq; limit?: number; cursor?: string },
  options: ReplayOptions = {},
  cursorPath = 'cursor',
): Promise<Replay> {
  const { key, after } = request;
  const position = request.cursor === undefined ? after : decodeSeqCursor(request.cursor, cursorPath);
  const maxWaitMs = options.maxWaitMs ?? 3000;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  let anchor: HistoryRow | undefined;
  for (let waited = 0; ; waited += retryDelayMs) {
    anchor ??= await ports.history.getRow(key, after);
    if (anchor) {
      const limit = request.limit ?? DEFAULT_PAGE_LIMIT;
      const { rows, more } = await ports.history.listAfter(key, position, limit);
      const last = rows.at(-1)?.seq ?? position;
      const frames = rows.map(toChangeFrame);
      if (more) return { frames, next: encodeCursor(last), seq: last };
      const since = anchor.appliedAt - APPLY_ORDER_MARGIN_MS;
      if (await historyHoldsCurrentState(ports, key, rows, last, since)) return { frames, seq: last };
    } else if (!(await isAheadOfHistory(ports.history, key, after))) {
      // The writer may have put it (and later rows) since the look above: one more look decides.
      anchor = await ports.history.getRow(key, after);
      if (!anchor) return { reset: true };
      continue;
    }
    if (waited >= maxWaitMs) return { reset: true };
    await sleep(retryDelayMs);
  }
}

/**
 * Whether `after` is above the key's newest row: then the client got it live and the writer has not
 * written it yet (or it is no seq of this key, which waiting shows). Below it, a missing row is gone.
 */
async function isAheadOfHistory(history: HistoryStore, key: string, after: Seq): Promise<boolean> {
  const newest = await history.newestSeq(key);
  return newest === undefined || compareSeq(after, newest) > 0;
}

/** Whether every current item of `key` applied since `since` is in `rows` or in history up to `last`. */
async function historyHoldsCurrentState(
  ports: { history: HistoryStore; items: ItemPageStore },
  key: string,
  rows: HistoryRow[],
  last: Seq,
  since: number,
): Promise<boolean> {
  const answered = new Set(rows.map((row) => `${row.channel}\n${row.version}`));
  let complete = true;
  await forEachItemPage(ports.items, key, async (items) => {
    for (const item of items) {
      if (!complete || item.receivedAt < since || answered.has(`${item.channel}\n${item.version}`)) continue;
      const row = await ports.history.findChange(key, item.channel, item.ts, item.version);
      if (!row || compareSeq(row.seq, last) > 0) complete = false;
    }
  });
  return complete;
}

// Cursors are base64url of a position: opaque to clients (they may grow fields), checked on return.
function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url');
}

function decodeSeqCursor(cursor: string, path: string): Seq {
  const seq = SeqSchema.safeParse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!seq.success) throw badCursor(path);
  return seq.data;
}

function decodeTimeCursor(cursor: string, path: string): { ts: number; seq: Seq } {
  const match = /^([0-9]{1,15})\.([1-9][0-9]{0,39})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) throw badCursor(path);
  return { ts: Number(match[1]), seq: match[2] };
}

function badCursor(path: string): ValidationError {
  return new ValidationError('cursor is not one this API returned', [
    { path, message: 'must be a cursor returned as `next`' },
  ]);
}
