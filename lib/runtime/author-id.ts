import { createHash } from 'node:crypto';

/**
 * The id a room message records of its author when auth is on: the first 16 bytes of SHA-256 of
 * the token's `sub`, base64url. Stable for the subject, unique in practice, and it tells the room's
 * members nothing of the subject itself (which may be an e-mail address at some identity providers).
 */
export function authorIdOf(subject: string): string {
  return createHash('sha256').update(subject).digest().subarray(0, 16).toString('base64url');
}
