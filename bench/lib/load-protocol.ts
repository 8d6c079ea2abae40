/** IPC messages between the bench process and its load client (bench/lib/load-client.ts). */
export type ClientCommand =
  | {
      cmd: 'connect';
      url: string;
      keys: string[];
      perKey: number;
      keyParam: string;
      parallel?: number;
      /** `perKey` sockets in all, each subscribed to every one of `keys` (a fleet dashboard). */
      everyKey?: boolean;
    }
  | { cmd: 'reset' }
  | {
      cmd: 'publish';
      transport: 'rest' | 'mqtt';
      httpUrl: string;
      /** `x-api-key` of POST /readings (the template's IngestApiKeys). */
      apiKey?: string;
      mqttUrl?: string;
      mqttTopic?: string;
      keyAttribute: string;
      keys: string[];
      rate: number;
      durationMs: number;
    }
  | {
      cmd: 'collect';
      expectedFrames: number;
      quietMs: number;
      timeoutMs: number;
      /** Readings published per key: missing ones are counted per subscriber. */
      sent?: Record<string, number>;
    }
  | {
      cmd: 'flood';
      httpUrl: string;
      /** `x-api-key` of POST /readings (the template's IngestApiKeys). */
      apiKey?: string;
      keyAttribute: string;
      keys: string[];
      /** Closed-loop posters, each with its own slice of `keys`. */
      posters: number;
      durationMs: number;
    }
  | { cmd: 'close' }
  | { cmd: 'exit' };

export interface PublishResult {
  sent: Record<string, number>;
  stale: number;
  errors: number;
  publishMs: number;
  maxInFlight: number;
}

export interface FloodResult {
  accepted: number;
  stale: number;
  errors: number;
  requests: number;
  publishMs: number;
}

export interface FanoutVersionStats {
  version: number;
  count: number;
  firstAt: number;
  lastAt: number;
}

export interface Collected {
  latencies: number[];
  framesReceived: number;
  firstFrameAt: number;
  lastFrameAt: number;
  /** Readings a subscriber never saw, nor any later reading of its key: lost. */
  missing: number;
  /** Readings a subscriber did not see as such but saw a later reading of its key: conflated or stale. */
  superseded: number;
  versions: FanoutVersionStats[];
}

export type ClientReply =
  | { type: 'ready' }
  | { type: 'ok' }
  | { type: 'connected'; count: number }
  | { type: 'published'; result: PublishResult }
  | { type: 'flooded'; result: FloodResult }
  | ({ type: 'collected' } & Collected)
  | { type: 'error'; message: string };
