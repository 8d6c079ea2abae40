import { type KinesisClient, PutRecordsCommand, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { KinesisPollerStats } from '#local/event-sources/kinesis-poller.ts';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

interface Health {
  endpoints: Record<string, string>;
  resources: Record<string, string>;
  stats: { kinesis: { pollers: Record<string, KinesisPollerStats> } };
}

let platform: Platform;
let kinesis: KinesisClient;
let streamName: string;
const subscribers = subscriberPool(() => platform.endpoints.websocket);
/** Everything the in-process functions log (Powertools writes JSON lines, errors to stderr). */
const logLines: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  const health = await getHealth();
  expect(health.endpoints.kinesis).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  kinesis = createLocalKinesisClient(health.endpoints.kinesis ?? '');
  streamName = health.resources.telemetryStream ?? '';
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
      const text = String(chunk);
      logLines.push(text);
      // The rejections this file provokes are asserted, not shown.
      if (text.includes('"record rejected"')) return true;
      return write(chunk, ...(rest as []));
    });
  }
});

afterEach(async () => {
  await subscribers.closeAll();
});

afterAll(async () => {
  vi.restoreAllMocks();
  kinesis?.destroy();
  await platform?.stop();
});

async function getHealth(): Promise<Health> {
  return (await (await fetch(`${platform.endpoints.http}/health`)).json()) as Health;
}

async function poller(): Promise<KinesisPollerStats> {
  const stats = (await getHealth()).stats.kinesis.pollers['KinesisTelemetryFunction.TelemetryRecords'];
  if (stats === undefined) throw new Error('no poller for KinesisTelemetryFunction in /health');
  return stats;
}

const subscribe = (key: string): Promise<TestClient> => subscribers.connect(key);

/** PutRecords of raw payloads (objects as JSON, strings as they are); returns each record's result. */
async function putRecords(payloads: unknown[]): Promise<PutRecordsResultEntry[]> {
  const output = await kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: payloads.map((payload, index) => ({
        Data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
        PartitionKey: `p${index}`,
      })),
    }),
  );
  expect(output.FailedRecordCount).toBe(0);
  return output.Records ?? [];
}

const items = (client: TestClient) => client.frames.filter((frame) => frame.type === 'item');

describe('Kinesis telemetry: PutRecords → kinesis-telemetry → RealTimeData → WebSocket', () => {
  it('lists the stream and its endpoint in /health', async () => {
    const health = await getHealth();
    expect(streamName).toMatch(/^test-[0-9a-f]{8}-TelemetryStream$/);
    expect(health.stats.kinesis.pollers['KinesisTelemetryFunction.TelemetryRecords']).toMatchObject({
      activeShards: 1,
    });
  });

  it('delivers readings and IoT-forwarded telemetry; bad records are rejected without blocking the shard', async () => {
    const reading = await subscribe('kin-1');
    const telemetry = await subscribe('kin-2');
    const before = await poller();
    const now = Date.now();

    const results = await putRecords([
      'not json',
      { vehicleId: 'kin-1', ts: now, data: { speed: 42 } },
      { vehicleId: 'kin-1', data: 'not an object' },
      { vehicleId: 'kin-2', ts: now, lat: 40.4, lon: -3.7, speed: 55, receivedAt: now + 5 },
    ]);

    expect(await reading.next((f) => f.type === 'item', 'the reading of kin-1')).toMatchObject({
      key: 'kin-1',
      channel: 'telemetry',
      version: 1,
      ts: now,
      data: { speed: 42 },
    });
    expect(await telemetry.next((f) => f.type === 'item', 'the telemetry of kin-2')).toMatchObject({
      key: 'kin-2',
      channel: 'telemetry',
      ts: now,
      data: { lat: 40.4, lon: -3.7, speed: 55 },
    });
    await waitFor(
      async () => (await poller()).records >= before.records + 4,
      'all four records checkpointed',
    );
    const after = await poller();
    // Permanent faults are not batch item failures: nothing was retried or discarded.
    expect(after.failures).toBe(before.failures);
    expect(after.discardedRecords).toBe(before.discardedRecords);
    const rejected = logLines
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"record rejected"'))
      .map((line) => JSON.parse(line) as { sequenceNumber?: string; service?: string });
    expect(rejected.map((entry) => entry.sequenceNumber).sort()).toEqual(
      [results[0]?.SequenceNumber, results[2]?.SequenceNumber].sort(),
    );
    expect(rejected.every((entry) => entry.service === 'kinesis-telemetry')).toBe(true);
    expect(reading.invalid).toEqual([]);
  });

  it('never lets an older record overwrite newer state; of one ts the later record wins', async () => {
    const client = await subscribe('kin-3');
    const newer = Date.now() - 1_000;
    await putRecords([{ vehicleId: 'kin-3', ts: newer, data: { speed: 2 } }]);
    await client.next((f) => f.type === 'item', 'the newer reading');
    const before = await poller();

    await putRecords([
      { vehicleId: 'kin-3', ts: newer, data: { speed: 99 } },
      { vehicleId: 'kin-3', ts: newer - 500, data: { speed: 1 } },
    ]);
    await waitFor(async () => (await poller()).records >= before.records + 2, 'both records processed');

    const response = await fetch(`${platform.endpoints.http}/items/kin-3`);
    expect(response.status).toBe(200);
    // Same ts, later sequence number: a later reading, not a duplicate (a re-read record is one).
    expect(JSON.stringify(await response.json())).toContain('"speed":99');
    await client.next((f) => f.type === 'item' && f.version === 2, 'the later record of the same ts');
    expect(items(client).map((f) => (f as { data: unknown }).data)).toEqual([{ speed: 2 }, { speed: 99 }]);
  });
});
