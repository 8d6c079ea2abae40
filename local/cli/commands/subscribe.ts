import WebSocket from 'ws';
import type { LocalEnv } from '../local-config.ts';
import { fetchHealth } from './platform-client.ts';

/** `rtp subscribe vehicleId=3 [vehicleId=4 …]`: connects on the first key, subscribes to the rest, prints every frame. */
export async function runSubscribe(env: LocalEnv, args: string[]): Promise<void> {
  const health = await fetchHealth(env.RTP_URL, env.RTP_TOKEN);
  const keyAttribute = health.resources.realTimeItemKey;
  const keys = args.map((arg) => {
    const [name, value] = arg.split('=');
    if (!value || name !== keyAttribute) throw new Error(`expected ${keyAttribute}=<key>, got "${arg}"`);
    return value;
  });
  const [first, ...others] = keys;
  if (!first) throw new Error(`usage: rtp subscribe ${keyAttribute}=3 [${keyAttribute}=4 …]`);
  const token = env.RTP_TOKEN ? `&token=${encodeURIComponent(env.RTP_TOKEN)}` : '';
  const socket = new WebSocket(
    `${health.endpoints.websocket}/?${keyAttribute}=${encodeURIComponent(first)}${token}`,
  );
  socket.on('open', () => {
    console.error(
      `connected to ${health.endpoints.websocket}, subscribed to ${keys.join(', ')} (Ctrl-C to stop)`,
    );
    socket.send(JSON.stringify({ action: 'sync', key: first }));
    for (const key of others) {
      socket.send(JSON.stringify({ action: 'subscribe', key }));
      socket.send(JSON.stringify({ action: 'sync', key }));
    }
  });
  socket.on('message', (data) => console.log(data.toString()));
  socket.on('unexpected-response', (_req, res) => {
    console.error(`connection refused: HTTP ${res.statusCode}`);
    process.exitCode = 1;
  });
  socket.on('close', (code) => console.error(`closed (${code})`));
  socket.on('error', (error) => console.error(`error: ${error.message}`));
  process.on('SIGINT', () => socket.close());
  await new Promise((resolve) => socket.on('close', resolve));
}
