import { LOCAL_API_KEY } from '#local/auth/local-auth.ts';

/** What `GET /health` of a running platform says; the CLI finds every endpoint through it. */
export interface Health {
  endpoints: { http: string; websocket: string; [name: string]: string };
  resources: { realTimeItemKey: string; [name: string]: string };
}

/**
 * The platform's /health. With `AuthMode=jwt` only a request with a valid token sees the endpoints
 * of the services and the resources; pass the token (`RTP_TOKEN`).
 */
export async function fetchHealth(baseUrl: string, token?: string): Promise<Health> {
  try {
    const response = await fetch(`${baseUrl}/health`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as Health;
  } catch (error) {
    throw new Error(
      `no platform answers at ${baseUrl} (${(error as Error).message}); start it with \`npm start\``,
    );
  }
}

/**
 * POSTs readings with the ingest key (default: the well-known local one); resolves with the response
 * body, throws with the platform's error message.
 */
export async function postReadings(
  baseUrl: string,
  body: unknown,
  apiKey: string = LOCAL_API_KEY,
): Promise<unknown> {
  const response = await fetch(`${baseUrl}/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text);
}
