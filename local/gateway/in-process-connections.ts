import type { ConnectionsRequestHandler } from '#adapters/apigw-management-client.ts';
import type { WebSocketGateway } from './websocket-gateway.ts';

type HandlerRequest = Parameters<ConnectionsRequestHandler['handle']>[0];

async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array();
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return body;
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }
  throw new TypeError('unsupported @connections request body');
}

/**
 * A smithy request handler that hands `@connections` requests straight to the local gateway
 * (`handleManagementRequest`), with the same status codes, headers and bodies its HTTP endpoint
 * answers. The SDK's middleware stack runs unchanged; only the socket round trip (and ~1 ms of HTTP
 * client CPU per call) is skipped.
 */
export function inProcessConnectionsHandler(gateway: WebSocketGateway): ConnectionsRequestHandler {
  return {
    async handle(request: HandlerRequest) {
      const body = await bodyBytes(request.body);
      const response = gateway.handleManagementRequest(request.method, request.path, body) ?? {
        statusCode: 403,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ForbiddenException' },
        body: '{"message":"Forbidden"}',
      };
      const payload = Buffer.from(response.body);
      return {
        response: {
          statusCode: response.statusCode,
          reason: undefined,
          headers: { ...response.headers, 'content-length': String(payload.length) },
          body: payload,
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  } as ConnectionsRequestHandler;
}
