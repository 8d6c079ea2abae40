import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import { systemClock } from '#core/ports.ts';
import { mapVehicleTelemetry } from '#core/vehicle-telemetry.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { toPlatformError } from '#runtime/errors.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Invoked asynchronously by the IoT rule `VehicleTelemetryRule` with one vehicle's telemetry.
 * Bad telemetry is logged and counted, not thrown: an async invocation that throws is retried, and
 * retrying cannot fix a permanent error. Write failures throw, so Lambda retries them.
 */
const config = loadConfig(BaseEnvSchema);
const tools = powertoolsFor('iot-telemetry');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);

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
      const platformError = toPlatformError(error);
      if (platformError.retryable) throw platformError;
      const vehicleId = (event as { vehicleId?: unknown } | null)?.vehicleId;
      tools.logger.warn('telemetry rejected', { itemKey: vehicleId, error: platformError });
      tools.metrics.addMetric('ReadingsRejected', 'Count', 1);
      return { accepted: 0, stale: 0, rejected: 1 };
    }
    const result = await ingestReadings([reading], items);
    tools.metrics.addMetric('ReadingsIngested', 'Count', result.accepted - result.stale);
    if (result.stale > 0) tools.metrics.addMetric('ReadingsStale', 'Count', result.stale);
    return { ...result, rejected: 0 };
  },
  tools,
);
