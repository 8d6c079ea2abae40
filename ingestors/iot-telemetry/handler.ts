import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { BaseEnvSchema, loadConfig, RejectQueueEnvSchema } from '#runtime/config.ts';
import { ingestSettingsOf } from '#runtime/ingest-settings.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { telemetryEventHandler } from '#runtime/telemetry-event.ts';

/**
 * Invoked asynchronously by the IoT rule `VehicleTelemetryRule` with one vehicle's telemetry; bad
 * telemetry goes to the reject queue, write failures are retried (lib/runtime/telemetry-event.ts).
 */
const config = loadConfig(BaseEnvSchema.extend(RejectQueueEnvSchema.shape));
const tools = powertoolsFor('iot-telemetry');
const handleEvent = telemetryEventHandler(
  {
    items: new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE),
    rejects: new SqsDeadLetterQueue(new SQSClient({}), config.REJECT_QUEUE_URL),
  },
  tools,
  ingestSettingsOf(config),
);

export const handler = observedHandler(handleEvent, tools);
