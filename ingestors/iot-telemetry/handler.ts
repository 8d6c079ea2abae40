import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { telemetryTopicFor } from '#contracts/vehicle-telemetry.ts';
import * as z from '#contracts/zod.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import { mapVehicleTelemetry } from '#core/vehicle-telemetry.ts';
import { BaseEnvSchema, loadConfig, RejectQueueEnvSchema } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { countReadings, retryOrReject } from '#runtime/outcomes.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Invoked asynchronously by the IoT rule `VehicleTelemetryRule` with one vehicle's telemetry.
 * Bad telemetry goes to the reject queue (the event as the rule delivered it, and its topic), not
 * thrown: an async invocation that throws is retried, and retrying cannot fix a permanent error.
 * Write failures, and a reject that cannot be sent, throw, so Lambda retries them.
 */
const config = loadConfig(z.extend(BaseEnvSchema, RejectQueueEnvSchema.shape));
const tools = powertoolsFor('iot-telemetry');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);
const rejects = new SqsDeadLetterQueue(new SQSClient({}), config.REJECT_QUEUE_URL);

export const handler = observedHandler<unknown, { accepted: number; stale: number; rejected: number }>(
  async (event) => {
    let reading: ReturnType<typeof mapVehicleTelemetry>;
    try {
      reading = mapVehicleTelemetry(event, {
        keyAttribute: config.REAL_TIME_ITEM_KEY,
        now: systemClock.now(),
        maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
      });
    } catch (error) {
      const vehicleId = String((event as { vehicleId?: unknown } | null)?.vehicleId ?? '');
      await retryOrReject(error, tools, {
        what: 'telemetry',
        context: { itemKey: vehicleId },
        metric: 'ReadingsRejected',
        reject: {
          to: rejects,
          input: {
            source: 'mqtt',
            payload: JSON.stringify(event),
            ids: { Topic: telemetryTopicFor(vehicleId) },
          },
        },
      });
      return { accepted: 0, stale: 0, rejected: 1 };
    }
    const result = await ingestReadings([reading], items);
    countReadings(tools, result);
    return { ...result, rejected: 0 };
  },
  tools,
);
