import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Subscriber } from '#core/plan-fanout.ts';
import type { ConnectionStore } from '#core/ports.ts';

/** Reads a JSON fixture from contracts/fixtures. */
export function fixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../../contracts/fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Subscribers as the connection store lists them; all batch unless `?batch=false` ones are named. */
export function subscribers(ids: readonly string[], singleFrames: readonly string[] = []): Subscriber[] {
  return ids.map((connectionId) => ({ connectionId, batch: !singleFrames.includes(connectionId) }));
}

/** A connection store that does nothing and lists no subscriber, but for the methods a test gives. */
export function connectionStoreWith(methods: Partial<ConnectionStore> = {}): ConnectionStore {
  return {
    addConnection: async () => {},
    addSubscription: async () => {},
    removeSubscription: async () => {},
    removeConnection: async () => {},
    listSubscribers: async () => [],
    ...methods,
  };
}
