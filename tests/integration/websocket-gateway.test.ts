import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketRouteEvent } from '#local/gateway/websocket-gateway.ts';
import { WebSocketGateway } from '#local/gateway/websocket-gateway.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { WebSocketApiModel } from '#local/template/model.ts';
import { DEFAULT_WAIT_MS } from '../helpers/platform.ts';

type TestFunction = (event: WebSocketRouteEvent) => unknown;

/** Plain functions by logical id, recording every event they receive. */
class FunctionTable implements LambdaInvoker {
  readonly calls: Array<{ functionLogicalId: string; event: WebSocketRouteEvent }> = [];
  constructor(readonly functions: Record<string, TestFunction>) {}

  async invoke(functionLogicalId: string, event: unknown): Promise<unknown> {
    const fn = this.functions[functionLogicalId];
    if (!fn) throw new Error(`no function ${functionLogicalId}`);
    this.calls.push({ functionLogicalId, event: event as WebSocketRouteEvent });
    return fn(event as WebSocketRouteEvent);
  }

  eventsOf(functionLogicalId: string): WebSocketRouteEvent[] {
    return this.calls
      .filter((call) => call.functionLogicalId === functionLogicalId)
      .map((call) => call.event);
  }
}

const silentLogger = { error: () => {} };

function apiModel(routes: Record<string, string>): WebSocketApiModel {
  return {
    logicalId: 'WebSocketApi',
    routeSelectionExpression: '$request.body.action',
    stageName: 'develop',
    routes: Object.entries(routes).map(([routeKey, functionLogicalId]) => ({ routeKey, functionLogicalId })),
  };
}

const standardRoutes = {
  $connect: 'ConnectFunction',
  $disconnect: 'DisconnectFunction',
  $default: 'DefaultFunction',
  subscribe: 'SubscribeFunction',
};

function managementClient(gateway: WebSocketGateway): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

const openSockets = new Set<WebSocket>();

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    openSockets.add(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => reject(Object.assign(new Error('rejected'), { statusCode: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

function nextFrame(ws: WebSocket): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve) => {
    ws.once('message', (data, isBinary) => resolve({ text: data.toString(), isBinary }));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** Polls `probe` until it gives a value, and returns it (the shared waitFor only waits). */
async function waitFor<T>(probe: () => T | undefined, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The connection id the `$connect` function saw last. */
function lastConnectionId(functions: FunctionTable): string {
  const events = functions.eventsOf('ConnectFunction');
  return events[events.length - 1]!.requestContext.connectionId;
}

/**
 * Opens and drops one more connection and waits for its `$disconnect`: a close the gateway saw
 * earlier has had its `$disconnect` by then, so one that has not fired is not coming.
 */
async function laterDisconnect(gateway: WebSocketGateway, functions: FunctionTable): Promise<void> {
  const ws = await connect(`${gateway.url}/?vehicleId=3`);
  const connectionId = lastConnectionId(functions);
  ws.terminate();
  await waitFor(() =>
    functions.eventsOf('DisconnectFunction').some((e) => e.requestContext.connectionId === connectionId),
  );
}

afterEach(() => {
  for (const ws of openSockets) ws.terminate();
  openSockets.clear();
});

describe('WebSocketGateway', () => {
  let functions: FunctionTable;
  let gateway: WebSocketGateway;
  let client: ApiGatewayManagementApiClient;
  const postedDuringConnect: unknown[] = [];

  beforeAll(async () => {
    functions = new FunctionTable({
      ConnectFunction: async (event) => {
        const query = event.queryStringParameters ?? {};
        if (query.fail === 'throw') throw new Error('boom');
        if (query.fail === 'nostatus') return undefined;
        if (query.postToSelf === '1') {
          try {
            await client.send(
              new PostToConnectionCommand({
                ConnectionId: event.requestContext.connectionId,
                Data: 'too early',
              }),
            );
            postedDuringConnect.push('delivered');
          } catch (error) {
            postedDuringConnect.push(error);
          }
        }
        if (!query.vehicleId) return { statusCode: 400, body: 'vehicleId is required' };
        const protocol = event.headers?.['Sec-WebSocket-Protocol'];
        if (protocol)
          return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': protocol.split(',')[0] } };
        return { statusCode: 200 };
      },
      DisconnectFunction: () => ({ statusCode: 200 }),
      DefaultFunction: (event) => {
        if (event.body === '{"action":"explode"}') throw new Error('handler failed');
        return { statusCode: 200 };
      },
      SubscribeFunction: () => ({ statusCode: 200 }),
    });
    gateway = new WebSocketGateway({
      api: apiModel(standardRoutes),
      invoker: functions,
      logger: silentLogger,
    });
    await gateway.start();
    client = managementClient(gateway);
  });

  afterAll(async () => {
    client?.destroy();
    await gateway?.close();
  });

  describe('$connect', () => {
    it('accepts the upgrade when $connect returns 2xx and passes the API Gateway CONNECT event', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3&tag=a&tag=b`, { 'X-Device': 'dash-1' });
      expect(ws.readyState).toBe(WebSocket.OPEN);

      const event = functions.eventsOf('ConnectFunction').at(-1)!;
      const context = event.requestContext;
      expect(context.routeKey).toBe('$connect');
      expect(context.eventType).toBe('CONNECT');
      expect(context.connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
      expect(context.requestId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
      expect(context.domainName).toBe(`127.0.0.1:${gateway.port}`);
      expect(context.stage).toBe('develop');
      expect(context.apiId).toBe('local');
      expect(context.messageDirection).toBe('IN');
      expect(context.connectedAt).toBe(context.requestTimeEpoch);
      expect(context.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(context.identity.sourceIp).toBe('127.0.0.1');
      expect(event.headers?.['X-Device']).toBe('dash-1');
      expect(event.headers?.['Sec-WebSocket-Key']).toBeDefined();
      expect(event.multiValueHeaders?.['X-Device']).toEqual(['dash-1']);
      expect(event.queryStringParameters).toEqual({ vehicleId: '3', tag: 'b' });
      expect(event.multiValueQueryStringParameters).toEqual({ vehicleId: ['3'], tag: ['a', 'b'] });
      expect(event.isBase64Encoded).toBe(false);
    });

    it('accepts the stage path like the AWS URL', async () => {
      const ws = await connect(`${gateway.url}/develop?vehicleId=3`);
      expect(ws.readyState).toBe(WebSocket.OPEN);
    });

    it('selects the subprotocol $connect returns in Sec-WebSocket-Protocol', async () => {
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(`${gateway.url}/?vehicleId=3`, ['rtp.v1', 'rtp.v0']);
        openSockets.add(socket);
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
      expect(ws.protocol).toBe('rtp.v1');
    });

    it('rejects the upgrade with the status and body $connect returns', async () => {
      await expect(connect(gateway.url)).rejects.toMatchObject({
        statusCode: 400,
        body: 'vehicleId is required',
      });
      expect(gateway.stats().openConnections).toBe(0);
    });

    it('answers 502 when $connect throws or returns no status code', async () => {
      await expect(connect(`${gateway.url}/?vehicleId=3&fail=throw`)).rejects.toMatchObject({
        statusCode: 502,
      });
      await expect(connect(`${gateway.url}/?vehicleId=3&fail=nostatus`)).rejects.toMatchObject({
        statusCode: 502,
      });
    });

    it('answers 410 to posts made while $connect is still running', async () => {
      await connect(`${gateway.url}/?vehicleId=3&postToSelf=1`);
      const outcome = postedDuringConnect.at(-1);
      expect(outcome).toBeInstanceOf(GoneException);
    });

    it('does not invoke $disconnect for a rejected connection', async () => {
      await expect(connect(gateway.url)).rejects.toMatchObject({ statusCode: 400 });
      const rejectedId = lastConnectionId(functions);
      await laterDisconnect(gateway, functions);
      const disconnected = functions.eventsOf('DisconnectFunction').map((e) => e.requestContext.connectionId);
      expect(disconnected).not.toContain(rejectedId);
    });
  });

  describe('route selection', () => {
    it('routes a message to the route named by its action', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      ws.send('{"action":"subscribe","key":"4"}');

      const event = await waitFor(() =>
        functions.eventsOf('SubscribeFunction').find((e) => e.requestContext.connectionId === connectionId),
      );
      expect(event.body).toBe('{"action":"subscribe","key":"4"}');
      expect(event.isBase64Encoded).toBe(false);
      expect(event.requestContext).toMatchObject({
        routeKey: 'subscribe',
        eventType: 'MESSAGE',
        connectionId,
        stage: 'develop',
        messageDirection: 'IN',
      });
      expect(event.requestContext.messageId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    });

    it('falls back to $default for unknown actions, non-JSON bodies and reserved route names', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const bodies = [
        '{"action":"dance"}',
        'not json',
        '{"action":"$connect"}',
        '[1,2]',
        '{"action":{"x":1}}',
      ];
      for (const body of bodies) ws.send(body);

      const events = await waitFor(() => {
        const mine = functions
          .eventsOf('DefaultFunction')
          .filter((e) => e.requestContext.connectionId === connectionId);
        return mine.length === bodies.length ? mine : undefined;
      });
      expect(events.map((e) => e.body).sort()).toEqual([...bodies].sort());
      expect(new Set(events.map((e) => e.requestContext.routeKey))).toEqual(new Set(['$default']));
    });

    it('sends the Internal server error frame when the route function throws', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const frame = nextFrame(ws);
      ws.send('{"action":"explode"}');
      const error = JSON.parse((await frame).text);
      expect(error).toEqual({
        message: 'Internal server error',
        connectionId,
        requestId: expect.stringMatching(/=$/),
      });
      expect(ws.readyState).toBe(WebSocket.OPEN);
    });

    it('sends the Forbidden error frame when no route matches and there is no $default', async () => {
      const strict = new FunctionTable({ SubscribeFunction: () => ({ statusCode: 200 }) });
      const noDefault = new WebSocketGateway({
        api: apiModel({ subscribe: 'SubscribeFunction' }),
        invoker: strict,
        logger: silentLogger,
      });
      await noDefault.start();
      try {
        const ws = await connect(noDefault.url);
        const frame = nextFrame(ws);
        ws.send('{"action":"dance"}');
        const error = JSON.parse((await frame).text);
        expect(error).toEqual({
          message: 'Forbidden',
          connectionId: expect.stringMatching(/=$/),
          requestId: expect.stringMatching(/=$/),
        });
        ws.send('{"action":"subscribe"}');
        await waitFor(() => strict.eventsOf('SubscribeFunction').length === 1);
      } finally {
        await noDefault.close();
      }
    });

    it('routes on a nested path and on template expressions', async () => {
      const nested = new FunctionTable({ A: () => ({}), B: () => ({}) });
      const gatewayWithNested = new WebSocketGateway({
        api: {
          ...apiModel({ 'chat/send': 'A', $default: 'B' }),
          // biome-ignore lint/suspicious/noTemplateCurlyInString: API Gateway's selection template syntax
          routeSelectionExpression: '${request.body.service}/${request.body.meta.action}',
        },
        invoker: nested,
        logger: silentLogger,
      });
      await gatewayWithNested.start();
      try {
        const ws = await connect(gatewayWithNested.url);
        ws.send('{"service":"chat","meta":{"action":"send"}}');
        ws.send('{"service":"chat"}');
        await waitFor(() => nested.eventsOf('A').length === 1 && nested.eventsOf('B').length === 1);
        expect(nested.eventsOf('A').map((event) => event.requestContext.routeKey)).toEqual(['chat/send']);
        expect(nested.eventsOf('B').map((event) => event.body)).toEqual(['{"service":"chat"}']);
      } finally {
        await gatewayWithNested.close();
      }
    });
  });

  describe('$disconnect', () => {
    it('fires once, after the client drops without a close frame', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      ws.terminate();

      const disconnects = () =>
        functions
          .eventsOf('DisconnectFunction')
          .filter((e) => e.requestContext.connectionId === connectionId);
      const [event] = await waitFor(() => (disconnects().length > 0 ? disconnects() : undefined));
      expect(event!.requestContext).toMatchObject({
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: 1006,
        connectionId,
      });
      await laterDisconnect(gateway, functions);
      expect(disconnects()).toHaveLength(1);
      await expect(
        client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' })),
      ).rejects.toBeInstanceOf(GoneException);
    });

    it('reports the close code and reason the client sent', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      ws.close(1000, 'bye');
      const event = await waitFor(() =>
        functions.eventsOf('DisconnectFunction').find((e) => e.requestContext.connectionId === connectionId),
      );
      expect(event.requestContext.disconnectStatusCode).toBe(1000);
      expect(event.requestContext.disconnectReason).toBe('bye');
    });
  });

  describe('@connections', () => {
    it('PostToConnection delivers the data as one text frame', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const frame = nextFrame(ws);
      const output = await client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"type":"item","key":"3"}' }),
      );
      expect(output.$metadata.httpStatusCode).toBe(200);
      expect(await frame).toEqual({ text: '{"type":"item","key":"3"}', isBinary: false });
    });

    it('keeps the order of frames posted to one connection', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const received: string[] = [];
      ws.on('message', (data) => received.push(data.toString()));
      for (let i = 0; i < 20; i++) {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: String(i) }));
      }
      await waitFor(() => received.length === 20);
      expect(received).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    });

    it('PostToConnection to a gone connection throws GoneException with status 410', async () => {
      const error = await client
        .send(new PostToConnectionCommand({ ConnectionId: 'ZcX1AbCdIAMCJ2Q=', Data: 'x' }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
      expect((error as GoneException).name).toBe('GoneException');
    });

    it('PostToConnection over 128 KB throws PayloadTooLargeException', async () => {
      await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const error = await client
        .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(128 * 1024 + 1) }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeException);
      expect((error as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
      const atLimit = await client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x'.repeat(128 * 1024) }),
      );
      expect(atLimit.$metadata.httpStatusCode).toBe(200);
    });

    it('GetConnection returns connectedAt, identity and lastActiveAt', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`, { 'User-Agent': 'dashboard-test/1.0' });
      const connectionId = lastConnectionId(functions);
      const before = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(before.ConnectedAt).toBeInstanceOf(Date);
      expect(before.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'dashboard-test/1.0' });
      expect(before.LastActiveAt?.getTime()).toBe(before.ConnectedAt?.getTime());

      // LastActiveAt has millisecond resolution: act in a later millisecond than the connect.
      await waitFor(() => Date.now() > before.ConnectedAt!.getTime());
      ws.send('{"action":"subscribe","key":"9"}');
      await waitFor(() =>
        functions.eventsOf('SubscribeFunction').find((e) => e.requestContext.connectionId === connectionId),
      );
      const after = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(after.LastActiveAt!.getTime()).toBeGreaterThan(after.ConnectedAt!.getTime());
    });

    it('DeleteConnection closes the connection, then $disconnect fires and posts answer 410', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const wsClosed = closed(ws);
      const output = await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      expect(output.$metadata.httpStatusCode).toBe(204);
      await expect(
        client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' })),
      ).rejects.toBeInstanceOf(GoneException);
      await wsClosed;
      await waitFor(() =>
        functions.eventsOf('DisconnectFunction').find((e) => e.requestContext.connectionId === connectionId),
      );
      await expect(
        client.send(new GetConnectionCommand({ ConnectionId: connectionId })),
      ).rejects.toBeInstanceOf(GoneException);
    });

    it('serves the management API without the stage prefix and forbids other stages', async () => {
      await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = encodeURIComponent(lastConnectionId(functions));
      const plain = await fetch(`${gateway.url.replace('ws:', 'http:')}/@connections/${connectionId}`);
      expect(plain.status).toBe(200);
      const otherStage = await fetch(
        `${gateway.url.replace('ws:', 'http:')}/prod/@connections/${connectionId}`,
      );
      expect(otherStage.status).toBe(403);
      expect(otherStage.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
      const gone = await fetch(`${gateway.managementEndpoint}/@connections/nope`, {
        method: 'POST',
        body: 'x',
      });
      expect(gone.status).toBe(410);
      expect(gone.headers.get('x-amzn-errortype')).toBe('GoneException');
      expect(await gone.json()).toEqual({ message: null });
    });

    it('offers the same outcomes in-process', async () => {
      const ws = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const frame = nextFrame(ws);
      expect(gateway.postToConnection(connectionId, 'direct').statusCode).toBe(200);
      expect((await frame).text).toBe('direct');
      expect(gateway.postToConnection(connectionId, 'x'.repeat(128 * 1024 + 1)).statusCode).toBe(413);
      expect(gateway.postToConnection('missing', 'x')).toMatchObject({
        statusCode: 410,
        headers: { 'x-amzn-errortype': 'GoneException' },
      });
      expect(JSON.parse(gateway.getConnection(connectionId).body)).toMatchObject({
        identity: { sourceIp: '127.0.0.1' },
      });
    });

    it('counts open connections, posted frames and gone responses', async () => {
      // Sockets of earlier tests are cut in afterEach; let the gateway see them go first.
      await waitFor(() => gateway.stats().openConnections === 0);
      const before = gateway.stats();
      await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' }));
      await client.send(new PostToConnectionCommand({ ConnectionId: 'gone', Data: 'x' })).catch(() => {});
      const after = gateway.stats();
      expect(after.openConnections).toBe(before.openConnections + 1);
      expect(after.framesPosted).toBe(before.framesPosted + 1);
      expect(after.goneResponses).toBe(before.goneResponses + 1);
    });
  });

  describe('connection limits', () => {
    it('closes a binary frame with 1003 and a message over 128 KB with 1009', async () => {
      const binary = await connect(`${gateway.url}/?vehicleId=3`);
      const binaryClosed = closed(binary);
      binary.send(Buffer.from([1, 2, 3]));
      expect((await binaryClosed).code).toBe(1003);

      const large = await connect(`${gateway.url}/?vehicleId=3`);
      const connectionId = lastConnectionId(functions);
      const largeClosed = closed(large);
      large.send('x'.repeat(128 * 1024 + 1));
      expect((await largeClosed).code).toBe(1009);
      const event = await waitFor(() =>
        functions.eventsOf('DisconnectFunction').find((e) => e.requestContext.connectionId === connectionId),
      );
      expect(event.requestContext.disconnectStatusCode).toBe(1009);
    });

    it('closes idle connections and connections past the maximum duration with 1001', async () => {
      const limited = new FunctionTable({ Disconnect: () => ({}), Default: () => ({}) });
      const idleGateway = new WebSocketGateway({
        api: apiModel({ $disconnect: 'Disconnect', $default: 'Default' }),
        invoker: limited,
        idleTimeoutMs: 150,
        maxConnectionDurationMs: 400,
        logger: silentLogger,
      });
      await idleGateway.start();
      try {
        const idle = await connect(idleGateway.url);
        const idleClosed = closed(idle);
        const busy = await connect(idleGateway.url);
        const busyClosed = closed(busy);
        const keepAlive = setInterval(() => busy.send('{"action":"ping"}'), 50);
        const idleClose = await idleClosed;
        expect(idleClose.code).toBe(1001);
        expect(busy.readyState).toBe(WebSocket.OPEN);
        const busyClose = await busyClosed;
        clearInterval(keepAlive);
        expect(busyClose.code).toBe(1001);
        await waitFor(() => limited.eventsOf('Disconnect').length === 2);
        for (const event of limited.eventsOf('Disconnect')) {
          expect(event.requestContext.disconnectStatusCode).toBe(1001);
        }
      } finally {
        await idleGateway.close();
      }
    });
  });

  describe('close', () => {
    it('closes open connections, runs their $disconnect and stops listening', async () => {
      const own = new FunctionTable({ Disconnect: () => ({}) });
      const closing = new WebSocketGateway({
        api: apiModel({ $disconnect: 'Disconnect' }),
        invoker: own,
        logger: silentLogger,
      });
      await closing.start();
      const ws = await connect(closing.url);
      const wsClosed = closed(ws);
      await closing.close();
      expect((await wsClosed).code).toBe(1001);
      expect(own.eventsOf('Disconnect')).toHaveLength(1);
      await expect(connect(closing.url)).rejects.toThrow();
    });
  });
});
