import { randomUUID } from 'node:crypto';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { IotDataPublisher } from '#adapters/iot-data-publisher.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { planVehicleCommand } from '#core/vehicle-command.ts';
import { IotDataEnvSchema, loadConfig, WsActionEnvSchema } from '#runtime/config.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { wsActionHandler } from '#runtime/ws-reply.ts';

/** WS route `command`: publishes a command to `vehicles/{id}/commands` (QoS 1), then acks the sender. */
const config = loadConfig(z.extend(WsActionEnvSchema, IotDataEnvSchema.shape));
const tools = powertoolsFor('ws-command');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);
const devices = new IotDataPublisher(
  // Empty: the SDK's own endpoint resolution (AWS_ENDPOINT_URL_IOT_DATA_PLANE locally, else the region's).
  new IoTDataPlaneClient(config.IOT_DATA_ENDPOINT ? { endpoint: config.IOT_DATA_ENDPOINT } : {}),
);
const publisher = connectionPublisherFor(config);

export const handler = wsActionHandler(
  { tools, publisher, counter: connections, config },
  async ({ body, claims }) => {
    const planned = planVehicleCommand(body, { now: systemClock.now(), commandId: randomUUID(), claims });
    await devices.publish(planned.topic, planned.message, 1);
    tools.metrics.addMetric('CommandsPublished', 'Count', 1);
    return planned.ack;
  },
);
