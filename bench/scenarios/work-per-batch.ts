import { DynamoRequestCounter } from '#local/diagnostics/dynamodb-request-counter.ts';
import { localServices } from '#local/services/index.ts';
import { type FunctionCpuMeter, ingestApiKey, postsSoFar, startBenchPlatform } from '../lib/harness.ts';
import { LoadClient } from '../lib/load-client-handle.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { streamEventOf } from '../lib/stream-event.ts';

export interface WorkPerBatchOptions {
  keys: number;
  subscribersPerKey: number;
}

interface WorkRow {
  path: string;
  changes: number;
  distinctKeysPerInvocation: number;
  gsiQueries: number;
  continuationPages: number;
  scans: number;
  posts: number;
  expectedQueries: number;
  expectedPosts: number;
  verdict: string;
}

/**
 * Scenario 4: the AWS work a stream batch costs, counted at the wire (a counting proxy in front of
 * DynamoDB Local, the gateway's @connections counters): one paged GSI query per key per batch, no
 * scan, one PostToConnection per (subscriber, invocation) — here every connection watches one key.
 */
export async function runWorkPerBatch(meter: FunctionCpuMeter, options: WorkPerBatchOptions) {
  const counter = new DynamoRequestCounter();
  const platform = await startBenchPlatform({ services: [...localServices(() => 0), counter] });
  const client = await LoadClient.start();
  const rows: WorkRow[] = [];
  try {
    const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
    const keys = Array.from({ length: options.keys }, (_, i) => `work-${i + 1}`);
    await client.connect(platform.endpoints.websocket, keys, options.subscribersPerKey, keyAttribute);
    const row = (
      path: string,
      changes: number,
      keysPerInvocation: number[],
      postsBefore: number,
      expectedPosts: number,
    ): WorkRow => {
      const counts = counter.counts();
      const gsiQueries = Object.values(counts.indexQueries).reduce((sum, count) => sum + count, 0);
      const expectedQueries = keysPerInvocation.reduce((sum, count) => sum + count, 0);
      const posts = postsSoFar(platform) - postsBefore;
      const ok =
        gsiQueries - counts.continuationPages === expectedQueries &&
        counts.scans === 0 &&
        posts === expectedPosts;
      return {
        path,
        changes,
        distinctKeysPerInvocation: expectedQueries,
        gsiQueries,
        continuationPages: counts.continuationPages,
        scans: counts.scans,
        posts,
        expectedQueries,
        expectedPosts,
        verdict: ok ? 'exact' : 'MISMATCH',
      };
    };

    // Through the pipeline: one POST touching every key once; however the poller cuts the stream
    // into invocations, each invocation must query each of its keys once.
    await client.reset();
    counter.reset();
    meter.reset();
    let postsBefore = postsSoFar(platform);
    const ts = Date.now();
    const response = await fetch(`${platform.endpoints.http}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ingestApiKey(platform) ?? '' },
      body: JSON.stringify({
        readings: keys.map((key, i) => ({ [keyAttribute]: key, channel: 'telemetry', ts, data: { seq: i } })),
      }),
    });
    if (response.status !== 202) throw new Error(`POST /readings answered ${response.status}`);
    await client.collect({
      expectedFrames: keys.length * options.subscribersPerKey,
      quietMs: 1_500,
      timeoutMs: 20_000,
    });
    // Only the fan-out's own requests: the ingest's UpdateItems are counted apart.
    rows.push(
      // Each connection watches one key, changed once: one post per (change, subscriber).
      row(
        `pipeline (${meter.invocations} invocations)`,
        keys.length,
        meter.keysPerInvocation,
        postsBefore,
        keys.length * options.subscribersPerKey,
      ),
    );
    const ingestWrites = counter.counts().operations.UpdateItem ?? 0;

    // One exact batch: every key changed three times in one invocation → still one query per key.
    await client.reset();
    counter.reset();
    postsBefore = postsSoFar(platform);
    const changes = keys.flatMap((key) =>
      [1, 2, 3].map((version) => ({
        key,
        channel: 'telemetry',
        version: 100 + version,
        ts: ts + version,
        data: { seq: version },
        keyAttribute,
      })),
    );
    await platform.invoke('StreamFanoutFunction', streamEventOf(changes));
    // Latest-value telemetry: each subscriber gets its key's newest change, in one post.
    await client.collect({
      expectedFrames: keys.length * options.subscribersPerKey,
      quietMs: 1_000,
      timeoutMs: 20_000,
    });
    rows.push(
      row(
        'one batch, 3 changes per key',
        changes.length,
        [keys.length],
        postsBefore,
        keys.length * options.subscribersPerKey,
      ),
    );

    printTable(
      `4. AWS work per batch: ${options.keys} keys × ${options.subscribersPerKey} subscribers (counted at the wire)`,
      rows.map((r) => ({ ...r })),
    );
    console.log(`   ingest: ${ingestWrites} conditional UpdateItem for ${keys.length} readings`);
    const result = { scenario: 'work-per-batch', options, rows, ingestWrites };
    writeResult('work-per-batch', result);
    return result;
  } finally {
    await client.stop();
    await platform.stop();
  }
}
