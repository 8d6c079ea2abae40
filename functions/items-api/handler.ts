import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { HistoryQuerySchema } from '#contracts/history.ts';
import { ItemKeySchema } from '#contracts/item-key.ts';
import { ItemPageQuerySchema } from '#contracts/item-page.ts';
import * as z from '#contracts/zod.ts';
import { assertCanRead } from '#core/authorise.ts';
import { readHistoryPage } from '#core/history.ts';
import { parseOrThrow } from '#core/issues.ts';
import { readItemPage } from '#core/item-pages.ts';
import { AuthModeEnvSchema, BaseEnvSchema, HistoryEnvSchema, loadConfig } from '#runtime/config.ts';
import { httpApiUrlOf, httpCallerClaims } from '#runtime/http-caller.ts';
import { jsonResponse } from '#runtime/http-responses.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * GET /items/{key}?limit=&cursor=: one page of the key's current items (`next` when more remain),
 * for a caller whose token covers the key (403 otherwise).
 * GET /items/{key}/history?channel=&from=&to=&limit=&cursor=: one page of a channel's changes by
 * event time, with the same check.
 * GET /health (public): what a page needs to connect, the endpoints and the key attribute; no table
 * names, no counters.
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, { ...AuthModeEnvSchema.shape, ...HistoryEnvSchema.shape, WS_URL: z.url() }),
);
const tools = powertoolsFor('items-api');
const documents = createDocumentClient();
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const history = new DynamoHistoryStore(documents, config.HISTORY_TABLE, systemClock);

export const handler = httpHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>(
  async (event) => {
    if (event.routeKey === 'GET /health') {
      return jsonResponse(200, {
        status: 'ok',
        endpoints: { http: httpApiUrlOf(event.requestContext), websocket: config.WS_URL },
        resources: { realTimeItemKey: config.REAL_TIME_ITEM_KEY },
      });
    }
    const claims = httpCallerClaims(config.AUTH_MODE, event.requestContext);
    const key = parseOrThrow(ItemKeySchema, event.pathParameters?.key, 'path.key');
    assertCanRead(claims, key);
    if (event.routeKey === 'GET /items/{key}/history') {
      const query = parseOrThrow(HistoryQuerySchema, event.queryStringParameters ?? {}, 'query');
      return jsonResponse(200, await readHistoryPage(history, key, query, 'query.cursor'));
    }
    const page = parseOrThrow(ItemPageQuerySchema, event.queryStringParameters ?? {}, 'query');
    return jsonResponse(200, { key, ...(await readItemPage(items, key, page, 'query.cursor')) });
  },
  tools,
  { jsonBody: false },
);
