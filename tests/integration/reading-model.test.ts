import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { Platform } from '#local/platform.ts';
import { LOCAL_ACCOUNT_ID, localArn } from '#local/template/local-identity.ts';
import { awsClientsFor, connectDevice, queueDepth } from '../helpers/aws-clients.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

/** One reading model on every source: field types, ISO times, shapes, and order without ts. */
let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let dynamo: DynamoDBClient;
let kinesis: KinesisClient;
let device: MqttClient;
const subscribers = subscriberPool(() => platform.endpoints.websocket);

beforeAll(async () => {
  platform = await startTestPlatform();
  aws = awsClientsFor(platform);
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  kinesis = createLocalKinesisClient((platform.health().endpoints as Record<string, string>).kinesis ?? '');
  device = await connectDevice(platform, 'reading-model-device');
});

afterAll(async () => {
  await subscribers.closeAll();
  await device?.endAsync();
  for (const client of Object.values(aws ?? {})) client.destroy();
  kinesis?.destroy();
  dynamo?.destroy();
  await platform?.stop();
});

const MIXED = { speed: 11, gear: 'D', doorsLocked: true, tyres: { front: 2.3, rear: [2.1, 2.2] } };
const post = (body: unknown) => postJson(platform.endpoints.http, '/readings', body);
const itemFrames = (client: TestClient) => client.frames.filter((frame) => frame.type === 'item');

async function stored(key: string, channel = 'telemetry') {
  const { Item: item } = await dynamo.send(
    new GetItemCommand({
      TableName: platform.resources.realTimeDataTable,
      Key: { itemKey: { S: key }, channel: { S: channel } },
      ConsistentRead: true,
    }),
  );
  return item ? unmarshall(item) : undefined;
}

const putKinesis = (value: unknown, partitionKey: string) =>
  kinesis.send(
    new PutRecordCommand({
      StreamName: platform.resources.telemetryStream,
      PartitionKey: partitionKey,
      Data: Buffer.from(JSON.stringify(value)),
    }),
  );

const sendSqs = (body: unknown) =>
  aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: platform.resources.ingestQueueUrl,
      MessageBody: JSON.stringify(body),
    }),
  );

describe('string, boolean and nested fields on every source', () => {
  it.each([
    ['REST', (key: string) => post({ vehicleId: key, data: MIXED })],
    ['REST flat telemetry', (key: string) => post({ vehicleId: key, ...MIXED })],
    [
      'MQTT',
      (key: string) => device.publishAsync(`vehicles/${key}/telemetry`, JSON.stringify(MIXED), { qos: 1 }),
    ],
    ['Kinesis', (key: string) => putKinesis({ vehicleId: key, ...MIXED }, key)],
    ['SQS', (key: string) => sendSqs({ vehicleId: key, data: MIXED })],
    [
      'SNS',
      (key: string) =>
        aws.sns.send(
          new PublishCommand({
            TopicArn: platform.resources.ingestTopicArn,
            Message: JSON.stringify({ vehicleId: key, data: MIXED }),
          }),
        ),
    ],
    [
      'S3',
      (key: string) =>
        aws.s3.send(
          new PutObjectCommand({
            Bucket: platform.resources.ingestBucket,
            Key: `ingest/mixed-${key}.ndjson`,
            Body: `${JSON.stringify({ vehicleId: key, data: MIXED })}\n`,
          }),
        ),
    ],
  ] as const)('reach the subscriber over %s', async (name, send) => {
    const key = `mixed-${name.replace(/\W/g, '')}`;
    const client = await subscribers.connect(key);
    await send(key);
    const frame = await client.next((f) => f.type === 'item' && f.key === key, `the ${name} frame`, 10_000);
    expect(frame).toMatchObject({ channel: 'telemetry', data: MIXED });
  });
});

describe('time as devices send it', () => {
  it('stores an ISO 8601 ts with offset as epoch ms, on REST and MQTT', async () => {
    const iso = new Date(Date.now() - 60_000).toISOString().replace('Z', '+00:00');
    expect((await post({ vehicleId: 'iso-rest', ts: iso, data: { v: 1 } })).status).toBe(202);
    expect((await stored('iso-rest'))?.ts).toBe(Date.parse(iso));
    const client = await subscribers.connect('iso-mqtt');
    await device.publishAsync('vehicles/iso-mqtt/telemetry', JSON.stringify({ ts: iso, speed: 3 }), {
      qos: 1,
    });
    const frame = await client.next((f) => f.type === 'item', 'the MQTT frame');
    expect(frame).toMatchObject({ ts: Date.parse(iso) });
  });

  it('answers 400 naming ts for an ISO time without offset or a time in the future, storing the good beside it', async () => {
    const local = await post({ vehicleId: 'iso-bad', ts: '2026-12-01T12:00:00', data: { v: 1 } });
    expect(local.status).toBe(400);
    expect(ErrorBodySchema.parse(local.body).error.issues?.[0]).toMatchObject({
      path: 'body.ts',
      message: expect.stringContaining('with an offset'),
    });
    const future = await post({ vehicleId: 'iso-bad', ts: Date.now() + 3_600_000, data: { v: 1 } });
    expect(future.status).toBe(400);
    expect(ErrorBodySchema.parse(future.body).error.issues?.[0]?.message).toContain('ahead of the platform');
    expect(await stored('iso-bad')).toBeUndefined();
    expect((await post({ vehicleId: 'iso-bad', data: { v: 2 } })).status).toBe(202);
    expect((await stored('iso-bad'))?.data).toEqual({ v: 2 });
  });
});

describe('order without ts', () => {
  it('stores the later of two readings of one request and delivers both in order', async () => {
    // One change per frame: a batching connection may get one item's changes as its newest only.
    const client = await subscribers.connect('order-rest', 'batch=false');
    const response = await post({
      readings: [
        { vehicleId: 'order-rest', data: { v: 1 } },
        { vehicleId: 'order-rest', data: { v: 2 } },
      ],
    });
    expect(response).toEqual({ status: 202, body: { accepted: 2, stale: 0 } });
    await waitFor(() => itemFrames(client).length === 2, 'both frames');
    expect(itemFrames(client).map((f) => (f as { data: unknown }).data)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(itemFrames(client).map((f) => (f as { version: number }).version)).toEqual([1, 2]);
    expect((await stored('order-rest'))?.data).toEqual({ v: 2 });
  });

  it('delivers a reading with empty data, and the next reading of that item after it', async () => {
    const client = await subscribers.connect('order-empty', 'batch=false');
    expect((await post({ vehicleId: 'order-empty', data: {} })).status).toBe(202);
    expect((await post({ vehicleId: 'order-empty', data: { v: 2 } })).status).toBe(202);
    await waitFor(() => itemFrames(client).length === 2, 'both frames');
    expect(itemFrames(client).map((f) => (f as { data: unknown }).data)).toEqual([{}, { v: 2 }]);
  });

  it('accepts a bare array, and refuses a body of another shape with 400 naming it', async () => {
    const response = await post([
      { vehicleId: 'order-array', data: { v: 1 } },
      { vehicleId: 'order-array', speed: 2 },
    ]);
    expect(response).toEqual({ status: 202, body: { accepted: 2, stale: 0 } });
    expect((await stored('order-array'))?.data).toEqual({ speed: 2 });
    const bad = await post('"just text"');
    expect(bad.status).toBe(400);
    expect(ErrorBodySchema.parse(bad.body).error.issues?.[0]?.path).toBe('body');
  });

  it('applies the records of one item in one Kinesis batch in stream order, delivering each', async () => {
    const key = 'order-kinesis';
    const client = await subscribers.connect(key, 'batch=false');
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: platform.resources.telemetryStream,
        Records: [1, 2, 3].map((v) => ({
          PartitionKey: key,
          Data: Buffer.from(JSON.stringify({ vehicleId: key, data: { v } })),
        })),
      }),
    );
    await waitFor(() => itemFrames(client).length === 3, 'three frames');
    expect(itemFrames(client).map((f) => (f as { data: unknown }).data)).toEqual([
      { v: 1 },
      { v: 2 },
      { v: 3 },
    ]);
    expect((await stored(key))?.data).toEqual({ v: 3 });
  });

  it('refuses a redelivered SQS message without ts as a duplicate: newer state stays', async () => {
    await sendSqs({ vehicleId: 'redeliver-sqs', data: { v: 1 } });
    await waitFor(async () => (await stored('redeliver-sqs'))?.data?.v === 1, 'the first message applied');
    const first = await stored('redeliver-sqs');
    // The message again, as SQS redelivers it: same id, body and SentTimestamp.
    const redelivery = {
      Records: [
        {
          messageId: 'redelivered-1',
          receiptHandle: 'r',
          body: JSON.stringify({ vehicleId: 'redeliver-sqs', data: { v: 1 } }),
          attributes: { SentTimestamp: String(first?.ts), ApproximateReceiveCount: '2' },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: localArn('sqs', 'ingest'),
          awsRegion: 'us-east-1',
        },
      ],
    };
    expect(await platform.invoke('QueueMessagesFunction', redelivery)).toEqual({ batchItemFailures: [] });
    expect((await stored('redeliver-sqs'))?.version).toBe(1);
    await waitFor(() => Date.now() > (first?.ts ?? 0) + 2, 'a later send time');
    await sendSqs({ vehicleId: 'redeliver-sqs', data: { v: 2 } });
    await waitFor(async () => (await stored('redeliver-sqs'))?.data?.v === 2, 'the newer message applied');
    expect(await platform.invoke('QueueMessagesFunction', redelivery)).toEqual({ batchItemFailures: [] });
    expect(await stored('redeliver-sqs')).toMatchObject({ data: { v: 2 }, version: 2 });
    await waitFor(
      async () => (await queueDepth(aws.sqs, platform.resources.ingestQueueUrl ?? '')) === 0,
      'the queue to drain',
    );
  });

  it('refuses a Kinesis record read again from the stream as a duplicate: newer state stays', async () => {
    const key = 'redeliver-kinesis';
    const sent = await putKinesis({ vehicleId: key, data: { v: 1 } }, key);
    await waitFor(async () => (await stored(key))?.data?.v === 1, 'the first record applied');
    await putKinesis({ vehicleId: key, data: { v: 2 } }, key);
    await waitFor(async () => (await stored(key))?.data?.v === 2, 'the second record applied');
    // Read the first record again from the real stream, as a retried batch reads it.
    const { Shards: shards = [] } = await kinesis.send(
      new ListShardsCommand({ StreamName: platform.resources.telemetryStream }),
    );
    const { ShardIterator: iterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: platform.resources.telemetryStream,
        ShardId: sent.ShardId ?? shards[0]?.ShardId ?? '',
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: sent.SequenceNumber,
      }),
    );
    const { Records: records = [] } = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }),
    );
    const record = records[0];
    expect(record?.SequenceNumber).toBe(sent.SequenceNumber);
    const event = {
      Records: [
        {
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: record?.PartitionKey ?? '',
            sequenceNumber: record?.SequenceNumber ?? '',
            data: Buffer.from(record?.Data ?? new Uint8Array()).toString('base64'),
            approximateArrivalTimestamp: (record?.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1_000,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `${sent.ShardId}:${record?.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local`,
          awsRegion: 'us-east-1',
          eventSourceARN: localArn('kinesis', 'stream/telemetry'),
        },
      ],
    };
    expect(await platform.invoke('KinesisTelemetryFunction', event)).toEqual({ batchItemFailures: [] });
    expect(await stored(key)).toMatchObject({ data: { v: 2 }, version: 2 });
  });
});

describe('order without ts on S3', () => {
  /** An S3 event of `key` as S3 sends it (and sends it again on a retry): its time is `eventTime`. */
  const s3Event = (key: string, eventTime: string) => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime,
        s3: { bucket: { name: platform.resources.ingestBucket }, object: { key, size: 1 } },
      },
    ],
  });

  it('stores the later line of one object and refuses a retried older event as a duplicate', async () => {
    const key = 'order-s3';
    // Outside ingest/: no notification of its own, so the events below are the only ones.
    const put = (name: string, lines: unknown[]) =>
      aws.s3.send(
        new PutObjectCommand({
          Bucket: platform.resources.ingestBucket,
          Key: `manual/${name}.ndjson`,
          Body: lines.map((line) => JSON.stringify(line)).join('\n'),
        }),
      );
    await put('first', [
      { vehicleId: key, data: { v: 1 } },
      { vehicleId: key, data: { v: 2 } },
    ]);
    await put('second', [{ vehicleId: key, data: { v: 3 } }]);
    const early = new Date(Date.now() - 2_000).toISOString();
    const late = new Date(Date.now() - 1_000).toISOString();
    await platform.invoke('S3ObjectsFunction', s3Event('manual/first.ndjson', early));
    expect(await stored(key)).toMatchObject({ ts: Date.parse(early), data: { v: 2 }, version: 2 });
    await platform.invoke('S3ObjectsFunction', s3Event('manual/second.ndjson', late));
    await platform.invoke('S3ObjectsFunction', s3Event('manual/first.ndjson', early));
    expect(await stored(key)).toMatchObject({ ts: Date.parse(late), data: { v: 3 }, version: 3 });
  });
});

describe('bad input beside good on each source', () => {
  it('applies the good MQTT, Kinesis, SQS and S3 inputs and refuses the bad ones', async () => {
    const [mqtt, stream, queue, object] = await Promise.all(
      ['beside-mqtt', 'beside-kinesis', 'beside-sqs', 'beside-s3'].map((key) => subscribers.connect(key)),
    );
    await device.publishAsync('vehicles/beside-mqtt/telemetry', JSON.stringify({ speed: -5 }), { qos: 1 });
    await device.publishAsync('vehicles/beside-mqtt/telemetry', JSON.stringify({ gear: 'N' }), { qos: 1 });
    await putKinesis({ vehicleId: 'beside-kinesis', ts: '2026-01-01T00:00:00', speed: 1 }, 'beside');
    await putKinesis({ vehicleId: 'beside-kinesis', gear: 'R' }, 'beside');
    await sendSqs({ vehicleId: 'beside-sqs', ts: Date.now() + 3_600_000, data: { v: 0 } });
    await sendSqs({ vehicleId: 'beside-sqs', data: { gear: 'P' } });
    const lines = [
      { vehicleId: 'beside-s3', ts: 'yesterday', data: {} },
      { vehicleId: 'beside-s3', data: { ok: true } },
    ];
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: platform.resources.ingestBucket,
        Key: 'ingest/beside.ndjson',
        Body: lines.map((line) => JSON.stringify(line)).join('\n'),
      }),
    );
    const good = [
      [mqtt, { gear: 'N' }],
      [stream, { gear: 'R' }],
      [queue, { gear: 'P' }],
      [object, { ok: true }],
    ] as const;
    for (const [client, data] of good) {
      const frame = await client?.next((f) => f.type === 'item', 'the good frame', 10_000);
      expect(frame).toMatchObject({ version: 1, data });
    }
  });
});
