import { ItemKeySchema } from './item-key.ts';
import { TimestampSchema } from './timestamp.ts';
import * as z from './zod.ts';

/**
 * What a vehicle publishes (MQTT 3.1.1) to `vehicles/{vehicleId}/telemetry`. Every measurement is
 * optional (devices report what their sensors have), but a message must carry at least one.
 *
 * Extra fields are any JSON value (`rpm`, `gear: "D"`, `doorsLocked: true`, nested objects), as a
 * reading's `data` takes them on every source: new firmware adding a sensor must not have its whole
 * stream rejected. Their depth, numbers and size are bounded as `data`'s are (lib/core/storable-data.ts).
 */
export const VehicleTelemetrySchema = z.catchall(
  z.object({
    /** Event time at the device (epoch ms or ISO 8601 with offset). Defaults to the time IoT Core received the message. */
    ts: z.optional(TimestampSchema),
    lat: z.optional(z.number().check(z.gte(-90), z.lte(90))),
    lon: z.optional(z.number().check(z.gte(-180), z.lte(180))),
    /** km/h */
    speed: z.optional(z.number().check(z.gte(0), z.lte(500))),
    /** degrees clockwise from north */
    heading: z.optional(z.number().check(z.gte(0), z.lte(360))),
    /** fraction of a full tank, 0..1 */
    fuel: z.optional(z.number().check(z.gte(0), z.lte(1))),
    /** °C */
    engineTemp: z.optional(z.number().check(z.gte(-60), z.lte(250))),
  }),
  z.json(),
);
export type VehicleTelemetry = z.output<typeof VehicleTelemetrySchema>;

/**
 * What the IoT rule `VehicleTelemetryRule` hands to `ingestors/iot-telemetry`: the device's
 * telemetry plus `topic(2) AS vehicleId` and `timestamp() AS receivedAt`.
 */
export const VehicleTelemetryEventSchema = z.extend(VehicleTelemetrySchema, {
  vehicleId: ItemKeySchema,
  /** When IoT Core received the message, epoch ms (`timestamp()`). */
  receivedAt: z.int().check(z.nonnegative()),
});
export type VehicleTelemetryEvent = z.output<typeof VehicleTelemetryEventSchema>;

/** The MQTT topic a vehicle publishes its telemetry to. */
export function telemetryTopicFor(vehicleId: string): string {
  return `vehicles/${vehicleId}/telemetry`;
}
