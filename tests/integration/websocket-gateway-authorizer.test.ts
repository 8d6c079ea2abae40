import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketGateway, type WebSocketRouteEvent } from '#local/gateway/websocket-gateway.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { localArn } from '#local/template/local-identity.ts';
import type { WebSocketApiModel } from '#local/template/model.ts';
import { waitFor } from '../helpers/platform.ts';

/** The local gateway runs a `$connect` REQUEST authorizer the way API Gateway does. */
type Fn = (event: Record<string, unknown>) => unknown;

const gateways: WebSocketGateway[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

async function start(authorizer: Fn, calls: Array<{ id: string; event: Record<string, unknown> }>) {
  const functions: Record<string, Fn> = {
    Authorizer: authorizer,
    Connect: () => ({ statusCode: 200 }),
    Disconnect: () => ({ statusCode: 200 }),
    Default: () => ({ statusCode: 200 }),
  };
  const invoker: LambdaInvoker = {
    invoke: async (id, event) => {
      calls.push({ id, event: event as Record<string, unknown> });
      return (functions[id] as Fn)(event as Record<string, unknown>);
    },
  };
  const api: WebSocketApiModel = {
    logicalId: 'Api',
    routeSelectionExpression: '$request.body.action',
    stageName: 'develop',
    routes: [
      {
        routeKey: '$connect',
        functionLogicalId: 'Connect',
        authorizer: {
          logicalId: 'Auth',
          functionLogicalId: 'Authorizer',
          identitySource: ['route.request.querystring.token'],
        },
      },
      { routeKey: '$disconnect', functionLogicalId: 'Disconnect' },
      { routeKey: '$default', functionLogicalId: 'Default' },
    ],
  };
  const gateway = new WebSocketGateway({ api, invoker, logger: { error: () => {} } });
  gateways.push(gateway);
  await gateway.start();
  return gateway;
}

function connect(url: string): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    sockets.push(socket);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', reject);
  });
}

const policy = (effect: 'Allow' | 'Deny', resource = '*') => ({
  principalId: 'alice',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  },
  context: { keys: '3', nested: { dropped: true }, n: 1 },
});

describe('WebSocketGateway with a $connect authorizer', () => {
  it('answers 401 without invoking anything when the identity source is missing', async () => {
    const calls: Array<{ id: string; event: Record<string, unknown> }> = [];
    const gateway = await start(() => policy('Allow'), calls);
    expect(await connect(`${gateway.url}/?vehicleId=3`)).toBe(401);
    expect(calls).toEqual([]);
  });

  it('answers 401 when the authorizer throws Unauthorized, 500 when it fails otherwise, 403 on Deny', async () => {
    const calls: Array<{ id: string; event: Record<string, unknown> }> = [];
    let behaviour: () => unknown = () => {
      throw new Error('Unauthorized');
    };
    const gateway = await start(() => behaviour(), calls);
    expect(await connect(`${gateway.url}/?token=t`)).toBe(401);
    behaviour = () => {
      throw new Error('boom');
    };
    expect(await connect(`${gateway.url}/?token=t`)).toBe(500);
    behaviour = () => policy('Deny');
    expect(await connect(`${gateway.url}/?token=t`)).toBe(403);
    behaviour = () => policy('Allow', localArn('execute-api', 'other/develop/$connect'));
    expect(await connect(`${gateway.url}/?token=t`)).toBe(403);
    behaviour = () => ({ nonsense: true });
    expect(await connect(`${gateway.url}/?token=t`)).toBe(500);
    expect(calls.every((call) => call.id === 'Authorizer')).toBe(true);
  });

  it('on Allow passes principalId and scalar context to $connect and every later event of the connection', async () => {
    const calls: Array<{ id: string; event: Record<string, unknown> }> = [];
    const gateway = await start(() => policy('Allow'), calls);
    const socket = (await connect(`${gateway.url}/?token=t&vehicleId=3`)) as WebSocket;
    socket.send('{"action":"x"}');
    await waitFor(() => calls.some((call) => call.id === 'Default'), 'the $default event');
    socket.close();
    await waitFor(() => calls.some((call) => call.id === 'Disconnect'), 'the $disconnect event');

    const authorizerEvent = calls.find((call) => call.id === 'Authorizer')?.event;
    expect(authorizerEvent).toMatchObject({
      type: 'REQUEST',
      methodArn: localArn('execute-api', 'local/develop/$connect'),
      queryStringParameters: { token: 't', vehicleId: '3' },
    });
    const context = { principalId: 'alice', keys: '3', n: 1 };
    for (const id of ['Connect', 'Default', 'Disconnect']) {
      const event = calls.find((call) => call.id === id)?.event as unknown as WebSocketRouteEvent;
      expect(event.requestContext.authorizer).toEqual(context);
    }
  });
});
