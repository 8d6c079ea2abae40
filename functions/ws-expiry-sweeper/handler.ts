import type { ScheduledEvent } from 'aws-lambda';
import { connectionPublisherFor } from '#adapters/apigw-connection-publisher.ts';
import { DynamoConnectionStore } from '#adapters/dynamo-connection-store.ts';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { closeExpiredConnections } from '#core/expired-connections.ts';
import { BaseEnvSchema, CallbackEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Every minute (EventBridge schedule): closes the connections whose token expired, idle ones
 * included (API Gateway never closes on `exp`; actions and frames of a live one are refused anyway).
 * Locally the gateway closes at `exp` itself, so the local runtime does not schedule this.
 */
const config = loadConfig(z.extend(BaseEnvSchema, CallbackEnvSchema.shape));
const tools = powertoolsFor('ws-expiry-sweeper');
const connections = new DynamoConnectionStore(createDocumentClient(), config.CONNECTIONS_TABLE);
const publisher = connectionPublisherFor(config);

export const handler = observedHandler<ScheduledEvent, void>(async () => {
  const { closed, gone } = await closeExpiredConnections({ connections, publisher, clock: systemClock });
  tools.metrics.addMetric('ExpiredConnectionsClosed', 'Count', closed);
  tools.metrics.addMetric('StaleConnectionsRemoved', 'Count', gone);
}, tools);
