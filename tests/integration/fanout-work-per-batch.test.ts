import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRequestCounter } from '#local/diagnostics/dynamodb-request-counter.ts';
import type { Platform } from '#local/platform.ts';
import { localServices } from '#local/services/index.ts';
import { streamEventOf } from '../../bench/lib/stream-event.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

// The AWS work one stream batch costs, counted at the wire (not timed: speed belongs in bench/).
describe('stream-fanout AWS work per batch', () => {
  const counter = new DynamoRequestCounter();
  let platform: Platform;
  const clients: TestClient[] = [];

  const postsSoFar = () => {
    const { gateway } = platform.health().stats as { gateway: Record<string, number> };
    return (gateway.framesPosted ?? 0) + (gateway.goneResponses ?? 0);
  };

  beforeAll(async () => {
    platform = await startTestPlatform({ services: [...localServices(() => 0), counter] });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await platform?.stop();
  });

  it('queries each key of a batch once, never scans, and posts once per subscriber', async () => {
    const keys = ['work-1', 'work-2', 'work-3', 'work-4'];
    const subscribersPerKey = 3;
    for (const key of keys) {
      for (let i = 0; i < subscribersPerKey; i += 1) {
        clients.push(await connectClient(`${platform.endpoints.websocket}/?vehicleId=${key}`));
      }
    }
    // Two changes per key in one batch (two items, so neither stands for the other): the subscriber
    // lookup is shared by both, and each subscriber gets both in one post.
    const changes = keys.flatMap((key) =>
      [2, 3].map((version) => ({
        key,
        channel: version === 2 ? 'telemetry' : 'engine',
        version,
        ts: 1_000 + version,
        data: { version },
      })),
    );
    counter.reset();
    const postsBefore = postsSoFar();

    const response = await platform.invoke('StreamFanoutFunction', streamEventOf(changes));

    expect(response).toEqual({ batchItemFailures: [] });
    const counts = counter.counts();
    expect(counts.indexQueries).toEqual(Object.fromEntries(keys.map((key) => [`byItemKey ${key}`, 1])));
    expect(counts.scans).toBe(0);
    expect(counts.operations).toEqual({ Query: keys.length });
    expect(postsSoFar() - postsBefore).toBe(keys.length * subscribersPerKey);
    await waitFor(
      () => clients.every((client) => client.frames.filter((frame) => frame.type === 'item').length === 2),
      'two item frames at every subscriber',
    );
    for (const client of clients) {
      const items = client.frames.filter((frame) => frame.type === 'item');
      expect(items.map((frame) => frame.version)).toEqual([2, 3]);
      expect(new Set(items.map((frame) => frame.key)).size).toBe(1);
      expect(client.invalid).toEqual([]);
    }
  });
});
