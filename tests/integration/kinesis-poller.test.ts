import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKinesisClient, type Kinesalite, startKinesalite } from '#local/emulators/kinesalite.ts';
import {
  type KinesisBatchFailure,
  KinesisPoller,
  type KinesisPollerOptions,
} from '#local/event-sources/kinesis-poller.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { StreamEventSourceModel } from '#local/template/model.ts';
import { waitFor } from '../helpers/platform.ts';

let kinesalite: Kinesalite;
let client: KinesisClient;
let streamCount = 0;
const pollers: KinesisPoller[] = [];

beforeAll(async () => {
  kinesalite = await startKinesalite();
  client = createLocalKinesisClient(kinesalite.endpoint);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  client?.destroy();
  await kinesalite?.stop();
});

async function newStream(): Promise<string> {
  const name = `poller-${++streamCount}`;
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitFor(async () => {
    const output = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return output.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  }, `stream ${name} ACTIVE`);
  return name;
}

/** Puts `values` (as JSON text) in one PutRecords call, all with one partition key (one shard, in order). */
async function put(streamName: string, values: unknown[]): Promise<void> {
  const output = await client.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: values.map((value) => ({ Data: Buffer.from(JSON.stringify(value)), PartitionKey: 'p' })),
    }),
  );
  expect(output.FailedRecordCount).toBe(0);
}

function eventSource(overrides: Partial<StreamEventSourceModel> = {}): StreamEventSourceModel {
  return {
    kind: 'Kinesis',
    name: 'Records',
    sourceLogicalId: 'TestStream',
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0,
    maximumRetryAttempts: -1,
    bisectBatchOnFunctionError: false,
    reportBatchItemFailures: true,
    startingPosition: 'TRIM_HORIZON',
    ...overrides,
  };
}

/** An invoker recording each event's decoded values; `respond` decides what the function does. */
function recordingInvoker(respond: (values: unknown[], call: number) => unknown = () => undefined) {
  const calls: Array<{ values: unknown[]; event: KinesisStreamEvent }> = [];
  const invoker: LambdaInvoker = {
    invoke: async (_id, event) => {
      const kinesisEvent = event as KinesisStreamEvent;
      const values = kinesisEvent.Records.map(
        (record) => JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')) as unknown,
      );
      calls.push({ values, event: kinesisEvent });
      return respond(values, calls.length);
    },
  };
  return { invoker, calls };
}

async function startPoller(
  options: Omit<KinesisPollerOptions, 'client' | 'functionLogicalId'>,
): Promise<KinesisPoller> {
  const poller = new KinesisPoller({
    client,
    functionLogicalId: 'TestFunction',
    retryDelayMs: 1,
    idleDelayMs: 10,
    onError: () => {},
    ...options,
  });
  pollers.push(poller);
  await poller.start();
  return poller;
}

describe('KinesisPoller', () => {
  it('delivers a shard in order in batches of at most BatchSize, as Lambda shapes the event', async () => {
    const streamName = await newStream();
    const values = Array.from({ length: 10 }, (_, i) => i);
    await put(streamName, values);
    const { invoker, calls } = recordingInvoker();
    const poller = await startPoller({ streamName, eventSource: eventSource({ batchSize: 3 }), invoker });

    await waitFor(() => calls.flatMap((call) => call.values).length >= 10, 'all 10 records');
    expect(calls.flatMap((call) => call.values)).toEqual(values);
    expect(calls.map((call) => call.values.length)).toEqual([3, 3, 3, 1]);
    const record = calls[0]?.event.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:kinesis',
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      awsRegion: 'us-east-1',
      eventSourceARN: poller.streamArn,
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::\d{12}:role\//),
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'p', data: Buffer.from('0').toString('base64') },
    });
    expect(record?.eventID).toBe(`shardId-000000000000:${record?.kinesis.sequenceNumber}`);
    expect(record?.kinesis.approximateArrivalTimestamp).toBeGreaterThan(1_600_000_000);
    expect(record?.kinesis.approximateArrivalTimestamp).toBeLessThan(Date.now() / 1000 + 1);
    expect(poller.stats.records).toBe(10);
  });

  it('with LATEST skips what was there at start and delivers everything put after', async () => {
    const streamName = await newStream();
    await put(streamName, ['old-1', 'old-2']);
    const { invoker, calls } = recordingInvoker();
    await startPoller({ streamName, eventSource: eventSource({ startingPosition: 'LATEST' }), invoker });
    await put(streamName, ['new-1']);
    await put(streamName, ['new-2', 'new-3']);

    await waitFor(() => calls.flatMap((call) => call.values).length >= 3, 'the three new records');
    expect(calls.flatMap((call) => call.values)).toEqual(['new-1', 'new-2', 'new-3']);
  });

  it('checkpoints before the lowest reported batch item failure and retries from that record', async () => {
    const streamName = await newStream();
    await put(streamName, ['a', 'b', 'c', 'd']);
    const { invoker, calls } = recordingInvoker((_values, call) => {
      if (call !== 1) return { batchItemFailures: [] };
      const records = calls[0]?.event.Records ?? [];
      // Reported out of order: the lowest (c) is where the retry starts.
      return {
        batchItemFailures: [
          { itemIdentifier: records[3]?.kinesis.sequenceNumber },
          { itemIdentifier: records[2]?.kinesis.sequenceNumber },
        ],
      };
    });
    const poller = await startPoller({ streamName, eventSource: eventSource(), invoker });

    await waitFor(() => calls.length >= 2, 'the retry');
    expect(calls.map((call) => call.values)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['c', 'd'],
    ]);
    await waitFor(() => poller.stats.records === 4, 'all four checkpointed');
    expect(poller.stats).toMatchObject({ failures: 1, retries: 1, discardedRecords: 0 });
  });

  it('retries a throwing batch MaximumRetryAttempts times, hands it to onFailure, then moves on', async () => {
    const streamName = await newStream();
    await put(streamName, ['bad-1', 'bad-2']);
    const { invoker, calls } = recordingInvoker((values) => {
      if (values.includes('bad-1')) throw new Error('function failed');
      return undefined;
    });
    const failures: Array<{ failure: KinesisBatchFailure; records: number }> = [];
    const poller = await startPoller({
      streamName,
      eventSource: eventSource({ maximumRetryAttempts: 2 }),
      invoker,
      onFailure: (failure, details) => {
        failures.push({ failure, records: details.records.length });
      },
    });
    await waitFor(() => failures.length === 1, 'the discarded batch');
    await put(streamName, ['good']);

    await waitFor(() => calls.some((call) => call.values.includes('good')), 'the next record');
    expect(calls.map((call) => call.values)).toEqual([
      ['bad-1', 'bad-2'],
      ['bad-1', 'bad-2'],
      ['bad-1', 'bad-2'],
      ['good'],
    ]);
    const [{ failure, records } = { failure: undefined, records: 0 }] = failures;
    expect(records).toBe(2);
    expect(failure).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { functionError: 'Unhandled' },
      KinesisBatchInfo: { shardId: 'shardId-000000000000', batchSize: 2, streamArn: poller.streamArn },
    });
    expect(poller.stats).toMatchObject({ retries: 2, discardedBatches: 1, discardedRecords: 2 });
  });

  it('bisects a throwing batch so only the half holding the poison record is retried and discarded', async () => {
    const streamName = await newStream();
    await put(streamName, ['ok-1', 'ok-2', 'poison', 'ok-3']);
    const { invoker, calls } = recordingInvoker((values) => {
      if (values.includes('poison')) throw new Error('poison');
      return undefined;
    });
    const discarded: unknown[][] = [];
    await startPoller({
      streamName,
      eventSource: eventSource({ maximumRetryAttempts: 0, bisectBatchOnFunctionError: true }),
      invoker,
      onFailure: (_failure, details) => {
        discarded.push(
          details.records.map((record) => JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString())),
        );
      },
    });

    await waitFor(
      () => calls.some((call) => call.values.includes('ok-3') && call.values.length === 1),
      'ok-3',
    );
    expect(discarded).toEqual([['poison']]);
    const delivered = calls.filter((call) => !call.values.includes('poison')).flatMap((call) => call.values);
    expect(delivered).toEqual(['ok-1', 'ok-2', 'ok-3']);
  });

  it('stops promptly while a shard is quiet', async () => {
    const streamName = await newStream();
    const { invoker } = recordingInvoker();
    const poller = await startPoller({ streamName, eventSource: eventSource(), invoker });
    await poller.stop();
    expect(poller.stats.activeShards).toBe(0);
  });
});
