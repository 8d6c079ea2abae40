import { ErrorBodySchema } from '#contracts/error-body.ts';
import { type HistoryEntry, HistoryPageSchema } from '#contracts/history.ts';
import type { PlatformInfo } from './platform.ts';

/** How far back a chart or a trail starts when a key is opened. */
export const HISTORY_WINDOW_MS = 15 * 60_000;
/** Entries per history request (the most `GET /items/{key}/history` gives). */
const HISTORY_PAGE_LIMIT = 100;

/**
 * The changes of `key`'s `channel` from `from` (event time, epoch ms) until now, oldest first: every
 * page of `GET /items/{key}/history`, with the page's bearer token when it has one.
 * @throws Error with the platform's message when a page is refused or is not a history page.
 */
export async function fetchHistory(
  platform: PlatformInfo,
  key: string,
  channel: string,
  from: number,
  signal?: AbortSignal,
): Promise<HistoryEntry[]> {
  const entries: HistoryEntry[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(`items/${encodeURIComponent(key)}/history`, document.baseURI);
    url.searchParams.set('channel', channel);
    url.searchParams.set('from', String(from));
    url.searchParams.set('limit', String(HISTORY_PAGE_LIMIT));
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, {
      cache: 'no-store',
      headers: platform.token ? { authorization: `Bearer ${platform.token}` } : {},
      ...(signal ? { signal } : {}),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = ErrorBodySchema.safeParse(body);
      throw new Error(
        error.success ? error.data.error.message : `GET history of ${key} answered ${response.status}`,
      );
    }
    const page = HistoryPageSchema.parse(body);
    entries.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return entries;
}
