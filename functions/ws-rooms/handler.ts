import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ApiGatewayConnectionPublisher } from '#adapters/apigw-connection-publisher.ts';
import { createManagementApiClient } from '#adapters/apigw-management-client.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#core/ports.ts';
import { newMessageId, parseRoomAction, runRoomAction } from '#core/room-messages.ts';
import { AuthModeEnvSchema, BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { connectionClaims } from '#runtime/ws-authorizer.ts';
import { replyToAction } from '#runtime/ws-reply.ts';

/** Chat rooms: publish / edit / delete messages as the connection's user; one ack or error frame each. */
const config = loadConfig(BaseEnvSchema.extend(CallbackEnvSchema.shape).extend(AuthModeEnvSchema.shape));
const tools = powertoolsFor('ws-rooms');
const documents = createDocumentClient();
const connections = new DynamoConnectionStore(documents, config.CONNECTIONS_TABLE);
const items = new DynamoItemStore(documents, config.ITEMS_TABLE);
const publisher = new ApiGatewayConnectionPublisher(
  createManagementApiClient(config.WS_CALLBACK_URL, { inProcess: config.RTP_INPROCESS_CONNECTIONS }),
);
const newId = () => newMessageId(systemClock.now(), randomUUID());

export const handler = observedHandler<APIGatewayProxyWebsocketEventV2, APIGatewayProxyResult>(
  async (event) => {
    const { connectionId } = event.requestContext;
    await replyToAction({ tools, publisher, connectionId, body: event.body }, async () => {
      const action = parseRoomAction(event.body);
      const frame = await runRoomAction(
        action,
        {
          connectionId,
          keyAttribute: config.REAL_TIME_ITEM_KEY,
          claims: connectionClaims(config.AUTH_MODE, event.requestContext),
        },
        { connections, items, clock: systemClock, newId },
      );
      tools.metrics.addMetric('RoomMessagesWritten', 'Count', 1);
      return frame;
    });
    return { statusCode: 200, body: '' };
  },
  tools,
);
