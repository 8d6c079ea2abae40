import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads a JSON fixture from contracts/fixtures. */
export function fixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../../contracts/fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
