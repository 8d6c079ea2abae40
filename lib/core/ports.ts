import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { ItemPageStore } from './item-pages.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { Subscriber } from './plan-fanout.ts';

/** Where connections and their subscriptions live (WebSocketConnectionManager). */
export interface ConnectionStore {
  /** Records a new connection and its first subscription. */
  addConnection(input: {
    connectionId: string;
    key: string;
    connectedAt: number;
    expiresAt: number;
    /** Who the connection is (`?user=<name>`); authors room messages. */
    user?: string;
    /** Its token's `exp` (epoch seconds): the expiry sweeper finds it by this. */
    tokenExpiresAt?: number;
    /** False for `?batch=false` (one change per frame); kept on every subscription row. Default true. */
    batch?: boolean;
  }): Promise<void>;
  /**
   * Subscribes the connection to `key` (again: a new expiry only).
   * @throws LimitExceededError when it already holds `maxSubscriptions`; NotFoundError when the
   * connection is gone.
   */
  addSubscription(input: {
    connectionId: string;
    key: string;
    expiresAt: number;
    maxSubscriptions?: number;
  }): Promise<void>;
  /** Unsubscribes the connection from `key`; not subscribed is not an error. */
  removeSubscription(input: { connectionId: string; key: string }): Promise<void>;
  /** Removes every row of the connection (the connection row and all its subscriptions). */
  removeConnection(connectionId: string): Promise<void>;
  /** Every connection subscribed to `key`, with its framing preference, all pages (one query). */
  listSubscribers(key: string): Promise<Subscriber[]>;
}

/** Sends frames to connections (API Gateway `@connections`). */
export interface ConnectionPublisher {
  /**
   * @throws StaleConnectionError when the connection is gone; SlowConnectionError when the post timed
   * out or the connection is throttled.
   */
  post(connectionId: string, frame: ServerFrame): Promise<void>;
  /** Closes the connection (DeleteConnection); a connection already gone is not an error. */
  disconnect?(connectionId: string): Promise<void>;
}

export type ApplyResult = { applied: true; version: number } | { applied: false };

/** RealTimeData: applies readings conditionally and reads the current items of a key. */
export interface ItemStore extends ItemPageStore {
  /**
   * The ordering rule of RealTimeData: a reading replaces the stored item only when it is strictly
   * later in (`ts`, `position`): a later source time, or the same time and a later place in its
   * source. Equal in both is the same reading delivered again: refused, so redelivery is idempotent.
   * Positions are fixed-width text, compared as DynamoDB compares strings (byte order); a stored item
   * without `position` (written before it existed) is never overtaken at an equal `ts`. An applied
   * write gets `version + 1`; clients drop frames not above the version they hold (web/src/versions.ts).
   */
  applyReading(reading: NormalisedReading): Promise<ApplyResult>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** Sends messages to devices over MQTT (AWS IoT data plane `Publish`). */
export interface DevicePublisher {
  /**
   * Publishes `message` as JSON to `topic`.
   * @throws DependencyError when the broker is unavailable or throttles; ForbiddenError when the
   * topic is not allowed.
   */
  publish(topic: string, message: unknown, qos: 0 | 1): Promise<void>;
}
