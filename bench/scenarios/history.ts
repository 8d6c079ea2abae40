import WebSocket from 'ws';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { DynamoRequestCounter } from '#local/diagnostics/dynamodb-request-counter.ts';
import type { Platform } from '#local/platform.ts';
import { localServices } from '#local/services/index.ts';
import { ingestApiKey, nowMs, sleep, startBenchPlatform } from '../lib/harness.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { round, summarise } from '../lib/stats.ts';

export interface HistoryBenchOptions {
  keys: number;
  /** Rounds of one REST reading per key each, the keys of a round posted at once. */
  rounds: number;
}

export interface HistoryBenchRow {
  history: 'on' | 'off';
  readings: number;
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  /** DynamoDB requests of every function, per reading (ingest, fan-out, history writer). */
  dynamoRequestsPerReading: number;
  /** BatchWriteItem requests per reading (the history writer's only request). */
  batchWritesPerReading: number;
  /** Rows written by the history writer; its lag (item stored → row written) mean and max, ms. */
  historyRows: number;
  lagMeanMs: number | string;
  lagMaxMs: number | string;
}

/**
 * Scenario 8: what history costs the live path. The same load runs on a platform with the history
 * writer and on one without (RTP_HISTORY=off), one after the other in this run: REST readings to
 * `keys` subscribed keys, ingest → frame latency at the subscriber (both stamped here), DynamoDB
 * requests per reading at the wire, and the writer's lag from its own `HistoryWriteLag` metric.
 */
export async function runHistory(options: HistoryBenchOptions): Promise<HistoryBenchRow[]> {
  const rows: HistoryBenchRow[] = [];
  for (const history of [true, false]) {
    const counter = new DynamoRequestCounter();
    const platform = await startBenchPlatform({ history, services: [...localServices(() => 0), counter] });
    try {
      rows.push(await measure(platform, counter, history, options));
    } finally {
      await platform.stop();
    }
  }
  printTable('history: the live path with and without the history writer (same run)', rows as never);
  writeResult('history', { options, rows });
  return rows;
}

async function measure(
  platform: Platform,
  counter: DynamoRequestCounter,
  history: boolean,
  options: HistoryBenchOptions,
): Promise<HistoryBenchRow> {
  const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  const keys = Array.from({ length: options.keys }, (_, i) => `hist-${i + 1}`);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sockets = await Promise.all(
    keys.map(
      (key) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(`${platform.endpoints.websocket}/?${keyAttribute}=${key}`);
          socket.on('message', (data) => {
            const at = nowMs();
            const frame = ServerFrameSchema.parse(JSON.parse(data.toString()));
            const changes = frame.type === 'batch' ? frame.frames : [frame];
            for (const change of changes) {
              if (change.type !== 'item') continue;
              const sent = sentAt.get(`${change.key}/${String(change.data.round)}`);
              if (sent !== undefined) latencies.push(at - sent);
            }
          });
          socket.once('open', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const post = async (key: string, round: number) => {
    sentAt.set(`${key}/${round}`, nowMs());
    const response = await fetch(`${platform.endpoints.http}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ingestApiKey(platform) ?? '' },
      body: JSON.stringify({ [keyAttribute]: key, ts: Date.now(), data: { round } }),
    });
    if (response.status !== 202) throw new Error(`POST /readings answered ${response.status}`);
  };
  try {
    // Warm-up round (not counted): JIT, connections, the writer's first batch.
    await Promise.all(keys.map((key) => post(key, -1)));
    await sleep(2_000);
    latencies.length = 0;
    counter.reset();
    const writtenBefore = rowsWritten(platform);
    for (let round = 0; round < options.rounds; round += 1)
      await Promise.all(keys.map((key) => post(key, round)));
    const readings = keys.length * options.rounds;
    const deadline = Date.now() + 30_000;
    while (latencies.length < readings || (history && rowsWritten(platform) - writtenBefore < readings)) {
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    const counts = counter.counts();
    const requests = Object.values(counts.operations).reduce((sum, count) => sum + count, 0);
    const summary = summarise(latencies);
    const lag = history ? historyLag(platform) : undefined;
    return {
      history: history ? 'on' : 'off',
      readings,
      frames: latencies.length,
      p50: round(summary.p50),
      p95: round(summary.p95),
      p99: round(summary.p99),
      dynamoRequestsPerReading: round(requests / readings, 3),
      batchWritesPerReading: round((counts.operations.BatchWriteItem ?? 0) / readings, 3),
      historyRows: rowsWritten(platform) - writtenBefore,
      lagMeanMs: lag?.mean ?? '-',
      lagMaxMs: lag?.max ?? '-',
    };
  } finally {
    for (const socket of sockets) socket.close();
  }
}

type Metrics = Record<string, Record<string, number | { count: number; mean: number; max: number }>>;
const writerMetrics = (platform: Platform) =>
  ((platform.health().stats as { metrics: Metrics }).metrics['history-writer'] ?? {}) as Record<
    string,
    unknown
  >;

function rowsWritten(platform: Platform): number {
  return Number(writerMetrics(platform).HistoryRowsWritten ?? 0);
}

/** The writer's lag over this process (the bench's only history platform; warm-up included). */
function historyLag(platform: Platform): { mean: number; max: number } | undefined {
  return writerMetrics(platform).HistoryWriteLag as { mean: number; max: number } | undefined;
}
