import {
  type ConnectionsRequestHandler,
  setConnectionsRequestHandlerLookup,
} from '#adapters/apigw-management-client.ts';
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

/** The in-process handlers by `@connections` endpoint: one per platform started in this process. */
const handlers = new Map<string, ConnectionsRequestHandler>();

/**
 * Makes the `@connections` clients created from now on for the gateway's endpoint post through the
 * gateway in this process (`inProcessConnectionsHandler`); call before the functions load, as their
 * clients are made at cold start. Returns the function that stops it for clients made later.
 */
export function serveConnectionsInProcess(gateway: WebSocketGateway): () => void {
  const endpoint = gateway.managementEndpoint;
  const handler = inProcessConnectionsHandler(gateway);
  handlers.set(endpoint, handler);
  setConnectionsRequestHandlerLookup((candidate) => handlers.get(candidate));
  return () => {
    if (handlers.get(endpoint) === handler) handlers.delete(endpoint);
  };
}

/**
 * A smithy request handler that hands `@connections` requests straight to the local gateway
 * (`handleManagementRequest`), with the same status codes, headers and bodies its HTTP endpoint
 * answers. The SDK's middleware stack runs unchanged; only the socket round trip (and ~1 ms of HTTP
 * client CPU per call) is skipped.
 */
function inProcessConnectionsHandler(gateway: WebSocketGateway): ConnectionsRequestHandler {
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
