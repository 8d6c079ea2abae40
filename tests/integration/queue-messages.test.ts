import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { type Message, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToFailureQueue } from '#local/event-sources/on-failure-queue.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor, drainQueue, queueDepth } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let dynamo: DynamoDBClient;
let queueUrl: string;
let deadLetterUrl: string;
const subscribers = subscriberPool(() => platform.endpoints.websocket);
const deadLetters: Message[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  aws = awsClientsFor(platform);
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  queueUrl = platform.resources.ingestQueueUrl as string;
  deadLetterUrl = platform.resources.ingestDeadLetterQueueUrl as string;
});

afterAll(async () => {
  await subscribers.closeAll();
  for (const client of Object.values(aws ?? {})) client.destroy();
  dynamo?.destroy();
  await platform?.stop();
});

const client = (key: string): Promise<TestClient> => subscribers.connect(key);

const send = (body: unknown) =>
  aws.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );

/** Waits until the ingest queue holds nothing: every message applied, rejected or failed. */
const settled = () =>
  waitFor(async () => (await queueDepth(aws.sqs, queueUrl)) === 0, 'the ingest queue to drain');

async function deadLetter(match: (body: string) => boolean): Promise<Message> {
  await waitFor(async () => {
    deadLetters.push(...(await drainQueue(aws.sqs, deadLetterUrl)));
    return deadLetters.some((message) => match(message.Body ?? ''));
  }, 'the message in the dead-letter queue');
  return deadLetters.find((message) => match(message.Body ?? '')) as Message;
}

async function storedItem(key: string, channel: string) {
  const { Item: item } = await dynamo.send(
    new GetItemCommand({
      TableName: platform.resources.realTimeDataTable,
      Key: { itemKey: { S: key }, channel: { S: channel } },
      ConsistentRead: true,
    }),
  );
  return item;
}

const itemFrames = (c: TestClient, channel = 'telemetry') =>
  c.frames.filter((frame) => frame.type === 'item' && frame.channel === channel);

describe('queue-messages: SNS/SQS to WebSocket subscribers', () => {
  it('delivers a reading published on the topic (SNS envelope) to the subscribers of its key', async () => {
    const dashboard = await client('sq1');
    await aws.sns.send(
      new PublishCommand({
        TopicArn: platform.resources.ingestTopicArn,
        Message: JSON.stringify({ vehicleId: 'sq1', data: { speed: 61 } }),
      }),
    );
    const frame = await dashboard.next((f) => f.type === 'item', 'the frame of the published reading');
    expect(frame).toMatchObject({ key: 'sq1', channel: 'telemetry', version: 1, data: { speed: 61 } });
    expect(dashboard.invalid).toEqual([]);
  });

  it('applies raw readings beside bad messages, which land in the DLQ with their reason', async () => {
    const dashboard = await client('sq2');
    await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'good', MessageBody: JSON.stringify({ vehicleId: 'sq2', data: { speed: 1 } }) },
          { Id: 'bad-speed', MessageBody: JSON.stringify({ vehicleId: 'sq2', speed: 'bad-sq2' }) },
          { Id: 'not-json', MessageBody: '{"vehicleId": "sq2", bad-json' },
          {
            Id: 'batch',
            MessageBody: JSON.stringify({
              readings: [{ vehicleId: 'sq2', channel: 'engine', data: { rpm: 900 } }],
            }),
          },
        ],
      }),
    );
    await dashboard.next((f) => f.type === 'item' && f.channel === 'telemetry', 'the good reading');
    await dashboard.next((f) => f.type === 'item' && f.channel === 'engine', 'the good batch');
    const badSpeed = await deadLetter((body) => body.includes('bad-sq2'));
    expect(badSpeed.MessageAttributes?.RejectCode?.StringValue).toBe('ValidationError');
    expect(badSpeed.MessageAttributes?.RejectReason?.StringValue).toMatch(/body\.speed/);
    const notJson = await deadLetter((body) => body.includes('bad-json'));
    expect(notJson.MessageAttributes?.RejectReason?.StringValue).toBe('body: is not valid JSON');
    await settled();
  });

  it('applies a redelivered message once', async () => {
    const dashboard = await client('sq3');
    const reading = { vehicleId: 'sq3', ts: Date.now(), data: { speed: 33 } };
    await send(reading);
    await send(reading);
    await settled();
    await dashboard.next((f) => f.type === 'item', 'the frame of the reading');
    expect((await storedItem('sq3', 'telemetry'))?.version?.N).toBe('1');
    expect(itemFrames(dashboard)).toHaveLength(1);
  });

  it('never lets an older reading that arrives later overwrite a newer one', async () => {
    const dashboard = await client('sq4');
    const ts = Date.now();
    await send({ vehicleId: 'sq4', ts, data: { speed: 50 } });
    await dashboard.next((f) => f.type === 'item', 'the newer reading');
    await send({ vehicleId: 'sq4', ts: ts - 1000, data: { speed: 1 } });
    await settled();
    const stored = await storedItem('sq4', 'telemetry');
    expect(stored?.data?.M?.speed?.N).toBe('50');
    expect(itemFrames(dashboard).map((f) => f.type === 'item' && f.data.speed)).toEqual([50]);
  });

  it('creates, merges, applies a repeated request once, and deletes a widget (subscribers get removed)', async () => {
    const dashboard = await client('owner-1');
    const channel = 'widget#w-1';
    const request = { widgetId: 'w-1', owner: 'owner-1' };
    await aws.sns.send(
      new PublishCommand({
        TopicArn: platform.resources.ingestTopicArn,
        Message: JSON.stringify({
          type: 'create',
          requestId: 'req-1',
          ...request,
          label: 'Gauge',
          description: 'speed gauge',
          otherAttributes: [
            { name: 'colour', value: 'red' },
            { name: 'size', value: 'L' },
          ],
        }),
      }),
    );
    await dashboard.next((f) => f.type === 'item' && f.channel === channel, 'the created widget');
    const update = {
      type: 'update',
      requestId: 'req-2',
      ...request,
      label: 'Speed gauge',
      otherAttributes: [
        { name: 'colour', value: 'blue' },
        { name: 'unit', value: 'km/h' },
      ],
    };
    await send(update);
    await dashboard.next((f) => f.type === 'item' && f.channel === channel && f.version === 2, 'the update');
    await send(update);
    await send({ ...update, label: 'applied twice?' });
    await settled();
    const widgetFrames = itemFrames(dashboard, channel);
    expect(widgetFrames).toHaveLength(2);
    expect(widgetFrames[1]).toMatchObject({
      version: 2,
      data: {
        widgetId: 'w-1',
        label: 'Speed gauge',
        description: 'speed gauge',
        otherAttributes: [
          { name: 'colour', value: 'blue' },
          { name: 'size', value: 'L' },
          { name: 'unit', value: 'km/h' },
        ],
      },
    });

    await send({ type: 'delete', requestId: 'req-3', ...request });
    const removed = await dashboard.next((f) => f.type === 'removed', 'the removed frame');
    expect(removed).toMatchObject({ key: 'owner-1', channel, version: 2 });
    expect(await storedItem('owner-1', channel)).toBeUndefined();
  });

  it('applies a create and an update of one widget sent in one batch, in order', async () => {
    const dashboard = await client('owner-3');
    const ids = { widgetId: 'w-3', owner: 'owner-3' };
    await aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          {
            Id: 'create',
            MessageBody: JSON.stringify({ type: 'create', requestId: 'b-1', ...ids, label: 'A' }),
          },
          {
            Id: 'update',
            MessageBody: JSON.stringify({
              type: 'update',
              requestId: 'b-2',
              ...ids,
              otherAttributes: [{ name: 'x', value: '1' }],
            }),
          },
        ],
      }),
    );
    const updated = await dashboard.next((f) => f.type === 'item' && f.version === 2, 'the updated widget');
    expect(updated).toMatchObject({ data: { label: 'A', otherAttributes: [{ name: 'x', value: '1' }] } });
  });

  it('dead-letters an update of a widget that does not exist, with the reason', async () => {
    await send({ type: 'update', requestId: 'req-x', widgetId: 'ghost', owner: 'owner-2', label: 'x' });
    const rejected = await deadLetter((body) => body.includes('"ghost"'));
    expect(rejected.MessageAttributes?.RejectCode?.StringValue).toBe('NotFound');
    expect(rejected.MessageAttributes?.RejectReason?.StringValue).toMatch(/does not exist/);
  });

  it('resolves a claim check: reads the object, applies it, then deletes it', async () => {
    const dashboard = await client('sq5');
    const bucket = platform.resources.ingestBucket as string;
    const key = 'claims/batch-1.json';
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify({ readings: [{ vehicleId: 'sq5', data: { cargo: 'x'.repeat(2000) } }] }),
        ContentType: 'application/json',
      }),
    );
    await send({ s3: { bucket, key } });
    const frame = await dashboard.next((f) => f.type === 'item', 'the frame of the claimed reading');
    expect(frame).toMatchObject({ key: 'sq5', data: { cargo: 'x'.repeat(2000) } });
    await waitFor(
      () =>
        aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
          () => false,
          (error: { name?: string }) => error.name === 'NotFound',
        ),
      'the claimed object to be deleted',
    );
  });
});

describe('on-failure destinations of the local stream pollers', () => {
  it('sends a discarded batch message to the template queue the event names', async () => {
    const failure = {
      DDBStreamBatchInfo: { batchSize: 3 },
      requestContext: { condition: 'RetryAttemptsExhausted' },
    };
    expect(await sendToFailureQueue(platform.template, 'FanoutFailureQueue', failure, () => {})).toBe(true);
    const messages = await drainQueue(aws.sqs, platform.resources.fanoutFailureQueueUrl as string);
    expect(messages.map((message) => JSON.parse(message.Body ?? ''))).toEqual([failure]);
    expect(await sendToFailureQueue(platform.template, undefined, failure, () => {})).toBe(false);
  });
});
