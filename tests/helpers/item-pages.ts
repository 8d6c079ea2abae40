import type { RealTimeItem } from '#contracts/real-time-item.ts';
import type { ItemPageRequest, ItemPageStore } from '#core/item-pages.ts';

/**
 * An in-memory `listItemPage` over `items()`, with DynamoDB's semantics for one key: channel order
 * (descending for `newestFirst`), start after `afterChannel`, filter on version, at most `limit`.
 */
export function inMemoryItemPages(items: () => Iterable<RealTimeItem>): ItemPageStore['listItemPage'] {
  return async (key: string, request: ItemPageRequest) => {
    const order = request.newestFirst ? -1 : 1;
    const after = request.afterChannel;
    const matching = [...items()]
      .filter((item) => item.itemKey === key)
      .sort((a, b) => (a.channel < b.channel ? -order : order))
      .filter((item) => after === undefined || (order === 1 ? item.channel > after : item.channel < after))
      .filter((item) => request.sinceVersion === undefined || item.version > request.sinceVersion);
    return { items: matching.slice(0, request.limit), more: matching.length > request.limit };
  };
}
