import { ChannelSchema, DEFAULT_ITEM_KEY_ATTRIBUTE, ItemKeySchema } from './item-key.ts';
import { ItemDataSchema } from './real-time-item.ts';
import { TimestampSchema } from './timestamp.ts';
import { type VehicleTelemetry, VehicleTelemetrySchema } from './vehicle-telemetry.ts';
import * as z from './zod.ts';

/** Most readings one request or message may carry. */
export const MAX_READINGS_PER_BATCH = 500;

/**
 * A reading as sources send it. The key travels under the configured attribute name
 * (`{"vehicleId":"3", …}`), so the schema is built per name.
 * `channel` defaults to `telemetry`; `ts` (epoch ms or ISO 8601 with offset) defaults to the source's
 * own time for the message (see README, "Order without ts").
 */
export function readingSchemaFor(keyAttribute: string) {
  const schema = z.extend(ReadingFieldsSchema, { [keyAttribute]: ItemKeySchema });
  // A computed key widens every property's type to the union of all of them; state the real output.
  return schema as unknown as z.ZodMiniType<ReadingFields & Record<string, unknown>> &
    Pick<typeof schema, 'shape'>;
}

/** The fields of a reading besides its key. */
export const ReadingFieldsSchema = z.strictObject({
  channel: z.optional(ChannelSchema),
  ts: z.optional(TimestampSchema),
  data: ItemDataSchema,
});
export type ReadingFields = z.output<typeof ReadingFieldsSchema>;

/**
 * Flat telemetry, as a device publishes it on MQTT, with its key beside the measurements:
 * `{"vehicleId":"3","ts":…,"speed":42,"gear":"D"}`. It is always channel `telemetry`; every field but
 * the key and `ts` is a measurement (contracts/vehicle-telemetry.ts bounds the known ones).
 */
export function flatTelemetrySchemaFor(keyAttribute: string) {
  const schema = z.extend(VehicleTelemetrySchema, {
    [keyAttribute]: ItemKeySchema,
    channel: z.optional(
      z.never({ error: 'flat telemetry is always channel telemetry; send {channel, data} for another' }),
    ),
  });
  return schema as unknown as z.ZodMiniType<VehicleTelemetry & Record<string, unknown>> &
    Pick<typeof schema, 'shape'>;
}

/**
 * Which shape a raw reading has: a reading (`data` present) or flat telemetry (anything else that is
 * a JSON object). The one rule every source follows.
 */
export function isFlatTelemetry(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('data' in raw);
}

/**
 * A body of readings, in any of the shapes devices send (POST /readings, a queue message, a claimed
 * object): one reading, `{"readings":[…]}`, a bare JSON array of readings, or flat telemetry; the
 * elements of a list may be readings or flat telemetry.
 */
export function readingsBodySchemaFor(keyAttribute: string) {
  const one = z.union([readingSchemaFor(keyAttribute), flatTelemetrySchemaFor(keyAttribute)]);
  const list = z.array(one).check(z.minLength(1), z.maxLength(MAX_READINGS_PER_BATCH));
  return z.union([z.strictObject({ readings: list }), list, one]);
}

/** The reading schema for the default key attribute (`vehicleId`); used for docs and JSON Schema. */
export const ReadingSchema = readingSchemaFor(DEFAULT_ITEM_KEY_ATTRIBUTE);
export type Reading = z.output<typeof ReadingSchema>;

export const ReadingsBodySchema = readingsBodySchemaFor(DEFAULT_ITEM_KEY_ATTRIBUTE);

/** What POST /readings answers with 202. `stale` counts readings not later than the stored state (same or older `ts` and position). */
export const ReadingsAcceptedSchema = z.strictObject({
  accepted: z.int().check(z.nonnegative()),
  stale: z.int().check(z.nonnegative()),
});
export type ReadingsAccepted = z.output<typeof ReadingsAcceptedSchema>;
