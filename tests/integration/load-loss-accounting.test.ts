import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { accountKey, type LossReport, sumReports } from '../helpers/loss-accounting.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * Load with loss accounting: readings carrying a per-key sequence number go in through REST batches
 * at a steady pace; every subscriber must get every stored version of its keys exactly once and in
 * order (a reading refused as superseded is owed to no one; for a batching subscriber, a version a
 * batch frame carried a newer one of in its place is conflated, not lost). Sized for 2 shared cores.
 */
const KEY_COUNT = 20;
const SUBSCRIBERS_PER_KEY = 3;
/** Subscribers of several keys each, on top of the per-key ones. */
const MULTI_SUBSCRIBERS = 5;
const KEYS_PER_MULTI = 4;
const TICKS = 40;
const TICK_MS = 250;
const KEYS = Array.from({ length: KEY_COUNT }, (_, index) => `ld-${index}`);

interface Subscriber {
  client: TestClient;
  keys: string[];
}

let platform: Platform;
const subscribers: Subscriber[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  platform = await startTestPlatform();
  for (const key of KEYS) {
    for (let copy = 0; copy < SUBSCRIBERS_PER_KEY; copy++) {
      // The first of each key asks for one change per frame: it must get every stored version.
      const client = await connectClient(
        `${platform.endpoints.websocket}/?vehicleId=${key}${copy === 0 ? '&batch=false' : ''}`,
      );
      subscribers.push({ client, keys: [key] });
    }
  }
  for (let multi = 0; multi < MULTI_SUBSCRIBERS; multi++) {
    const keys = Array.from(
      { length: KEYS_PER_MULTI },
      (_, index) => KEYS[(multi * 3 + index) % KEY_COUNT] as string,
    );
    const client = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${keys[0]}`);
    for (const key of keys.slice(1)) client.send({ action: 'subscribe', key });
    await waitFor(() => client.frames.length >= keys.length - 1, 'the subscribe acks');
    subscribers.push({ client, keys });
  }
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all(subscribers.map((subscriber) => subscriber.client.close()));
  await platform?.stop();
});

/** The key's telemetry frames as received, each marked when it came inside a `batch` frame. */
const itemFrames = (client: TestClient, key: string) =>
  client.received.flatMap((message) =>
    (message.type === 'batch' ? message.frames : [message]).flatMap((frame) =>
      frame.type === 'item' && frame.key === key && frame.channel === 'telemetry'
        ? [
            {
              seq: (frame.data as { seq: number }).seq,
              version: frame.version,
              batched: message.type === 'batch',
            },
          ]
        : [],
    ),
  );

async function storedItem(key: string): Promise<{ version: number; seq: number }> {
  const { items } = (await (await fetch(`${platform.endpoints.http}/items/${key}`)).json()) as {
    items: Array<{ channel: string; version: number; data: { seq: number } }>;
  };
  const item = items.find((candidate) => candidate.channel === 'telemetry');
  return { version: item?.version ?? 0, seq: item?.data.seq ?? -1 };
}

describe('load with loss accounting', () => {
  it('delivers every stored reading to every subscriber of its key exactly once and in order', async () => {
    const base = Date.now() - 60_000;
    const sent = new Map<string, number[]>(KEYS.map((key) => [key, []]));
    let stale = 0;
    const failures: unknown[] = [];
    const started = Date.now();
    for (let tick = 0; tick < TICKS; tick++) {
      // A steady pace: each batch leaves on its tick, or at once when the previous answer came late.
      const due = started + tick * TICK_MS;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const readings = KEYS.map((key) => ({
        vehicleId: key,
        channel: 'telemetry',
        ts: base + tick,
        data: { seq: tick, load: true },
      }));
      const response = await postJson(platform.endpoints.http, '/readings', { readings });
      if (response.status !== 202) failures.push(response);
      else {
        stale += (response.body as { stale: number }).stale;
        for (const key of KEYS) sent.get(key)?.push(tick);
      }
    }
    const sendSeconds = (Date.now() - started) / 1000;
    expect(failures).toEqual([]);

    const stored = new Map<string, { version: number; seq: number }>();
    for (const key of KEYS) stored.set(key, await storedItem(key));
    // Every reading is either stored (it has a version) or was refused as superseded: none vanished.
    const storedCount = [...stored.values()].reduce((sum, item) => sum + item.version, 0);
    expect(storedCount + stale).toBe(TICKS * KEY_COUNT);

    const complete = () =>
      subscribers.every(({ client, keys }) =>
        keys.every((key) =>
          itemFrames(client, key).some((frame) => frame.version === stored.get(key)?.version),
        ),
      );
    // On a timeout the accounting below still runs: it names what is missing instead of just failing.
    await waitFor(complete, 'every subscriber to hold the final version of its keys', 90_000).catch(
      (error: unknown) => console.log(String(error)),
    );
    // A late duplicate (a retried batch or post) comes before any later change of its key: one more
    // reading per key, on a channel the accounting ignores, shows every subscriber has had them all.
    const later = KEYS.map((key) => ({
      vehicleId: key,
      channel: 'drained',
      ts: base + TICKS,
      data: { drained: true },
    }));
    expect((await postJson(platform.endpoints.http, '/readings', { readings: later })).status).toBe(202);
    await waitFor(
      () =>
        subscribers.every(({ client, keys }) =>
          keys.every((key) =>
            client.frames.some(
              (frame) => frame.type === 'item' && frame.key === key && frame.channel === 'drained',
            ),
          ),
        ),
      'a later reading of every key at every subscriber',
      30_000,
    );
    const drainedSeconds = (Date.now() - started) / 1000;

    const reports: LossReport[] = [];
    for (const { client, keys } of subscribers) {
      for (const key of keys) {
        const item = stored.get(key) ?? { version: 0, seq: -1 };
        reports.push(
          accountKey({
            sent: sent.get(key) ?? [],
            storedVersion: item.version,
            storedSeq: item.seq,
            frames: itemFrames(client, key),
          }),
        );
      }
    }
    const total = sumReports(reports);
    const readings = TICKS * KEY_COUNT;
    console.log(
      `load: ${readings} readings over ${KEY_COUNT} keys in ${sendSeconds.toFixed(1)} s ` +
        `(${(readings / sendSeconds).toFixed(0)} readings/s held), ${subscribers.length} subscribers ` +
        `(${reports.length} subscriptions), all delivered after ${drainedSeconds.toFixed(1)} s: ` +
        `${total.delivered} frames delivered, conflated ${total.conflated}, lost ${total.lost}, ` +
        `duplicated ${total.duplicated}, ` +
        `reordered ${total.reordered}, superseded ${total.superseded}`,
    );
    expect(total.lost).toBe(0);
    expect(total.reordered).toBe(0);
    // A clean run (no retried batch): at-least-once delivery has no excuse for a duplicate.
    expect(total.duplicated).toBe(0);
    expect(total.delivered + total.conflated).toBe(
      subscribers.reduce(
        (sum, { keys }) => sum + keys.reduce((inner, key) => inner + (stored.get(key)?.version ?? 0), 0),
        0,
      ),
    );
    expect(subscribers.flatMap(({ client }) => client.invalid)).toEqual([]);
    const single = subscribers.filter(({ client }) => client.socket.url.includes('batch=false'));
    expect(single.flatMap(({ client }) => client.received.filter((frame) => frame.type === 'batch'))).toEqual(
      [],
    );
    expect(unhandled).toEqual([]);
  }, 150_000);
});
