/**
 * The browser origins whose pages may use the local platform: its own HTTP origin (at 127.0.0.1 and
 * localhost, once the HTTP port is known) plus configured extras (`RTP_ALLOWED_ORIGINS`; `*` allows
 * every origin). Without this, any site open in the developer's browser could read the local data
 * over the WebSocket (browsers send no CORS check for WebSocket upgrades) or the HTTP API.
 */
export class AllowedOrigins {
  readonly #origins = new Set<string>();

  /** @throws Error naming an extra that is neither `*` nor an origin (`scheme://host[:port]`). */
  constructor(extra: readonly string[] = []) {
    for (const origin of extra) this.#origins.add(origin === '*' ? '*' : originOf(origin));
  }

  /** Adds the platform's own HTTP origin, under both names a browser may use for the loopback. */
  addOwn(httpUrl: string): void {
    const { protocol, port } = new URL(httpUrl);
    for (const host of ['127.0.0.1', 'localhost'])
      this.#origins.add(`${protocol}//${host}${port ? `:${port}` : ''}`);
  }

  /** A request without `Origin` is no web page (a CLI, an SDK, a test client) and is allowed. */
  allows(origin: string | undefined): boolean {
    return origin === undefined || this.#origins.has('*') || this.#origins.has(origin);
  }

  /** The allowed origins, for CORS answers and /health. */
  list(): string[] {
    return [...this.#origins];
  }
}

function originOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`allowed origin ${JSON.stringify(text)} is not an origin like http://127.0.0.1:5173`);
  }
  if (url.origin === 'null' || `${url.origin}/` !== url.href.replace(/\/?$/, '/'))
    throw new Error(`allowed origin ${JSON.stringify(text)} must be scheme://host[:port], without a path`);
  return url.origin;
}
