import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '#local/emulators/create-tables.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import {
  createLocalStreamsClient,
  DynamoDbStreamPoller,
  type DynamoDbStreamPollerOptions,
  type StreamBatchFailure,
  type StreamBatchFailureDetails,
} from '#local/event-sources/dynamodb-stream-poller.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { localArn } from '#local/template/local-identity.ts';
import type { StreamEventSourceModel } from '#local/template/model.ts';
import { waitFor } from '../helpers/platform.ts';
import { templateTable } from '../helpers/template-tables.ts';

const run = randomUUID().slice(0, 8);
let tableCount = 0;

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const pollers: DynamoDbStreamPoller[] = [];

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  streams = createLocalStreamsClient(ddb.endpoint);
});

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  client?.destroy();
  streams?.destroy();
  await ddb?.stop();
});

/** A fresh table shaped like RealTimeData (key itemKey + channel, NEW_AND_OLD_IMAGES stream). */
async function newTable(): Promise<string> {
  const tableName = `test-${run}-stream-${++tableCount}`;
  await createTables(client, [{ ...templateTable('RealTimeDataTable', `test-${run}`), tableName }]);
  return tableName;
}

async function put(
  tableName: string,
  itemKey: string,
  extra: Record<string, { N: string }> = {},
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { itemKey: { S: itemKey }, channel: { S: 'telemetry' }, ...extra },
    }),
  );
}

function eventSource(overrides: Partial<StreamEventSourceModel> = {}): StreamEventSourceModel {
  return {
    kind: 'DynamoDB',
    name: 'RealTimeDataStream',
    sourceLogicalId: 'RealTimeDataTable',
    batchSize: 100,
    maximumBatchingWindowInSeconds: 0,
    maximumRetryAttempts: 2,
    bisectBatchOnFunctionError: false,
    reportBatchItemFailures: true,
    startingPosition: 'TRIM_HORIZON',
    ...overrides,
  };
}

/** A plain function standing in for the Lambda runtime; records every event it is given. */
function recordingInvoker(handle: (event: DynamoDBStreamEvent, call: number) => unknown = () => undefined): {
  invoker: LambdaInvoker;
  events: DynamoDBStreamEvent[];
  calls: string[];
} {
  const events: DynamoDBStreamEvent[] = [];
  const calls: string[] = [];
  const invoker: LambdaInvoker = {
    async invoke(functionLogicalId, event) {
      calls.push(functionLogicalId);
      const streamEvent = structuredClone(event) as DynamoDBStreamEvent;
      events.push(streamEvent);
      return handle(streamEvent, events.length);
    },
  };
  return { invoker, events, calls };
}

async function startPoller(
  options: Omit<DynamoDbStreamPollerOptions, 'client' | 'functionLogicalId'>,
): Promise<DynamoDbStreamPoller> {
  const poller = new DynamoDbStreamPoller({
    client: streams,
    functionLogicalId: 'StreamFanoutFunction',
    retryDelayMs: 5,
    ...options,
  });
  pollers.push(poller);
  await poller.start();
  return poller;
}

const itemKeys = (records: DynamoDBRecord[]) => records.map((record) => record.dynamodb?.Keys?.itemKey?.S);
const allRecords = (events: DynamoDBStreamEvent[]) => events.flatMap((event) => event.Records);

describe('DynamoDbStreamPoller', () => {
  it('delivers each change in order, in the Lambda DynamoDB event shape', async () => {
    const tableName = await newTable();
    const { invoker, events, calls } = recordingInvoker();
    const poller = await startPoller({
      tableName,
      eventSource: eventSource({ startingPosition: 'LATEST' }),
      invoker,
    });

    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          itemKey: { S: '3' },
          channel: { S: 'telemetry' },
          ts: { N: '1' },
          blob: { B: Uint8Array.of(1, 2, 3) },
        },
      }),
    );
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { itemKey: { S: '3' }, channel: { S: 'telemetry' } },
        UpdateExpression: 'SET ts = :ts',
        ExpressionAttributeValues: { ':ts': { N: '2' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { itemKey: { S: '3' }, channel: { S: 'telemetry' } },
      }),
    );
    await waitFor(() => allRecords(events).length >= 3, 'three records');

    expect(calls.every((name) => name === 'StreamFanoutFunction')).toBe(true);
    const records = allRecords(events);
    expect(records.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const sequenceNumbers = records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequenceNumbers].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequenceNumbers);

    const [insert, modify, remove] = records;
    expect(Object.keys(insert ?? {})).toEqual([
      'eventID',
      'eventName',
      'eventVersion',
      'eventSource',
      'awsRegion',
      'dynamodb',
      'eventSourceARN',
    ]);
    expect(insert).toMatchObject({
      eventID: expect.any(String),
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      eventSourceARN: poller.streamArn,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { itemKey: { S: '3' }, channel: { S: 'telemetry' } },
        NewImage: { itemKey: { S: '3' }, channel: { S: 'telemetry' }, ts: { N: '1' }, blob: { B: 'AQID' } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(poller.streamArn).toMatch(new RegExp(`table/${tableName}/stream/`));
    // Epoch seconds, as Lambda sends it (DynamoDB Local truncates it to the minute).
    expect(Math.abs((insert?.dynamodb?.ApproximateCreationDateTime ?? 0) - Date.now() / 1000)).toBeLessThan(
      120,
    );
    expect(modify?.dynamodb?.OldImage?.ts).toEqual({ N: '1' });
    expect(modify?.dynamodb?.NewImage?.ts).toEqual({ N: '2' });
    expect(remove?.dynamodb?.OldImage?.ts).toEqual({ N: '2' });
    expect(remove?.dynamodb?.NewImage).toBeUndefined();
    expect(poller.stats).toMatchObject({ records: 3, failures: 0, retries: 0, activeShards: 1 });
  });

  it('keeps batches within batchSize and in order', async () => {
    const tableName = await newTable();
    for (let i = 0; i < 7; i++) await put(tableName, `k${i}`);
    const { invoker, events } = recordingInvoker();
    await startPoller({ tableName, eventSource: eventSource({ batchSize: 3 }), invoker });

    await waitFor(() => allRecords(events).length >= 7, 'seven records');
    expect(events.map((event) => event.Records.length)).toEqual([3, 3, 1]);
    expect(itemKeys(allRecords(events))).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
  });

  it('starts after the existing records with LATEST and before them with TRIM_HORIZON', async () => {
    const tableName = await newTable();
    await put(tableName, 'before');
    const latest = recordingInvoker();
    const horizon = recordingInvoker();
    await startPoller({
      tableName,
      eventSource: eventSource({ startingPosition: 'LATEST' }),
      invoker: latest.invoker,
    });
    await startPoller({ tableName, eventSource: eventSource(), invoker: horizon.invoker });
    await put(tableName, 'after');

    await waitFor(() => allRecords(latest.events).length >= 1, 'the LATEST record');
    await waitFor(() => allRecords(horizon.events).length >= 2, 'both TRIM_HORIZON records');
    expect(itemKeys(allRecords(latest.events))).toEqual(['after']);
    expect(itemKeys(allRecords(horizon.events))).toEqual(['before', 'after']);
  });

  it('loses nothing when a transaction on another table breaks the open iterators (a DynamoDB Local quirk)', async () => {
    const tableName = await newTable();
    const otherTable = await newTable();
    await put(tableName, 'before');
    const { invoker, events } = recordingInvoker();
    const poller = await startPoller({
      tableName,
      eventSource: eventSource({ startingPosition: 'LATEST' }),
      invoker,
    });
    for (const key of ['one', 'two', 'three']) {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: otherTable, Item: { itemKey: { S: key }, channel: { S: 'x' } } } },
          ],
        }),
      );
      await put(tableName, key);
    }
    await waitFor(() => allRecords(events).length >= 3, 'the three records written after transactions');
    expect(itemKeys(allRecords(events))).toEqual(['one', 'two', 'three']);
    expect(poller.stats.pollErrors).toBe(0);
  });

  it('redelivers from the lowest failed item of a batchItemFailures response, not the ones before it', async () => {
    const tableName = await newTable();
    for (const key of ['a', 'b', 'c', 'd', 'e']) await put(tableName, key);
    const { invoker, events } = recordingInvoker((event, call) => {
      if (call > 1) return { batchItemFailures: [] };
      const [, , c, , e] = event.Records;
      return {
        batchItemFailures: [
          { itemIdentifier: e?.dynamodb?.SequenceNumber },
          { itemIdentifier: c?.dynamodb?.SequenceNumber },
        ],
      };
    });
    const poller = await startPoller({ tableName, eventSource: eventSource(), invoker });

    await waitFor(() => events.length >= 2, 'the redelivery');
    // The batch is finished once it counts as delivered: nothing of it is invoked again after that.
    await waitFor(() => poller.stats.batches === 1, 'the batch finished');
    expect(events.map((event) => itemKeys(event.Records))).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['c', 'd', 'e'],
    ]);
    expect(poller.stats).toMatchObject({
      records: 5,
      failures: 1,
      retries: 1,
      batches: 1,
      discardedRecords: 0,
    });
  });

  it('ignores batchItemFailures when reportBatchItemFailures is off', async () => {
    const tableName = await newTable();
    await put(tableName, 'a');
    const { invoker, events } = recordingInvoker((event) => ({
      batchItemFailures: [{ itemIdentifier: event.Records[0]?.dynamodb?.SequenceNumber }],
    }));
    const poller = await startPoller({
      tableName,
      eventSource: eventSource({ reportBatchItemFailures: false }),
      invoker,
    });

    await waitFor(() => poller.stats.records === 1, 'the checkpoint');
    // A later record delivered shows the shard moved past the first batch without a retry of it.
    await put(tableName, 'later');
    await waitFor(() => poller.stats.records === 2, 'the later record');
    expect(events.filter((event) => itemKeys(event.Records).includes('a'))).toHaveLength(1);
  });

  it('retries a throwing function, hands the batch to onFailure after maximumRetryAttempts and moves on', async () => {
    const tableName = await newTable();
    await put(tableName, 'poison');
    const failures: Array<{ failure: StreamBatchFailure; details: StreamBatchFailureDetails }> = [];
    const { invoker, events } = recordingInvoker((event) => {
      if (itemKeys(event.Records).includes('poison')) throw new Error('boom');
    });
    const poller = await startPoller({
      tableName,
      eventSource: eventSource({ maximumRetryAttempts: 2 }),
      invoker,
      onFailure: (failure, details) => {
        failures.push({ failure, details });
      },
    });

    await waitFor(() => failures.length === 1, 'onFailure');
    await put(tableName, 'healthy');
    await waitFor(
      () => allRecords(events).some((record) => record.dynamodb?.Keys?.itemKey?.S === 'healthy'),
      'next',
    );

    expect(events.map((event) => itemKeys(event.Records))).toEqual([
      ['poison'],
      ['poison'],
      ['poison'],
      ['healthy'],
    ]);
    const [{ failure, details }] = failures as [(typeof failures)[number]];
    const poison = events[0]?.Records[0];
    expect(failure).toMatchObject({
      version: '1.0',
      requestContext: {
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        functionArn: localArn('lambda', 'function:StreamFanoutFunction'),
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      DDBStreamBatchInfo: {
        shardId: expect.stringMatching(/^shardId-/),
        startSequenceNumber: poison?.dynamodb?.SequenceNumber,
        endSequenceNumber: poison?.dynamodb?.SequenceNumber,
        batchSize: 1,
        streamArn: poller.streamArn,
      },
    });
    expect(details.records).toEqual(events[0]?.Records);
    expect((details.error as Error).message).toBe('boom');
    expect(poller.stats).toMatchObject({ failures: 3, retries: 2, discardedBatches: 1, discardedRecords: 1 });
  });

  it('bisects a failing batch so that only the bad record is discarded', async () => {
    const tableName = await newTable();
    for (const key of ['a', 'b', 'bad', 'd']) await put(tableName, key);
    const discarded: string[][] = [];
    const { invoker, events } = recordingInvoker((event) => {
      if (itemKeys(event.Records).includes('bad')) throw new Error('bad record');
    });
    const poller = await startPoller({
      tableName,
      eventSource: eventSource({ bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 }),
      invoker,
      onFailure: (_failure, details) => {
        discarded.push(itemKeys(details.records) as string[]);
      },
    });

    await waitFor(() => events.length >= 6, 'the bisected invocations');
    // Counted once every half is delivered or discarded: no invocation of the batch follows.
    await waitFor(() => poller.stats.batches === 1, 'the batch finished');
    expect(events.map((event) => itemKeys(event.Records))).toEqual([
      ['a', 'b', 'bad', 'd'],
      ['a', 'b'],
      ['bad', 'd'],
      ['bad'],
      ['bad'],
      ['d'],
    ]);
    expect(discarded).toEqual([['bad']]);
  });

  it('stop() waits for the invocation in flight and ends polling', async () => {
    const tableName = await newTable();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { invoker, events } = recordingInvoker(() => released);
    const poller = await startPoller({ tableName, eventSource: eventSource(), invoker });
    await put(tableName, 'slow');
    await waitFor(() => events.length === 1, 'the invocation');
    await waitFor(() => poller.stats.lagMs >= 25, 'the batch in flight to age');
    expect(poller.stats.lagMs).toBeGreaterThanOrEqual(25);

    let stopped = false;
    const stopping = poller.stop().then(() => {
      stopped = true;
    });
    // A write's round trip to DynamoDB Local lets every pending callback of stop() run first: a
    // stop that did not wait for the invocation would have resolved by then.
    await put(tableName, 'after-stop');
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);

    // A poller started now delivers the record written during stop; the stopped one never does.
    const witness = recordingInvoker();
    await startPoller({ tableName, eventSource: eventSource(), invoker: witness.invoker });
    await waitFor(() => itemKeys(allRecords(witness.events)).includes('after-stop'), 'the witness poller');
    expect(events).toHaveLength(1);
    expect(poller.stats).toMatchObject({ records: 1, activeShards: 0, lagMs: 0 });
  });
});
