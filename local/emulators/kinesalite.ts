import { once } from 'node:events';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/template/local-identity.ts';

/** Options of {@link startKinesalite}. */
interface KinesaliteOptions {
  /** TCP port on 127.0.0.1; 0 or undefined lets the OS pick a free one. */
  port?: number;
  /** How long a new stream stays CREATING (kinesalite's default is 500 ms). Default 0. */
  createStreamMs?: number;
  /** How long a deleted stream stays DELETING. Default 0. */
  deleteStreamMs?: number;
  /** How long a stream stays UPDATING after a reshard or retention change. Default 0. */
  updateStreamMs?: number;
  /** Shards per account before LimitExceededException (kinesalite's default is 10). Default 100. */
  shardLimit?: number;
}

/** A running kinesalite: in memory, reachable only from this machine. */
export interface Kinesalite {
  /** `http://127.0.0.1:<port>`, for the `endpoint` of SDK clients. */
  endpoint: string;
  port: number;
  /** Closes the server and its in-memory store. Idempotent. */
  stop(): Promise<void>;
}

type KinesaliteFactory = (options: Record<string, unknown>) => Server;

const HOST = '127.0.0.1';

/**
 * Starts kinesalite embedded in this process. Its CLI binds every interface, so the server it
 * creates is listened on 127.0.0.1 here instead. Without `path` its LevelDB store is in memory.
 */
export async function startKinesalite(options: KinesaliteOptions = {}): Promise<Kinesalite> {
  const kinesalite = createRequire(import.meta.url)('kinesalite') as KinesaliteFactory;
  const server = kinesalite({
    createStreamMs: options.createStreamMs ?? 0,
    deleteStreamMs: options.deleteStreamMs ?? 0,
    updateStreamMs: options.updateStreamMs ?? 0,
    shardLimit: options.shardLimit ?? 100,
  });
  server.listen(options.port ?? 0, HOST);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => Promise.reject(error as Error)),
  ]);
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${HOST}:${port}`,
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      });
      return stopped;
    },
  };
}

/**
 * A Kinesis client for kinesalite. The SDK's Kinesis client speaks HTTP/2 by default (for
 * SubscribeToShard), which kinesalite's HTTP/1.1 server answers with a protocol error.
 */
export function createLocalKinesisClient(endpoint: string, region = LOCAL_REGION): KinesisClient {
  return new KinesisClient({
    endpoint,
    region,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: new NodeHttpHandler(),
  });
}
