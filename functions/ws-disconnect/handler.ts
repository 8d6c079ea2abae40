import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** $disconnect: removes the connection row and every subscription row of the connection. */
const config = loadConfig(BaseEnvSchema);
const tools = powertoolsFor('ws-disconnect');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);

export const handler = observedHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResult>(
  async (event) => {
    await connections.removeConnection(event.requestContext.connectionId);
    tools.metrics.addMetric('ConnectionsClosed', 'Count', 1);
    return { statusCode: 200, body: '' };
  },
  tools,
);
