import { type ConnectionState, LiveConnection, type LiveConnectionOptions } from './live-connection.ts';
import { type PlatformInfo, sessionToken } from './platform.ts';

/** The frame handlers and extra query of a page; the rest comes from the platform. */
type PageConnectionOptions = Omit<
  LiveConnectionOptions,
  'websocketUrl' | 'keyAttribute' | 'token' | 'freshToken' | 'onState'
>;

/**
 * The page's live connection to `platform` (its WebSocket URL, key attribute and token), with its
 * state shown on `badge`. Like every LiveConnection it connects on the first subscribe.
 */
export function pageConnection(
  platform: PlatformInfo,
  badge: { set(state: ConnectionState): void },
  options: PageConnectionOptions,
): LiveConnection {
  return new LiveConnection({
    ...options,
    websocketUrl: platform.websocketUrl,
    keyAttribute: platform.keyAttribute,
    token: platform.token,
    // A token put in the tab's session (a newer ?token= link) replaces the expired one.
    freshToken: sessionToken,
    onState: (state) => badge.set(state),
  });
}
