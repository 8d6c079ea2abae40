import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { LOCAL_TOKEN_ISSUER } from '#adapters/jose-token-verifier.ts';
import { BATCH_QUERY_PARAMETER, TOKEN_EXPIRED_CLOSE_CODE } from '#contracts/ws-limits.ts';
import { ServerFrameSchema } from '#contracts/ws-protocol.ts';
import { mintDevToken } from '#local/auth/local-auth.ts';
import type { LocalEnv } from '../local-config.ts';
import { fetchHealth } from './platform-client.ts';

/**
 * `rtp subscribe vehicleId=3 [vehicleId=4 …] [batch=false]`: connects on the first key, subscribes to
 * the rest, prints every frame, one line each; a `batch` frame prints as its inner frames, one line
 * each. `batch=false` asks the platform for one change per frame.
 */
export async function runSubscribe(env: LocalEnv, args: string[]): Promise<void> {
  const health = await fetchHealth(env.RTP_URL, env.RTP_TOKEN);
  const keyAttribute = health.resources.realTimeItemKey;
  const singleFrames = args.includes(`${BATCH_QUERY_PARAMETER}=false`);
  const keys = args
    .filter((arg) => arg !== `${BATCH_QUERY_PARAMETER}=false`)
    .map((arg) => {
      const [name, value] = arg.split('=');
      if (!value || name !== keyAttribute) throw new Error(`expected ${keyAttribute}=<key>, got "${arg}"`);
      return value;
    });
  const [first] = keys;
  if (!first) throw new Error(`usage: rtp subscribe ${keyAttribute}=3 [${keyAttribute}=4 …]`);
  const url = (token: string | undefined) =>
    `${health.endpoints.websocket}/?${keyAttribute}=${encodeURIComponent(first)}${
      token ? `&token=${encodeURIComponent(token)}` : ''
    }${singleFrames ? `&${BATCH_QUERY_PARAMETER}=false` : ''}`;
  let token = env.RTP_TOKEN;
  let stopped = false;
  process.on('SIGINT', () => {
    stopped = true;
    current?.close();
  });
  let current: WebSocket | undefined;
  for (;;) {
    const socket = new WebSocket(url(token));
    current = socket;
    const expired = await follow(socket, health.endpoints.websocket, first, keys);
    if (stopped || !expired) return;
    // The platform closed because the token ended (4001, or a TokenExpired frame on AWS).
    token = token === undefined ? undefined : await renewedToken(token, env.RTP_JWT_SECRET);
    if (token === undefined) {
      console.error('the token expired; set a fresh RTP_TOKEN and run again');
      process.exitCode = 2;
      return;
    }
    console.error('the token expired; reconnecting with a fresh one');
  }
}

/**
 * Prints every frame of one connection until it closes.
 * @returns whether it closed because its token expired.
 */
function follow(socket: WebSocket, where: string, first: string, keys: string[]): Promise<boolean> {
  let tokenExpired = false;
  socket.on('open', () => {
    console.error(`connected to ${where}, subscribed to ${keys.join(', ')} (Ctrl-C to stop)`);
    socket.send(JSON.stringify({ action: 'sync', key: first }));
    for (const key of keys.slice(1)) {
      socket.send(JSON.stringify({ action: 'subscribe', key }));
      socket.send(JSON.stringify({ action: 'sync', key }));
    }
  });
  socket.on('message', (data) => {
    const text = data.toString();
    const frame = ServerFrameSchema.safeParse(parseOrUndefined(text)).data;
    if (frame?.type === 'error' && frame.code === 'TokenExpired') tokenExpired = true;
    if (frame?.type === 'batch') for (const inner of frame.frames) console.log(JSON.stringify(inner));
    else console.log(text);
    // A key bigger than one sync page: follow the cursor to its last page.
    if (frame?.type === 'snapshot' && frame.next !== undefined) {
      socket.send(JSON.stringify({ action: 'sync', key: frame.key, cursor: frame.next }));
    }
  });
  socket.on('unexpected-response', (_req, res) => {
    console.error(`connection refused: HTTP ${res.statusCode}`);
    process.exitCode = 1;
  });
  socket.on('error', (error) => console.error(`error: ${error.message}`));
  return new Promise((resolve) =>
    socket.on('close', (code) => {
      console.error(`closed (${code})`);
      resolve(tokenExpired || code === TOKEN_EXPIRED_CLOSE_CODE);
    }),
  );
}

/**
 * A fresh token with the claims of `expired`, when it is a local dev token (signed with the local
 * secret, as `rtp token` mints them); undefined for any other issuer's token (it cannot be renewed here).
 */
async function renewedToken(expired: string, secret: string): Promise<string | undefined> {
  try {
    const payload = decodeJwt(expired);
    if (payload.iss !== LOCAL_TOKEN_ISSUER || typeof payload.sub !== 'string') return undefined;
    const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
    const lifetime =
      typeof payload.exp === 'number' && typeof payload.iat === 'number' ? payload.exp - payload.iat : 3600;
    return await mintDevToken({
      secret,
      sub: payload.sub,
      keys: list(payload.keys),
      ingest: list(payload.ingest),
      ttlSeconds: Math.max(60, lifetime),
    });
  } catch {
    return undefined;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
