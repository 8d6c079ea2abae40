import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import type { ItemFrame } from '#contracts/ws-protocol.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * DynamoDB Local (on-disk mode) stops while readings arrive and starts again: ingest answers 503
 * meanwhile, the client retries, and every reading is stored and delivered once it is back.
 */
let platform: Platform;
let dataDir: string;
let subscriber: TestClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rtp-faults-'));
  platform = await startTestPlatform({ dataDir });
  subscriber = await connectClient(`${platform.endpoints.websocket}/?vehicleId=dd-1`);
});

afterAll(async () => {
  await subscriber?.close();
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const itemFrames = () => subscriber.frames.filter((frame): frame is ItemFrame => frame.type === 'item');

/** A REST client that retries 5xx answers, as the error body tells it to. */
async function postWithRetry(body: unknown, outage: { refusals: number }): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const response = await postJson(platform.endpoints.http, '/readings', body);
    if (response.status < 500 || Date.now() > deadline) return response.status;
    expect(ErrorBodySchema.safeParse(response.body).success).toBe(true);
    outage.refusals += 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('DynamoDB Local stopped and restarted', () => {
  it('answers 503 while it is down, then stores and delivers every retried reading', async () => {
    const outage = { refusals: 0 };
    const reading = (seq: number) => ({ vehicleId: 'dd-1', ts: 1_000 + seq, data: { seq } });
    for (let seq = 1; seq <= 3; seq++) expect(await postWithRetry(reading(seq), outage)).toBe(202);
    await waitFor(() => itemFrames().some((frame) => frame.data.seq === 3), 'the frames before the outage');

    await platform.dynamoDb.stop();
    // Back up once the outage has been answered with a 503, not after a guessed time.
    const restarted = waitFor(() => outage.refusals > 0, 'a refusal during the outage', 60_000).then(() =>
      platform.dynamoDb.start(),
    );
    const statuses = await Promise.all([4, 5, 6].map((seq) => postWithRetry(reading(seq), outage)));
    await restarted;
    expect(statuses).toEqual([202, 202, 202]);
    expect(outage.refusals).toBeGreaterThan(0);

    const stored = (await (await fetch(`${platform.endpoints.http}/items/dd-1`)).json()) as {
      items: Array<{ data: { seq: number } }>;
    };
    expect(stored.items.map((item) => item.data.seq)).toEqual([6]);
    await waitFor(
      () => itemFrames().some((frame) => frame.data.seq === 6),
      'the newest reading delivered',
      30_000,
    );
    console.log(
      `DynamoDB outage: ${outage.refusals} answers 503 during the restart, 6 readings stored, newest delivered`,
    );
  }, 90_000);
});
