import { ChannelSchema } from '#contracts/item-key.ts';
import { DEFAULT_PAGE_LIMIT } from '#contracts/item-page.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { ValidationError } from './errors.ts';

/** What one page read asks of RealTimeData (a Query of one key, in channel order). */
export interface ItemPageRequest {
  /** At most this many items. */
  limit: number;
  /** Only channels after this one (the last channel of the previous page). */
  afterChannel?: string;
  /** Only items with a version above this. */
  sinceVersion?: number;
  /** Channels in descending order (a room's newest messages first). */
  newestFirst?: boolean;
}

/** RealTimeData as paged reads need it. */
export interface ItemPageStore {
  /** Up to `limit` items of `key` in channel order and whether more match after them. */
  listItemPage(key: string, request: ItemPageRequest): Promise<{ items: RealTimeItem[]; more: boolean }>;
}

/** One page of a key's items; `next` (when more remain) asks for the following page. */
interface ItemPage {
  items: RealTimeItem[];
  next?: string;
}

/**
 * Reads one page of `key`'s items: `limit` (DEFAULT_PAGE_LIMIT when omitted) after the position
 * `cursor` names. Each item appears on exactly one page of a walk, as pages follow channel order
 * and the cursor is the last channel returned (items written during a walk may or may not appear).
 * @throws ValidationError when `cursor` is not one this function returned (issue at `cursorPath`).
 */
export async function readItemPage(
  store: ItemPageStore,
  key: string,
  page: { limit?: number; cursor?: string; sinceVersion?: number },
  cursorPath = 'cursor',
): Promise<ItemPage> {
  const { items, more } = await store.listItemPage(key, {
    limit: page.limit ?? DEFAULT_PAGE_LIMIT,
    afterChannel: page.cursor === undefined ? undefined : decodeCursor(page.cursor, cursorPath),
    sinceVersion: page.sinceVersion,
  });
  const last = items.at(-1);
  return more && last ? { items, next: encodeCursor(last.channel) } : { items };
}

/**
 * The `limit` items of `key` with the highest channels (a room's newest messages, as message ids
 * sort by posting time), oldest first, on one page: what comes before them is not offered.
 */
export async function readNewestItems(
  store: ItemPageStore,
  key: string,
  limit: number,
  sinceVersion?: number,
): Promise<ItemPage> {
  const { items } = await store.listItemPage(key, { limit, sinceVersion, newestFirst: true });
  return { items: items.reverse() };
}

/** Calls `visit` with every page of `key`'s items in turn, so a caller never holds more than one. */
export async function forEachItemPage(
  store: ItemPageStore,
  key: string,
  visit: (items: RealTimeItem[]) => void | Promise<void>,
): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await readItemPage(store, key, { cursor });
    await visit(page.items);
    cursor = page.next;
  } while (cursor !== undefined);
}

// The cursor is the last channel, base64url: opaque to clients (it may grow fields), checked on return.
function encodeCursor(channel: string): string {
  return Buffer.from(channel, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, path: string): string {
  const channel = ChannelSchema.safeParse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!channel.success) {
    throw new ValidationError('cursor is not one this API returned', [
      { path, message: 'must be a cursor returned as `next`' },
    ]);
  }
  return channel.data;
}
