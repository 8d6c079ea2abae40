import { randomUUID } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { type Message, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { RejectReportSchema } from '#contracts/queue-message.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor, connectDevice, drainQueue } from '../helpers/aws-clients.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Items an app writes through its own actions (a bid, a room message, a job's status, a widget) are
 * created here by those writers, then every ingest source aims a reading at them: each is refused
 * with its reason, the item stays as its app wrote it, and a good reading sent beside it is stored
 * and delivered.
 */
let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let kinesis: KinesisClient;
let device: MqttClient;
const sockets: TestClient[] = [];
const jobId = randomUUID();
/** The app-owned items, as their apps wrote them (filled in beforeAll). */
const owned: Record<'bid' | 'message' | 'job' | 'widget', RealTimeItem> = {} as never;

async function socket(query: Record<string, string>): Promise<TestClient> {
  const client = await connectClient(`${platform.endpoints.websocket}/?${new URLSearchParams(query)}`);
  sockets.push(client);
  return client;
}

async function itemsOf(key: string): Promise<RealTimeItem[]> {
  const response = await fetch(`${platform.endpoints.http}/items/${key}`);
  return ((await response.json()) as { items: RealTimeItem[] }).items;
}

async function storedItem(key: string, channel: string): Promise<RealTimeItem | undefined> {
  return (await itemsOf(key)).find((item) => item.channel === channel);
}

/** Every app-owned item is exactly as its app wrote it, and no reading added an item under an app's key. */
async function expectOwnedItemsUnchanged(): Promise<void> {
  for (const item of Object.values(owned)) {
    expect(await storedItem(item.itemKey, item.channel)).toEqual(item);
  }
  for (const key of ['product-1', 'room-lobby', `job-${jobId}`]) {
    const sources = (await itemsOf(key)).map((item) => item.source);
    expect(sources.filter((source) => READING_SOURCES.includes(source))).toEqual([]);
  }
}

/** The `source` of items written by readings (REST, IoT, Kinesis, SNS/SQS, S3). */
const READING_SOURCES = ['rest', 'iot', 'kinesis', 'queue', 's3'];

/** A dashboard of `key`; resolves with the first item frame of `channel`. */
async function expectDelivered(dashboard: TestClient, key: string, channel: string) {
  await dashboard.next(
    (frame) => frame.type === 'item' && frame.key === key && frame.channel === channel,
    `the good reading ${key}/${channel}`,
    10_000,
  );
  expect(await storedItem(key, channel)).toBeDefined();
}

const metric = (service: string, name: string): number => {
  const value = (platform.health().stats as { metrics: Record<string, Record<string, unknown>> }).metrics[
    service
  ]?.[name];
  return typeof value === 'number' ? value : 0;
};

/** Every message seen on the DLQ (a receive hides a message for a while, so none is received twice). */
const deadLetters: Message[] = [];

/** The first message matching `match` on a reject destination (the ingest DLQ unless named). */
async function deadLettered(
  match: (body: string) => boolean,
  resource = 'ingestDeadLetterQueueUrl',
): Promise<Message> {
  const url = platform.resources[resource] as string;
  const find = () => deadLetters.find((message) => match(message.Body ?? ''));
  await waitFor(
    async () => {
      deadLetters.push(...(await drainQueue(aws.sqs, url)));
      return find() !== undefined;
    },
    'the refused message in the DLQ',
    10_000,
  );
  return find() as Message;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  aws = awsClientsFor(platform);
  kinesis = createLocalKinesisClient(platform.endpoints.kinesis ?? '');
  device = await connectDevice(platform, 'ownership-device');

  const ana = await socket({ vehicleId: 'product-1', user: 'ana' });
  ana.send({ action: 'subscribe', key: 'room-lobby' });
  ana.send({ action: 'subscribe', key: `job-${jobId}` });
  ana.send({ action: 'subscribe', key: 'owner-7' });
  await waitFor(() => ana.frames.filter((frame) => frame.type === 'ack').length >= 3, 'the subscribe acks');
  ana.send({ action: 'bid', productId: 1, amount: 130 });
  ana.send({ action: 'publish', room: 'lobby', text: 'hello' });
  expect(
    (await postJson(platform.endpoints.http, '/jobs', { type: 'fail', input: { reason: 'x' }, jobId }))
      .status,
  ).toBe(202);
  await aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: platform.resources.ingestQueueUrl as string,
      MessageBody: JSON.stringify({
        type: 'create',
        requestId: 'own-1',
        widgetId: 'w-1',
        owner: 'owner-7',
        label: 'Gauge',
      }),
    }),
  );
  const isItem = (key: string, match: (channel: string) => boolean) =>
    ana.next((frame) => frame.type === 'item' && frame.key === key && match(frame.channel), key, 10_000);
  await isItem('product-1', (channel) => channel === 'bid');
  await isItem('room-lobby', (channel) => channel.startsWith('message#'));
  await isItem('owner-7', (channel) => channel === 'widget#w-1');
  await waitFor(
    async () => (await storedItem(`job-${jobId}`, 'status'))?.data.status === 'failed',
    'the job',
  );
  owned.bid = (await storedItem('product-1', 'bid')) as RealTimeItem;
  owned.message = (await itemsOf('room-lobby')).find((item) =>
    item.channel.startsWith('message#'),
  ) as RealTimeItem;
  owned.job = (await storedItem(`job-${jobId}`, 'status')) as RealTimeItem;
  owned.widget = (await storedItem('owner-7', 'widget#w-1')) as RealTimeItem;
  expect(owned.bid.data).toMatchObject({ amount: 130, bidder: 'ana' });
}, 60_000);

afterAll(async () => {
  await Promise.all(sockets.map((client) => client.close()));
  await device?.endAsync();
  kinesis?.destroy();
  for (const client of Object.values(aws ?? {})) client.destroy();
  await platform?.stop();
});

describe('readings aimed at app-owned items', () => {
  it('REST: refuses the whole request with 403 naming the reading; a good request beside it is stored and delivered', async () => {
    const dashboard = await socket({ vehicleId: 'own-rest' });
    const mallory = {
      vehicleId: 'product-1',
      channel: 'bid',
      data: { amount: 999_999_999, bidder: 'mallory' },
    };
    const refused = await postJson(platform.endpoints.http, '/readings', {
      readings: [{ vehicleId: 'own-rest', channel: 'beside', data: { speed: 1 } }, mallory],
    });
    expect(refused.status).toBe(403);
    const body = ErrorBodySchema.parse(refused.body);
    expect(body.error.code).toBe('Forbidden');
    expect(body.error.message).toMatch(/^body\.readings\.1: item product-1\/bid belongs to the sales app/);
    for (const reading of [
      mallory,
      { vehicleId: 'room-lobby', channel: owned.message.channel, data: { author: 'ana', text: 'forged' } },
      { vehicleId: `job-${jobId}`, channel: 'status', data: { status: 'done' } },
      { vehicleId: 'owner-7', channel: 'widget#w-1', data: { label: 'forged' } },
      { vehicleId: 'room-lobby', data: { speed: 1 } },
    ]) {
      const single = await postJson(platform.endpoints.http, '/readings', reading);
      expect({ reading, status: single.status }).toEqual({ reading, status: 403 });
    }

    expect(
      (await postJson(platform.endpoints.http, '/readings', { vehicleId: 'own-rest', data: { speed: 2 } }))
        .status,
    ).toBe(202);
    await expectDelivered(dashboard, 'own-rest', 'telemetry');
    expect(await storedItem('own-rest', 'beside')).toBeUndefined();
    await expectOwnedItemsUnchanged();
  });

  it('MQTT: refuses telemetry under an app key (kept in its reject queue); good telemetry beside it is stored and delivered', async () => {
    const dashboard = await socket({ vehicleId: 'own-mqtt' });
    const rejected = metric('iot-telemetry', 'ReadingsRejected');
    await device.publishAsync('vehicles/product-1/telemetry', JSON.stringify({ speed: 1 }), { qos: 1 });
    await device.publishAsync('vehicles/own-mqtt/telemetry', JSON.stringify({ speed: 2 }), { qos: 1 });
    await waitFor(() => metric('iot-telemetry', 'ReadingsRejected') > rejected, 'the reject counted');
    // Kept as the device sent it: the app key is in its topic only.
    const kept = await deadLettered(
      (body) => body === JSON.stringify({ speed: 1 }),
      'iotTelemetryRejectQueueUrl',
    );
    expect(kept.MessageAttributes?.RejectCode?.StringValue).toBe('Forbidden');
    expect(kept.MessageAttributes?.Topic?.StringValue).toBe('vehicles/product-1/telemetry');
    await expectDelivered(dashboard, 'own-mqtt', 'telemetry');
    await expectOwnedItemsUnchanged();
  });

  it('Kinesis: refuses the record (kept in its reject queue) without blocking the shard; the good record beside it is stored and delivered', async () => {
    const dashboard = await socket({ vehicleId: 'own-kinesis' });
    const rejected = metric('kinesis-telemetry', 'RecordsRejected');
    const records = [
      { vehicleId: 'room-lobby', channel: owned.message.channel, data: { author: 'ana', text: 'forged' } },
      { vehicleId: 'own-kinesis', channel: 'k', data: { speed: 3 } },
    ];
    const output = await kinesis.send(
      new PutRecordsCommand({
        StreamName: platform.resources.telemetryStream,
        Records: records.map((record) => ({ Data: Buffer.from(JSON.stringify(record)), PartitionKey: 'p' })),
      }),
    );
    expect(output.FailedRecordCount).toBe(0);
    await waitFor(
      () => metric('kinesis-telemetry', 'RecordsRejected') > rejected,
      'the reject counted',
      10_000,
    );
    const kept = await deadLettered((body) => body.includes('forged'), 'kinesisTelemetryRejectQueueUrl');
    expect(kept.Body).toBe(JSON.stringify(records[0]));
    expect(kept.MessageAttributes?.RejectCode?.StringValue).toBe('Forbidden');
    await expectDelivered(dashboard, 'own-kinesis', 'k');
    await expectOwnedItemsUnchanged();
  });

  it('SQS and SNS: dead-letter the message with RejectCode Forbidden and its reason; good messages beside it are stored and delivered', async () => {
    const dashboard = await socket({ vehicleId: 'own-queue' });
    const raw = JSON.stringify({ vehicleId: 'owner-7', channel: 'widget#w-1', data: { label: 'forged' } });
    const viaSns = JSON.stringify({ vehicleId: `job-${jobId}`, channel: 'status', data: { status: 'done' } });
    await aws.sqs.send(
      new SendMessageCommand({ QueueUrl: platform.resources.ingestQueueUrl as string, MessageBody: raw }),
    );
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: platform.resources.ingestQueueUrl as string,
        MessageBody: JSON.stringify({ vehicleId: 'own-queue', channel: 'raw', data: { speed: 4 } }),
      }),
    );
    const topic = platform.resources.ingestTopicArn as string;
    await aws.sns.send(new PublishCommand({ TopicArn: topic, Message: viaSns }));
    await aws.sns.send(
      new PublishCommand({
        TopicArn: topic,
        Message: JSON.stringify({ vehicleId: 'own-queue', channel: 'sns', data: { speed: 5 } }),
      }),
    );

    const rawReject = await deadLettered((body) => body === raw);
    expect(rawReject.MessageAttributes?.RejectCode?.StringValue).toBe('Forbidden');
    expect(rawReject.MessageAttributes?.RejectReason?.StringValue).toMatch(
      /widget#w-1 belongs to the widgets app/,
    );
    // Without raw delivery the DLQ keeps the SNS envelope, as the queue received it.
    const snsReject = await deadLettered((body) => body.includes(JSON.stringify(viaSns)));
    expect(snsReject.MessageAttributes?.RejectCode?.StringValue).toBe('Forbidden');
    expect(snsReject.MessageAttributes?.RejectReason?.StringValue).toMatch(/belongs to the jobs app/);
    await expectDelivered(dashboard, 'own-queue', 'raw');
    await expectDelivered(dashboard, 'own-queue', 'sns');
    await expectOwnedItemsUnchanged();
  });

  it('S3: reports the line with code Forbidden and its reason; the good lines beside it are stored and delivered', async () => {
    const dashboard = await socket({ vehicleId: 'own-s3' });
    const bucket = platform.resources.ingestBucket as string;
    const key = 'ingest/own.ndjson';
    const lines = [
      { vehicleId: 'own-s3', channel: 'first', data: { speed: 6 } },
      { vehicleId: 'product-1', channel: 'bid', data: { amount: 999_999_999, bidder: 'mallory' } },
      { vehicleId: 'own-s3', channel: 'last', data: { speed: 7 } },
    ];
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: lines.map((line) => JSON.stringify(line)).join('\n'),
      }),
    );
    await expectDelivered(dashboard, 'own-s3', 'first');
    await expectDelivered(dashboard, 'own-s3', 'last');
    let text: string | undefined;
    await waitFor(async () => {
      text = await aws.s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: `rejected/${key}.json` }))
        .then((object) => object.Body?.transformToString())
        .catch(() => undefined);
      return text !== undefined;
    }, 'the reject report');
    const report = RejectReportSchema.parse(JSON.parse(text as string));
    expect(report.accepted).toBe(2);
    expect(report.rejected).toEqual([
      {
        line: 2,
        code: 'Forbidden',
        reason: expect.stringMatching(/^line 2: item product-1\/bid belongs to the sales app/),
        raw: JSON.stringify(lines[1]),
      },
    ]);
    await expectOwnedItemsUnchanged();
  });
});
