import { describe, expect, it } from 'vitest';
import type { HistoryQuery } from '#contracts/history.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { compareSeq } from '#contracts/seq.ts';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { runClientAction } from '#core/client-actions.ts';
import { ValidationError } from '#core/errors.ts';
import {
  channelTimeKey,
  type HistoryRow,
  padSeq,
  readHistoryPage,
  recordHistory,
  replayAfter,
  toHistoryRow,
  unpadSeq,
} from '#core/history.ts';
import type { ItemStore } from '#core/ports.ts';
import type { StreamRecordInput } from '#core/stream-change.ts';
import { inMemoryHistory } from '../helpers/history-store.ts';
import { inMemoryItemPages } from '../helpers/item-pages.ts';

const HOUR = 3_600_000;

function row(seq: string, channel: string, version: number, ts: number, appliedAt = ts): HistoryRow {
  return { key: '3', seq, channel, version, ts, data: { v: version }, appliedAt, expiresAt: 10 ** 10 };
}

function item(channel: string, version: number, ts: number, receivedAt = ts): RealTimeItem {
  return { itemKey: '3', channel, version, ts, source: 'rest', data: { v: version }, receivedAt };
}

function insert(
  seq: string,
  channel: string,
  version: number,
  ts: number,
): { id: string; record: StreamRecordInput } {
  return {
    id: seq,
    record: { eventName: 'INSERT', sequenceNumber: seq, newImage: { ...item(channel, version, ts) } },
  };
}

describe('stored seq', () => {
  it('pads to 40 digits so string order is value order, and back', () => {
    const seqs = ['9', '10', '100000000000000000001', '42', '1'];
    const byString = seqs.map(padSeq).sort().map(unpadSeq);
    expect(byString).toEqual([...seqs].sort(compareSeq));
    expect(padSeq('42')).toHaveLength(40);
    expect(unpadSeq(padSeq('42'))).toBe('42');
  });

  it('orders the channel-time key by ts, then seq, within one channel', () => {
    const keys = [
      channelTimeKey('telemetry', 20, '5'),
      channelTimeKey('telemetry', 3, '9'),
      channelTimeKey('telemetry', 20, '10'),
    ];
    expect([...keys].sort()).toEqual([keys[1], keys[0], keys[2]]);
    expect(keys[0]?.startsWith(channelTimeKey('telemetry', 20))).toBe(true);
    expect(keys[0]?.startsWith(channelTimeKey('telemetry', 2))).toBe(false);
  });
});

describe('toHistoryRow', () => {
  it('keeps a change for the retention from when it was applied', () => {
    const change = {
      key: '3',
      frame: { type: 'item', key: '3', channel: 'telemetry', version: 2, seq: '7', ts: 5, data: { a: 1 } },
      receivedAt: 1_000_000,
    } as const;
    expect(toHistoryRow(change, 24)).toEqual({
      key: '3',
      seq: '7',
      channel: 'telemetry',
      version: 2,
      ts: 5,
      data: { a: 1 },
      appliedAt: 1_000_000,
      expiresAt: (1_000_000 + 24 * HOUR) / 1000,
    });
  });

  it('keeps a removal at its removal time', () => {
    const change = {
      key: '3',
      frame: { type: 'removed', key: '3', channel: 'widget#a', version: 4, seq: '8' },
      removedAt: 2000,
    } as const;
    expect(toHistoryRow(change, 1)).toMatchObject({ removed: true, ts: 2000, appliedAt: 2000 });
  });

  it('refuses a change without seq', () => {
    const change = {
      key: '3',
      frame: { type: 'removed', key: '3', channel: 'widget#a', version: 4 },
    } as const;
    expect(() => toHistoryRow(change, 1)).toThrow(ValidationError);
  });
});

describe('recordHistory', () => {
  it('writes 25 rows per write, skips TTL expiries and rejects bad images alone', async () => {
    const history = inMemoryHistory();
    const writes: number[] = [];
    const store = {
      ...history,
      putRows: async (rows: HistoryRow[]) => {
        writes.push(rows.length);
        await history.putRows(rows);
      },
    };
    const records = Array.from({ length: 30 }, (_, i) => insert(String(i + 1), 'telemetry', i + 1, 100 + i));
    records.push({
      id: '31',
      record: { eventName: 'INSERT', sequenceNumber: '31', newImage: { itemKey: '3' } },
    });
    records.push({
      id: '32',
      record: {
        eventName: 'REMOVE',
        sequenceNumber: '32',
        oldImage: { ...item('x', 1, 1) },
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      },
    });
    const report = await recordHistory(records, store, 24);
    expect(writes).toEqual([25, 5]);
    expect(report).toMatchObject({ written: 30, skipped: 1 });
    expect(report.rejected.map((rejected) => rejected.id)).toEqual(['31']);
    expect(report.failedFrom).toBeUndefined();
  });

  it('stops at a failed write and names its first record, so the rest is retried', async () => {
    const history = inMemoryHistory();
    let calls = 0;
    const store = {
      ...history,
      putRows: async (rows: HistoryRow[]) => {
        calls += 1;
        if (calls === 2) throw new Error('throttled');
        await history.putRows(rows);
      },
    };
    const records = Array.from({ length: 60 }, (_, i) => insert(String(i + 1), 'telemetry', i + 1, 100 + i));
    const report = await recordHistory(records, store, 24);
    expect(report).toMatchObject({ written: 25, failedFrom: '26' });
    expect(history.rows.size).toBe(25);
  });

  it('rewrites the same row when a record is delivered again', async () => {
    const history = inMemoryHistory();
    const records = [insert('5', 'telemetry', 1, 100), insert('6', 'telemetry', 2, 101)];
    await recordHistory(records, history, 24);
    const first = [...history.rows.values()];
    await recordHistory(records, history, 24);
    expect([...history.rows.values()]).toEqual(first);
  });
});

describe('readHistoryPage', () => {
  it('pages one channel by event time within from..to, and refuses a foreign cursor', async () => {
    const history = inMemoryHistory();
    await history.putRows([
      row('1', 'telemetry', 1, 50),
      row('2', 'engine', 1, 55),
      row('3', 'telemetry', 2, 40),
      row('4', 'telemetry', 3, 60),
      row('5', 'telemetry', 4, 70),
      row('6', 'telemetry', 5, 80),
    ]);
    /** Every page of the query, following `next`: the entries' ts in the order they came. */
    const walk = async (query: Omit<HistoryQuery, 'channel' | 'limit'>) => {
      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await readHistoryPage(history, '3', {
          ...query,
          channel: 'telemetry',
          limit: 2,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.items.map((entry) => entry.ts));
        cursor = page.next ?? undefined;
      } while (cursor);
      return seen;
    };
    expect(await walk({ from: 45, to: 75, order: 'oldest' })).toEqual([50, 60, 70]);
    expect(await walk({ from: 45, order: 'newest' })).toEqual([80, 70, 60, 50]);
    await expect(
      readHistoryPage(
        history,
        '3',
        { channel: 'telemetry', cursor: 'bm9wZQ', order: 'oldest' },
        'query.cursor',
      ),
    ).rejects.toMatchObject({
      issues: [{ path: 'query.cursor' }],
    });
  });
});

describe('replayAfter', () => {
  const noWait = { maxWaitMs: 300, retryDelayMs: 100, sleep: async () => {} };

  it('answers every change after the seq, on every channel, in apply order', async () => {
    const history = inMemoryHistory();
    await history.putRows([
      row('10', 'telemetry', 1, 100),
      row('11', 'engine', 1, 20),
      row('12', 'telemetry', 2, 110),
    ]);
    const items = inMemoryItemPages(() => [item('telemetry', 2, 110), item('engine', 1, 20)]);
    const answer = await replayAfter(
      { history, items: { listItemPage: items } },
      { key: '3', after: '10' },
      noWait,
    );
    expect(answer.reset).toBeUndefined();
    if (answer.reset) return;
    expect(answer.frames.map((frame) => frame.seq)).toEqual(['11', '12']);
    expect(answer.seq).toBe('12');
  });

  it('pages with a cursor and answers reset for a seq it does not hold', async () => {
    const history = inMemoryHistory();
    await history.putRows([
      row('10', 'a', 1, 1),
      row('11', 'b', 1, 1),
      row('12', 'c', 1, 1),
      row('13', 'd', 1, 1),
    ]);
    const items = { listItemPage: inMemoryItemPages(() => []) };
    const first = await replayAfter({ history, items }, { key: '3', after: '10', limit: 2 }, noWait);
    if (first.reset) throw new Error('unexpected reset');
    expect(first.frames.map((frame) => frame.seq)).toEqual(['11', '12']);
    const second = await replayAfter(
      { history, items },
      { key: '3', after: '10', limit: 2, ...(first.next ? { cursor: first.next } : {}) },
      noWait,
    );
    if (second.reset) throw new Error('unexpected reset');
    expect(second.frames.map((frame) => frame.seq)).toEqual(['13']);
    expect(second.next).toBeUndefined();
    expect(await replayAfter({ history, items }, { key: '3', after: '9' }, noWait)).toEqual({ reset: true });
  });

  it('waits for the row of a seq newer than the history (the client had it live), then answers', async () => {
    const history = inMemoryHistory();
    await history.putRows([row('10', 'telemetry', 1, 100)]);
    const items = { listItemPage: inMemoryItemPages(() => [item('telemetry', 2, 110)]) };
    const sleep = async () => history.putRows([row('11', 'telemetry', 2, 110)]);
    expect(await replayAfter({ history, items }, { key: '3', after: '11' }, { ...noWait, sleep })).toEqual({
      frames: [],
      seq: '11',
    });
  });

  it('treats a row past its expiresAt as gone', async () => {
    const history = inMemoryHistory(() => 5_000_000);
    await history.putRows([{ ...row('10', 'a', 1, 1), expiresAt: 4000 }]);
    expect(
      await replayAfter(
        { history, items: { listItemPage: inMemoryItemPages(() => []) } },
        { key: '3', after: '10' },
        noWait,
      ),
    ).toEqual({ reset: true });
  });

  it('waits for a current change the history does not hold yet, then answers it', async () => {
    const history = inMemoryHistory();
    await history.putRows([row('10', 'telemetry', 1, 100)]);
    const items = { listItemPage: inMemoryItemPages(() => [item('telemetry', 2, 110)]) };
    let looks = 0;
    const sleep = async () => {
      looks += 1;
      if (looks === 2) await history.putRows([row('11', 'telemetry', 2, 110)]);
    };
    const answer = await replayAfter({ history, items }, { key: '3', after: '10' }, { ...noWait, sleep });
    if (answer.reset) throw new Error('unexpected reset');
    expect(answer.frames.map((frame) => frame.seq)).toEqual(['11']);
    expect(looks).toBe(2);
  });

  it('answers reset when the history stays behind the current state', async () => {
    const history = inMemoryHistory();
    await history.putRows([row('10', 'telemetry', 1, 100)]);
    const items = { listItemPage: inMemoryItemPages(() => [item('telemetry', 2, 110)]) };
    expect(await replayAfter({ history, items }, { key: '3', after: '10' }, noWait)).toEqual({ reset: true });
  });

  it('does not look up items applied long before the seq (their rows may have expired)', async () => {
    const history = inMemoryHistory();
    await history.putRows([row('10', 'telemetry', 1, 100, 10 * HOUR)]);
    const items = {
      listItemPage: inMemoryItemPages(() => [
        item('telemetry', 1, 100, 10 * HOUR),
        item('widget#a', 3, 5, 1000),
      ]),
    };
    const answer = await replayAfter({ history, items }, { key: '3', after: '10' }, noWait);
    expect(answer).toEqual({ frames: [], seq: '10' });
  });
});

describe('sync with after', () => {
  const context = { connectionId: 'conn-1', connectionTtlSeconds: 7200, maxSubscriptions: 100 };
  const current = [item('telemetry', 2, 110), item('engine', 1, 20)];
  const ports = (history = inMemoryHistory()) => ({
    connections: {} as never,
    items: {
      applyReading: async () => ({ applied: false }),
      listItemPage: inMemoryItemPages(() => current),
    } as ItemStore,
    history,
    clock: { now: () => 0 },
  });

  it('answers the changes as frames with seq, and the resume point', async () => {
    const history = inMemoryHistory();
    await history.putRows([
      row('10', 'telemetry', 1, 100),
      row('11', 'engine', 1, 20),
      row('12', 'telemetry', 2, 110),
    ]);
    const frame = await runClientAction({ action: 'sync', key: '3', after: '10' }, context, ports(history));
    expect(ServerFrameSchema.parse(frame)).toMatchObject({ type: 'snapshot', seq: '12' });
    expect(frame.type === 'snapshot' && frame.items.map((change) => [change.channel, change.seq])).toEqual([
      ['engine', '11'],
      ['telemetry', '12'],
    ]);
  });

  it('answers reset with the current state for an unknown seq', async () => {
    const history = inMemoryHistory();
    await history.putRows([row('12', 'telemetry', 2, 110)]);
    const frame = await runClientAction({ action: 'sync', key: '3', after: '3' }, context, ports(history));
    expect(frame).toMatchObject({ type: 'snapshot', reset: true, seq: '12' });
    expect(frame.type === 'snapshot' && frame.items).toHaveLength(2);
  });

  it('gives a full sync the newest seq as its resume point, and none without history', async () => {
    const history = inMemoryHistory();
    expect(await runClientAction({ action: 'sync', key: '3' }, context, ports(history))).not.toHaveProperty(
      'seq',
    );
    await history.putRows([row('12', 'telemetry', 2, 110)]);
    expect(await runClientAction({ action: 'sync', key: '3' }, context, ports(history))).toMatchObject({
      seq: '12',
    });
  });
});
