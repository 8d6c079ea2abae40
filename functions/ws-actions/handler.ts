import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { createManagementApiClient } from '#adapters/apigw-management-client.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { parseClientAction, runClientAction } from '#core/client-actions.ts';
import { systemClock } from '#core/ports.ts';
import {
  AuthModeEnvSchema,
  BaseEnvSchema,
  CallbackEnvSchema,
  ConnectionLimitsEnvSchema,
  ConnectionTtlEnvSchema,
  loadConfig,
} from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** subscribe / unsubscribe / sync / ping and the $default route; every message gets one reply frame. */
const config = loadConfig(
  BaseEnvSchema.extend(CallbackEnvSchema.shape)
    .extend(ConnectionTtlEnvSchema.shape)
    .extend(AuthModeEnvSchema.shape)
    .extend(ConnectionLimitsEnvSchema.shape),
);
const tools = powertoolsFor('ws-actions');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const publisher = new ApiGatewayConnectionPublisher(
  createManagementApiClient(config.WS_CALLBACK_URL, { inProcess: config.RTP_INPROCESS_CONNECTIONS }),
);

export const handler = wsActionHandler(
  {
    tools,
    publisher,
    authMode: config.AUTH_MODE,
    counter: connections,
    actionsPerWindow: config.WS_ACTION_RATE_LIMIT,
  },
  async ({ connectionId, body, claims }) =>
    runClientAction(
      parseClientAction(body),
      {
        connectionId,
        connectionTtlSeconds: config.CONNECTION_TTL_SECONDS,
        maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS,
        claims,
      },
      { connections, items, clock: systemClock },
    ),
);
