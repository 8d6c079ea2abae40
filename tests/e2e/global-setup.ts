import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = join(ROOT, 'web');
const BUILT = join(WEB, 'dist', 'index.html');
/** What the build reads: a change to any of them makes web/dist stale. */
const SOURCES = [
  join(WEB, 'index.html'),
  join(WEB, 'vite.config.ts'),
  join(WEB, 'src'),
  join(ROOT, 'contracts'),
];

/**
 * Vitest global setup of the browser tests: builds the web app (`vite build web`) when web/dist is
 * missing or older than its sources, so `npm test` on a clean clone serves the current app.
 */
export default async function setup(): Promise<void> {
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestMtime(SOURCES)) return;
  console.error('building the web app for the browser tests (vite build web)…');
  await build({ root: WEB, logLevel: 'warn' });
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const info = statSync(path);
    if (info.isDirectory()) {
      const children = readdirSync(path).map((name) => join(path, name));
      newest = Math.max(newest, newestMtime(children));
    } else {
      newest = Math.max(newest, info.mtimeMs);
    }
  }
  return newest;
}
