import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import type { Platform } from '#local/platform.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { type PageSocket, watchSocket } from '../helpers/page-socket.ts';
import { postJson, startTestPlatform } from '../helpers/platform.ts';

/**
 * How long a test waits for a reading to show before it gives up: a cap against a hang, not the 2 s
 * bound of ingest to dashboard, which the latency bench measures (`bench/scenarios/latency.ts`).
 */
const SHOW_TIMEOUT_MS = 10_000;

describe('web app in chromium', () => {
  let platform: Platform;
  let browser: TestBrowser;
  let keyAttribute: string;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
    keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  async function postReading(key: string, data: Record<string, unknown>) {
    const response = await postJson(
      platform.endpoints.http,
      '/readings',
      { [keyAttribute]: key, ts: Date.now(), data },
      { 'x-api-key': LOCAL_API_KEY },
    );
    expect(response.status).toBe(202);
  }

  /** Each opened page's WebSocket, watched from outside the page. */
  const sockets = new Map<Page, PageSocket>();
  const socketOf = (page: Page): PageSocket => {
    const socket = sockets.get(page);
    if (!socket) throw new Error('the page was not opened with openPage');
    return socket;
  };

  async function openPage(route: string): Promise<Page> {
    const page = await browser.newPage();
    sockets.set(page, await watchSocket(page));
    await page.goto(`${platform.endpoints.http}/#/${route}`);
    await page.locator('.conn-state[data-state="open"]').waitFor();
    return page;
  }

  const valueCell = (page: Page, key: string, field: string, text: string) =>
    page
      .locator(
        `.key-panel[data-key="${key}"] .tile[data-channel="telemetry"] .value[data-field="${field}"] dd`,
      )
      .filter({ hasText: new RegExp(`^${text}$`) });

  describe('dashboard', () => {
    let page: Page;

    beforeAll(async () => {
      page = await openPage('dashboard?keys=e2e-1');
    });

    it('shows a reading posted over REST, with its age and a chart per numeric field', async () => {
      await postReading('e2e-1', { speed: 42.5, fuel: 0.8, gear: 'D' });
      await valueCell(page, 'e2e-1', 'speed', '42.5').waitFor({ timeout: SHOW_TIMEOUT_MS });
      await postReading('e2e-1', { speed: 44, fuel: 0.79, gear: 'D' });
      await valueCell(page, 'e2e-1', 'speed', '44').waitFor({ timeout: SHOW_TIMEOUT_MS });

      const tile = page.locator('.key-panel[data-key="e2e-1"] .tile[data-channel="telemetry"]');
      expect(await tile.locator('.value[data-field="gear"] dd').textContent()).toBe('D');
      expect(await tile.locator('.age').textContent()).toMatch(/now|s ago/);
      expect(await tile.locator('figure.chart canvas').count()).toBe(2);
      expect(await page.locator('.fleet-list li[data-key="e2e-1"]').count()).toBe(1);
      await browser.screenshot(page, 'dashboard');
    });

    it('catches up after a dropped connection: the reading posted meanwhile appears after reconnect', async () => {
      await socketOf(page).drop();
      await page.locator('.conn-state[data-state="reconnecting"]').waitFor();
      await postReading('e2e-1', { speed: 77.7, fuel: 0.78, gear: 'D' });
      await browser.screenshot(page, 'dashboard-reconnecting');
      socketOf(page).release();

      await page.locator('.conn-state[data-state="open"]').waitFor({ timeout: 10_000 });
      await valueCell(page, 'e2e-1', 'speed', '77.7').waitFor({ timeout: 5_000 });
      expect(socketOf(page).opens).toBe(2);
    });

    it('watches another key from the input', async () => {
      await page.locator('.watch-form input[name="key"]').fill('e2e-2');
      await page.locator('.watch-form button[type="submit"]').click();
      await page.locator('.key-panel[data-key="e2e-2"]').waitFor();
      await postReading('e2e-2', { speed: 12 });
      await valueCell(page, 'e2e-2', 'speed', '12').waitFor({ timeout: SHOW_TIMEOUT_MS });
      expect(await page.locator('.key-panel[data-key="e2e-2"]').count()).toBe(1);
      expect(await valueCell(page, 'e2e-2', 'speed', '12').count()).toBe(1);
      await browser.screenshot(page, 'dashboard-two-keys');
    });
  });

  describe('rooms', () => {
    let alice: Page;
    let bob: Page;
    const message = (page: Page, author: string) => page.locator(`.message[data-author="${author}"]`);

    beforeAll(async () => {
      [alice, bob] = await Promise.all([
        openPage('rooms?room=e2e&user=alice'),
        openPage('rooms?room=e2e&user=bob'),
      ]);
    });

    it('shows a message posted in one page in the other', async () => {
      await alice.locator('.composer input[name="text"]').fill('hello from alice');
      await alice.locator('.composer input[name="text"]').press('Enter');
      await message(bob, 'alice').filter({ hasText: 'hello from alice' }).waitFor();
      await message(alice, 'alice').filter({ hasText: 'hello from alice' }).waitFor();
      for (const page of [bob, alice]) {
        expect(await message(page, 'alice').filter({ hasText: 'hello from alice' }).count()).toBe(1);
      }
      await browser.screenshot(bob, 'rooms');
    });

    it("refuses an edit of another user's message with a visible error", async () => {
      const messageId = await message(bob, 'alice').first().getAttribute('data-message-id');
      expect(messageId).toBeTruthy();
      expect(await message(bob, 'alice').locator('.actions').count()).toBe(0);

      const sent = socketOf(bob).send({
        action: 'edit',
        room: 'e2e',
        messageId,
        text: 'edited by bob',
      });
      expect(sent).toBe(true);
      const error = bob.locator('.alert[data-code="Forbidden"]');
      await error.waitFor();
      expect(await error.textContent()).toContain('only alice may edit');
      expect(await message(alice, 'alice').locator('.text').textContent()).toBe('hello from alice');
      await browser.screenshot(bob, 'rooms-edit-refused');
    });

    it('lets the author edit and delete; a late joiner gets the history as a snapshot', async () => {
      // Background tabs get no animation frames, which Playwright's click waits for.
      await alice.bringToFront();
      await message(alice, 'alice').getByRole('button', { name: 'Edit' }).click();
      await alice.locator('.edit-form input[name="edit"]').fill('hello, edited');
      await alice.locator('.edit-form input[name="edit"]').press('Enter');
      await message(bob, 'alice').filter({ hasText: 'hello, edited' }).locator('.edited').waitFor();

      await alice.locator('.composer input[name="text"]').fill('second message');
      await alice.locator('.composer input[name="text"]').press('Enter');
      const second = message(bob, 'alice').filter({ hasText: 'second message' });
      await second.waitFor();
      await message(alice, 'alice')
        .filter({ hasText: 'second message' })
        .getByRole('button', { name: 'Delete' })
        .click();
      await bob.locator('.message.is-deleted .text').filter({ hasText: 'message deleted' }).waitFor();

      const carol = await openPage('rooms?room=e2e&user=carol');
      await message(carol, 'alice').filter({ hasText: 'hello, edited' }).waitFor();
      await carol.locator('.message.is-deleted').waitFor();
      expect(await carol.locator('.message').count()).toBe(2);
      await browser.screenshot(alice, 'rooms-author');
    });

    it('resumes a room after a dropped connection with sync after, getting the message posted meanwhile', async () => {
      const dave = await browser.newPage();
      const socket = await watchSocket(dave);
      await dave.goto(`${platform.endpoints.http}/#/rooms?room=e2e&user=dave`);
      await message(dave, 'alice').filter({ hasText: 'hello, edited' }).waitFor();
      const held = socket.seqOf('room-e2e');
      expect(held).toMatch(/^[1-9][0-9]*$/);

      await socket.drop();
      await dave.locator('.conn-state[data-state="reconnecting"]').waitFor();
      await alice.bringToFront();
      await alice.locator('.composer input[name="text"]').fill('while dave was away');
      await alice.locator('.composer input[name="text"]').press('Enter');
      await message(alice, 'alice').filter({ hasText: 'while dave was away' }).waitFor();
      socket.release();

      await message(dave, 'alice').filter({ hasText: 'while dave was away' }).waitFor({ timeout: 10_000 });
      expect(socket.sent).toContainEqual({ action: 'sync', key: 'room-e2e', after: held });
      expect(await message(dave, 'alice').filter({ hasText: 'hello, edited' }).count()).toBe(1);
    });
  });

  it('has the sales and jobs pages in its navigation', async () => {
    const page = await browser.newPage();
    for (const [route, path, title] of [
      ['sales', 'sales?user=nav', 'Sales'],
      ['jobs', 'jobs', 'Jobs'],
    ] as const) {
      await page.goto(`${platform.endpoints.http}/#/${path}`);
      await page.locator('.page h1').filter({ hasText: title }).waitFor();
      expect(await page.locator(`.tabs a.active[data-route="${route}"]`).count()).toBe(1);
      await browser.screenshot(page, `nav-${route}`);
    }
  });
});
