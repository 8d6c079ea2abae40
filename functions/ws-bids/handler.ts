import { SQSClient } from '@aws-sdk/client-sqs';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsJsonSender } from '#adapters/sqs-json-sender.ts';
import { systemClock } from '#adapters/system-clock.ts';
import type { SalesUpdate } from '#contracts/sales.ts';
import * as z from '#contracts/zod.ts';
import { parseBidAction, placeBid } from '#core/sales-bids.ts';
import { loadConfig, WsActionEnvSchema } from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** Sales bids: the conditional write only a higher amount wins; an ack, or a Conflict error frame. */
const config = loadConfig(z.extend(WsActionEnvSchema, { SALES_UPDATES_QUEUE_URL: z.url() }));
const tools = powertoolsFor('ws-bids');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const updates = new SqsJsonSender<SalesUpdate>(new SQSClient({}), config.SALES_UPDATES_QUEUE_URL);
const publisher = connectionPublisherFor(config);

export const handler = wsActionHandler(
  { tools, publisher, counter: connections, config },
  async ({ connectionId, body, claims }) => {
    const outcome = await placeBid(
      parseBidAction(body),
      { connectionId, keyAttribute: config.REAL_TIME_ITEM_KEY, claims },
      { connections, items, updates, clock: systemClock },
    );
    tools.metrics.addMetric('BidsAccepted', 'Count', 1);
    if (outcome.sendError !== undefined) {
      // The bid stands and was broadcast; the product's next accepted bid carries its state to sales.db.
      tools.logger.error('catalogue update not sent', { update: outcome.update, error: outcome.sendError });
      tools.metrics.addMetric('CatalogueUpdatesUnsent', 'Count', 1);
    }
    return outcome.frame;
  },
);
