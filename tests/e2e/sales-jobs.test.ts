import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startTestPlatform } from '../helpers/platform.ts';

describe('sales and jobs pages in chromium', () => {
  let platform: Platform;
  let browser: TestBrowser;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  async function openPage(route: string, ready = '.conn-state[data-state="open"]'): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${platform.endpoints.http}/#/${route}`);
    await page.locator(ready).waitFor();
    return page;
  }

  describe('sales', () => {
    const card = (page: Page, productId: number) => page.locator(`.product[data-product-id="${productId}"]`);

    async function bid(page: Page, productId: number, amount: number) {
      await card(page, productId).locator('input[name="amount"]').fill(String(amount));
      await card(page, productId).locator('button[type="submit"]').click();
    }

    it('lists the catalogue read with sql.js, shows the winning bid on both pages and the losing bid’s error', async () => {
      const [ana, ben] = await Promise.all([openPage('sales?user=ana'), openPage('sales?user=ben')]);
      for (const page of [ana, ben]) {
        await page.locator('.products[data-loaded="true"]').waitFor();
        expect(await page.locator('.product').count()).toBe(12);
        expect(await card(page, 1).locator('h2').textContent()).toBe('Vintage road bike');
      }
      await browser.screenshot(ana, 'sales');

      await bid(ana, 1, 130);
      for (const page of [ana, ben]) {
        await card(page, 1).locator('.current-bid').filter({ hasText: '130' }).waitFor();
      }
      expect(await card(ben, 1).locator('.bid-meta').textContent()).toBe('ana · 1 bid');
      expect(await card(ana, 1).getAttribute('class')).toContain('leading');

      await bid(ben, 1, 125);
      const note = card(ben, 1).locator('.bid-note[data-kind="error"]');
      await note.waitFor();
      expect(await note.textContent()).toBe(
        'bid too low: the current bid on Vintage road bike is 130 by ana',
      );
      await ben.locator('.alert[data-code="Conflict"]').waitFor();
      expect(await card(ben, 1).getAttribute('data-current-bid')).toBe('130');
      await browser.screenshot(ben, 'sales-losing-bid');

      // The accepted bid reaches sales.db through the queue; a reload of the catalogue shows it.
      await expect
        .poll(
          async () => {
            await ben.locator('button.reload').click();
            return card(ben, 1).getAttribute('data-catalogue-bids');
          },
          { timeout: 10_000, interval: 300 },
        )
        .toBe('1');
      await Promise.all([ana.close(), ben.close()]);
    });
  });

  describe('jobs', () => {
    it('shows a job go from queued to done, and a failing job as failed', async () => {
      // The page connects with its first job (a job's key is what it subscribes to).
      const page = await openPage('jobs', '.job-form');
      await page.locator('select[name="type"]').selectOption('fail');
      await page.locator('.job-form button[type="submit"]').click();
      await page.locator('.job[data-status="failed"]').waitFor();
      expect(await page.locator('.job[data-status="failed"] .job-detail').textContent()).toBe(
        'this job fails on purpose',
      );

      await page.locator('select[name="type"]').selectOption('sleep');
      await page.locator('.job-form button[type="submit"]').click();
      await page.locator('.job[data-status="running"]').waitFor();
      await browser.screenshot(page, 'jobs-running');
      await page.locator('.job[data-status="done"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('.job[data-status="done"] .job-detail').textContent()).toBe('slept 3000 ms');
      await browser.screenshot(page, 'jobs');
      await page.close();
    });
  });
});
