import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { LocalRouteHandler } from './http-api.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.db': 'application/vnd.sqlite3',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * Serves the built web app from `rootDir` (web/dist) for `GET /` and `GET /{proxy+}`: files with
 * their content type, `index.html` for `/`; hashed `assets/` are cached for good, the rest revalidated.
 * Paths never leave `rootDir`. Without a build, `/` explains how to make one (503). `headers` (the
 * security headers CloudFront adds on AWS) go on every answer.
 */
export function staticFiles(
  rootDir: string,
  options: { buildHint: string; headers?: Record<string, string> },
): LocalRouteHandler {
  const extra = options.headers ?? {};
  const root = resolve(rootDir);
  return async (req, res, pathParameters) => {
    const relative = pathParameters.proxy ?? 'index.html';
    const file = resolve(join(root, relative));
    for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
    if (file !== root && !file.startsWith(root + sep)) return notFound(res);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      if (relative === 'index.html') return notBuilt(res, root, options.buildHint);
      return notFound(res);
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(info.size),
      'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

function notFound(res: Parameters<LocalRouteHandler>[1]): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('Not Found');
}

function notBuilt(res: Parameters<LocalRouteHandler>[1], root: string, buildHint: string): void {
  res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    `<!doctype html><meta charset="utf-8"><title>Web app not built</title>` +
      `<body style="font-family:system-ui,sans-serif;max-width:640px;margin:60px auto;line-height:1.5">` +
      `<h1>The web app is not built</h1><p>The platform is running, but <code>${escapeHtml(root)}</code> ` +
      `has no <code>index.html</code>. Build it with <code>${escapeHtml(buildHint)}</code> and reload.</p>` +
      `<p>The APIs work meanwhile: <a href="health">/health</a>.</p></body>`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
