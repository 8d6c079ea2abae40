import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type Message, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RejectReportSchema } from '#contracts/queue-message.ts';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor, connectDevice, drainQueue, queueDepth, rejectBytes } from '../helpers/aws-clients.ts';
import { fetchAllItems, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Every ingest path besides REST and WebSocket (fuzz-rest, fuzz-ws) fed seeded malformed input mixed
 * with good readings: MQTT telemetry, raw SQS messages, Kinesis records and S3 objects. Every bad
 * input is counted as rejected where its path reports rejects, every good one is stored and
 * delivered, and nothing rejects unhandled.
 */
const SEED = 20261125;
const now = Date.now();

let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let kinesis: KinesisClient;
let device: MqttClient;
const clients: TestClient[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // one subscriber follows every fuzzed key, far past a user's per-connection limits (ws-limits.test.ts covers those).
  platform = await startTestPlatform({
    parameters: { MaxSubscriptionsPerConnection: '10000', ActionRateLimit: '100000' },
  });
  aws = awsClientsFor(platform);
  kinesis = createLocalKinesisClient(platform.endpoints.kinesis ?? '');
  device = await connectDevice(platform, 'fuzz-device');
  // The rejections this file provokes by the thousand are counted, not shown.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
      if (String(chunk).includes('rejected')) return true;
      return write(chunk, ...(rest as []));
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.off('unhandledRejection', onUnhandled);
  await Promise.all(clients.map((client) => client.close()));
  await device?.endAsync();
  kinesis?.destroy();
  for (const client of Object.values(aws ?? {})) client.destroy();
  await platform?.stop();
});

interface Stats {
  metrics: Record<string, Record<string, unknown>>;
  'iot-core': Record<string, number>;
}
const stats = () => platform.health().stats as Stats;
const metric = (service: string, name: string): number => {
  const value = stats().metrics[service]?.[name];
  return typeof value === 'number' ? value : 0;
};

/** A WebSocket client subscribed to every key in `keys`. */
async function subscriber(keys: readonly string[]): Promise<TestClient> {
  const [first, ...rest] = keys;
  const client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${first}`);
  clients.push(client);
  for (const key of rest) client.send({ action: 'subscribe', key });
  await waitFor(() => client.frames.length >= rest.length, 'the subscribe acks', 20_000);
  return client;
}

const delivered = (client: TestClient) =>
  new Set(client.frames.flatMap((frame) => (frame.type === 'item' ? [`${frame.key}/${frame.channel}`] : [])));

async function storedChannels(key: string): Promise<Set<string>> {
  const items = await fetchAllItems(platform.endpoints.http, key);
  return new Set(items.map((item) => item.channel));
}

/** Spreads `good` evenly through `bad`. */
function interleave<T>(bad: readonly T[], good: readonly T[]): T[] {
  const all = [...bad];
  good.forEach((input, index) => {
    all.splice(Math.floor((index * all.length) / good.length) + index, 0, input);
  });
  return all;
}

const tally = (kinds: Iterable<string>) => {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const notJson = fc.string({ unit: 'grapheme-ascii', maxLength: 120 }).filter((text) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
});
/** Keys ItemKeySchema refuses that can still stand in an MQTT topic level (no `+`, `#`, `/`). */
const badKey = fc.oneof(
  fc.constantFrom('', ' ', 'a b', 'ü', 'x*y', 'semi;colon', '"quoted"'),
  fc.string({ unit: fc.constantFrom('a', 'b', '1', '-'), minLength: 129, maxLength: 200 }),
);

interface Input {
  kind: string;
  /** Set for good inputs: where the reading must be stored and delivered. */
  good?: { key: string; channel: string };
}

/** Every good input reached the dashboard and RealTimeData; no bad frame, no unhandled rejection. */
async function expectGoodDeliveredAndStored(dashboard: TestClient, key: string, good: Input[], what: string) {
  await waitFor(
    () => good.every((input) => delivered(dashboard).has(`${key}/${input.good?.channel}`)),
    `all ${good.length} ${what} delivered`,
    30_000,
  );
  const stored = await storedChannels(key);
  expect(good.filter((input) => !stored.has(input.good?.channel ?? ''))).toEqual([]);
  expect(dashboard.invalid).toEqual([]);
  expect(unhandled).toEqual([]);
}

describe('fuzzing the MQTT telemetry path (vehicles/+/telemetry → iot-telemetry)', () => {
  const BAD = 450;
  const GOOD = 150;

  interface MqttInput extends Input {
    topic: string;
    payload: string;
  }
  const topicOf = (key: string) => `vehicles/${key}/telemetry`;
  const badPayload: fc.Arbitrary<{ kind: string; payload: string }> = fc.oneof(
    notJson.map((payload) => ({ kind: 'not json', payload })),
    fc
      .jsonValue()
      .filter((value) => !isObject(value))
      .map((value) => ({ kind: 'json, not an object', payload: JSON.stringify(value) ?? 'null' })),
    fc
      .constantFrom<Record<string, unknown>>(
        {},
        { speed: 'fast' },
        { speed: -1 },
        { speed: 501 },
        { lat: 91 },
        { lon: -181 },
        { fuel: 1.5 },
        { heading: null },
        { ts: -5, speed: 1 },
        { ts: 1.5, speed: 1 },
        { ts: 'yesterday', speed: 1 },
        // Strings, booleans and nesting are good fields (one reading model); these are not.
        { ts: '2026-01-01T00:00:00', speed: 1 },
        { ts: 4_102_444_800_000, speed: 1 },
        { speed: 1, channel: 'fuel' },
        { speed: 1, big: 2 ** 60 },
      )
      .map((value) => ({ kind: 'wrong types', payload: JSON.stringify(value) })),
    fc.integer({ min: 40_000, max: 120_000 }).map((size) => ({
      kind: 'huge payload',
      payload: JSON.stringify({ speed: 1, pad: 'x'.repeat(size) }),
    })),
  );
  const badInput: fc.Arbitrary<MqttInput> = fc.oneof(
    { weight: 3, arbitrary: badPayload.map((bad) => ({ ...bad, topic: topicOf('mqf-bad') })) },
    {
      weight: 1,
      arbitrary: badKey.map((key) => ({
        kind: 'bad key in topic',
        topic: topicOf(key),
        payload: JSON.stringify({ speed: 10 }),
      })),
    },
  );

  it('rejects, counts and keeps every bad message, stores and delivers every good one', async () => {
    const goodKeys = Array.from({ length: GOOD }, (_, seq) => `mqf-g${seq}`);
    const dashboard = await subscriber([...goodKeys, 'mqf-bad']);
    const good: MqttInput[] = goodKeys.map((key, seq) => ({
      kind: 'good',
      topic: topicOf(key),
      payload: JSON.stringify({ ts: now - 1000 + seq, speed: seq % 500, seq }),
      good: { key, channel: 'telemetry' },
    }));
    const inputs = interleave(fc.sample(badInput, { numRuns: BAD, seed: SEED }), good);
    const engine = () => stats()['iot-core'];
    const before = { ...engine() };
    const rejectedBefore = metric('iot-telemetry', 'ReadingsRejected');
    const ingestedBefore = metric('iot-telemetry', 'ReadingsIngested');
    const started = Date.now();

    for (const input of inputs) await device.publishAsync(input.topic, input.payload, { qos: 1 });
    // The rule hands every message, JSON or not, to the ingestor: each ends as a finished invocation.
    const settled = () =>
      (engine().lambdaSucceeded ?? 0) -
      (before.lambdaSucceeded ?? 0) +
      (engine().lambdaDiscarded ?? 0) -
      (before.lambdaDiscarded ?? 0);
    await waitFor(() => settled() >= inputs.length, `${inputs.length} messages handled`, 60_000);

    const rejected = metric('iot-telemetry', 'ReadingsRejected') - rejectedBefore;
    const ingested = metric('iot-telemetry', 'ReadingsIngested') - ingestedBefore;
    console.log(
      `fuzz MQTT telemetry: ${inputs.length} messages in ${Date.now() - started} ms: ${ingested} ingested, ` +
        `${rejected} rejected by the ingestor`,
      tally(inputs.map((input) => input.kind)),
    );
    expect(engine().lambdaDiscarded ?? 0).toBe(before.lambdaDiscarded ?? 0);
    expect(engine().payloadErrors ?? 0).toBe(before.payloadErrors ?? 0);
    expect(ingested).toBe(GOOD);
    expect(rejected).toBe(BAD);
    // Every bad message is kept with the bytes the device sent, so a replay republishes exactly them.
    const kept = await drainQueue(aws.sqs, platform.resources.iotTelemetryRejectQueueUrl ?? '');
    expect(tally(kept.map((message) => rejectBytes(message).toString('base64')))).toEqual(
      tally(
        inputs
          .filter((input) => input.kind !== 'good')
          .map((input) => Buffer.from(input.payload).toString('base64')),
      ),
    );

    await waitFor(
      () => goodKeys.every((key) => delivered(dashboard).has(`${key}/telemetry`)),
      `all ${GOOD} good readings delivered`,
      30_000,
    );
    for (const key of goodKeys.filter((_, index) => index % 10 === 0)) {
      expect(await storedChannels(key)).toContain('telemetry');
    }
    expect([...delivered(dashboard)].filter((entry) => entry.startsWith('mqf-bad/'))).toEqual([]);
    expect(dashboard.invalid).toEqual([]);
    // The broker still serves: the publishing client is connected.
    expect(device.connected).toBe(true);
    expect(unhandled).toEqual([]);
  }, 120_000);
});

/** Bad readings for the JSON paths (SQS, Kinesis, NDJSON, JSON objects). */
const validShape = { vehicleId: 'src-bad', channel: 'telemetry', ts: now, data: { speed: 1 } };
const badReading: fc.Arbitrary<{ kind: string; value: unknown }> = fc.oneof(
  badKey.map((vehicleId) => ({ kind: 'bad key', value: { ...validShape, vehicleId } })),
  fc
    .oneof(fc.constantFrom('Telemetry', '1abc', '', 'tele metry', null), fc.integer())
    .map((channel) => ({ kind: 'bad channel', value: { ...validShape, channel } })),
  fc
    .oneof(fc.integer({ max: -1 }), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 }))
    .map((ts) => ({ kind: 'bad ts', value: { ...validShape, ts } })),
  fc
    .oneof(fc.string({ unit: 'grapheme-ascii' }), fc.integer(), fc.array(fc.integer()), fc.constant(null))
    .map((data) => ({ kind: 'bad data', value: { ...validShape, data } })),
  fc.constant({ kind: 'missing key', value: { data: { speed: 1 } } }),
  fc.integer({ min: 40_000, max: 120_000 }).map((size) => ({
    kind: 'huge data',
    value: { ...validShape, data: { blob: 'x'.repeat(size) } },
  })),
);
const randomJson = fc
  .jsonValue({ maxDepth: 3 })
  .filter((value) => !isObject(value) || Object.keys(value).length === 0)
  .map((value) => ({ kind: 'json, not a reading', value }));

describe('fuzzing the SQS path (raw messages on the ingest queue → queue-messages)', () => {
  const BAD = 300;
  const GOOD = 100;
  const KEY = 'sqf-0';

  interface SqsInput extends Input {
    body: string;
  }
  const badInput: fc.Arbitrary<SqsInput> = fc.oneof(
    { weight: 4, arbitrary: badReading.map(({ kind, value }) => ({ kind, body: JSON.stringify(value) })) },
    { weight: 1, arbitrary: randomJson.map(({ kind, value }) => ({ kind, body: JSON.stringify(value) })) },
    { weight: 1, arbitrary: notJson.map((body) => ({ kind: 'not json', body: body || '?' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('create', 'update', 'delete', 'bogus').map((type) => ({
        kind: 'malformed widget request',
        body: JSON.stringify({ type, requestId: 7 }),
      })),
    },
  );

  it('moves every bad message to the DLQ with its reject code and reason, stores and delivers every good one', async () => {
    const queueUrl = platform.resources.ingestQueueUrl as string;
    const deadLetterUrl = platform.resources.ingestDeadLetterQueueUrl as string;
    const dashboard = await subscriber([KEY]);
    const good: SqsInput[] = Array.from({ length: GOOD }, (_, seq) => ({
      kind: 'good',
      body: JSON.stringify({ vehicleId: KEY, channel: `q${seq}`, ts: now, data: { seq } }),
      good: { key: KEY, channel: `q${seq}` },
    }));
    const inputs = interleave(fc.sample(badInput, { numRuns: BAD, seed: SEED + 1 }), good);
    const started = Date.now();
    // Batches of 10 under SQS' 256 KB per batch: the huge bodies go alone.
    for (let start = 0; start < inputs.length; ) {
      const batch: SqsInput[] = [];
      let bytes = 0;
      while (start < inputs.length && batch.length < 10) {
        const size = Buffer.byteLength((inputs[start] as SqsInput).body);
        if (batch.length > 0 && bytes + size > 200_000) break;
        batch.push(inputs[start++] as SqsInput);
        bytes += size;
      }
      const result = await aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((input, index) => ({ Id: String(index), MessageBody: input.body })),
        }),
      );
      expect(result.Failed ?? []).toEqual([]);
    }

    const deadLetters: Message[] = [];
    await waitFor(
      async () => {
        deadLetters.push(...(await drainQueue(aws.sqs, deadLetterUrl)));
        return deadLetters.length >= BAD && (await queueDepth(aws.sqs, queueUrl)) === 0;
      },
      `${BAD} messages in the DLQ and the ingest queue drained`,
      60_000,
    );
    console.log(
      `fuzz SQS raw messages: ${inputs.length} messages in ${Date.now() - started} ms, ${deadLetters.length} dead-lettered`,
      tally(inputs.map((input) => input.kind)),
    );
    expect(deadLetters).toHaveLength(BAD);
    const withoutReason = deadLetters.filter(
      (message) =>
        !message.MessageAttributes?.RejectCode?.StringValue ||
        !message.MessageAttributes?.RejectReason?.StringValue,
    );
    expect(withoutReason.slice(0, 3)).toEqual([]);
    const badBodies = tally(inputs.filter((input) => !input.good).map((input) => input.body));
    expect(tally(deadLetters.map((message) => message.Body ?? ''))).toEqual(badBodies);

    await expectGoodDeliveredAndStored(dashboard, KEY, good, 'good messages');
  }, 120_000);
});

describe('fuzzing the Kinesis path (PutRecords → kinesis-telemetry)', () => {
  const BAD = 450;
  const GOOD = 150;
  const KEY = 'kif-0';

  interface KinesisInput extends Input {
    data: string;
  }
  const badInput: fc.Arbitrary<KinesisInput> = fc.oneof(
    { weight: 4, arbitrary: badReading.map(({ kind, value }) => ({ kind, data: JSON.stringify(value) })) },
    { weight: 1, arbitrary: randomJson.map(({ kind, value }) => ({ kind, data: JSON.stringify(value) })) },
    { weight: 1, arbitrary: notJson.map((data) => ({ kind: 'not json', data: data || '?' })) },
  );

  it('rejects, counts and keeps (with its bytes) every bad record without blocking the shard, stores and delivers every good one', async () => {
    const dashboard = await subscriber([KEY]);
    const good: KinesisInput[] = Array.from({ length: GOOD }, (_, seq) => ({
      kind: 'good',
      data: JSON.stringify({ vehicleId: KEY, channel: `k${seq}`, ts: now, data: { seq } }),
      good: { key: KEY, channel: `k${seq}` },
    }));
    const inputs = interleave(fc.sample(badInput, { numRuns: BAD, seed: SEED + 2 }), good);
    const rejectedBefore = metric('kinesis-telemetry', 'RecordsRejected');
    const ingestedBefore = metric('kinesis-telemetry', 'ReadingsIngested');
    const started = Date.now();
    for (let start = 0; start < inputs.length; start += 50) {
      const output = await kinesis.send(
        new PutRecordsCommand({
          StreamName: platform.resources.telemetryStream,
          Records: inputs.slice(start, start + 50).map((input, index) => ({
            Data: Buffer.from(input.data),
            PartitionKey: `p${index % 4}`,
          })),
        }),
      );
      expect(output.FailedRecordCount).toBe(0);
    }
    const rejected = () => metric('kinesis-telemetry', 'RecordsRejected') - rejectedBefore;
    const ingested = () => metric('kinesis-telemetry', 'ReadingsIngested') - ingestedBefore;
    await waitFor(() => rejected() + ingested() >= inputs.length, `${inputs.length} records handled`, 60_000);
    console.log(
      `fuzz Kinesis records: ${inputs.length} records in ${Date.now() - started} ms: ${ingested()} ingested, ${rejected()} rejected`,
      tally(inputs.map((input) => input.kind)),
    );
    expect(rejected()).toBe(BAD);
    expect(ingested()).toBe(GOOD);
    // Each bad record is kept with its exact bytes (base64 when SQS could not carry them as text).
    const kept = await drainQueue(aws.sqs, platform.resources.kinesisTelemetryRejectQueueUrl ?? '');
    const keptBytes = kept.map((message) => rejectBytes(message).toString('utf8'));
    expect(tally(keptBytes)).toEqual(
      tally(inputs.filter((input) => input.kind !== 'good').map((input) => input.data)),
    );

    await expectGoodDeliveredAndStored(dashboard, KEY, good, 'good records');
  }, 120_000);
});

describe('fuzzing the S3 path (objects under ingest/ → s3-objects)', () => {
  const OBJECTS = 36;
  const LINES = 25;
  const KEY = 's3f-0';

  interface Line {
    text: string;
    good?: { channel: string };
  }
  const badCsvCells = fc.constantFrom(
    ',{ts},telemetry,1',
    ' ,{ts},telemetry,1',
    'a b,{ts},telemetry,1',
    `${'k'.repeat(130)},{ts},telemetry,1`,
    '{key},-5,telemetry,1',
    '{key},yesterday,telemetry,1',
    '{key},1.5,telemetry,1',
    '{key},{ts},Bad Channel,1',
    '{key},{ts},1abc,1',
    '{key},{ts},telemetry,1,extra',
    '{key},{ts},telemetry,"unterminated',
  );
  const badJsonLine = fc.oneof(
    { weight: 4, arbitrary: badReading.map(({ value }) => JSON.stringify(value)) },
    { weight: 1, arbitrary: notJson.filter((text) => text.trim() !== '') },
  );

  /** An object of LINES lines, some bad, in one of the three formats. */
  function objectOf(format: 'csv' | 'ndjson' | 'json', index: number, badness: boolean[], bad: string[]) {
    const lines: Line[] = badness.map((isBad, line) => {
      const channel = `s${index}-${line}`;
      if (isBad) {
        const text = bad[line % bad.length] as string;
        return { text: text.replaceAll('{key}', KEY).replaceAll('{ts}', String(now)) };
      }
      return format === 'csv'
        ? { text: `${KEY},${now},${channel},${line}`, good: { channel } }
        : {
            text: JSON.stringify({ vehicleId: KEY, channel, ts: now, data: { line } }),
            good: { channel },
          };
    });
    if (format === 'csv')
      return {
        lines,
        body: ['vehicleId,ts,channel,value', ...lines.map((l) => l.text)].join('\n'),
        first: 2,
      };
    if (format === 'ndjson') return { lines, body: lines.map((l) => l.text).join('\n'), first: 1 };
    // A JSON object is one document: a bad element is any value, never broken JSON.
    const elements = lines.map((l) => JSON.parse(l.good ? l.text : safeElement(l.text)) as unknown);
    return { lines, body: JSON.stringify({ readings: elements }), first: 1 };
  }

  it('reports exactly the bad lines of each object and stores and delivers every good line', async () => {
    const bucket = platform.resources.ingestBucket as string;
    const dashboard = await subscriber([KEY]);
    const plans = fc.sample(
      fc.record({
        badness: fc.array(fc.boolean(), { minLength: LINES, maxLength: LINES }),
        csv: fc.array(badCsvCells, { minLength: LINES, maxLength: LINES }),
        json: fc.array(badJsonLine, { minLength: LINES, maxLength: LINES }),
      }),
      { numRuns: OBJECTS, seed: SEED + 3 },
    );
    const objects = plans.map((plan, index) => {
      const format = (['csv', 'ndjson', 'json'] as const)[index % 3] as 'csv' | 'ndjson' | 'json';
      // At least one bad line per object, so each has a report to check.
      const badness = plan.badness.map((isBad, line) => isBad || line === index % LINES);
      const object = objectOf(format, index, badness, format === 'csv' ? plan.csv : plan.json);
      return { key: `ingest/fuzz-${index}.${format}`, ...object };
    });
    const started = Date.now();
    for (const object of objects) {
      await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body }));
    }

    const reports = new Map<string, ReturnType<typeof RejectReportSchema.parse>>();
    await waitFor(
      async () => {
        for (const object of objects) {
          if (reports.has(object.key)) continue;
          try {
            const found = await aws.s3.send(
              new GetObjectCommand({ Bucket: bucket, Key: `rejected/${object.key}.json` }),
            );
            reports.set(
              object.key,
              RejectReportSchema.parse(JSON.parse((await found.Body?.transformToString()) ?? '')),
            );
          } catch {
            // Not written yet.
          }
        }
        return reports.size === objects.length;
      },
      `${objects.length} reject reports`,
      60_000,
    );
    const lineCount = objects.reduce((sum, object) => sum + object.lines.length, 0);
    const badCount = objects.reduce(
      (sum, object) => sum + object.lines.filter((line) => !line.good).length,
      0,
    );
    console.log(
      `fuzz S3 objects: ${objects.length} objects, ${lineCount} lines (${badCount} bad) in ${Date.now() - started} ms`,
    );
    for (const object of objects) {
      const report = reports.get(object.key);
      const badLines = object.lines.flatMap((line, index) => (line.good ? [] : [index + object.first]));
      expect({ key: object.key, rejected: report?.rejected.map((line) => line.line) }).toEqual({
        key: object.key,
        rejected: badLines,
      });
      expect(report?.accepted).toBe(object.lines.length - badLines.length);
    }

    const goodChannels = objects.flatMap((object) =>
      object.lines.flatMap((line) => (line.good ? [line.good.channel] : [])),
    );
    await waitFor(
      () => goodChannels.every((channel) => delivered(dashboard).has(`${KEY}/${channel}`)),
      `all ${goodChannels.length} good lines delivered`,
      60_000,
    );
    const stored = await storedChannels(KEY);
    expect(goodChannels.filter((channel) => !stored.has(channel))).toEqual([]);
    expect(dashboard.invalid).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 150_000);
});

/** A bad line as a JSON array element: itself when it parses, else the text as a JSON string. */
function safeElement(text: string): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}
