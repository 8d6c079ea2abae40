import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TOKEN_AUDIENCE, LOCAL_TOKEN_ISSUER } from '#adapters/jose-token-verifier.ts';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import { LOCAL_API_KEY, mintDevToken } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';
import { connectClient, type TestClient } from '../helpers/ws-client.ts';

/**
 * The authorisation matrix, locally in AuthMode=jwt through the runtime: every HTTP route and every
 * WebSocket action of template.yaml × every kind of caller → the expected status or frame, and no
 * refused answer carries any of the item's data. The route and action lists come from the loaded
 * template: a route without an expectation below fails the coverage test.
 */

const VEHICLE = 'mx-3';
const ROOM = 'mx';
const PRODUCT_ID = 9001;
/** Only the seeded item carries it: any refused answer containing it is a leak. */
const SECRET = `secret-${randomUUID()}`;
/** An ingest key limited to the matrix's own keys (IngestApiKeys `key:pattern`). */
const FLEET_KEY = 'fleet-key-for-mx';

const CALLERS = ['noToken', 'badSignature', 'expired', 'algNone', 'withoutKey', 'withKey'] as const;
type Caller = (typeof CALLERS)[number];
type Expected = Record<Caller, number>;
const REFUSED_TOKEN = { noToken: 401, badSignature: 401, expired: 401, algNone: 401 } as const;
/** A public route: every caller gets 200. */
const OPEN_TO_ALL = {
  noToken: 200,
  badSignature: 200,
  expired: 200,
  algNone: 200,
  withoutKey: 200,
  withKey: 200,
} as const;

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokens = {} as Record<Caller, string | undefined>;

let platform: Platform;
let jobId: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({
    parameters: { AuthMode: 'jwt', IngestApiKeys: `${LOCAL_API_KEY},${FLEET_KEY}:mx-*` },
  });
  const everything = { keys: ['*'], ingest: ['*'] };
  const now = Math.floor(Date.now() / 1000);
  Object.assign(tokens, {
    noToken: undefined,
    badSignature: await mintDevToken({ sub: 'mallory', ...everything, secret: 'x'.repeat(40) }),
    expired: await mintDevToken({ sub: 'mallory', ...everything, ttlSeconds: -60 }),
    algNone: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
      sub: 'mallory',
      ...everything,
      iss: LOCAL_TOKEN_ISSUER,
      aud: LOCAL_TOKEN_AUDIENCE,
      exp: now + 600,
    })}.`,
    withoutKey: await mintDevToken({ sub: 'eve', keys: ['elsewhere-*'], ingest: ['*'] }),
    withKey: await mintDevToken({
      sub: 'alice',
      keys: [VEHICLE, `room-${ROOM}`, `product-${PRODUCT_ID}`, 'job-*'],
      ingest: ['*'],
    }),
  });
  const seeded = await postJson(platform.endpoints.http, '/readings', {
    vehicleId: VEHICLE,
    data: { note: SECRET },
  });
  expect(seeded.status).toBe(202);
  jobId = randomUUID();
  const job = await http('POST', '/jobs', 'withKey', { type: 'fail', jobId, input: { reason: SECRET } });
  expect(job.status).toBe(202);
  await waitFor(
    async () => (await http('GET', `/items/job-${jobId}`, 'withKey')).text.includes(SECRET),
    'the job',
  );
  await waitFor(
    async () => (await http('GET', `/items/${VEHICLE}/history`, 'withKey')).text.includes(SECRET),
    "the vehicle's history",
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await platform?.stop();
});

async function http(method: string, path: string, caller: Caller, body?: unknown, headers = {}) {
  const token = tokens[caller];
  const response = await fetch(`${platform.endpoints.http}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text() };
}

interface HttpProbe {
  what: string;
  method: string;
  path: () => string;
  body?: unknown;
  expected: Expected;
  /** Holds for the answer of a caller that is let through (status < 400). */
  allowed?: (text: string, caller: Caller) => void;
}

/** Every HTTP route of the template (route key → probes). */
const HTTP_MATRIX: Record<string, HttpProbe[]> = {
  'GET /items/{key}': [
    {
      what: "a vehicle's items",
      method: 'GET',
      path: () => `/items/${VEHICLE}`,
      expected: { ...REFUSED_TOKEN, withoutKey: 403, withKey: 200 },
      allowed: (text) => expect(text).toContain(SECRET),
    },
    {
      what: "a job's status",
      method: 'GET',
      path: () => `/items/job-${jobId}`,
      expected: { ...REFUSED_TOKEN, withoutKey: 403, withKey: 200 },
      allowed: (text) => expect(text).toContain(SECRET),
    },
  ],
  'GET /items/{key}/history': [
    {
      what: "a vehicle's history",
      method: 'GET',
      path: () => `/items/${VEHICLE}/history`,
      expected: { ...REFUSED_TOKEN, withoutKey: 403, withKey: 200 },
      allowed: (text) => expect(text).toContain(SECRET),
    },
  ],
  'POST /jobs': [
    {
      what: 'a stats job over the vehicle',
      method: 'POST',
      path: () => '/jobs',
      body: { type: 'stats', input: { key: VEHICLE } },
      expected: { ...REFUSED_TOKEN, withoutKey: 403, withKey: 202 },
    },
  ],
  // Public: only what a page needs to connect, unless the token is valid (then tables and counters).
  'GET /health': [
    {
      what: 'the health',
      method: 'GET',
      path: () => '/health',
      expected: OPEN_TO_ALL,
      allowed: (text, caller) => {
        const rich = caller === 'withKey' || caller === 'withoutKey';
        expect(text.includes(platform.resources.realTimeDataTable ?? 'RealTimeData')).toBe(rich);
        expect(text.includes('"stats"')).toBe(rich);
        expect(JSON.parse(text)).toMatchObject({ endpoints: { websocket: platform.endpoints.websocket } });
      },
    },
  ],
  // Devices' route: a bearer token is no ingest key.
  'POST /readings': [
    {
      what: 'a reading overwriting the vehicle, without x-api-key',
      method: 'POST',
      path: () => '/readings',
      body: { vehicleId: VEHICLE, data: { note: 'overwritten' } },
      expected: { ...REFUSED_TOKEN, withoutKey: 401, withKey: 401 },
    },
  ],
  // Public like the web app's files.
  'GET /sales/catalogue': [
    {
      what: 'the sales catalogue',
      method: 'GET',
      path: () => '/sales/catalogue',
      expected: OPEN_TO_ALL,
    },
  ],
};

function templateHttpRoutes(): string[] {
  const declared = (platform.template.httpApi?.routes ?? []).map((route) => `${route.method} ${route.path}`);
  const events = platform.template.functions.flatMap((fn) =>
    fn.events.flatMap((event) => (event.kind === 'HttpApi' ? [`${event.method} ${event.path}`] : [])),
  );
  return [...declared, ...events].sort();
}

describe('authorisation matrix: HTTP API', () => {
  it('has an expectation for every HTTP route of the template', () => {
    expect(Object.keys(HTTP_MATRIX).sort()).toEqual(templateHttpRoutes());
  });

  for (const [routeKey, probes] of Object.entries(HTTP_MATRIX)) {
    for (const probe of probes) {
      it.each(CALLERS)(`${routeKey} (${probe.what}), caller %s`, async (caller) => {
        const { status, text } = await http(probe.method, probe.path(), caller, probe.body);
        expect(status).toBe(probe.expected[caller]);
        if (status >= 400) {
          expect(ErrorBodySchema.parse(JSON.parse(text)).error.code).toBe(
            status === 401 ? 'Unauthorized' : 'Forbidden',
          );
          expect(text).not.toContain(SECRET);
        } else probe.allowed?.(text, caller);
      });
    }
  }

  it('serves the web app to everyone (static files stay public)', async () => {
    const statuses = await Promise.all(
      CALLERS.map(async (caller) => (await http('GET', '/', caller)).status),
    );
    expect(new Set(statuses).size).toBe(1);
    expect([401, 403]).not.toContain(statuses[0]);
  });

  it('kept the item as it was: no refused write went through', async () => {
    const { text } = await http('GET', `/items/${VEHICLE}`, 'withKey');
    expect(text).toContain(SECRET);
    expect(text).not.toContain('overwritten');
  });
});

describe('ingest API keys limited to key patterns', () => {
  it('takes readings of its own keys and refuses, whole, a batch with one key outside them', async () => {
    const own = await postJson(
      platform.endpoints.http,
      '/readings',
      { vehicleId: 'mx-fleet', data: { speed: 1 } },
      { 'x-api-key': FLEET_KEY },
    );
    expect(own.status).toBe(202);
    const outside = await postJson(
      platform.endpoints.http,
      '/readings',
      {
        readings: [
          { vehicleId: 'mx-batch', data: { speed: 2 } },
          { vehicleId: `product-${PRODUCT_ID}`, channel: 'bid', data: { amount: 999999999 } },
        ],
      },
      { 'x-api-key': FLEET_KEY },
    );
    expect(outside.status).toBe(403);
    expect(ErrorBodySchema.parse(outside.body).error.message).toContain(`product-${PRODUCT_ID}`);
    const admin = await mintDevToken({ sub: 'admin', keys: ['*'] });
    for (const key of ['mx-batch', `product-${PRODUCT_ID}`]) {
      const response = await fetch(`${platform.endpoints.http}/items/${key}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(await response.json()).toEqual({ key, items: [] });
    }
  });
});

interface WsProbe {
  /** The message sent (undefined: the connect itself is the probe). */
  message?: unknown;
  /** The reply of a caller whose token covers the key, and of one whose token does not. */
  withKey: Record<string, unknown>;
  withoutKey: Record<string, unknown>;
}

const FORBIDDEN = { type: 'error', code: 'Forbidden' };

/** Every WebSocket route of the template but `$disconnect` (nothing answers it). */
const WS_MATRIX: Record<string, WsProbe> = {
  $connect: { withKey: { type: 'ack', action: 'ping' }, withoutKey: { status: 403 } },
  $default: {
    message: { action: 'no-such-action' },
    withKey: { type: 'error', code: 'ValidationError' },
    withoutKey: { type: 'error', code: 'ValidationError' },
  },
  subscribe: {
    message: { action: 'subscribe', key: VEHICLE },
    withKey: { type: 'ack', action: 'subscribe' },
    withoutKey: FORBIDDEN,
  },
  unsubscribe: {
    message: { action: 'unsubscribe', key: VEHICLE },
    withKey: { type: 'ack', action: 'unsubscribe' },
    withoutKey: { type: 'ack', action: 'unsubscribe' },
  },
  sync: {
    message: { action: 'sync', key: VEHICLE },
    withKey: { type: 'snapshot', key: VEHICLE, items: [{ data: { note: SECRET } }] },
    withoutKey: FORBIDDEN,
  },
  ping: { message: { action: 'ping' }, withKey: { type: 'ack' }, withoutKey: { type: 'ack' } },
  publish: {
    message: { action: 'publish', room: ROOM, text: 'hello' },
    withKey: { type: 'ack', action: 'publish' },
    withoutKey: FORBIDDEN,
  },
  edit: {
    message: { action: 'edit', room: ROOM, messageId: 'no-such-message', text: 'changed' },
    withKey: { type: 'error', code: 'NotFound' },
    withoutKey: FORBIDDEN,
  },
  delete: {
    message: { action: 'delete', room: ROOM, messageId: 'no-such-message' },
    withKey: { type: 'error', code: 'NotFound' },
    withoutKey: FORBIDDEN,
  },
  command: {
    message: { action: 'command', vehicleId: VEHICLE, command: 'honk' },
    withKey: { type: 'ack', action: 'command' },
    withoutKey: FORBIDDEN,
  },
  // Past the claims check: the catalogue has no such product (a refusal would be Forbidden).
  bid: {
    message: { action: 'bid', productId: PRODUCT_ID, amount: 5 },
    withKey: { type: 'error', code: 'NotFound', action: 'bid' },
    withoutKey: FORBIDDEN,
  },
};

/** Connects as `caller`: a covered key for withoutKey (its $connect must pass to reach the actions). */
async function connectAs(caller: Caller, connectKey: string): Promise<TestClient | number> {
  const token = tokens[caller];
  // Bids need a user name on the connection.
  const query = `vehicleId=${encodeURIComponent(connectKey)}&user=${caller}${token ? `&token=${token}` : ''}`;
  try {
    const client = await connectClient(`${platform.endpoints.websocket}/?${query}`);
    clients.push(client);
    return client;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** The first reply to an action: its ack, snapshot or error (item frames of subscriptions aside). */
async function replyOf(client: TestClient, message: unknown): Promise<Record<string, unknown>> {
  const from = client.frames.length;
  client.send(message);
  const isReply = (frame: { type: string }) => ['ack', 'snapshot', 'error'].includes(frame.type);
  await waitFor(() => client.frames.slice(from).some(isReply), `the reply to ${JSON.stringify(message)}`);
  return client.frames.slice(from).find(isReply) as Record<string, unknown>;
}

describe('authorisation matrix: WebSocket API', () => {
  it('has an expectation for every WebSocket route of the template', () => {
    const routes = (platform.template.webSocketApi?.routes ?? [])
      .map((route) => route.routeKey)
      .filter((routeKey) => routeKey !== '$disconnect');
    expect(Object.keys(WS_MATRIX).sort()).toEqual(routes.sort());
  });

  for (const [routeKey, probe] of Object.entries(WS_MATRIX)) {
    it.each(CALLERS)(`${routeKey}, caller %s`, async (caller) => {
      if (caller in REFUSED_TOKEN) {
        expect(await connectAs(caller, VEHICLE)).toBe(401);
        return;
      }
      if (caller === 'withoutKey' && routeKey === '$connect') {
        expect(await connectAs(caller, VEHICLE)).toBe(403);
        return;
      }
      const client = await connectAs(caller, caller === 'withKey' ? VEHICLE : 'elsewhere-1');
      if (typeof client === 'number') throw new Error(`$connect refused with ${client}`);
      const reply = await replyOf(client, probe.message ?? { action: 'ping' });
      expect(reply).toMatchObject(caller === 'withKey' ? probe.withKey : probe.withoutKey);
      if (caller === 'withoutKey') expect(JSON.stringify(client.frames)).not.toContain(SECRET);
      expect(client.invalid).toEqual([]);
    });
  }
});
