import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RejectReport, RejectReportSchema } from '#contracts/queue-message.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

/**
 * Objects under ingest/ through the local runtime with the real S3 client (fauxqs). DynamoDB Local
 * keeps its data on disk, so one test can stop it part way through an object and start it again.
 */
// Above it fauxqs would need a multipart upload (its PUT body limit is 11 MiB).
const MAX_OBJECT_BYTES = 10_000_000;

let platform: Platform;
let dataDir: string;
let aws: ReturnType<typeof awsClientsFor>;
let dynamo: DynamoDBClient;
let bucket: string;
const subscribers = subscriberPool(() => platform.endpoints.websocket);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rtp-s3-objects-'));
  // Without the history writer: its stream batches of these 20 KB items (old and new images) would
  // count against the object's reading in the memory test; history has its own tests.
  platform = await startTestPlatform({
    dataDir,
    history: false,
    parameters: { MaxObjectBytes: String(MAX_OBJECT_BYTES) },
  });
  aws = awsClientsFor(platform);
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  bucket = platform.resources.ingestBucket as string;
});

afterAll(async () => {
  await subscribers.closeAll();
  for (const client of Object.values(aws ?? {})) client.destroy();
  dynamo?.destroy();
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const client = (key: string): Promise<TestClient> => subscribers.connect(key);

const put = (key: string, body: string) =>
  aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

const s3Stats = () =>
  (platform.health().stats as { fauxqs: { s3Notifications: { delivered: number } } }).fauxqs.s3Notifications;

/** The reject report of `key` once it exists (with `status`, when given). */
async function rejectReport(key: string, status?: RejectReport['status']): Promise<RejectReport> {
  let found: RejectReport | undefined;
  await waitFor(
    async () => {
      try {
        const object = await aws.s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: `rejected/${key}.json` }),
        );
        found = RejectReportSchema.parse(JSON.parse((await object.Body?.transformToString()) ?? ''));
        return status === undefined || found.status === status;
      } catch {
        return false;
      }
    },
    `the ${status ?? ''} reject report of ${key}`,
    60_000,
  );
  return found as RejectReport;
}

async function stored(key: string, channel = 'telemetry') {
  const { Item: item } = await dynamo.send(
    new GetItemCommand({
      TableName: platform.resources.realTimeDataTable,
      Key: { itemKey: { S: key }, channel: { S: channel } },
      ConsistentRead: true,
    }),
  );
  return item;
}

describe('s3-objects: objects under ingest/ to WebSocket subscribers', () => {
  it('ingests the good lines of a CSV and reports each bad line with its reason', async () => {
    const dashboard = await client('s3a');
    const ts = Date.now();
    await put(
      'ingest/fleet 1.csv',
      [
        'vehicleId,ts,channel,speed,driver',
        `s3a,${ts},telemetry,42.5,"Ann, B."`,
        `s3a,${ts},engine,,x`,
        `,${ts},telemetry,1,nobody`,
        `s3a,${ts + 1},fuel,"unterminated`,
      ].join('\n'),
    );
    const frame = await dashboard.next(
      (f) => f.type === 'item' && f.channel === 'telemetry',
      'the CSV reading',
    );
    expect(frame).toMatchObject({ key: 's3a', ts, data: { speed: 42.5, driver: 'Ann, B.' } });
    await dashboard.next((f) => f.type === 'item' && f.channel === 'engine', 'the second good line');
    const report = await rejectReport('ingest/fleet 1.csv');
    expect(report).toMatchObject({ bucket, key: 'ingest/fleet 1.csv', accepted: 2 });
    expect(report.rejected.map((line) => line.line)).toEqual([4, 5]);
    expect(report.rejected[0]?.reason).toMatch(/vehicleId/);
    expect(report.rejected[1]?.reason).toMatch(/unterminated quote/);
    expect(dashboard.invalid).toEqual([]);
  });

  it('ingests NDJSON and JSON objects, and ignores objects outside ingest/', async () => {
    const dashboard = await client('s3b');
    await put('other/skip.ndjson', JSON.stringify({ vehicleId: 's3b', channel: 'skipped', data: {} }));
    await put(
      'ingest/readings.ndjson',
      `${JSON.stringify({ vehicleId: 's3b', data: { speed: 7 } })}\n\nnot json\n`,
    );
    await put(
      'ingest/readings.json',
      JSON.stringify({ readings: [{ vehicleId: 's3b', channel: 'door', data: { open: true } }] }),
    );
    await dashboard.next((f) => f.type === 'item' && f.channel === 'telemetry', 'the NDJSON reading');
    await dashboard.next((f) => f.type === 'item' && f.channel === 'door', 'the JSON reading');
    expect((await rejectReport('ingest/readings.ndjson')).rejected).toEqual([
      { line: 3, code: 'ValidationError', reason: 'line 3: is not valid JSON', raw: 'not json' },
    ]);
    expect(await stored('s3b', 'skipped')).toBeUndefined();
  });

  it('keeps the newest of a disordered pair, and never double-applies a re-put object or a re-raised event', async () => {
    const dashboard = await client('s3c');
    const ts = Date.now();
    const newer = JSON.stringify({ vehicleId: 's3c', ts, data: { speed: 90 } });
    const delivered = () => s3Stats().delivered;
    const putAndSettle = async (key: string, body: string) => {
      const before = delivered();
      await put(key, body);
      await waitFor(() => delivered() > before, `the notification of ${key}`);
    };

    await putAndSettle('ingest/newer.ndjson', newer);
    await dashboard.next((f) => f.type === 'item', 'the newer reading');
    await putAndSettle(
      'ingest/older.ndjson',
      JSON.stringify({ vehicleId: 's3c', ts: ts - 5000, data: { speed: 10 } }),
    );
    await putAndSettle('ingest/newer.ndjson', newer);
    await platform.invoke('S3ObjectsFunction', {
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: bucket }, object: { key: 'ingest/newer.ndjson', size: newer.length } },
        },
      ],
    });
    const item = await stored('s3c');
    expect(item?.version?.N).toBe('1');
    expect(item?.data?.M?.speed?.N).toBe('90');
    expect(dashboard.frames.filter((f) => f.type === 'item')).toHaveLength(1);
  });
});

const storedTs = async (key: string) => {
  const ts = (await stored(key))?.ts?.N;
  return ts === undefined ? undefined : Number(ts);
};

/** A full garbage collection, then the live heap: what the process really holds at this moment. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const liveHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

const lineOf = (key: string, seq: number, padding = 10) =>
  JSON.stringify({ vehicleId: key, ts: 1_000_000 + seq, data: { seq, pad: 'x'.repeat(padding) } });

describe('s3-objects: objects of any size (streamed, limited, kept when they fail)', () => {
  it('streams a few-MB object: live memory stays far below its size, and every line is accounted for', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `big-${i}`);
    // Big readings (20 KB, within the 32 KB frame): megabytes in few writes, DynamoDB Local's bound.
    const lines = Array.from({ length: 400 }, (_, i) =>
      i % 100 === 7 ? `{"broken":${i}` : lineOf(keys[i % keys.length]!, i, 20_000),
    );
    const body = lines.join('\n');
    const bad = lines.flatMap((line, i) => (line.startsWith('{"broken"') ? [i + 1] : []));
    const before = s3Stats().delivered;
    await put('ingest/big.ndjson', body);
    // From here on fauxqs holds the object; what grows beyond that is the function's reading of it.
    const baseline = liveHeap();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, liveHeap());
    }, 250);
    try {
      await waitFor(() => s3Stats().delivered > before, 'the big object ingested', 240_000);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, liveHeap());
    const growth = peak - baseline;
    console.log(
      `s3 streaming: ${(body.length / 1e6).toFixed(1)} MB, ${lines.length} lines; live heap peak ` +
        `${(growth / 1e6).toFixed(1)} MB above the heap after the upload`,
    );
    // Read whole, the object's text plus its parsed readings would be twice its size; streamed, the
    // growth is one bounded batch plus what the rest of the process (stream poller, SDK) holds meanwhile.
    expect(growth).toBeLessThan(body.length);

    const result = await rejectReport('ingest/big.ndjson', 'complete');
    expect(result.rejected.map((line) => line.line)).toEqual(bad);
    expect(result).toMatchObject({
      lines: lines.length,
      rejectedCount: bad.length,
      accepted: lines.length - bad.length,
    });
    expect(result.applied).toBe(result.accepted);
    for (const [index, key] of keys.entries()) {
      const last = lines.length - keys.length + index;
      expect(await storedTs(key)).toBe(1_000_000 + last);
    }
  }, 300_000);

  it('refuses an object above MaxObjectBytes unread, with a refused report, and applies nothing', async () => {
    const line = lineOf('huge', 1);
    const body = `${line}\n`.repeat(Math.ceil((MAX_OBJECT_BYTES + 1) / (line.length + 1)));
    await put('ingest/huge.ndjson', body);
    const result = await rejectReport('ingest/huge.ndjson');
    expect(result).toMatchObject({
      status: 'refused',
      size: body.length,
      accepted: 0,
      lines: 0,
      stoppedAt: { afterLine: 0, code: 'ObjectTooLarge' },
    });
    expect(result.stoppedAt?.reason).toContain(String(MAX_OBJECT_BYTES));
    expect(await storedTs('huge')).toBeUndefined();
  }, 60_000);

  it('reports where an object stopped when its writes fail part way, and keeps its event on the failure queue', async () => {
    const key = 'ingest/midway.ndjson';
    const watcher = await subscribers.connect('midway');
    const lines = Array.from({ length: 400 }, (_, i) => (i === 2 ? 'not json' : lineOf('midway', i)));
    await put(key, lines.join('\n'));
    await watcher.next((frame) => frame.type === 'item', 'the first readings of the object', 30_000);
    await platform.dynamoDb.stop();

    const failureQueueUrl = platform.resources.s3ObjectsFailureQueueUrl as string;
    let record: { requestPayload: S3Event; responsePayload: { errorMessage: string } } | undefined;
    await waitFor(
      async () => {
        const { Messages: messages = [] } = await aws.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: failureQueueUrl, MaxNumberOfMessages: 1 }),
        );
        if (messages[0]?.Body) record = JSON.parse(messages[0].Body);
        return record !== undefined;
      },
      'the failed event on S3ObjectsFailureQueue',
      60_000,
    );
    expect(record?.requestPayload.Records[0]?.s3.object.key).toBe(key);
    const failed = await rejectReport(key, 'failed');
    expect(failed.stoppedAt).toMatchObject({ code: 'DependencyUnavailable' });
    expect(failed.stoppedAt?.afterLine).toBeLessThan(lines.length);
    expect(failed.rejected).toEqual([expect.objectContaining({ line: 3, raw: 'not json' })]);
    expect(failed.lines).toBeGreaterThanOrEqual(failed.stoppedAt?.afterLine ?? 0);

    // A redrive once DynamoDB is back: the event from the queue completes the object, nothing twice.
    await platform.dynamoDb.start();
    await platform.invoke('S3ObjectsFunction', record?.requestPayload);
    const complete = await rejectReport(key, 'complete');
    expect(complete).toMatchObject({ lines: lines.length, accepted: lines.length - 1, rejectedCount: 1 });
    expect(await storedTs('midway')).toBe(1_000_000 + lines.length - 1);
    const versions = watcher.frames.flatMap((frame) => (frame.type === 'item' ? [frame.version] : []));
    expect(new Set(versions).size).toBe(versions.length);
  }, 300_000);
});
