import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { buildApp } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqsPoller } from '#local/event-sources/sqs-poller.ts';
import { localArn } from '#local/template/local-identity.ts';
import type { SqsEventSourceModel } from '#local/template/model.ts';
import { drainQueue, queueDepth } from '../helpers/aws-clients.ts';
import { waitFor } from '../helpers/platform.ts';

let app: ReturnType<typeof buildApp>;
let sqs: SQSClient;
const pollers: SqsPoller[] = [];
let queueCount = 0;

beforeAll(async () => {
  app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  sqs?.destroy();
  await app?.close();
});

async function createQueue(attributes: Record<string, string> = {}) {
  const name = `q${++queueCount}`;
  const { QueueUrl: url } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  return { url: url as string, arn: localArn('sqs', name) };
}

async function sendAll(url: string, bodies: string[]) {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies
          .slice(start, start + 10)
          .map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
  }
}

function poll(
  queue: { url: string; arn: string },
  handler: (event: SQSEvent) => Promise<unknown>,
  source: Partial<SqsEventSourceModel> = {},
) {
  const poller = new SqsPoller({
    client: sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionLogicalId: 'Fn',
    eventSource: {
      kind: 'SQS',
      name: 'Queue',
      queueLogicalId: 'Queue',
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      reportBatchItemFailures: true,
      enabled: true,
      ...source,
    },
    invoker: { invoke: (_id, event) => handler(event as SQSEvent) },
    onError: () => {},
  });
  poller.start();
  pollers.push(poller);
  return poller;
}

describe('SqsPoller', () => {
  it('invokes with batches of at most BatchSize in the Lambda record shape and deletes them on success', async () => {
    const queue = await createQueue();
    await sendAll(queue.url, ['1', '2', '3', '4', '5', '6', '7']);
    const batches: SQSEvent[] = [];
    poll(queue, async (event) => void batches.push(event), { batchSize: 3 });
    await waitFor(() => batches.flatMap((b) => b.Records).length === 7, 'all seven messages');
    expect(Math.max(...batches.map((b) => b.Records.length))).toBeLessThanOrEqual(3);
    expect(batches[0]?.Records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
    });
    await waitFor(async () => (await queueDepth(sqs, queue.url)) === 0, 'the batches to be deleted');
  });

  it('gathers more than 10 messages into one batch within the batching window', async () => {
    const queue = await createQueue();
    await sendAll(
      queue.url,
      Array.from({ length: 15 }, (_, index) => String(index)),
    );
    const sizes: number[] = [];
    poll(queue, async (event) => void sizes.push(event.Records.length), {
      batchSize: 20,
      maximumBatchingWindowInSeconds: 1,
    });
    await waitFor(() => sizes.reduce((sum, size) => sum + size, 0) === 15, 'all fifteen messages');
    expect(sizes).toEqual([15]);
  });

  it('returns only the reported failures to the queue and deletes the rest', async () => {
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await sendAll(queue.url, ['ok-1', 'fail', 'ok-2']);
    const seen: Array<{ body: string; receiveCount: string }> = [];
    poll(queue, async (event) => {
      for (const record of event.Records)
        seen.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
      return {
        batchItemFailures: event.Records.filter(
          (r) => r.body === 'fail' && r.attributes.ApproximateReceiveCount === '1',
        ).map((r) => ({ itemIdentifier: r.messageId })),
      };
    });
    await waitFor(
      () => seen.some((s) => s.body === 'fail' && s.receiveCount === '2'),
      'the failed message again',
      10_000,
    );
    expect(seen.filter((s) => s.body.startsWith('ok'))).toHaveLength(2);
    await waitFor(async () => (await queueDepth(sqs, queue.url)) === 0, 'the queue to drain');
  });

  it('returns the whole batch when the function throws, and the redrive moves it to the DLQ', async () => {
    const dlq = await createQueue();
    const queue = await createQueue({
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await sendAll(queue.url, ['a', 'b']);
    const receiveCounts: string[] = [];
    poll(queue, async (event) => {
      receiveCounts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
      throw new Error('boom');
    });
    const dead: string[] = [];
    await waitFor(
      async () => {
        dead.push(...(await drainQueue(sqs, dlq.url)).map((m) => m.Body ?? ''));
        return dead.length === 2;
      },
      'both messages in the DLQ',
      15_000,
    );
    expect(dead.sort()).toEqual(['a', 'b']);
    expect(receiveCounts.sort()).toEqual(['1', '1', '2', '2']);
  });

  it('fails the whole batch on a response naming a message it does not hold', async () => {
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await sendAll(queue.url, ['x']);
    let calls = 0;
    poll(queue, async () => {
      calls++;
      return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : {};
    });
    await waitFor(() => calls === 2, 'the redelivery', 10_000);
    await waitFor(async () => (await queueDepth(sqs, queue.url)) === 0, 'the queue to drain');
    // Redelivered once (the unknown identifier failed the batch), then deleted on success.
    expect(calls).toBe(2);
    expect(await queueDepth(sqs, queue.url)).toBe(0);
  });
});
