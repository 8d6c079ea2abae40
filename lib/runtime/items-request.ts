import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HistoryQuerySchema } from '#contracts/history.ts';
import { ItemKeySchema } from '#contracts/item-key.ts';
import { ItemPageQuerySchema } from '#contracts/item-page.ts';
import { assertCanRead } from '#core/authorise.ts';
import { type HistoryStore, readHistoryPage } from '#core/history.ts';
import { parseOrThrow } from '#core/issues.ts';
import { type ItemPageStore, readItemPage } from '#core/item-pages.ts';
import { httpApiUrlOf, httpCallerClaims } from './http-caller.ts';
import { type HttpResult, jsonResponse } from './http-responses.ts';

/** What items-api answers with: its auth mode, key attribute and the WebSocket API's URL. */
interface ItemsApiSettings {
  AUTH_MODE: 'jwt' | 'none';
  REAL_TIME_ITEM_KEY: string;
  WS_URL: string;
}

/**
 * The routes of items-api. `GET /health` (public): what a page needs to connect, the endpoints and
 * the key attribute, no table names, no counters. `GET /items/{key}` and `GET /items/{key}/history`:
 * one page of the key's current items or of a channel's changes, for a caller whose token covers
 * the key (403 otherwise).
 */
export function itemsRequestHandler(
  config: ItemsApiSettings,
  stores: { items: ItemPageStore; history: HistoryStore },
): (event: APIGatewayProxyEventV2) => Promise<HttpResult> {
  return async (event) => {
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
      return jsonResponse(200, await readHistoryPage(stores.history, key, query, 'query.cursor'));
    }
    const page = parseOrThrow(ItemPageQuerySchema, event.queryStringParameters ?? {}, 'query');
    return jsonResponse(200, { key, ...(await readItemPage(stores.items, key, page, 'query.cursor')) });
  };
}
