/**
 * The item keys and channels the apps on the real-time path own (jobs, rooms, sales, widgets), apart
 * from their schemas: channels.ts, app-ownership.ts and the core read these without building them.
 */

/** Prefix of a job's item key. */
export const JOB_KEY_PREFIX = 'job-';
/** Channel of a job's status item. */
export const JOB_STATUS_CHANNEL = 'status';

/** `<uuid>` → `job-<uuid>`. */
export function jobKey(jobId: string): string {
  return `${JOB_KEY_PREFIX}${jobId}`;
}

/** Prefix of the item key of a room. */
export const ROOM_KEY_PREFIX = 'room-';
/** Prefix of the channel of a message item. */
export const MESSAGE_CHANNEL_PREFIX = 'message#';

/** Prefix of a product's item key. */
export const PRODUCT_KEY_PREFIX = 'product-';
/** Channel of a product's current bid. */
export const BID_CHANNEL = 'bid';

/** Prefix of the channel of a widget item (`widget#<widgetId>`, under its owner's key). */
export const WIDGET_CHANNEL_PREFIX = 'widget#';
