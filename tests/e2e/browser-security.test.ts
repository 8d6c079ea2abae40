import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startTestPlatform } from '../helpers/platform.ts';

/** What the page's CSP refused, as the browser reports it (`securitypolicyviolation`). */
interface Violation {
  directive: string;
  blocked: string;
}

describe('the web app under its security headers, in chromium', () => {
  let platform: Platform;
  let browser: TestBrowser;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  /** Opens `path`, recording every CSP violation from the first byte on. */
  async function open(path: string): Promise<{ page: Page; violations: () => Promise<Violation[]> }> {
    const page = await browser.newPage();
    // A string, not a function: the test's own transforms must not reach the page.
    await page.addInitScript(`
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) =>
        window.cspViolations.push({ directive: event.effectiveDirective, blocked: event.blockedURI }));
    `);
    const response = await page.goto(`${platform.endpoints.http}${path}`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    return {
      page,
      violations: () =>
        page.evaluate(() => (window as unknown as { cspViolations: Violation[] }).cspViolations),
    };
  }

  it('connects the dashboard and loads the sql.js catalogue (wasm in a worker) with no CSP violation', async () => {
    const dashboard = await open('/#/dashboard?keys=csp-1');
    await dashboard.page.locator('.conn-state[data-state="open"]').waitFor();
    expect(await dashboard.violations()).toEqual([]);

    const sales = await open('/#/sales?user=ana');
    await sales.page.locator('.products[data-loaded="true"]').waitFor();
    await sales.page.locator('.product img').first().waitFor();
    expect(await sales.page.locator('.product').count()).toBe(12);
    expect(await sales.violations()).toEqual([]);
  });

  it('runs a job from the Jobs page with no CSP violation', async () => {
    const jobs = await open('/#/jobs');
    await jobs.page.locator('.job-form').waitFor();
    await jobs.page.locator('select[name="type"]').selectOption('fail');
    await jobs.page.locator('.job-form button[type="submit"]').click();
    await jobs.page.locator('.job[data-status="failed"]').waitFor();
    expect(await jobs.violations()).toEqual([]);
  });

  it('takes ?token= from the address, keeps it for the tab and removes it from the URL', async () => {
    const { page } = await open('/?token=not-a-real-token&x=1#/dashboard?keys=csp-1');
    await page.locator('.conn-state').waitFor();
    await page.waitForFunction(() => !location.search.includes('token'));
    expect(new URL(page.url()).search).toBe('?x=1');
    expect(new URL(page.url()).hash).toBe('#/dashboard?keys=csp-1');
    expect(await page.evaluate(() => sessionStorage.getItem('rtp.token'))).toBe('not-a-real-token');
  });
});
