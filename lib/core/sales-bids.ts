import { BID_CHANNEL } from '#contracts/app-keys.ts';
import type { RealTimeItem } from '#contracts/real-time-item.ts';
import {
  type BidAction,
  BidActionSchema,
  type BidData,
  BidDataSchema,
  productKey,
  type SalesUpdate,
} from '#contracts/sales.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import { type AccessClaims, assertCanIngest } from './authorise.ts';
import { ForbiddenError, NotFoundError, StaleWriteError, ValidationError } from './errors.ts';
import { parseJsonWith } from './issues.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ApplyResult, Clock } from './ports.ts';
import type { ConnectionIdentityStore } from './room-messages.ts';
import { findProduct } from './sales-products.ts';

/** The `source` of bid items. */
const SALES_SOURCE = 'sales';

/** RealTimeData as bids need it: the write that only a higher amount wins, and one item. */
export interface BidItemStore {
  /**
   * Writes `reading` only when the item does not exist or its `data.<field>` is below `value`.
   * @returns `{applied: false}` when the stored value is equal or higher.
   */
  applyIfAbove(reading: NormalisedReading, field: string, value: number): Promise<ApplyResult>;
  getItem(key: string, channel: string): Promise<RealTimeItem | undefined>;
}

/** Where accepted bids go to be applied to sales.db (SalesUpdatesQueue). */
interface SalesUpdateSender {
  send(update: SalesUpdate): Promise<void>;
}

export interface BidPorts {
  connections: ConnectionIdentityStore;
  items: BidItemStore;
  updates: SalesUpdateSender;
  clock: Clock;
}

interface BidOutcome {
  /** The reply for the bidder. */
  frame: ServerFrame;
  /** The accepted bid's catalogue update, and the error when sending it failed (the bid stands). */
  update: SalesUpdate;
  sendError?: unknown;
}

/**
 * Parses a WebSocket message body into a bid.
 * @throws ValidationError for non-JSON bodies and bad fields.
 */
export function parseBidAction(body: string | null | undefined): BidAction {
  return parseJsonWith(BidActionSchema, body ?? '', 'body');
}

/**
 * Places a bid as the connection's user. The rule — the amount beats the current bid, and the first
 * bid is at least the starting price — is enforced by the conditional write itself, so two bids
 * racing cannot both win. The accepted bid reaches every page subscribed to `product-<id>` through
 * the stream fan-out; its catalogue update is sent for sales.db. No SQL text comes from the client.
 * @throws ForbiddenError when the claims do not allow bidding, the connection has no user, or
 * `bidder` names someone else.
 * @throws NotFoundError for a product not in the catalogue.
 * @throws ValidationError for an amount below the starting price.
 * @throws StaleWriteError (`Conflict`) when the amount does not beat the current bid; the message
 * names the current bid.
 */
export async function placeBid(
  action: BidAction,
  context: { connectionId: string; keyAttribute: string; claims?: AccessClaims },
  ports: BidPorts,
): Promise<BidOutcome> {
  const key = productKey(action.productId);
  if (context.claims) assertCanIngest(context.claims, 'bid', key);
  const user = await ports.connections.getConnectionUser(context.connectionId);
  if (user === undefined) throw new ForbiddenError('bids need a user name: connect with ?user=<name>');
  if (action.bidder !== undefined && action.bidder !== user) {
    throw new ForbiddenError(`you are connected as ${user}; you cannot bid as ${action.bidder}`);
  }
  const product = findProduct(action.productId);
  if (product === undefined) throw new NotFoundError(`no product ${action.productId} in the catalogue`);
  if (action.amount < product.price) {
    throw new ValidationError(`the starting price of ${product.name} is ${product.price}`, [
      { path: 'body.amount', message: `must be at least ${product.price}` },
    ]);
  }

  const now = ports.clock.now();
  const data: BidData = { productId: action.productId, amount: action.amount, bidder: user, placedAt: now };
  const result = await ports.items.applyIfAbove(
    {
      keyAttribute: context.keyAttribute,
      itemKey: key,
      channel: BID_CHANNEL,
      ts: now,
      source: SALES_SOURCE,
      data,
      receivedAt: now,
    },
    'amount',
    action.amount,
  );
  if (!result.applied) {
    const current = BidDataSchema.safeParse((await ports.items.getItem(key, BID_CHANNEL))?.data);
    const detail = current.success ? `${current.data.amount} by ${current.data.bidder}` : 'higher';
    throw new StaleWriteError(`bid too low: the current bid on ${product.name} is ${detail}`);
  }

  const update: SalesUpdate = { ...data, bidCount: result.version };
  const frame: ServerFrame = { type: 'ack', action: 'bid', key };
  try {
    await ports.updates.send(update);
    return { frame, update };
  } catch (sendError) {
    return { frame, update, sendError };
  }
}
