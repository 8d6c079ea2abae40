import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import type { Platform } from '#local/platform.ts';
import { CpuWindow, ingestApiKey, nowMs } from '../lib/harness.ts';
import type { LoadClient } from '../lib/load-client-handle.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';

export interface ThroughputOptions {
  quick: boolean;
}

/** Closed-loop REST posters; each request carries one reading per key of its slice. */
const POSTERS = 2;
const KEYS_PER_POSTER = 50;
/** Conditional writes in flight per POST (lib/core/ingest-readings.ts WRITE_CONCURRENCY). */
const INGEST_WRITE_CONCURRENCY = 16;

/**
 * The limit: the same conditional UpdateItem as DynamoItemStore.applyReading, at the concurrency
 * the ingest path reaches (posters × writes per request), on a table with the same keys and stream.
 */
export async function rawConditionalPutRate(
  endpoint: string,
  tableName: string,
  concurrency: number,
  durationMs: number,
) {
  const raw = new DynamoDBClient({ endpoint });
  const store = new DynamoItemStore(createDocumentClient(raw), tableName);
  let writes = 0;
  let failures = 0;
  const cpu = new CpuWindow();
  const start = performance.now();
  // Like the pipeline's batches: every write goes to another item (100 keys), ts always newer.
  let sequence = 0;
  const baseTs = Date.now() * 1_000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < durationMs) {
        sequence += 1;
        const result = await store.applyReading({
          itemKey: `raw-${sequence % 100}`,
          channel: 'telemetry',
          keyAttribute: 'vehicleId',
          ts: baseTs + sequence,
          data: { sentAt: nowMs(), seq: sequence },
          source: 'bench',
          receivedAt: Date.now(),
        } as Parameters<DynamoItemStore['applyReading']>[0]);
        if (result.applied) writes += 1;
        else failures += 1;
      }
    }),
  );
  const elapsed = performance.now() - start;
  raw.destroy();
  return { writesPerSecond: round((writes * 1000) / elapsed, 0), failures, ...cpu.read() };
}

/**
 * Scenario 2: the highest sustained readings/s through the whole pipeline (REST → conditional write
 * → stream → fan-out → one subscriber per key) in a closed loop, beside the raw conditional-put rate
 * of DynamoDB Local measured in the same run (before and after; their mean is the limit).
 */
export function rawLimitTableName(platform: Platform): string {
  return `${platform.resources.stackName}-RawLimit`;
}

/**
 * Creates the table the raw conditional-put rate is measured on: RealTimeData's keys and stream
 * view, no consumer. Created at the start of the run, like the platform's own tables (a table
 * created after minutes of traffic measured several times slower on DynamoDB Local).
 */
export async function createRawLimitTable(platform: Platform): Promise<string> {
  const admin = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  const tableName = rawLimitTableName(platform);
  try {
    await admin.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'itemKey', AttributeType: 'S' },
          { AttributeName: 'channel', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'itemKey', KeyType: 'HASH' },
          { AttributeName: 'channel', KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  } finally {
    admin.destroy();
  }
  return tableName;
}

export async function runThroughput(platform: Platform, client: LoadClient, options: ThroughputOptions) {
  const durationMs = options.quick ? 4_000 : 12_000;
  const concurrency = POSTERS * INGEST_WRITE_CONCURRENCY;
  const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  const rawTable = rawLimitTableName(platform);

  const keys = Array.from({ length: POSTERS * KEYS_PER_POSTER }, (_, i) => `tp-${i + 1}`);
  await client.connect(platform.endpoints.websocket, keys, 1, keyAttribute);
  // Not reported: lets the previous scenario's disconnects drain and the new table's paths warm up.
  await rawConditionalPutRate(platform.endpoints.dynamodb, rawTable, concurrency, 2_000);
  const rawBefore = await rawConditionalPutRate(
    platform.endpoints.dynamodb,
    rawTable,
    concurrency,
    durationMs / 2,
  );

  await client.reset();
  const cpu = new CpuWindow();
  const start = nowMs();
  const flood = await client.flood({
    httpUrl: platform.endpoints.http,
    apiKey: ingestApiKey(platform),
    keyAttribute,
    keys,
    posters: POSTERS,
    durationMs,
  });
  const applied = flood.accepted - flood.stale;
  const collected = await client.collect({ expectedFrames: applied, quietMs: 2_000, timeoutMs: 60_000 });
  const usage = cpu.read();
  const rawAfter = await rawConditionalPutRate(
    platform.endpoints.dynamodb,
    rawTable,
    concurrency,
    durationMs / 2,
  );
  await client.close();

  const limit = round((rawBefore.writesPerSecond + rawAfter.writesPerSecond) / 2, 0);
  const ingestRate = round((flood.accepted * 1000) / flood.publishMs, 0);
  const deliveredRate = round(
    (collected.framesReceived * 1000) / Math.max(1, collected.lastFrameAt - start),
    0,
  );
  const drainMs = round(collected.lastFrameAt - (start + flood.publishMs), 0);
  const pipeline = {
    readings: flood.accepted,
    stale: flood.stale,
    errors: flood.errors,
    ingestPerSecond: ingestRate,
    deliveredPerSecond: deliveredRate,
    framesLost: applied - collected.framesReceived,
    drainMsAfterLastPost: drainMs,
    ...usage,
  };
  const ratio = round(deliveredRate / limit, 2);
  printTable(
    `2. Pipeline throughput (closed loop, ${POSTERS} REST posters × ${KEYS_PER_POSTER} keys/batch, 1 subscriber/key)`,
    [
      {
        measure: 'DynamoDB Local conditional UpdateItem (before)',
        perSecond: rawBefore.writesPerSecond,
        note: `${concurrency} in flight, node ${rawBefore.nodeCpuPct}% / ddb ${rawBefore.dynamoCpuPct}% CPU`,
      },
      {
        measure: 'DynamoDB Local conditional UpdateItem (after)',
        perSecond: rawAfter.writesPerSecond,
        note: `${concurrency} in flight, node ${rawAfter.nodeCpuPct}% / ddb ${rawAfter.dynamoCpuPct}% CPU`,
      },
      {
        measure: 'pipeline ingest (202 answered)',
        perSecond: ingestRate,
        note: `${flood.accepted} readings, ${flood.stale} stale, ${flood.errors} errors`,
      },
      {
        measure: 'pipeline delivered (frames at subscribers)',
        perSecond: deliveredRate,
        note: `drain ${drainMs} ms after the last post, ${pipeline.framesLost} lost, node ${usage.nodeCpuPct}% / ddb ${usage.dynamoCpuPct}% CPU`,
      },
    ],
  );
  console.log(`   pipeline / DynamoDB Local limit = ${ratio} (target ≥ 0.8)`);
  const svg = barChart({
    title: 'Pipeline throughput vs DynamoDB Local conditional-put limit',
    subtitle: `readings/s, same run; ratio ${ratio}`,
    unit: 'readings/s',
    bars: [
      { label: 'raw UpdateItem (limit)', value: limit },
      { label: 'pipeline ingest', value: ingestRate },
      { label: 'pipeline delivered', value: deliveredRate },
    ],
    target: { value: limit * 0.8, label: '0.8 × limit' },
  });
  const result = {
    scenario: 'throughput',
    durationMs,
    concurrency,
    limit,
    rawBefore,
    rawAfter,
    pipeline,
    ratio,
  };
  writeResult('throughput', result, svg);
  return result;
}
