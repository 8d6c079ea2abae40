import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryPageSchema } from '#contracts/history.ts';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type PageSocket, watchSocket } from '../helpers/page-socket.ts';
import { postJson, startTestPlatform, waitFor } from '../helpers/platform.ts';

const KEY = 'fleet-1';

/**
 * The dashboard opened on a vehicle with history: charts and the map's trail start from history,
 * live readings move the marker, and a reconnect resumes with `sync` `after` and misses nothing.
 * Map tiles are unreachable here (as offline): the marker and trail draw on the plain background.
 */
describe('dashboard history and fleet map, in chromium', () => {
  let platform: Platform;
  let browser: TestBrowser;
  let keyAttribute: string;
  let page: Page;
  /** The page's WebSocket, watched from outside the page. */
  let socket: PageSocket;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
    keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
    await browser.context.route(/tile\.openstreetmap\.org/, (route) => route.abort('internetdisconnected'));
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  let step = 0;
  const lat = (n: number) => Number((40.4 + n * 0.002).toFixed(6));
  const lon = (n: number) => Number((-3.7 + n * 0.003).toFixed(6));
  /** A reading of KEY `agoMs` in the past, one step further along a diagonal. */
  async function postPosition(agoMs = 0): Promise<void> {
    step += 1;
    const response = await postJson(
      platform.endpoints.http,
      '/readings',
      {
        [keyAttribute]: KEY,
        ts: Date.now() - agoMs,
        data: { lat: lat(step), lon: lon(step), speed: 40 + step },
      },
      { 'x-api-key': LOCAL_API_KEY },
    );
    expect(response.status).toBe(202);
  }

  async function historyLength(): Promise<number> {
    const response = await fetch(`${platform.endpoints.http}/items/${KEY}/history?channel=telemetry`);
    if (response.status !== 200) return 0;
    return HistoryPageSchema.parse(await response.json()).items.length;
  }

  /** The telemetry speed chart once it draws `points` readings. */
  const speedChart = (points: number) =>
    page.locator(
      `.key-panel[data-key="${KEY}"] .tile[data-channel="telemetry"] figure.chart[data-field="speed"][data-points="${points}"]`,
    );
  const marker = () => page.locator(`path.fleet-marker[data-key="${KEY}"]`);
  const trail = (points: number) =>
    page.locator(`path.fleet-trail[data-key="${KEY}"][data-points="${points}"]`);

  it('fills the chart and the trail from history when the page opens', async () => {
    for (const ago of [120_000, 90_000, 60_000]) await postPosition(ago);
    await waitFor(async () => (await historyLength()) === 3, 'three history entries', 10_000);

    page = await browser.newPage();
    socket = await watchSocket(page);
    await page.goto(`${platform.endpoints.http}/#/dashboard?keys=${KEY}`);
    await page.locator('.conn-state[data-state="open"]').waitFor();

    await speedChart(3).waitFor();
    await trail(3).waitFor();
    expect(await marker().getAttribute('data-position')).toBe(`${lat(3)},${lon(3)}`);
    expect(await page.locator('.history-error').count()).toBe(0);
  });

  it('moves the marker and extends chart and trail with a live reading', async () => {
    const drawn = await marker().getAttribute('d');
    await postPosition();
    await speedChart(4).waitFor();
    await trail(4).waitFor();
    expect(await marker().getAttribute('data-position')).toBe(`${lat(4)},${lon(4)}`);
    expect(await marker().getAttribute('d')).not.toBe(drawn);
    await browser.screenshot(page, 'dashboard-fleet-map');
  });

  it('resumes after a dropped connection with sync after the seq it held, missing nothing', async () => {
    const held = socket.seqOf(KEY);
    expect(held).toMatch(/^[1-9][0-9]*$/);
    await socket.drop();
    await page.locator('.conn-state[data-state="reconnecting"]').waitFor();
    await postPosition();
    await postPosition();
    socket.release();

    await page.locator('.conn-state[data-state="open"]').waitFor({ timeout: 10_000 });
    await speedChart(6).waitFor({ timeout: 5_000 });
    await trail(6).waitFor();
    expect(await marker().getAttribute('data-position')).toBe(`${lat(6)},${lon(6)}`);
    expect(socket.sent).toContainEqual({ action: 'sync', key: KEY, after: held });
    expect(socket.opens).toBe(2);
    const cell = page.locator(`.key-panel[data-key="${KEY}"] .value[data-field="speed"] dd`);
    expect(await cell.textContent()).toBe(String(40 + step));
  });
});
