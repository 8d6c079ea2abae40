import * as z from 'zod';
import { ChannelSchema } from './item-key.ts';

/** JSON object carried by an item: the reading's payload. */
export const ItemDataSchema = z.record(z.string(), z.json());
export type ItemData = z.output<typeof ItemDataSchema>;

/**
 * One row of RealTimeData: the latest state of one (itemKey, channel).
 * The attribute named by `realTimeItemKey` (default `vehicleId`) repeats `itemKey`, so the table reads
 * naturally in the console; it is not part of this schema because its name is configuration.
 */
export const RealTimeItemSchema = z.looseObject({
  itemKey: z.string().min(1),
  channel: ChannelSchema,
  /** Event time at the source, epoch milliseconds. Writes earlier in (`ts`, `position`) are refused. */
  ts: z.number().int().nonnegative(),
  /**
   * Place of the stored reading in its source at its `ts` (fixed-width digits: the source's order, e.g.
   * a Kinesis sequence number, then the index in its request, message or object); breaks ties of `ts`.
   */
  position: z.string().optional(),
  /** Monotonic per item: 1 on first write, +1 on each applied write. */
  version: z.number().int().positive(),
  source: z.string().min(1),
  data: ItemDataSchema,
  /** When the platform stored it, epoch milliseconds. */
  receivedAt: z.number().int().nonnegative(),
  /** TTL, epoch seconds (DynamoDB's TTL unit). */
  expiresAt: z.number().int().positive().optional(),
});
export type RealTimeItem = z.output<typeof RealTimeItemSchema>;
