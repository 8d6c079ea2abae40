import { PRODUCT_KEY_PREFIX } from './app-keys.ts';
import { UserNameSchema } from './user-name.ts';
import * as z from './zod.ts';

/**
 * The sales demo: a catalogue of products (a SQLite database, `sales.db`, in S3, read by the page
 * with sql.js) and live bids on the real-time path. Each product is the item key `product-<id>`;
 * its current bid is the item `bid` under it, written only when the amount beats the stored one.
 * Bidders come from the connection (`?user=<name>` or the token's user name), like room authors.
 */

/** A product's id in the catalogue (`products.id`). */
export const ProductIdSchema = z.int().check(z.positive(), z.lte(1_000_000));
export type ProductId = z.output<typeof ProductIdSchema>;

/** Money in the catalogue's currency: positive, at most two decimals. */
export const AmountSchema = z.number().check(
  z.positive('must be above 0'),
  z.lte(1_000_000_000, 'must be at most 1000000000'),
  z.refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'must have at most 2 decimals'),
);

/** `7` → `product-7`. */
export function productKey(productId: ProductId): string {
  return `${PRODUCT_KEY_PREFIX}${productId}`;
}

// ---------------------------------------------------------------- client -> server

/**
 * Bids `amount` on a product as the connection's user. `bidder`, when sent, must be that user (it
 * is never trusted on its own). Answered by function `ws-bids`: an `ack`, or an error frame
 * (`Conflict` naming the current bid when the amount does not beat it).
 */
export const BidActionSchema = z.strictObject({
  action: z.literal('bid'),
  productId: ProductIdSchema,
  amount: AmountSchema,
  bidder: z.optional(UserNameSchema),
});
export type BidAction = z.output<typeof BidActionSchema>;

// ---------------------------------------------------------------- stored / delivered

/**
 * `data` of a product's `bid` item (what `item` frames of `product-<id>` carry). The item's
 * `version` is the number of accepted bids. `placedAt` is the server's time, epoch ms.
 */
export const BidDataSchema = z.object({
  productId: ProductIdSchema,
  amount: AmountSchema,
  bidder: UserNameSchema,
  placedAt: z.int().check(z.nonnegative()),
});
export type BidData = z.output<typeof BidDataSchema>;

/**
 * A message of SalesUpdatesQueue: the state of a product's bid after an accepted bid. It carries
 * the whole state (not a delta), so applying it is idempotent and order-free: a row only moves to
 * a higher `bidCount`, and a lost message is healed by the product's next accepted bid.
 */
export const SalesUpdateSchema = z.strictObject({
  productId: ProductIdSchema,
  amount: AmountSchema,
  bidder: UserNameSchema,
  /** Accepted bids so far (the bid item's version). */
  bidCount: z.int().check(z.positive()),
  placedAt: z.int().check(z.nonnegative()),
});
export type SalesUpdate = z.output<typeof SalesUpdateSchema>;

/** A row of `products` in sales.db, as the page reads it. */
export const ProductRowSchema = z.object({
  id: ProductIdSchema,
  name: z.string(),
  price: z.number(),
  /** A `data:` URI (an SVG drawn by the build script; no network). */
  image: z.string(),
  current_bid: z.nullable(z.number()),
  top_bidder: z.nullable(z.string()),
  bid_count: z.int().check(z.nonnegative()),
  /** Epoch ms of the last change. */
  updated_at: z.int().check(z.nonnegative()),
});
export type ProductRow = z.output<typeof ProductRowSchema>;
