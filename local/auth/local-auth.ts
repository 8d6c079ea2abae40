import { SignJWT } from 'jose';
import { LOCAL_TOKEN_AUDIENCE, LOCAL_TOKEN_ISSUER } from '#adapters/jose-token-verifier.ts';

/**
 * The local runtime's well-known credentials. They protect nothing (they are in this file); they
 * exist so the local stack runs the same authentication code paths as AWS. Override them with
 * `RTP_JWT_SECRET` / `RTP_API_KEY`.
 */
export const LOCAL_JWT_SECRET = 'rtp-local-development-secret-do-not-deploy';
/** The `x-api-key` POST /readings accepts locally (template parameter `IngestApiKeys`). */
export const LOCAL_API_KEY = 'rtp-local-api-key';

interface DevTokenInput {
  secret?: string;
  /** JWT `sub`: who the connection is (rooms author messages by it). */
  sub: string;
  /** Key patterns the token allows (`3`, `room-*`, `*`). */
  keys: readonly string[];
  /** Ingest actions allowed on those keys (`publish`, `bid`, `command`, `*`). */
  ingest?: readonly string[];
  /** Lifetime; default one hour. */
  ttlSeconds?: number;
}

/** Mints an HS256 dev token the local authorizer accepts (what `rtp token` prints). */
export function mintDevToken(input: DevTokenInput): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ keys: [...input.keys], ingest: [...(input.ingest ?? [])] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setIssuer(LOCAL_TOKEN_ISSUER)
    .setAudience(LOCAL_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (input.ttlSeconds ?? 3600))
    .sign(new TextEncoder().encode(input.secret ?? LOCAL_JWT_SECRET));
}
