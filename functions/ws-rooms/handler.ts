import { randomUUID } from 'node:crypto';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { newMessageId, parseRoomAction, runRoomAction } from '#core/room-messages.ts';
import { authorIdOf } from '#runtime/author-id.ts';
import { loadConfig, RoomRetentionEnvSchema, WsActionEnvSchema } from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** Chat rooms: publish / edit / delete messages as the connection's user; one ack or error frame each. */
const config = loadConfig(z.extend(WsActionEnvSchema, RoomRetentionEnvSchema.shape));
const tools = powertoolsFor('ws-rooms');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const publisher = connectionPublisherFor(config);
const newId = () => newMessageId(systemClock.now(), randomUUID());

export const handler = wsActionHandler(
  { tools, publisher, counter: connections, config },
  async ({ connectionId, body, claims }) => {
    const frame = await runRoomAction(
      parseRoomAction(body),
      {
        connectionId,
        keyAttribute: config.REAL_TIME_ITEM_KEY,
        retentionHours: config.ROOM_MESSAGE_RETENTION_HOURS,
        ...(claims ? { claims, authorId: authorIdOf(claims.subject) } : {}),
      },
      { connections, items, clock: systemClock, newId },
    );
    tools.metrics.addMetric('RoomMessagesWritten', 'Count', 1);
    return frame;
  },
);
