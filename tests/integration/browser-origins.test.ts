import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { connectClient } from '../helpers/ws-client.ts';

/** A site the developer happens to have open in the same browser. */
const FOREIGN = 'https://evil.example';
/** Configured on top of the platform's own origin, as RTP_ALLOWED_ORIGINS does (the Vite dev server). */
const EXTRA = 'http://127.0.0.1:5173';

let platform: Platform;
let ownOrigin: string;

beforeAll(async () => {
  platform = await startTestPlatform({ allowedOrigins: [EXTRA] });
  ownOrigin = new URL(platform.endpoints.http).origin;
});

afterAll(async () => {
  await platform?.stop();
});

async function upgradeStatus(origin: string | undefined): Promise<number> {
  try {
    const client = await connectClient(
      `${platform.endpoints.websocket}/?vehicleId=3`,
      origin ? { origin } : {},
    );
    await client.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

describe('the local platform and the browser', () => {
  it("opens WebSockets for the platform's own origin, configured ones and clients without Origin", async () => {
    const localhost = ownOrigin.replace('127.0.0.1', 'localhost');
    expect(await upgradeStatus(ownOrigin)).toBe(101);
    expect(await upgradeStatus(localhost)).toBe(101);
    expect(await upgradeStatus(EXTRA)).toBe(101);
    expect(await upgradeStatus(undefined)).toBe(101);
  });

  it('refuses a WebSocket upgrade from any other origin with 403', async () => {
    expect(await upgradeStatus(FOREIGN)).toBe(403);
    expect(await upgradeStatus('http://127.0.0.1:1')).toBe(403);
    expect(await upgradeStatus('null')).toBe(403);
  });

  it("answers CORS for the platform's own origin only, not for other sites", async () => {
    const preflight = (origin: string) =>
      fetch(`${platform.endpoints.http}/jobs`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    expect((await preflight(ownOrigin)).headers.get('access-control-allow-origin')).toBe(ownOrigin);
    expect((await preflight(FOREIGN)).headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${platform.endpoints.http}/items/3`, { headers: { origin: FOREIGN } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the web app with the security headers CloudFront adds, the local WebSocket in connect-src', async () => {
    const response = await fetch(`${platform.endpoints.http}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    const wsPort = new URL(platform.endpoints.websocket).port;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toMatch(new RegExp(`connect-src 'self' wss: ws://127\\.0\\.0\\.1:${wsPort}`));
    expect(response.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
  });
});
