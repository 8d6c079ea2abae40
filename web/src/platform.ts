import { DEFAULT_ITEM_KEY_ATTRIBUTE } from '#contracts/item-key.ts';
import { PlatformInfoSchema } from '#contracts/platform-info.ts';

/** Where this page's platform is and how it names item keys. */
export interface PlatformInfo {
  httpUrl: string;
  websocketUrl: string;
  keyAttribute: string;
  /**
   * Bearer token for stacks with `AuthMode=jwt` (sent as `?token=` at connect, browsers cannot set
   * WebSocket headers): from the page URL's `?token=`, kept in session storage for the tab; the
   * parameter is removed from the address bar as soon as it is read.
   */
  token: string | undefined;
}

/**
 * Asks the platform that served the page (`GET /health`, same origin) for its WebSocket URL and
 * key attribute, so the app never hard-codes a port.
 * @throws Error when /health is unreachable or answers something else.
 */
export async function loadPlatformInfo(): Promise<PlatformInfo> {
  // Before anything that can fail: the token leaves the URL even when /health does not answer.
  const token = sessionToken();
  const response = await fetch(new URL('health', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /health answered ${response.status}`);
  const health = PlatformInfoSchema.parse(await response.json());
  return {
    httpUrl: health.endpoints.http || location.origin,
    websocketUrl: health.endpoints.websocket,
    keyAttribute: health.resources?.realTimeItemKey ?? DEFAULT_ITEM_KEY_ATTRIBUTE,
    token,
  };
}

/** The tab's token: `?token=` of the page URL (then kept in session storage), else the stored one. */
export function sessionToken(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    // Out of the address bar, history, bookmarks, screenshots and shared links once read.
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url);
  }
  try {
    if (fromUrl) sessionStorage.setItem('rtp.token', fromUrl);
    return fromUrl ?? sessionStorage.getItem('rtp.token') ?? undefined;
  } catch {
    return fromUrl ?? undefined;
  }
}
