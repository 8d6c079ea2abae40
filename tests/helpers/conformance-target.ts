import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform } from './platform.ts';

/**
 * Where the WebSocket conformance suite runs: the local runtime by default, or a deployed stack when
 * `RTP_CONFORMANCE_WS_URL` (the stack's `WebSocketUrl` output) and `RTP_CONFORMANCE_CONNECTIONS_URL`
 * (its `ConnectionsUrl` output) are set. A deployed target also needs
 * `RTP_CONFORMANCE_CONNECTIONS_TABLE` (the `ConnectionsTableName` output, to find connection ids),
 * `RTP_CONFORMANCE_HTTP_URL` (the `HttpApiUrl` output, where readings are posted) with
 * `RTP_CONFORMANCE_API_KEY` (one of its `IngestApiKeys`; none for an open stack), optionally `RTP_CONFORMANCE_TOKEN` (a JWT when the stack runs with `AuthMode=jwt`) and
 * `RTP_CONFORMANCE_KEY_ATTRIBUTE` (default `vehicleId`); AWS credentials come from the usual chain.
 */
export interface ConformanceTarget {
  name: string;
  wsUrl: string;
  keyAttribute: string;
  /** Appended to every connect URL (`&token=…` for a deployed stack with auth on). */
  connectSuffix: string;
  management: ApiGatewayManagementApiClient;
  /** Ids of the connections subscribed to `key` (the store's GSI, as the fan-out finds them). */
  connectionIdsOf(key: string): Promise<string[]>;
  /** POSTs one reading to `/readings` and resolves with the status (202 when accepted). */
  postReading(reading: Record<string, unknown>): Promise<number>;
  stop(): Promise<void>;
}

export async function startConformanceTarget(): Promise<ConformanceTarget> {
  const wsUrl = process.env.RTP_CONFORMANCE_WS_URL;
  const connectionsUrl = process.env.RTP_CONFORMANCE_CONNECTIONS_URL;
  if (wsUrl && connectionsUrl) {
    const table = process.env.RTP_CONFORMANCE_CONNECTIONS_TABLE;
    if (!table) throw new Error('RTP_CONFORMANCE_CONNECTIONS_TABLE is required with RTP_CONFORMANCE_WS_URL');
    const httpUrl = process.env.RTP_CONFORMANCE_HTTP_URL;
    if (!httpUrl) throw new Error('RTP_CONFORMANCE_HTTP_URL is required with RTP_CONFORMANCE_WS_URL');
    const store = new DynamoConnectionStore(createDocumentClient(new DynamoDBClient({})), table);
    const token = process.env.RTP_CONFORMANCE_TOKEN;
    return {
      name: `deployed stack ${wsUrl}`,
      wsUrl,
      keyAttribute: process.env.RTP_CONFORMANCE_KEY_ATTRIBUTE ?? 'vehicleId',
      connectSuffix: token ? `&token=${encodeURIComponent(token)}` : '',
      management: new ApiGatewayManagementApiClient({ endpoint: connectionsUrl }),
      connectionIdsOf: (key) => store.listSubscribers(key),
      postReading: (reading) => postReading(httpUrl, process.env.RTP_CONFORMANCE_API_KEY, reading),
      stop: async () => {},
    };
  }
  if (wsUrl || connectionsUrl) {
    throw new Error('set both RTP_CONFORMANCE_WS_URL and RTP_CONFORMANCE_CONNECTIONS_URL, or neither');
  }
  const platform: Platform = await startTestPlatform();
  const dynamo = new DynamoDBClient({ endpoint: platform.endpoints.dynamodb });
  const store = new DynamoConnectionStore(
    createDocumentClient(dynamo),
    platform.resources.connectionsTable as string,
  );
  const management = new ApiGatewayManagementApiClient({ endpoint: platform.endpoints.connections });
  return {
    name: 'local runtime',
    wsUrl: platform.endpoints.websocket,
    keyAttribute: platform.resources.realTimeItemKey ?? 'vehicleId',
    connectSuffix: '',
    management,
    connectionIdsOf: (key) => store.listSubscribers(key),
    postReading: (reading) => postReading(platform.endpoints.http, LOCAL_API_KEY, reading),
    stop: async () => {
      management.destroy();
      dynamo.destroy();
      await platform.stop();
    },
  };
}

async function postReading(httpUrl: string, apiKey: string | undefined, reading: Record<string, unknown>) {
  const response = await fetch(`${httpUrl}/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) },
    body: JSON.stringify(reading),
  });
  await response.body?.cancel();
  return response.status;
}
