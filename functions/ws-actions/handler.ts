import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { parseClientAction, runClientAction } from '#core/client-actions.ts';
import { ConnectionTtlEnvSchema, HistoryEnvSchema, loadConfig, WsActionEnvSchema } from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** subscribe / unsubscribe / sync / ping and the $default route; every message gets one reply frame. */
const config = loadConfig(
  z.extend(WsActionEnvSchema, { ...ConnectionTtlEnvSchema.shape, ...HistoryEnvSchema.shape }),
);
const tools = powertoolsFor('ws-actions');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const history = new DynamoHistoryStore(documents, config.HISTORY_TABLE, systemClock);
const publisher = connectionPublisherFor(config);

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
