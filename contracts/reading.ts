import * as z from 'zod';
import { ChannelSchema, DEFAULT_ITEM_KEY_ATTRIBUTE, ItemKeySchema } from './item-key.ts';
import { ItemDataSchema } from './real-time-item.ts';

/** Most readings one request or message may carry. */
export const MAX_READINGS_PER_BATCH = 500;

/**
 * A reading as sources send it. The key travels under the configured attribute name
 * (`{"vehicleId":"3", …}`), so the schema is built per name.
 * `channel` defaults to `telemetry`; `ts` (epoch ms) defaults to the time it is received.
 */
export function readingSchemaFor(keyAttribute: string) {
  const schema = ReadingFieldsSchema.extend({ [keyAttribute]: ItemKeySchema });
  // A computed key widens every property's type to the union of all of them; state the real output.
  return schema as unknown as z.ZodType<ReadingFields & Record<string, unknown>> &
    Pick<typeof schema, 'shape'>;
}

/** The fields of a reading besides its key. */
export const ReadingFieldsSchema = z.strictObject({
  channel: ChannelSchema.optional(),
  ts: z.number().int().nonnegative().optional(),
  data: ItemDataSchema,
});
export type ReadingFields = z.output<typeof ReadingFieldsSchema>;

/** A body of one reading or `{"readings":[…]}`. */
export function readingsBodySchemaFor(keyAttribute: string) {
  const reading = readingSchemaFor(keyAttribute);
  return z.union([
    z.strictObject({ readings: z.array(reading).min(1).max(MAX_READINGS_PER_BATCH) }),
    reading,
  ]);
}

/** The reading schema for the default key attribute (`vehicleId`); used for docs and JSON Schema. */
export const ReadingSchema = readingSchemaFor(DEFAULT_ITEM_KEY_ATTRIBUTE);
export type Reading = z.output<typeof ReadingSchema>;

export const ReadingsBodySchema = readingsBodySchemaFor(DEFAULT_ITEM_KEY_ATTRIBUTE);

/** What POST /readings answers with 202. `stale` counts readings older than (or as old as) the stored state. */
export const ReadingsAcceptedSchema = z.strictObject({
  accepted: z.number().int().nonnegative(),
  stale: z.number().int().nonnegative(),
});
export type ReadingsAccepted = z.output<typeof ReadingsAcceptedSchema>;
