import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApi } from '#local/gateway/http-api.ts';
import { staticFiles } from '#local/gateway/static-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'rtp-static-'));
const apis: HttpApi[] = [];

async function serve(root: string): Promise<string> {
  const api = new HttpApi({ functions: [], invoker: { invoke: async () => ({}) } });
  const handler = staticFiles(root, { buildHint: 'npx vite build web' });
  api.addLocalRoute('GET', '/', handler);
  api.addLocalRoute('GET', '/{proxy+}', handler);
  api.addLocalRoute('GET', '/health', (_req, res) => {
    res.end('{"status":"ok"}');
  });
  apis.push(api);
  return (await api.start()).url;
}

beforeAll(() => {
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(dir, 'dist', 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'dist', 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(dir, 'secret.txt'), 'outside the root');
});

afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('staticFiles', () => {
  it('serves index.html at / and assets with their content types', async () => {
    const url = await serve(join(dir, 'dist'));
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>app</title>');
    const script = await fetch(`${url}/assets/index-abc.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${url}/assets/index-abc.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('leaves the API routes alone and answers 404 for missing files and paths outside the root', async () => {
    const url = await serve(join(dir, 'dist'));
    expect(await (await fetch(`${url}/health`)).text()).toBe('{"status":"ok"}');
    expect((await fetch(`${url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${url}/..%2fsecret.txt`)).status).toBe(404);
    expect((await fetch(`${url}/assets/..%2f..%2fsecret.txt`)).status).toBe(404);
  });

  it('explains how to build the app when it is not built', async () => {
    const url = await serve(join(dir, 'not-built'));
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npx vite build web');
  });
});
