import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { openConnection } from '#core/connections.ts';
import { AuthModeEnvSchema, BaseEnvSchema, ConnectionTtlEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { connectionClaims } from '#runtime/ws-authorizer.ts';
import { connectResponse } from '#runtime/ws-connect-response.ts';

/**
 * $connect: records the connection and its first subscription; a missing or bad key answers 400, a key
 * outside the token's claims 403 (the authorizer already answered 401 for a bad token).
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, { ...ConnectionTtlEnvSchema.shape, ...AuthModeEnvSchema.shape }),
);
const tools = powertoolsFor('ws-connect');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
};

export const handler = observedHandler<ConnectEvent, APIGatewayProxyResult>(
  (event) =>
    connectResponse(tools, event.requestContext.connectionId, () =>
      openConnection(
        {
          ...event,
          connectionId: event.requestContext.connectionId,
          claims: connectionClaims(config.AUTH_MODE, event.requestContext),
        },
        {
          keyAttribute: config.REAL_TIME_ITEM_KEY,
          isQueryParam: config.IS_QUERY_PARAM,
          connectionTtlSeconds: config.CONNECTION_TTL_SECONDS,
        },
        { connections, clock: systemClock },
      ),
    ),
  tools,
);
