import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VehicleCommandMessageSchema } from '#contracts/vehicle-command.ts';
import type { Platform } from '#local/platform.ts';
import { fauxqsService } from '#local/services/fauxqs-service.ts';
import { iotCoreService } from '#local/services/iot-core-service.ts';
import { kinesisService } from '#local/services/kinesis-service.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { awsClientsFor, drainQueue, rejectBytes } from '../helpers/aws-clients.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { subscriberPool, type TestClient } from '../helpers/ws-client.ts';

interface Health {
  endpoints: Record<string, string>;
  resources: Record<string, string>;
  stats: {
    functions: Record<string, { invocations: number }>;
    'iot-core': Record<string, number>;
  };
}

let platform: Platform;
let health: Health;
let device: MqttClient;
let iotData: IoTDataPlaneClient;
let sqs: SQSClient;
const subscribers = subscriberPool(() => platform.endpoints.websocket);
const mqttClients: MqttClient[] = [];

async function readHealth(): Promise<Health> {
  return (await (await fetch(`${platform.endpoints.http}/health`)).json()) as Health;
}

async function mqttClient(clientId: string): Promise<MqttClient> {
  const client = await connectAsync(health.endpoints.mqtt as string, {
    protocolVersion: 4,
    clientId,
    reconnectPeriod: 0,
  });
  mqttClients.push(client);
  return client;
}

const wsClient = (key: string): Promise<TestClient> => subscribers.connect(key);

/** Messages an MQTT client receives on `filter`, recorded as parsed JSON. */
async function subscribe(client: MqttClient, filter: string): Promise<unknown[]> {
  const received: unknown[] = [];
  client.on('message', (topic, payload) => {
    if (topic.split('/')[1] === filter.split('/')[1]) received.push(JSON.parse(payload.toString()));
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return received;
}

/** Takes every reject iot-telemetry kept so far off its queue. */
const keptRejects = () => drainQueue(sqs, health.resources.iotTelemetryRejectQueueUrl ?? '');

/** Async invocations of the ingestor by the rule that have returned. */
const telemetryInvocations = async () => (await readHealth()).stats['iot-core'].lambdaSucceeded ?? 0;

async function waitForInvocations(before: number, count: number): Promise<void> {
  await waitFor(
    async () => (await telemetryInvocations()) >= before + count,
    `${count} ingestor invocations`,
  );
}

async function storedItem(key: string): Promise<{ version: number; ts: number; data: unknown }> {
  const body = (await (await fetch(`${platform.endpoints.http}/items/${key}`)).json()) as {
    items: Array<{ channel: string; version: number; ts: number; data: unknown }>;
  };
  const item = body.items.find((candidate) => candidate.channel === 'telemetry');
  if (!item) throw new Error(`no telemetry item for ${key}`);
  return item;
}

/** Publishes text or bytes as they are, anything else as JSON. */
const publish = (topic: string, payload: unknown) =>
  device.publishAsync(
    topic,
    typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    { qos: 1 },
  );

beforeAll(async () => {
  platform = await startTestPlatform({ services: [kinesisService(0), iotCoreService(0), fauxqsService(0)] });
  health = await readHealth();
  device = await mqttClient('vehicle-device');
  iotData = new IoTDataPlaneClient({
    endpoint: health.endpoints.iotData,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  sqs = awsClientsFor(platform).sqs;
});

afterAll(async () => {
  await subscribers.closeAll();
  await Promise.all(mqttClients.map((client) => client.endAsync()));
  iotData?.destroy();
  sqs?.destroy();
  await platform?.stop();
});

describe('IoT Core: MQTT telemetry through the topic rule to WebSocket subscribers', () => {
  it('lists the broker and the data plane in /health', () => {
    expect(health.endpoints.mqtt).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(health.endpoints.iotData).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('delivers a vehicle telemetry message to the subscribers of that vehicle', async () => {
    const dashboard = await wsClient('31');
    const ts = Date.now() - 1000;
    await publish('vehicles/31/telemetry', { ts, lat: 40.41, lon: -3.7, speed: 42, fuel: 0.5, rpm: 2100 });

    const frame = await dashboard.next((f) => f.type === 'item' && f.key === '31', 'the telemetry frame');
    expect(frame).toEqual({
      type: 'item',
      key: '31',
      channel: 'telemetry',
      version: 1,
      seq: expect.stringMatching(/^[1-9][0-9]*$/),
      ts,
      data: { lat: 40.41, lon: -3.7, speed: 42, fuel: 0.5, rpm: 2100 },
    });
    expect(dashboard.invalid).toEqual([]);
  });

  it('ingests good telemetry beside bad, which is rejected and kept with the bytes the device sent', async () => {
    const addMetric = vi.spyOn(powertoolsFor('iot-telemetry').metrics, 'addMetric');
    const payloadErrorsBefore = (await readHealth()).stats['iot-core'].payloadErrors ?? 0;
    const dashboard = await wsClient('32');
    const before = await telemetryInvocations();
    const fast = JSON.stringify({ ts: Date.now() - 1000, speed: 'fast' });
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
    const bad = [
      fast,
      'not json at all',
      binary,
      '42',
      '[1]',
      JSON.stringify({ ts: Date.now() - 1000, speed: -4 }),
    ];

    // The bad ones are newer: had any been written, it would be the stored state.
    for (const payload of bad) await publish('vehicles/32/telemetry', payload);
    await publish('vehicles/32/telemetry', { ts: Date.now() - 5000, speed: 12 });
    await waitForInvocations(before, bad.length + 1);

    const frame = await dashboard.next((f) => f.type === 'item' && f.key === '32', 'the good frame');
    expect(frame).toMatchObject({ version: 1, data: { speed: 12 } });
    expect(await storedItem('32')).toMatchObject({ version: 1, data: { speed: 12 } });
    expect(addMetric.mock.calls.filter(([name]) => name === 'ReadingsRejected')).toHaveLength(bad.length);
    // The rule no longer reads the payload: every message reaches the ingestor.
    expect((await readHealth()).stats['iot-core'].payloadErrors ?? 0).toBe(payloadErrorsBefore);
    addMetric.mockRestore();

    const kept = (await keptRejects()).map((message) => {
      const attributes = message.MessageAttributes ?? {};
      const encoding = attributes.BodyEncoding?.StringValue;
      return {
        bytes: rejectBytes(message),
        encoding,
        code: attributes.RejectCode?.StringValue,
        reason: attributes.RejectReason?.StringValue,
        topic: attributes.Topic?.StringValue,
      };
    });
    expect(kept.map((reject) => reject.bytes.toString('base64')).sort()).toEqual(
      bad.map((payload) => Buffer.from(payload).toString('base64')).sort(),
    );
    expect(
      kept.every((reject) => reject.code === 'ValidationError' && reject.topic === 'vehicles/32/telemetry'),
    ).toBe(true);
    const binaryReject = kept.find((reject) => reject.bytes.equals(binary));
    expect(binaryReject).toMatchObject({ encoding: 'base64', reason: 'payload: is not JSON' });
    expect(kept.find((reject) => reject.bytes.toString() === '42')).toMatchObject({
      encoding: undefined,
      reason: 'payload: must be a JSON object',
    });
    expect(kept.find((reject) => reject.bytes.toString() === fast)?.reason).toContain('payload.speed');
  });

  it('rejects an event that is not the rule envelope as it was delivered: there are no device bytes to keep', async () => {
    const event = { speed: 3, vehicleId: '33', receivedAt: Date.now() };
    expect(await platform.invoke('IotTelemetryFunction', event)).toEqual({
      accepted: 0,
      stale: 0,
      rejected: 1,
    });
    const kept = await keptRejects();
    expect(kept.map((message) => rejectBytes(message).toString())).toEqual([JSON.stringify(event)]);
    expect(kept[0]?.MessageAttributes).toMatchObject({
      RejectCode: { StringValue: 'ValidationError' },
      RejectReason: { StringValue: expect.stringContaining('event.payload') },
      Topic: { StringValue: 'vehicles/33/telemetry' },
    });
  });

  it('never lets a QoS 1 duplicate or an older message overwrite newer state', async () => {
    const dashboard = await wsClient('34');
    const newer = Date.now() - 1000;
    const before = await telemetryInvocations();

    await publish('vehicles/34/telemetry', { ts: newer, speed: 50 });
    await dashboard.next((f) => f.type === 'item' && f.key === '34', 'the first frame');
    await publish('vehicles/34/telemetry', { ts: newer, speed: 50 });
    await publish('vehicles/34/telemetry', { ts: newer - 5000, speed: 5 });
    await waitForInvocations(before, 3);
    expect(await storedItem('34')).toMatchObject({ version: 1, ts: newer, data: { speed: 50 } });

    // Frames of one item arrive in write order: once version 2 is here, nothing else came before it.
    await publish('vehicles/34/telemetry', { ts: newer + 500, speed: 55 });
    await dashboard.next((f) => f.type === 'item' && f.version === 2, 'the newer frame');
    expect(dashboard.frames.filter((f) => f.type === 'item')).toMatchObject([
      { version: 1, ts: newer, data: { speed: 50 } },
      { version: 2, ts: newer + 500, data: { speed: 55 } },
    ]);
  });
});

describe('IoT Core: fleet telemetry through the Kinesis rule', () => {
  it('puts fleet/{id}/telemetry on TelemetryStream, whose ingestor delivers it to subscribers', async () => {
    const dashboard = await wsClient('38');
    const ts = Date.now() - 1000;
    await publish('fleet/38/telemetry', { ts, speed: 88 });
    const frame = await dashboard.next((f) => f.type === 'item' && f.key === '38', 'the frame', 15_000);
    expect(frame).toMatchObject({ channel: 'telemetry', ts, data: { speed: 88 } });
    expect((await readHealth()).stats['iot-core'].kinesisRecords).toBeGreaterThanOrEqual(1);
  });

  it('puts fleet payloads that are not JSON on the stream too: the ingestor rejects them and keeps the bytes', async () => {
    const dashboard = await wsClient('39');
    const payloadErrorsBefore = (await readHealth()).stats['iot-core'].payloadErrors ?? 0;
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
    await publish('fleet/39/telemetry', binary);
    await publish('fleet/39/telemetry', '[1]');
    await publish('fleet/39/telemetry', { ts: Date.now() - 1000, speed: 61 });
    await dashboard.next((f) => f.type === 'item' && f.key === '39', 'the good frame', 15_000);

    const kept: Array<{ payload: string; vehicleId: string }> = [];
    await waitFor(async () => {
      const queue = health.resources.kinesisTelemetryRejectQueueUrl ?? '';
      for (const message of await drainQueue(sqs, queue))
        kept.push(JSON.parse(rejectBytes(message).toString()));
      return kept.length >= 2;
    }, 'two fleet rejects');
    // Kept as the record the rule put: the device's bytes in it, so a replay puts the same record back.
    expect(kept.map((record) => record.payload).sort()).toEqual(
      [binary, Buffer.from('[1]')].map((bytes) => bytes.toString('base64')).sort(),
    );
    expect(kept.every((record) => record.vehicleId === '39')).toBe(true);
    expect((await readHealth()).stats['iot-core'].payloadErrors ?? 0).toBe(payloadErrorsBefore);
  });

  it("sends a message whose put fails to the rule's error queue, in AWS's error action format", async () => {
    // A partition key over Kinesis' 256 characters: PutRecord refuses it.
    const topic = `fleet/${'v'.repeat(300)}/telemetry`;
    await publish(topic, { speed: 1 });
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: health.resources.iotRuleErrorQueueUrl, WaitTimeSeconds: 5 }),
    );
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}')).toMatchObject({
      ruleName: 'FleetTelemetryToKinesisRule',
      topic,
      base64OriginalPayload: Buffer.from('{"speed":1}').toString('base64'),
      failures: [{ failedAction: 'KinesisAction', failedResource: 'TelemetryStream' }],
    });
  });
});

describe('IoT Core broker', () => {
  it('refuses MQTT 3.1 clients: IoT Core speaks 3.1.1', async () => {
    await expect(
      connectAsync(health.endpoints.mqtt as string, {
        protocolVersion: 3,
        reconnectPeriod: 0,
        connectTimeout: 2000,
      }),
    ).rejects.toThrow(/protocol version/i);
  });

  it('disconnects a client that publishes more than 128 KB, like IoT Core', async () => {
    const client = await connectAsync(health.endpoints.mqtt as string, {
      protocolVersion: 4,
      clientId: 'oversized',
      reconnectPeriod: 0,
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('vehicles/39/telemetry', Buffer.alloc(129 * 1024, 32), { qos: 1 });
    await closed;
    expect(client.connected).toBe(false);
    client.end(true);
  });
});

describe('IoT data plane Publish', () => {
  it('reaches MQTT subscribers through the real IoTDataPlaneClient', async () => {
    const vehicle = await mqttClient('vehicle-3');
    const received = await subscribe(vehicle, 'vehicles/3/commands');
    await iotData.send(
      new PublishCommand({
        topic: 'vehicles/3/commands',
        qos: 1,
        payload: Buffer.from(JSON.stringify({ hello: 'vehicle' })),
      }),
    );
    await waitFor(() => received.length > 0, 'the published message');
    expect(received).toEqual([{ hello: 'vehicle' }]);
  });

  it('feeds the topic rules like a device would', async () => {
    const dashboard = await wsClient('35');
    await iotData.send(
      new PublishCommand({
        topic: 'vehicles/35/telemetry',
        qos: 1,
        payload: Buffer.from(JSON.stringify({ ts: Date.now() - 100, heading: 90 })),
      }),
    );
    const frame = await dashboard.next((f) => f.type === 'item' && f.key === '35', 'the frame');
    expect(frame).toMatchObject({ data: { heading: 90 } });
  });

  it('refuses wildcard topics, reserved topics and bad qos like AWS', async () => {
    const send = (topic: string, qos = 1) =>
      iotData.send(new PublishCommand({ topic, qos, payload: Buffer.from('{}') }));
    await expect(send('vehicles/+/commands')).rejects.toMatchObject({
      name: 'InvalidRequestException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(send('$aws/things/x/shadow/update')).rejects.toMatchObject({
      name: 'ForbiddenException',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(send('vehicles/3/commands', 2)).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });
});

describe('WS action command', () => {
  it('publishes the command to the vehicle and acks the sender', async () => {
    const vehicle = await mqttClient('vehicle-36');
    const received = await subscribe(vehicle, 'vehicles/36/commands');
    const dashboard = await wsClient('36');

    dashboard.send({ action: 'command', vehicleId: '36', command: 'honk', args: { times: 2 } });

    await dashboard.next((f) => f.type === 'ack' && f.action === 'command', 'the ack');
    expect(dashboard.frames.find((f) => f.type === 'ack')).toEqual({
      type: 'ack',
      action: 'command',
      key: '36',
    });
    await waitFor(() => received.length > 0, 'the command on vehicles/36/commands');
    const message = VehicleCommandMessageSchema.parse(received[0]);
    expect(message).toMatchObject({ command: 'honk', args: { times: 2 } });
  });

  it('answers a bad command with an error frame and publishes nothing', async () => {
    const vehicle = await mqttClient('vehicle-37');
    const received = await subscribe(vehicle, 'vehicles/37/commands');
    const dashboard = await wsClient('37');

    dashboard.send({ action: 'command', vehicleId: '37', command: 'rm -rf' });

    const error = await dashboard.next((f) => f.type === 'error', 'the error frame');
    expect(error).toMatchObject({ type: 'error', code: 'ValidationError', action: 'command' });
    expect(error.type === 'error' && error.issues?.[0]?.path).toBe('body.command');
    // Commands reach the topic in the order they are sent: a valid one sent next arrives alone.
    dashboard.send({ action: 'command', vehicleId: '37', command: 'honk', args: { times: 1 } });
    await waitFor(() => received.length > 0, 'the later valid command on vehicles/37/commands');
    expect(received.map((message) => VehicleCommandMessageSchema.parse(message).command)).toEqual(['honk']);
  });
});
