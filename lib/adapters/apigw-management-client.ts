import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
} from '@aws-sdk/client-apigatewaymanagementapi';

/** The smithy request handler an `ApiGatewayManagementApiClient` sends its HTTP requests through. */
export type ConnectionsRequestHandler = Extract<
  NonNullable<ApiGatewayManagementApiClientConfig['requestHandler']>,
  { handle: unknown }
>;

/**
 * Request handlers registered by an embedding runtime for `@connections` endpoints it serves itself,
 * by endpoint URL. Kept on `globalThis` under a registered symbol so that every module instance of
 * this file (functions are loaded as separate module instances) sees the same registry.
 */
const REGISTRY_KEY = Symbol.for('realtime-platform.connections-request-handlers');

function registry(): Map<string, ConnectionsRequestHandler> {
  const holder = globalThis as { [REGISTRY_KEY]?: Map<string, ConnectionsRequestHandler> };
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

/**
 * Registers the request handler that serves `endpoint` inside this process (the local runtime's
 * gateway); returns the function that removes it.
 */
export function registerConnectionsRequestHandler(
  endpoint: string,
  handler: ConnectionsRequestHandler,
): () => void {
  const handlers = registry();
  handlers.set(endpoint, handler);
  return () => {
    if (handlers.get(endpoint) === handler) handlers.delete(endpoint);
  };
}

/**
 * The `@connections` client of a function. With `inProcess` (set only by the local runtime, never on
 * AWS) and a handler registered for `endpoint`, requests go through that handler instead of a socket;
 * everything else — command serialisation, signing, retries, error parsing — is the SDK's own path.
 * Without one, it is the plain SDK client over HTTPS (keep-alive is the SDK's default).
 */
export function createManagementApiClient(
  endpoint: string,
  options: { inProcess?: boolean } = {},
): ApiGatewayManagementApiClient {
  const requestHandler = options.inProcess ? registry().get(endpoint) : undefined;
  return new ApiGatewayManagementApiClient({ endpoint, ...(requestHandler ? { requestHandler } : {}) });
}
