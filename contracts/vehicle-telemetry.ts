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
 * What the IoT rule `VehicleTelemetryRule` hands to `ingestors/iot-telemetry` (and
 * `FleetTelemetryToKinesisRule` puts on `TelemetryStream` as a record's JSON): the envelope
 * `SELECT encode(*, 'base64') AS payload, topic(2) AS vehicleId, timestamp() AS receivedAt`. The
 * payload is the device's bytes as published, whatever they are: a rule that read them as JSON
 * (`SELECT *`) would never run on a payload that is not a JSON object, and IoT Core would drop it
 * unseen. The ingestor reads the bytes as {@link VehicleTelemetrySchema}; it keeps them when it cannot.
 */
export const VehicleTelemetryEventSchema = z.object({
  /** The device's payload, base64. */
  payload: z.base64(),
  /** The topic's second level. Checked as an item key with the telemetry, so a bad one keeps the bytes too. */
  vehicleId: z.string(),
  /** When IoT Core received the message, epoch ms (`timestamp()`). */
  receivedAt: z.int().check(z.nonnegative()),
});
export type VehicleTelemetryEvent = z.output<typeof VehicleTelemetryEventSchema>;

/** The MQTT topic a vehicle publishes its telemetry to. */
export function telemetryTopicFor(vehicleId: string): string {
  return `vehicles/${vehicleId}/telemetry`;
}
