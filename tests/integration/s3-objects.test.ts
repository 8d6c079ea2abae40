import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RejectReportSchema } from '#contracts/queue-message.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let dynamo: DynamoDBClient;
let bucket: string;
const subscribers = subscriberPool(() => platform.endpoints.websocket);

beforeAll(async () => {
  platform = await startTestPlatform();
  aws = awsClientsFor(platform);
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  bucket = platform.resources.ingestBucket as string;
});

afterAll(async () => {
  await subscribers.closeAll();
  for (const client of Object.values(aws ?? {})) client.destroy();
  dynamo?.destroy();
  await platform?.stop();
});

const client = (key: string): Promise<TestClient> => subscribers.connect(key);

const put = (key: string, body: string) =>
  aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

const s3Stats = () =>
  (platform.health().stats as { fauxqs: { s3Notifications: { delivered: number } } }).fauxqs.s3Notifications;

async function rejectReport(key: string) {
  let text: string | undefined;
  await waitFor(async () => {
    try {
      const object = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `rejected/${key}.json` }));
      text = await object.Body?.transformToString();
      return true;
    } catch {
      return false;
    }
  }, `the reject report of ${key}`);
  return RejectReportSchema.parse(JSON.parse(text as string));
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
