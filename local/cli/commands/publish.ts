import type { LocalEnv } from '../local-config.ts';
import { fetchHealth, postReadings } from './platform-client.ts';

/** `rtp publish vehicleId=3 speed=42 [channel=engine] [ts=…]`: one reading over REST. */
export async function runPublish(env: LocalEnv, args: string[]): Promise<void> {
  const health = await fetchHealth(env.RTP_URL, env.RTP_TOKEN);
  const keyAttribute = health.resources.realTimeItemKey;
  const reading: Record<string, unknown> = { data: {} };
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new Error(`expected name=value, got "${arg}"`);
    const name = arg.slice(0, at);
    const raw = arg.slice(at + 1);
    const value = raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (name === keyAttribute || name === 'channel') reading[name] = raw;
    else if (name === 'ts') reading.ts = Number(raw);
    else (reading.data as Record<string, unknown>)[name] = value;
  }
  console.log(JSON.stringify(await postReadings(env.RTP_URL, reading, env.RTP_API_KEY)));
}
