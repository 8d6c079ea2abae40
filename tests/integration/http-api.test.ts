import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApi } from '#local/gateway/http-api.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { FunctionModel } from '#local/template/model.ts';

type TestFunction = (event: APIGatewayProxyEventV2) => unknown;

/** Plain functions by logical id, recording every event they receive. */
class FunctionTable implements LambdaInvoker {
  readonly events: Array<{ functionLogicalId: string; event: APIGatewayProxyEventV2 }> = [];
  constructor(readonly functions: Record<string, TestFunction>) {}

  async invoke(functionLogicalId: string, event: unknown): Promise<unknown> {
    const fn = this.functions[functionLogicalId];
    if (!fn) throw new Error(`no function ${functionLogicalId}`);
    this.events.push({ functionLogicalId, event: event as APIGatewayProxyEventV2 });
    return fn(event as APIGatewayProxyEventV2);
  }

  lastEventOf(functionLogicalId: string): APIGatewayProxyEventV2 {
    const calls = this.events.filter((call) => call.functionLogicalId === functionLogicalId);
    return calls[calls.length - 1]!.event;
  }
}

function fn(logicalId: string, routes: Array<[method: string, path: string]>): FunctionModel {
  return {
    logicalId,
    entryPoint: `/nowhere/${logicalId}.ts`,
    exportName: 'handler',
    timeoutSeconds: 10,
    memorySize: 256,
    environment: {},
    events: routes.map(([method, path], i) => ({ kind: 'HttpApi', name: `Route${i}`, method, path })),
  };
}

const silentLogger = { error: () => {} };

describe('HttpApi', () => {
  const functions = new FunctionTable({
    ReadingsFunction: (event) => ({
      statusCode: 202,
      headers: { 'Content-Type': 'application/json', 'X-Accepted': 1 },
      body: JSON.stringify({ accepted: JSON.parse(event.body ?? '{}').readings?.length ?? 1 }),
    }),
    ItemsFunction: (event) => ({ key: event.pathParameters?.key, items: [] }),
    FilesFunction: (event) => ({ statusCode: 200, body: event.pathParameters?.proxy ?? '' }),
    ThrowingFunction: () => {
      throw new Error('handler failed');
    },
    SlowFunction: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 400)),
    MalformedFunction: () => ({ statusCode: 200, body: { not: 'a string' } }),
    BinaryFunction: () => ({
      statusCode: 200,
      headers: { 'content-type': 'image/png' },
      cookies: ['a=1; Path=/', 'b=2'],
      body: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'),
      isBase64Encoded: true,
    }),
    HealthFunction: () => ({ statusCode: 200, body: 'from function' }),
  });
  const api = new HttpApi({
    functions: [
      fn('ReadingsFunction', [['POST', '/readings']]),
      fn('ItemsFunction', [['GET', '/items/{key}']]),
      fn('FilesFunction', [['ANY', '/files/{proxy+}']]),
      fn('ThrowingFunction', [['GET', '/boom']]),
      fn('SlowFunction', [['GET', '/slow']]),
      fn('MalformedFunction', [['GET', '/malformed']]),
      fn('BinaryFunction', [['GET', '/logo.png']]),
      fn('HealthFunction', [['GET', '/health']]),
    ],
    invoker: functions,
    stage: 'develop',
    cors: {
      allowOrigins: ['*'],
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['content-type', 'authorization'],
      maxAgeSeconds: 600,
    },
    maxBodyBytes: 1024,
    integrationTimeoutMs: 200,
    logger: silentLogger,
  });
  api.addLocalRoute('GET', '/health', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  });
  api.addLocalRoute('GET', '/{proxy+}', (_req, res, params) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`static:${params.proxy}`);
  });

  beforeAll(async () => {
    await api.start();
  });

  afterAll(async () => {
    await api.close();
  });

  it('invokes the route function with the payload format 2.0 event', async () => {
    const response = await fetch(`${api.url}/readings?source=rest&tag=a&tag=b`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Device-Id': 'dev-1',
        Cookie: 'session=abc; theme=dark',
      },
      body: JSON.stringify({ readings: [{ vehicleId: '3' }, { vehicleId: '4' }] }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2 });
    expect(response.headers.get('x-accepted')).toBe('1');
    expect(response.headers.get('apigw-requestid')).toMatch(/=$/);

    const event = functions.lastEventOf('ReadingsFunction');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /readings',
      rawPath: '/readings',
      rawQueryString: 'source=rest&tag=a&tag=b',
      queryStringParameters: { source: 'rest', tag: 'a,b' },
      cookies: ['session=abc', 'theme=dark'],
      body: '{"readings":[{"vehicleId":"3"},{"vehicleId":"4"}]}',
      isBase64Encoded: false,
      requestContext: {
        apiId: 'local',
        domainName: `127.0.0.1:${api.port}`,
        routeKey: 'POST /readings',
        stage: 'develop',
        http: { method: 'POST', path: '/readings', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-device-id']).toBe('dev-1');
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers.cookie).toBeUndefined();
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.pathParameters).toBeUndefined();
    expect(event.requestContext.requestId).toBe(response.headers.get('apigw-requestid'));
    expect(event.requestContext.timeEpoch).toBeGreaterThan(Date.now() - 10_000);
  });

  it('passes path parameters and maps a result without statusCode to 200 JSON', async () => {
    const response = await fetch(`${api.url}/items/vehicle%203`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ key: 'vehicle 3', items: [] });
    const event = functions.lastEventOf('ItemsFunction');
    expect(event.routeKey).toBe('GET /items/{key}');
    expect(event.pathParameters).toEqual({ key: 'vehicle 3' });
    expect(event.rawPath).toBe('/items/vehicle%203');
    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
  });

  it('routes the stage-prefixed path like the AWS URL, keeping the prefix in rawPath', async () => {
    const response = await fetch(`${api.url}/develop/items/7`);
    expect(response.status).toBe(200);
    expect(functions.lastEventOf('ItemsFunction')).toMatchObject({
      rawPath: '/develop/items/7',
      pathParameters: { key: '7' },
    });
  });

  it('matches greedy paths with ANY', async () => {
    const response = await fetch(`${api.url}/files/a/b/c.txt`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('a/b/c.txt');
    expect(functions.lastEventOf('FilesFunction').routeKey).toBe('ANY /files/{proxy+}');
  });

  it('sends base64 bodies for non-text content types', async () => {
    await fetch(`${api.url}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'vehicleId=3',
    });
    const event = functions.lastEventOf('ReadingsFunction');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body!, 'base64').toString()).toBe('vehicleId=3');
  });

  it('decodes base64 results and turns cookies into set-cookie headers', async () => {
    const response = await fetch(`${api.url}/logo.png`);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it('answers 404 Not Found for an unknown route or method', async () => {
    const unknown = await fetch(`${api.url}/nothing`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: 'Not Found' });
    const wrongMethod = await fetch(`${api.url}/readings`, { method: 'PUT', body: '{}' });
    expect(wrongMethod.status).toBe(404);
    await wrongMethod.text();
  });

  it('answers 500 Internal Server Error when the function throws or returns a malformed response', async () => {
    for (const path of ['/boom', '/malformed']) {
      const response = await fetch(`${api.url}${path}`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    }
    expect(api.stats().integrationErrors).toBeGreaterThanOrEqual(2);
  });

  it('answers 503 when the function outlives the integration timeout', async () => {
    const response = await fetch(`${api.url}/slow`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });
  });

  it('answers 413 for a body over the limit without invoking the function', async () => {
    const before = api.stats().invocations;
    const response = await fetch(`${api.url}/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(2048),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(api.stats().invocations).toBe(before);
  });

  it('answers CORS preflights and adds the allow-origin header to responses', async () => {
    const preflight = await fetch(`${api.url}/readings`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    expect(preflight.headers.get('access-control-max-age')).toBe('600');

    const response = await fetch(`${api.url}/items/3`, { headers: { origin: 'http://localhost:5173' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    await response.text();
  });

  it('serves local routes, which win over a function on the same route key and lose to more specific routes', async () => {
    const health = await fetch(`${api.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const page = await fetch(`${api.url}/app/index.html`);
    expect(await page.text()).toBe('static:app/index.html');
    const item = await fetch(`${api.url}/items/5`);
    expect(await item.json()).toEqual({ key: '5', items: [] });
    expect(api.routeKeys()).toContain('GET /{proxy+}');
  });

  it('rejects two functions on the same route key', () => {
    expect(
      () =>
        new HttpApi({
          functions: [fn('A', [['GET', '/x']]), fn('B', [['GET', '/x']])],
          invoker: functions,
        }),
    ).toThrow(/GET \/x/);
  });
});

describe('HttpApi JWT authorizer', () => {
  const functions = new FunctionTable({ ItemsFunction: () => ({ statusCode: 200, body: 'items' }) });
  const authorizer = {
    logicalId: 'HttpJwtAuthorizer',
    issuer: 'https://issuer.example',
    audience: ['app'],
    identitySource: ['$request.header.Authorization'],
  };
  const api = new HttpApi({
    functions: [],
    routes: [{ method: 'GET', path: '/items/{key}', functionLogicalId: 'ItemsFunction', authorizer }],
    // Stands in for the signature check: only the token "good" passes.
    verifyJwt: async (_authorizer, token) => {
      if (token !== 'good') throw new Error('invalid');
      return { sub: 'ann', keys: ['3', 'room-*'], exp: 1_900_000_000, email_verified: true };
    },
    invoker: functions,
  });

  beforeAll(async () => {
    await api.start();
  });

  afterAll(async () => {
    await api.close();
  });

  it('passes the claims as API Gateway does: strings, lists as "[a b]"', async () => {
    const response = await fetch(`${api.url}/items/3`, { headers: { authorization: 'Bearer good' } });
    expect(response.status).toBe(200);
    expect(functions.lastEventOf('ItemsFunction').requestContext).toMatchObject({
      authorizer: {
        jwt: { claims: { sub: 'ann', keys: '[3 room-*]', exp: '1900000000', email_verified: 'true' } },
      },
    });
  });

  it('answers 401 with the error body and never invokes the function without a valid token', async () => {
    const before = functions.events.length;
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer bad' },
      { authorization: 'Bearer ' },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${api.url}/items/3`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await response.json()).toMatchObject({ error: { code: 'Unauthorized' } });
    }
    expect(functions.events.length).toBe(before);
  });

  it('refuses to start a JWT route without a verifier', () => {
    expect(
      () =>
        new HttpApi({
          functions: [],
          routes: [{ method: 'GET', path: '/x', functionLogicalId: 'ItemsFunction', authorizer }],
          invoker: functions,
        }),
    ).toThrow(/no verifier/);
  });
});
