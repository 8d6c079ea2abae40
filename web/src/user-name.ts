import { UserNameSchema } from '#contracts/user-name.ts';
import { forget, remember, stored } from './browser-storage.ts';
import { hashParams } from './dom.ts';

/** One person, one name across the app (rooms and sales share it). */
const USER_KEY = 'rtp.rooms.user';

/**
 * The user's name: the hash's `?user=` when valid, else the stored name when valid, else
 * undefined (the page asks for one).
 */
export function currentUserName(): string | undefined {
  return validUserName(hashParams().get('user')) ?? validUserName(stored(USER_KEY));
}

/** Keeps `name` (already valid) for later visits. */
export function rememberUserName(name: string): void {
  remember(USER_KEY, name);
}

/** Drops the stored name, so the page asks again. */
export function forgetUserName(): void {
  forget(USER_KEY);
}

function validUserName(value: string | null): string | undefined {
  if (value === null) return undefined;
  const parsed = UserNameSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
