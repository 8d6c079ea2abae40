import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { fetchAllItems, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * POST /readings with thousands of malformed bodies mixed with good readings: every bad one is
 * answered 4xx with an ErrorBody, nothing answers 5xx, and every good reading is stored and delivered.
 */
const BAD_INPUTS = 1600;
const GOOD_INPUTS = 400;
const KEYS = ['fz-0', 'fz-1', 'fz-2', 'fz-3'];
const SEED = 20261123;
const CONCURRENCY = 16;

let platform: Platform;
let subscriber: TestClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  platform = await startTestPlatform();
  subscriber = await connectClient(`${platform.endpoints.websocket}/?vehicleId=${KEYS[0]}`);
  for (const key of KEYS.slice(1)) subscriber.send({ action: 'subscribe', key });
  await waitFor(() => subscriber.frames.length >= KEYS.length - 1, 'the subscribe acks');
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await subscriber?.close();
  await platform?.stop();
});

interface Input {
  kind: string;
  body: string;
  contentType?: string;
  good?: { key: string; channel: string; seq: number };
}

const json = (value: unknown) => JSON.stringify(value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
const now = Date.now();

/** A valid reading in every field but one. */
const validShape = { vehicleId: 'fz-bad', channel: 'telemetry', ts: now, data: { speed: 1 } };
const badField = fc.oneof(
  fc
    .oneof(
      fc.boolean(),
      fc.constant(null),
      fc.constant(''),
      fc.constant(-1),
      fc.constant(1.5),
      fc.string({ minLength: 129, maxLength: 300 }),
      fc.constantFrom('a b', 'x/y', 'ü', '#', '\n'),
      fc.dictionary(fc.string(), fc.integer()),
    )
    .map((vehicleId) => ({ kind: 'bad key', value: { ...validShape, vehicleId } })),
  fc
    .oneof(
      fc.constantFrom('Telemetry', '1abc', '', 'a#', 'x'.repeat(200), 'tele metry'),
      fc.integer(),
      fc.boolean(),
    )
    .map((channel) => ({ kind: 'bad channel', value: { ...validShape, channel } })),
  fc
    .oneof(
      fc.integer({ max: -1 }),
      fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
      fc.string(),
      fc.integer({ min: now + 3_600_000, max: Number.MAX_SAFE_INTEGER }),
    )
    .map((ts) => ({ kind: 'bad ts', value: { ...validShape, ts } })),
  fc
    .oneof(fc.string(), fc.integer(), fc.array(fc.integer()), fc.constant(null))
    .map((data) => ({ kind: 'bad data', value: { ...validShape, data } })),
  fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((name) => !['vehicleId', 'channel', 'ts', 'data', '__proto__'].includes(name))
    .map((extra) => ({ kind: 'unknown field', value: { ...validShape, [extra]: 1 } })),
  fc.constant({ kind: 'missing key', value: { data: { speed: 1 } } }),
  fc.constant({ kind: 'missing data', value: { vehicleId: 'fz-bad' } }),
  fc.integer({ min: 33_000, max: 120_000 }).map((size) => ({
    kind: 'huge data',
    value: { ...validShape, data: { blob: 'x'.repeat(size) } },
  })),
  fc.integer({ min: 33, max: 2_000 }).map((depth) => ({
    kind: 'deep nesting',
    value: { ...validShape, data: nested(depth) as Record<string, unknown> },
  })),
  fc.constantFrom(1e300, -1e300, 1e-200, 1.7976931348623157e308).map((number) => ({
    kind: 'number out of range',
    value: { ...validShape, data: { v: number } },
  })),
  fc.constant({ kind: 'empty batch', value: { readings: [] } }),
  fc.integer({ min: 501, max: 600 }).map((count) => ({
    kind: 'batch too long',
    value: { readings: Array.from({ length: count }, () => validShape) },
  })),
  fc.constant({
    kind: 'batch with one bad reading',
    value: { readings: [validShape, { ...validShape, ts: -5 }] },
  }),
);

const badInput: fc.Arbitrary<Input> = fc.oneof(
  { weight: 3, arbitrary: badField.map(({ kind, value }) => ({ kind, body: json(value) })) },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue()
      .filter((value) => !(isObject(value) && ('data' in value || 'readings' in value)))
      .map((value) => ({ kind: 'random json', body: json(value) ?? 'null' })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ maxLength: 200 })
      .filter((text) => {
        try {
          return !isObject(JSON.parse(text));
        } catch {
          return true;
        }
      })
      .map((body) => ({ kind: 'not json', body })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded')
      .map((contentType) => ({ kind: 'wrong content type', body: json(validShape), contentType })),
  },
);

function goodInput(seq: number): Input {
  const key = KEYS[seq % KEYS.length] as string;
  const channel = `fz${seq}`;
  return {
    kind: 'good',
    body: json({ vehicleId: key, channel, ts: now - 1000 + seq, data: { seq, note: 'ok' } }),
    good: { key, channel, seq },
  };
}

async function post(input: Input): Promise<{ status: number; text: string }> {
  const response = await fetch(`${platform.endpoints.http}/readings`, {
    method: 'POST',
    headers: { 'content-type': input.contentType ?? 'application/json', 'x-api-key': LOCAL_API_KEY },
    body: input.body,
  });
  return { status: response.status, text: await response.text() };
}

describe('fuzzing POST /readings', () => {
  it('answers every bad body 4xx with an error body, never 5xx, and stores and delivers every good reading', async () => {
    const bad = fc.sample(badInput, { numRuns: BAD_INPUTS, seed: SEED });
    const inputs: Input[] = [...bad];
    // Good readings spread evenly through the bad ones.
    for (let seq = 0; seq < GOOD_INPUTS; seq++) {
      inputs.splice(Math.floor((seq * inputs.length) / GOOD_INPUTS) + seq, 0, goodInput(seq));
    }

    const started = Date.now();
    const wrong: Array<{ kind: string; status: number; body: string; text: string }> = [];
    const counts: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < inputs.length) {
          const input = inputs[next++] as Input;
          const { status, text } = await post(input);
          counts[input.kind] = (counts[input.kind] ?? 0) + 1;
          const ok = input.good
            ? status === 202
            : status >= 400 && status < 500 && ErrorBodySchema.safeParse(safeJson(text)).success;
          if (!ok)
            wrong.push({
              kind: input.kind,
              status,
              body: input.body.slice(0, 200),
              text: text.slice(0, 200),
            });
        }
      }),
    );
    console.log(`fuzz POST /readings: ${inputs.length} inputs in ${Date.now() - started} ms`, counts);
    expect(wrong.slice(0, 10)).toEqual([]);

    const expected = inputs.flatMap((input) => (input.good ? [input.good] : []));
    const delivered = () =>
      new Set(
        subscriber.frames.flatMap((frame) =>
          frame.type === 'item' ? [`${frame.key}/${frame.channel}`] : [],
        ),
      );
    await waitFor(
      () => expected.every((good) => delivered().has(`${good.key}/${good.channel}`)),
      `all ${expected.length} good readings delivered`,
      30_000,
    );
    for (const key of KEYS) {
      const items = await fetchAllItems(platform.endpoints.http, key);
      const stored = new Set(items.map((item) => item.channel));
      for (const good of expected.filter((candidate) => candidate.key === key)) {
        expect(stored.has(good.channel)).toBe(true);
      }
    }
    expect(subscriber.frames.some((frame) => frame.type === 'item' && frame.key === 'fz-bad')).toBe(false);
    expect(subscriber.invalid).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 120_000);
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
