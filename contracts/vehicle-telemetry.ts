import * as z from 'zod';
import { ItemKeySchema } from './item-key.ts';
import { TimestampSchema } from './timestamp.ts';

/**
 * What a vehicle publishes (MQTT 3.1.1) to `vehicles/{vehicleId}/telemetry`. Every measurement is
 * optional (devices report what their sensors have), but a message must carry at least one.
 *
 * Extra fields are any JSON value (`rpm`, `gear: "D"`, `doorsLocked: true`, nested objects), as a
 * reading's `data` takes them on every source: new firmware adding a sensor must not have its whole
 * stream rejected. Their depth, numbers and size are bounded as `data`'s are (lib/core/storable-data.ts).
 */
export const VehicleTelemetrySchema = z
  .object({
    /** Event time at the device (epoch ms or ISO 8601 with offset). Defaults to the time IoT Core received the message. */
    ts: TimestampSchema.optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    /** km/h */
    speed: z.number().min(0).max(500).optional(),
    /** degrees clockwise from north */
    heading: z.number().min(0).max(360).optional(),
    /** fraction of a full tank, 0..1 */
    fuel: z.number().min(0).max(1).optional(),
    /** °C */
    engineTemp: z.number().min(-60).max(250).optional(),
  })
  .catchall(z.json());
export type VehicleTelemetry = z.output<typeof VehicleTelemetrySchema>;

/**
 * What the IoT rule `VehicleTelemetryRule` hands to `ingestors/iot-telemetry`: the device's
 * telemetry plus `topic(2) AS vehicleId` and `timestamp() AS receivedAt`.
 */
export const VehicleTelemetryEventSchema = VehicleTelemetrySchema.extend({
  vehicleId: ItemKeySchema,
  /** When IoT Core received the message, epoch ms (`timestamp()`). */
  receivedAt: z.number().int().nonnegative(),
});
export type VehicleTelemetryEvent = z.output<typeof VehicleTelemetryEventSchema>;

/** The MQTT topic a vehicle publishes its telemetry to. */
export function telemetryTopicFor(vehicleId: string): string {
  return `vehicles/${vehicleId}/telemetry`;
}
