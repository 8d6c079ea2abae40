import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The built web app (tests/e2e/global-setup.ts builds it when missing or stale). */
const ASSETS = fileURLToPath(new URL('../../web/dist/assets/', import.meta.url));
/** `window.x =`, `globalThis.x =`, `self.x =`: a global the bundle sets (not `==`). */
const GLOBAL_WRITE = /\b(?:window|globalThis|self)\.([A-Za-z_$][\w$]*)\s*=(?!=)/g;
/** Leaflet's own global (`window.L`), which the map library sets for its plugins. */
const LIBRARY_GLOBALS = new Set(['L']);

describe('built web app', () => {
  const scripts = readdirSync(ASSETS)
    .filter((name) => name.endsWith('.js'))
    .map((name) => ({ name, text: readFileSync(join(ASSETS, name), 'utf8') }));

  it('carries no test hook: it sets no global of its own on the window', () => {
    expect(scripts.length).toBeGreaterThan(0);
    const own = scripts.flatMap(({ name, text }) =>
      [...text.matchAll(GLOBAL_WRITE)]
        .map((match) => match[1] ?? '')
        .filter((global) => !LIBRARY_GLOBALS.has(global))
        .map((global) => `${name}: ${global}`),
    );
    expect(own).toEqual([]);
    for (const { text } of scripts) expect(text).not.toContain('exposeForTests');
  });
});
