import {
  ApiGatewayManagementApiClient,
  type ApiGatewayManagementApiClientConfig,
} from '@aws-sdk/client-apigatewaymanagementapi';

/** The smithy request handler an `ApiGatewayManagementApiClient` sends its HTTP requests through. */
export type ConnectionsRequestHandler = Extract<
  NonNullable<ApiGatewayManagementApiClientConfig['requestHandler']>,
  { handle: unknown }
>;

/** The request handler for an `@connections` endpoint, or undefined for the SDK's own HTTPS one. */
type ConnectionsRequestHandlerLookup = (endpoint: string) => ConnectionsRequestHandler | undefined;

let requestHandlerFor: ConnectionsRequestHandlerLookup = () => undefined;

/**
 * Lets a host that serves `@connections` endpoints inside this process (the local runtime's
 * gateway) hand the clients made after this call its own request handlers. Nothing sets it on Lambda.
 */
export function setConnectionsRequestHandlerLookup(lookup: ConnectionsRequestHandlerLookup): void {
  requestHandlerFor = lookup;
}

/**
 * The `@connections` client of a function. When the host serves `endpoint` itself (see
 * `setConnectionsRequestHandlerLookup`), requests go through its handler instead of a socket; everything
 * else — command serialisation, signing, retries, error parsing — is the SDK's own path. Otherwise it is
 * the plain SDK client over HTTPS (keep-alive is the SDK's default).
 */
export function createManagementApiClient(endpoint: string): ApiGatewayManagementApiClient {
  const requestHandler = requestHandlerFor(endpoint);
  return new ApiGatewayManagementApiClient({ endpoint, ...(requestHandler ? { requestHandler } : {}) });
}
