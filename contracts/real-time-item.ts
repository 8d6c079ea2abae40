import { ChannelSchema } from './item-key.ts';
import * as z from './zod.ts';

/** JSON object carried by an item: the reading's payload. */
export const ItemDataSchema = z.record(z.string(), z.json());
export type ItemData = z.output<typeof ItemDataSchema>;

/**
 * One row of RealTimeData: the latest state of one (itemKey, channel).
 * The attribute named by `realTimeItemKey` (default `vehicleId`) repeats `itemKey`, so the table reads
 * naturally in the console; it is not part of this schema because its name is configuration.
 */
export const RealTimeItemSchema = z.looseObject({
  itemKey: z.string().check(z.minLength(1)),
  channel: ChannelSchema,
  /** Event time at the source, epoch milliseconds. Writes earlier in (`ts`, `position`) are refused. */
  ts: z.int().check(z.nonnegative()),
  /**
   * Place of the stored reading in its source at its `ts` (fixed-width digits: the source's order, e.g.
   * a Kinesis sequence number, then the index in its request, message or object); breaks ties of `ts`.
   */
  position: z.optional(z.string()),
  /** Monotonic per item: 1 on first write, +1 on each applied write. */
  version: z.int().check(z.positive()),
  source: z.string().check(z.minLength(1)),
  data: ItemDataSchema,
  /** When the platform stored it, epoch milliseconds. */
  receivedAt: z.int().check(z.nonnegative()),
  /** TTL, epoch seconds (DynamoDB's TTL unit). */
  expiresAt: z.optional(z.int().check(z.positive())),
});
export type RealTimeItem = z.output<typeof RealTimeItemSchema>;
