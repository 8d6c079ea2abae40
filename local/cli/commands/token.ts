import { mintDevToken } from '#local/auth/local-auth.ts';
import type { LocalEnv } from '../local-config.ts';

interface TokenOptions {
  sub: string;
  /** Comma separated key patterns, e.g. `3,4,room-*`. */
  keys: string;
  /** Comma separated ingest actions, e.g. `publish,bid`. */
  ingest: string;
  ttlSeconds: number;
}

/** `rtp token --sub alice --keys '3,4,room-*'`: prints an HS256 dev token the local authorizer accepts. */
export async function runToken(env: LocalEnv, options: TokenOptions): Promise<void> {
  const split = (text: string) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  if (!options.sub) throw new Error('--sub is required');
  if (!(Number.isInteger(options.ttlSeconds) && options.ttlSeconds > 0))
    throw new Error('--ttl must be a positive integer');
  const token = await mintDevToken({
    secret: env.RTP_JWT_SECRET,
    sub: options.sub,
    keys: split(options.keys),
    ingest: split(options.ingest),
    ttlSeconds: options.ttlSeconds,
  });
  console.log(token);
}
