import { compareSeq } from '#contracts/seq.ts';
import { channelTimeKey, type HistoryRow, type HistoryStore } from '#core/history.ts';

/**
 * An in-memory HistoryStore with the DynamoDB adapter's semantics (seq order, the byChannelTime
 * order, rows past `expiresAt` at `now()` gone), for unit tests of the core; `rows` is the table.
 */
export function inMemoryHistory(
  now: () => number = () => 0,
): HistoryStore & { rows: Map<string, HistoryRow> } {
  const rows = new Map<string, HistoryRow>();
  const live = (key: string) =>
    [...rows.values()]
      .filter((row) => row.key === key && row.expiresAt > Math.floor(now() / 1000))
      .sort((a, b) => compareSeq(a.seq, b.seq));
  const page = (matching: HistoryRow[], limit: number) => ({
    rows: matching.slice(0, limit),
    more: matching.length > limit,
  });
  return {
    rows,
    putRows: async (written) => {
      for (const row of written) rows.set(`${row.key}\n${row.seq}`, row);
    },
    getRow: async (key, seq) => live(key).find((row) => row.seq === seq),
    listAfter: async (key, after, limit) =>
      page(
        live(key).filter((row) => compareSeq(row.seq, after) > 0),
        limit,
      ),
    listChannel: async (key, request) => {
      const position = (row: HistoryRow) => channelTimeKey(row.channel, row.ts, row.seq);
      const start = request.start && channelTimeKey(request.channel, request.start.ts, request.start.seq);
      const matching = live(key)
        .filter((row) => row.channel === request.channel)
        .filter(
          (row) =>
            (request.from === undefined || row.ts >= request.from) &&
            (request.to === undefined || row.ts <= request.to),
        )
        .filter(
          (row) =>
            start === undefined || (request.newestFirst ? position(row) < start : position(row) > start),
        )
        .sort((a, b) => (position(a) < position(b) ? -1 : 1));
      if (request.newestFirst) matching.reverse();
      return page(matching, request.limit);
    },
    findChange: async (key, channel, ts, version) =>
      live(key).find((row) => row.channel === channel && row.ts === ts && row.version === version),
    newestSeq: async (key) => live(key).at(-1)?.seq,
  };
}
