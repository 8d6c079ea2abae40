import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig, RejectQueueEnvSchema } from '#runtime/config.ts';
import { ingestSettingsOf, readingTargetsOf } from '#runtime/ingest-settings.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { telemetryEventHandler } from '#runtime/telemetry-event.ts';

/**
 * Invoked asynchronously by the IoT rule `VehicleTelemetryRule` with one device message (its bytes,
 * base64, and the vehicle id of its topic); bad telemetry goes to the reject queue with those bytes,
 * write failures are retried (lib/runtime/telemetry-event.ts).
 */
const config = loadConfig(z.extend(BaseEnvSchema, RejectQueueEnvSchema.shape));
const tools = powertoolsFor('iot-telemetry');
const handleEvent = telemetryEventHandler(readingTargetsOf(config), tools, ingestSettingsOf(config));

export const handler = observedHandler(handleEvent, tools);
