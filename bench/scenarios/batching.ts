import { BATCH_QUERY_PARAMETER } from '#contracts/ws-limits.ts';
import type { Platform } from '#local/platform.ts';
import { type FunctionCpuMeter, ingestApiKey, postsSoFar, sleep } from '../lib/harness.ts';
import type { LoadClient } from '../lib/load-client-handle.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { round, summarise } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';

export interface BatchingOptions {
  quick: boolean;
}

interface Shape {
  name: string;
  connections: number;
  keys: number;
  /** Readings per second over all keys, through POST /readings. */
  rate: number;
}

interface BatchingRow {
  shape: string;
  batching: 'on' | 'off';
  readingsPerSecondHeld: number;
  /** Stored readings × connections: what the connections are owed, one way or another. */
  changesOwed: number;
  /** Changes received (inner frames counted); fewer than owed where latest-value items conflated. */
  framesReceived: number;
  posts: number;
  postsPer1000Changes: number;
  invocations: number;
  postsPerInvocation: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Scenario 8: what one post per connection per invocation saves. Three audiences — a fleet
 * dashboard (1 connection × 50 keys), a room (50 connections × 1 key), the 2,000-subscriber key —
 * are driven through the whole pipeline (REST → DynamoDB → stream → stream-fanout → @connections),
 * with batching and with `?batch=false` in the same run (off, on, on, off). PostToConnection calls
 * are counted at the local gateway, per 1,000 changes owed (stored readings × connections); latency
 * is reading sent → change received (inner frames included).
 */
export async function runBatching(
  platform: Platform,
  client: LoadClient,
  meter: FunctionCpuMeter,
  options: BatchingOptions,
) {
  const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  const seconds = options.quick ? 3 : 8;
  const shapes: Shape[] = [
    { name: 'fleet dashboard 1×50 keys', connections: 1, keys: 50, rate: 500 },
    // The same shape at a rate this machine holds: at 500/s DynamoDB Local falls behind, so both
    // modes' latencies are backlog (and the mode that holds more readings has the longer queue).
    { name: 'fleet dashboard 1×50 keys, held rate', connections: 1, keys: 50, rate: 100 },
    { name: 'room 50×1 key', connections: 50, keys: 1, rate: 20 },
    {
      name: `crowd ${options.quick ? 500 : 2_000}×1 key`,
      connections: options.quick ? 500 : 2_000,
      keys: 1,
      rate: 5,
    },
  ];
  const rows: BatchingRow[] = [];
  const runOnce = async (index: number, shape: Shape, batching: 'on' | 'off', pass: number) => {
    const keys = Array.from({ length: shape.keys }, (_, key) => `batch-${index}-${batching}${pass}-${key}`);
    const url = `${platform.endpoints.websocket}/${batching === 'off' ? `?${BATCH_QUERY_PARAMETER}=false` : ''}`;
    await client.connect(url, keys, shape.connections, keyAttribute, 64, shape.keys > 1);
    await client.reset();
    meter.reset();
    const postsBefore = postsSoFar(platform);
    const published = await client.publish({
      transport: 'rest',
      httpUrl: platform.endpoints.http,
      ...(ingestApiKey(platform) ? { apiKey: ingestApiKey(platform) } : {}),
      keyAttribute,
      keys,
      rate: shape.rate,
      durationMs: seconds * 1000,
    });
    const stored = Object.values(published.sent).reduce((sum, count) => sum + count, 0) - published.stale;
    // The changes owed: every stored reading to every connection (alone, in a batch, or as its newest).
    const owed = stored * shape.connections;
    const collected = await client.collect({ expectedFrames: owed, quietMs: 1_500, timeoutMs: 60_000 });
    const posts = postsSoFar(platform) - postsBefore;
    await client.close();
    await sleep(500);
    return {
      owed,
      framesReceived: collected.framesReceived,
      posts,
      invocations: meter.invocations,
      latencies: collected.latencies,
      readingsPerSecond: (stored * 1000) / Math.max(1, published.publishMs),
    };
  };
  for (const [index, shape] of shapes.entries()) {
    // ABBA order, so a platform still warming up favours neither mode.
    const runs = {
      on: [] as Awaited<ReturnType<typeof runOnce>>[],
      off: [] as Awaited<ReturnType<typeof runOnce>>[],
    };
    for (const [pass, batching] of (['off', 'on', 'on', 'off'] as const).entries()) {
      runs[batching].push(await runOnce(index, shape, batching, pass));
    }
    for (const batching of ['on', 'off'] as const) {
      const total = (pick: (run: Awaited<ReturnType<typeof runOnce>>) => number) =>
        runs[batching].reduce((sum, run) => sum + pick(run), 0);
      const latency = summarise(runs[batching].flatMap((run) => run.latencies));
      rows.push({
        shape: shape.name,
        batching,
        readingsPerSecondHeld: round(total((run) => run.readingsPerSecond) / runs[batching].length, 0),
        changesOwed: total((run) => run.owed),
        framesReceived: total((run) => run.framesReceived),
        posts: total((run) => run.posts),
        postsPer1000Changes: round(
          (total((run) => run.posts) * 1000) /
            Math.max(
              1,
              total((run) => run.owed),
            ),
          0,
        ),
        invocations: total((run) => run.invocations),
        postsPerInvocation: round(
          total((run) => run.posts) / Math.max(1, total((run) => run.invocations) * shape.connections),
          2,
        ),
        p50Ms: round(latency.p50, 0),
        p99Ms: round(latency.p99, 0),
      });
    }
  }
  printTable(
    `8. Batching: PostToConnection calls per 1,000 changes, batching on vs off (2 × ${seconds} s each, ABBA)`,
    rows.map((row) => ({ ...row })),
  );
  const pairs = shapes.map((shape) => {
    const on = rows.find((row) => row.shape === shape.name && row.batching === 'on');
    const off = rows.find((row) => row.shape === shape.name && row.batching === 'off');
    return {
      shape: shape.name,
      postsSaved: round(1 - (on?.postsPer1000Changes ?? 0) / Math.max(1, off?.postsPer1000Changes ?? 1), 2),
      p99Growth: round((on?.p99Ms ?? 0) / Math.max(1, off?.p99Ms ?? 1) - 1, 2),
    };
  });
  for (const pair of pairs) {
    console.log(
      `   ${pair.shape}: ${Math.round(pair.postsSaved * 100)} % fewer posts; p99 ${pair.p99Growth >= 0 ? '+' : ''}${Math.round(pair.p99Growth * 100)} % (target ≤ +10 %)`,
    );
  }
  const fleetOn = rows.find((row) => row.shape === shapes[0]?.name && row.batching === 'on');
  console.log(
    `   fleet dashboard at ${shapes[0]?.rate} readings/s: ${fleetOn?.postsPerInvocation} posts per invocation (target ≤ 1)`,
  );
  const svg = barChart({
    title: 'Batching: PostToConnection calls per 1,000 changes',
    subtitle: 'same run, batching on vs ?batch=false',
    unit: 'posts',
    bars: rows.map((row) => ({
      label: `${row.shape.split(' ')[0]} ${row.batching}`,
      value: row.postsPer1000Changes,
    })),
  });
  const result = { scenario: 'batching', options, seconds, shapes, rows, pairs };
  writeResult('batching', result, svg);
  return result;
}
