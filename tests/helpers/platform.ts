import { randomUUID } from 'node:crypto';
import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';
import { type Platform, type PlatformOptions, startPlatform } from '#local/platform.ts';

/**
 * Starts the whole local platform for one test file: free ports, a stack name of its own (so its
 * tables never meet another run's), quiet logs. Stop it in afterAll.
 */
export function startTestPlatform(options: PlatformOptions = {}): Promise<Platform> {
  return startPlatform({
    stackName: `test-${randomUUID().slice(0, 8)}`,
    freePorts: true,
    logLevel: 'ERROR',
    log: () => {},
    ...options,
  });
}

/**
 * POSTs a JSON body to the platform's HTTP API with the local ingest key (`x-api-key`; pass
 * `{'x-api-key': ''}` to send none) and returns status and parsed body.
 */
export async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': LOCAL_API_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * How long a condition may take by default. Generous: a passing test never waits it out, and CI's
 * two cores run several platforms at once, so a frame that takes 50 ms on a quiet machine can take
 * seconds there.
 */
export const DEFAULT_WAIT_MS = 15_000;

/** Polls `condition` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Every item of `key` through `GET /items/{key}`, following `next` page after page.
 * @throws Error naming the status when a page is not 200.
 */
export async function fetchAllItems(
  baseUrl: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<Array<{ channel: string; data: Record<string, unknown> } & Record<string, unknown>>> {
  const items: Array<{ channel: string; data: Record<string, unknown> } & Record<string, unknown>> = [];
  let cursor: string | undefined;
  do {
    const query = cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`;
    const response = await fetch(`${baseUrl}/items/${encodeURIComponent(key)}${query}`, { headers });
    if (response.status !== 200) throw new Error(`GET /items/${key} answered ${response.status}`);
    const page = (await response.json()) as { items: typeof items; next?: string };
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return items;
}
