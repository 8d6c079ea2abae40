import { randomUUID } from 'node:crypto';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REJECT_SOURCES } from '#contracts/rejects.ts';
import { telemetryTopicFor } from '#contracts/vehicle-telemetry.ts';
import { type RejectEntry, runRejects } from '#local/cli/commands/rejects.ts';
import { readLocalEnv } from '#local/cli/local-config.ts';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { Platform } from '#local/platform.ts';
import { awsClientsFor, connectDevice, queueDepth } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Rejects are kept with their bytes on every source, `rtp rejects` lists them, and `--replay` sends
 * them back through their ingestor. The curable reject is a reading from a device whose clock runs
 * ahead of the platform's allowance (ts more than 5 min in the future): once that time has come, the
 * same bytes apply; a message with no measurement, or bytes that are not JSON (MQTT and Kinesis), are
 * rejected again.
 */
const SKEW_MS = 5 * 60_000;
const AHEAD_MS = 4_000;

let platform: Platform;
let aws: ReturnType<typeof awsClientsFor>;
let kinesis: KinesisClient;
let device: MqttClient;
let dashboard: TestClient;
const mqttKey = `rj-mqtt-${randomUUID().slice(0, 8)}`;
const kinesisKey = `rj-kin-${randomUUID().slice(0, 8)}`;
/** Set when the first test sends: the platform's start must not eat into AHEAD_MS. */
let sentAt = 0;
let futureTs = 0;
const notJson = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x6e, 0x6f]);

const cli = (argv: Parameters<typeof runRejects>[1]) => {
  const lines: string[] = [];
  const env = readLocalEnv({ RTP_URL: platform.endpoints.http });
  return runRejects(env, argv, (line) => lines.push(line)).then((result) => ({ ...result, lines }));
};
const list = (sources: Array<keyof typeof REJECT_SOURCES>) =>
  cli({ sources, replay: false, limit: 20, waitSeconds: 0 });
const bySource = (entries: RejectEntry[], source: string) =>
  entries.filter((entry) => entry.source === source);
const itemFrame = (key: string, check: (data: Record<string, unknown>) => boolean) =>
  dashboard.next(
    (frame) => frame.type === 'item' && frame.key === key && check(frame.data as Record<string, unknown>),
    `an item of ${key}`,
    10_000,
  );

beforeAll(async () => {
  platform = await startTestPlatform();
  aws = awsClientsFor(platform);
  kinesis = createLocalKinesisClient(platform.endpoints.kinesis ?? '');
  device = await connectDevice(platform, `rejects-${randomUUID()}`);
  dashboard = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${mqttKey}`);
  dashboard.send({ action: 'subscribe', key: kinesisKey });
  await dashboard.next((frame) => frame.type === 'ack' && frame.action === 'subscribe', 'subscribe ack');
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await device?.endAsync();
  kinesis?.destroy();
  await platform?.stop();
});

describe('reject destinations', () => {
  it('are listed in /health, one per source', () => {
    const resources = platform.health().resources as Record<string, string>;
    for (const { resource } of Object.values(REJECT_SOURCES)) expect(resources[resource]).toBeTruthy();
  });

  it('keep a bad MQTT message and a bad Kinesis record with their bytes, code and reason; the good beside them are delivered', async () => {
    const topic = telemetryTopicFor(mqttKey);
    sentAt = Date.now();
    futureTs = sentAt + SKEW_MS + AHEAD_MS;
    const noMeasurement = { ts: sentAt };
    await device.publishAsync(topic, JSON.stringify({ ts: sentAt, speed: 11 }), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify(noMeasurement), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ ts: futureTs, speed: 99 }), { qos: 1 });
    await device.publishAsync(topic, notJson, { qos: 1 });
    await kinesis.send(
      new PutRecordsCommand({
        StreamName: platform.resources.telemetryStream,
        Records: [
          {
            Data: Buffer.from(JSON.stringify({ vehicleId: kinesisKey, ts: sentAt, data: { v: 1 } })),
            PartitionKey: kinesisKey,
          },
          { Data: notJson, PartitionKey: kinesisKey },
          {
            Data: Buffer.from(JSON.stringify({ vehicleId: kinesisKey, ts: futureTs, data: { v: 2 } })),
            PartitionKey: kinesisKey,
          },
        ],
      }),
    );
    await aws.sqs.send(
      new SendMessageCommand({ QueueUrl: platform.resources.ingestQueueUrl, MessageBody: 'not json' }),
    );

    await itemFrame(mqttKey, (data) => data.speed === 11);
    await itemFrame(kinesisKey, (data) => data.v === 1);
    const depth = (source: keyof typeof REJECT_SOURCES) =>
      queueDepth(aws.sqs, platform.resources[REJECT_SOURCES[source].resource] ?? '');
    await waitFor(
      async () =>
        (await depth('mqtt')) === 3 && (await depth('kinesis')) === 2 && (await depth('queue')) === 1,
      'three MQTT, two Kinesis and one SQS reject',
      10_000,
    );

    const { listed, lines } = await list(['mqtt', 'kinesis', 'queue']);
    const mqtt = bySource(listed, 'mqtt');
    expect(mqtt.map((entry) => entry.code)).toEqual([
      'ValidationError',
      'ValidationError',
      'ValidationError',
    ]);
    expect(mqtt.every((entry) => entry.ids.Topic === topic)).toBe(true);
    // Each kept as the device sent it: replay republishes exactly these bytes.
    const empty = mqtt.find((entry) => entry.reason.includes('carries no measurement'));
    expect(empty?.payload.toString()).toBe(JSON.stringify(noMeasurement));
    expect(mqtt.some((entry) => entry.reason.includes("ahead of the platform's clock"))).toBe(true);
    expect(mqtt.find((entry) => entry.reason === 'payload: is not JSON')?.payload.equals(notJson)).toBe(true);

    const records = bySource(listed, 'kinesis');
    expect(records).toHaveLength(2);
    expect(records.every((entry) => entry.ids.PartitionKey === kinesisKey && entry.ids.SequenceNumber)).toBe(
      true,
    );
    const bad = records.find((entry) => entry.reason.includes('is not JSON'));
    expect(bad?.payload.equals(notJson)).toBe(true);

    expect(bySource(listed, 'queue').map((entry) => entry.payload.toString())).toEqual(['not json']);
    expect(lines).toContain(`mqtt: 3 reject(s) in ${platform.resources.iotTelemetryRejectQueueUrl}`);
    // Listing leaves them in place.
    expect(await depth('mqtt')).toBe(3);
  });

  it('replays them after the fix: the curable apply and are delivered, the rest are rejected again and kept', async () => {
    // The fix: the device's time has come (its readings are no longer beyond the allowed clock skew).
    await waitFor(
      () => Date.now() > futureTs - SKEW_MS + 250,
      'the future readings to come within the skew',
      15_000,
    );
    const { replayed, lines } = await cli({
      sources: ['mqtt', 'kinesis', 'queue'],
      replay: true,
      limit: 20,
      waitSeconds: 15,
    });
    expect(replayed).toEqual([
      { source: 'mqtt', replayed: 3, applied: 1, rejectedAgain: 2, pending: 0 },
      { source: 'kinesis', replayed: 2, applied: 1, rejectedAgain: 1, pending: 0 },
      { source: 'queue', replayed: 1, applied: 0, rejectedAgain: 1, pending: 0 },
    ]);
    expect(lines[0]).toMatch(/^mqtt: replayed 3: 1 applied, 2 rejected again/);
    await itemFrame(mqttKey, (data) => data.speed === 99);
    await itemFrame(kinesisKey, (data) => data.v === 2);

    const { listed } = await list(['mqtt', 'kinesis', 'queue']);
    const mqtt = bySource(listed, 'mqtt');
    expect(mqtt.map((entry) => entry.reason).sort()).toEqual([
      expect.stringContaining('carries no measurement'),
      'payload: is not JSON',
    ]);
    expect(mqtt.find((entry) => entry.reason === 'payload: is not JSON')?.payload.equals(notJson)).toBe(true);
    expect(bySource(listed, 'kinesis').map((entry) => entry.payload.equals(notJson))).toEqual([true]);
    expect(bySource(listed, 'queue').map((entry) => entry.payload.toString())).toEqual(['not json']);
  });
});
