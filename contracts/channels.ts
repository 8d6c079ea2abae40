import {
  BID_CHANNEL,
  JOB_STATUS_CHANNEL,
  MESSAGE_CHANNEL_PREFIX,
  WIDGET_CHANNEL_PREFIX,
} from './app-keys.ts';

/**
 * How much each channel's frames matter to a subscriber that falls behind. Declared once, here: the
 * fan-out (and any later batching) asks `isLatestValueChannel`.
 * - **latest-value** (telemetry and every other reading channel): only the newest state counts, so a
 *   frame a slow connection could not take may be dropped (conflated); the next change carries
 *   the latest value.
 * - **every-item** (room messages `message#<id>`, widgets `widget#<id>`, the sales `bid`, a job's
 *   `status`): each frame is an event a client must see, so a post that times out or is throttled is
 *   retried, and a connection that still cannot take it is closed so its client resyncs.
 */
export const EVERY_ITEM_CHANNELS: { exact: readonly string[]; prefixes: readonly string[] } = {
  exact: [BID_CHANNEL, JOB_STATUS_CHANNEL],
  prefixes: [MESSAGE_CHANNEL_PREFIX, WIDGET_CHANNEL_PREFIX],
};

/** Whether a frame of `channel` may be conflated for a slow connection (see above). */
export function isLatestValueChannel(channel: string): boolean {
  return (
    !EVERY_ITEM_CHANNELS.exact.includes(channel) &&
    !EVERY_ITEM_CHANNELS.prefixes.some((prefix) => channel.startsWith(prefix))
  );
}
