import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { createManagementApiClient } from '#adapters/apigw-management-client.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { parseClientAction, runClientAction } from '#core/client-actions.ts';
import { systemClock } from '#core/ports.ts';
import { ConnectionTtlEnvSchema, HistoryEnvSchema, loadConfig, WsActionEnvSchema } from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** subscribe / unsubscribe / sync / ping and the $default route; every message gets one reply frame. */
const config = loadConfig(
  WsActionEnvSchema.extend(ConnectionTtlEnvSchema.shape).extend(HistoryEnvSchema.shape),
);
const tools = powertoolsFor('ws-actions');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const history = new DynamoHistoryStore(documents, config.HISTORY_TABLE, systemClock);
const publisher = new ApiGatewayConnectionPublisher(createManagementApiClient(config.WS_CALLBACK_URL));

export const handler = wsActionHandler(
  { tools, publisher, counter: connections, config },
  async ({ connectionId, body, claims }) =>
    runClientAction(
      parseClientAction(body),
      {
        connectionId,
        connectionTtlSeconds: config.CONNECTION_TTL_SECONDS,
        maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS,
        claims,
      },
      { connections, items, history, clock: systemClock },
    ),
);
