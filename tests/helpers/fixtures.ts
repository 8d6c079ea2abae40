import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Subscriber } from '#core/plan-fanout.ts';

/** Reads a JSON fixture from contracts/fixtures. */
export function fixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../../contracts/fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Subscribers as the connection store lists them; all batch unless `?batch=false` ones are named. */
export function subscribers(ids: readonly string[], singleFrames: readonly string[] = []): Subscriber[] {
  return ids.map((connectionId) => ({ connectionId, batch: !singleFrames.includes(connectionId) }));
}
