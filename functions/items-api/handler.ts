import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { AuthModeEnvSchema, BaseEnvSchema, HistoryEnvSchema, loadConfig } from '#runtime/config.ts';
import { itemsRequestHandler } from '#runtime/items-request.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * GET /items/{key}?limit=&cursor=, GET /items/{key}/history?channel=&from=&to=&limit=&cursor= and
 * GET /health, as lib/runtime/items-request.ts answers them.
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, { ...AuthModeEnvSchema.shape, ...HistoryEnvSchema.shape, WS_URL: z.url() }),
);
const tools = powertoolsFor('items-api');
const documents = createDocumentClient();
const stores = {
  items: new DynamoItemStore(documents, config.ITEMS_TABLE),
  history: new DynamoHistoryStore(documents, config.HISTORY_TABLE, systemClock),
};

export const handler = httpHandler(itemsRequestHandler(config, stores), tools, { jsonBody: false });
