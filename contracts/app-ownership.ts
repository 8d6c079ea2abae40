import { JOB_KEY_PREFIX, PRODUCT_KEY_PREFIX, ROOM_KEY_PREFIX, WIDGET_CHANNEL_PREFIX } from './app-keys.ts';
import * as z from './zod.ts';

/**
 * Which items belong to which app. An app-owned item is written only by that app's own writer (a
 * WebSocket action, the jobs worker, a widget request); a reading from any source (REST, MQTT,
 * Kinesis, SNS/SQS, S3) that would write one is refused, so nobody can post the winning bid, a
 * message "written by" someone else, a job's result or a widget as a plain reading.
 *
 * A rule names a key pattern, a channel pattern, or both (an item matches when it matches every
 * pattern the rule names). Patterns are exact text or `*` globs, as in a token's `keys` claim.
 * An app's whole key is owned where its pages trust every item under the key (a room's snapshot on
 * join carries every item of `room-<name>`); widgets live under any owner's key, so only their
 * channel is owned.
 */
export const AppOwnershipRuleSchema = z
  .strictObject({
    app: z.string().check(z.minLength(1)),
    keyPattern: z.optional(z.string().check(z.minLength(1))),
    channelPattern: z.optional(z.string().check(z.minLength(1))),
    /** What writes these items, for the reason a refused reading is given. */
    writtenBy: z.string().check(z.minLength(1)),
  })
  .check(
    z.refine((rule) => rule.keyPattern !== undefined || rule.channelPattern !== undefined, {
      message: 'a rule needs a key pattern, a channel pattern or both',
    }),
  );
export type AppOwnershipRule = z.output<typeof AppOwnershipRuleSchema>;

/** The platform's app-owned items; the one place they are declared. */
export const APP_OWNED_ITEMS: readonly AppOwnershipRule[] = [
  { app: 'sales', keyPattern: `${PRODUCT_KEY_PREFIX}*`, writtenBy: 'the WebSocket action bid' },
  {
    app: 'rooms',
    keyPattern: `${ROOM_KEY_PREFIX}*`,
    writtenBy: 'the WebSocket actions publish, edit and delete',
  },
  { app: 'jobs', keyPattern: `${JOB_KEY_PREFIX}*`, writtenBy: 'POST /jobs and the jobs worker' },
  {
    app: 'widgets',
    channelPattern: `${WIDGET_CHANNEL_PREFIX}*`,
    writtenBy: 'widget requests on the ingest queue',
  },
].map((rule) => AppOwnershipRuleSchema.parse(rule));
