import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobAcceptedSchema, type JobStatusData, JobStatusDataSchema } from '#contracts/jobs.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

let platform: Platform;
let dynamo: DynamoDBClient;
const sockets: TestClient[] = [];
/** Small enough to reach in a test; every request here comes from 127.0.0.1, one caller. */
const IN_FLIGHT_LIMIT = 2;
const TTL_SECONDS = 3_600;

beforeAll(async () => {
  platform = await startTestPlatform({
    parameters: { JobsInFlightPerCaller: String(IN_FLIGHT_LIMIT), JobsTtlSeconds: String(TTL_SECONDS) },
  });
  dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
});

afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  dynamo?.destroy();
  await platform?.stop();
});

/** The job's stored status item, as DynamoDB holds it. */
async function storedStatus(jobId: string) {
  const { Item } = await dynamo.send(
    new GetItemCommand({
      TableName: platform.resources.realTimeDataTable,
      Key: { itemKey: { S: `job-${jobId}` }, channel: { S: 'status' } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** Queues a job and follows its key from a WebSocket, as the Jobs page does. */
async function submit(job: Record<string, unknown>): Promise<{ socket: TestClient; jobId: string }> {
  const jobId = randomUUID();
  const socket = await connectClient(`${platform.endpoints.websocket}/?vehicleId=job-${jobId}`);
  sockets.push(socket);
  const response = await postJson(platform.endpoints.http, '/jobs', { ...job, jobId });
  expect(response.status).toBe(202);
  expect(JobAcceptedSchema.parse(response.body)).toEqual({ jobId, key: `job-${jobId}` });
  return { socket, jobId };
}

/** Every status the socket saw (snapshot and live frames), in version order, without repeats. */
function statuses(socket: TestClient): JobStatusData[] {
  const seen = new Map<number, JobStatusData>();
  const take = (frame: ServerFrame) => {
    if (frame.type === 'item' && frame.channel === 'status') {
      seen.set(frame.version, JobStatusDataSchema.parse(frame.data));
    }
  };
  for (const frame of socket.frames) {
    if (frame.type === 'snapshot') frame.items.forEach(take);
    else take(frame);
  }
  return [...seen.entries()].sort(([a], [b]) => a - b).map(([, data]) => data);
}

const finished = (socket: TestClient) =>
  socket.next(
    (frame) =>
      frame.type === 'item' &&
      frame.channel === 'status' &&
      (frame.data.status === 'done' || frame.data.status === 'failed'),
    'the final status',
    30_000,
  );

describe('async jobs through the local platform', () => {
  // First: the jobs of the tests below would otherwise hold slots of the one caller.
  it('refuses a job beyond the in-flight limit with 429, and takes one again when a job ended', async () => {
    const running = [];
    for (let index = 0; index < IN_FLIGHT_LIMIT; index += 1)
      // Long enough that none ends before the refused POST, even on a loaded machine.
      running.push(await submit({ type: 'sleep', input: { seconds: 4, steps: 1 } }));
    const refused = await postJson(platform.endpoints.http, '/jobs', { type: 'fail', input: {} });
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'LimitExceeded' } } });
    await Promise.all(running.map(({ socket }) => finished(socket)));
    // The slot is freed right after the final status is written: wait for that, not for a time.
    let accepted: Awaited<ReturnType<typeof postJson>> | undefined;
    await waitFor(async () => {
      accepted = await postJson(platform.endpoints.http, '/jobs', { type: 'fail', input: {} });
      return accepted.status !== 429;
    }, 'a free job slot');
    expect(accepted?.status).toBe(202);
    const { jobId } = JobAcceptedSchema.parse(accepted?.body);
    await waitFor(
      async () => (await storedStatus(jobId))?.data?.M?.status?.S === 'failed',
      'the last job to end',
    );
  });

  it('accepts exactly one of two racing POSTs with the same id; the other gets 409', async () => {
    const jobId = randomUUID();
    const socket = await connectClient(`${platform.endpoints.websocket}/?vehicleId=job-${jobId}`);
    sockets.push(socket);
    const job = { type: 'sleep', input: { seconds: 0.1, steps: 1 }, jobId };
    const answers = await Promise.all([
      postJson(platform.endpoints.http, '/jobs', job),
      postJson(platform.endpoints.http, '/jobs', job),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body).toMatchObject({
      error: { code: 'StaleWrite', message: expect.stringContaining(jobId) },
    });
    await finished(socket);
    expect(statuses(socket).map((status) => status.status)).toEqual(['queued', 'running', 'done']);
  });

  it('stores the status with an expiry JobsTtlSeconds after it was queued', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { socket, jobId } = await submit({ type: 'fail', input: {} });
    await finished(socket);
    const expiresAt = Number((await storedStatus(jobId))?.expiresAt?.N);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TTL_SECONDS);
    expect(expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + TTL_SECONDS);
  });

  it('pushes queued, running with progress, then done with the result', async () => {
    const { socket, jobId } = await submit({ type: 'sleep', input: { seconds: 0.3, steps: 3 } });
    await finished(socket);
    const seen = statuses(socket);
    expect(seen.map((status) => status.status)).toEqual(['queued', 'running', 'running', 'running', 'done']);
    expect(seen.map((status) => status.progress)).toEqual([undefined, 0, 1 / 3, 2 / 3, 1]);
    expect(seen.at(-1)).toMatchObject({ jobId, type: 'sleep', result: { sleptMs: 300 } });
    expect(socket.invalid).toEqual([]);
  });

  it('computes statistics over the items of a key', async () => {
    const readings = [
      { vehicleId: 'stats-1', channel: 'telemetry', ts: Date.now(), data: { speed: 10, fuel: 0.5 } },
      { vehicleId: 'stats-1', channel: 'engine', ts: Date.now(), data: { speed: 30, label: 'x' } },
    ];
    expect((await postJson(platform.endpoints.http, '/readings', { readings })).status).toBe(202);
    const { socket } = await submit({ type: 'stats', input: { key: 'stats-1' } });
    await finished(socket);
    expect(statuses(socket).at(-1)).toMatchObject({
      status: 'done',
      result: {
        key: 'stats-1',
        items: 2,
        fields: {
          'telemetry.speed': { count: 1, min: 10, max: 10, mean: 10 },
          'engine.speed': { count: 1, min: 30, max: 30, mean: 30 },
        },
      },
    });
  });

  it('marks a failing job failed with its reason', async () => {
    const { socket } = await submit({ type: 'fail', input: { reason: 'the flux capacitor broke' } });
    await finished(socket);
    const seen = statuses(socket);
    expect(seen.map((status) => status.status)).toEqual(['queued', 'running', 'failed']);
    expect(seen.at(-1)?.reason).toBe('the flux capacitor broke');
  });

  it('refuses a bad job with 400 naming the fields', async () => {
    const unknown = await postJson(platform.endpoints.http, '/jobs', { type: 'mine-bitcoin', input: {} });
    expect(unknown.status).toBe(400);
    const tooLong = await postJson(platform.endpoints.http, '/jobs', {
      type: 'sleep',
      input: { seconds: 3600 },
    });
    expect(tooLong).toMatchObject({
      status: 400,
      body: { error: { code: 'ValidationError', issues: [{ path: 'body.input.seconds' }] } },
    });
    const notJson = await postJson(platform.endpoints.http, '/jobs', '{"type":');
    expect(notJson.status).toBe(400);
  });

  it('picks an id when the client sends none, and refuses a client id already taken', async () => {
    const response = await postJson(platform.endpoints.http, '/jobs', { type: 'fail', input: {} });
    expect(response.status).toBe(202);
    const { jobId } = JobAcceptedSchema.parse(response.body);
    const again = await postJson(platform.endpoints.http, '/jobs', { type: 'fail', input: {}, jobId });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'StaleWrite' } } });
  });
});
