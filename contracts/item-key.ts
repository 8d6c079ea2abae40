import * as z from './zod.ts';

/** Default name of the attribute that carries an item's key (template parameter `RealTimeItemKey`). */
export const DEFAULT_ITEM_KEY_ATTRIBUTE = 'vehicleId';

/**
 * An item key: what dashboards subscribe to. Numbers are accepted and kept as their decimal text,
 * so `3` and `"3"` name the same key (DynamoDB stores it as the string partition key `itemKey`).
 */
export const ItemKeySchema = z.pipe(
  z.pipe(
    z.union([z.string(), z.int().check(z.nonnegative())], {
      error: (issue) =>
        issue.input === undefined ? 'is required' : 'must be a string or a non-negative integer',
    }),
    z.transform((value) => String(value).trim()),
  ),
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(128, 'must be at most 128 characters'),
      z.regex(/^[A-Za-z0-9_.:@-]+$/, 'may contain only letters, digits and _ . : @ -'),
    ),
);
export type ItemKey = z.output<typeof ItemKeySchema>;

/**
 * What an item is within its key: `telemetry`, `bid`, `widget#<id>`, `message#<id>`.
 * One item is the latest state of one (key, channel).
 */
export const ChannelSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(160),
    z.regex(
      /^[a-z][a-z0-9_-]{0,31}(#[A-Za-z0-9_.:@-]{1,127})?$/,
      'must look like "telemetry" or "message#<id>"',
    ),
  );
export type Channel = z.output<typeof ChannelSchema>;

export const DEFAULT_CHANNEL = 'telemetry';
