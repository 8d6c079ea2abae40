import { type UserName, UserNameSchema } from '#contracts/user-name.ts';

/** A UUID with or without dashes (Cognito's `sub`, and its `cognito:username` in e-mail sign-in pools). */
const GENERATED_ID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The claims a display name may come from when `sub` is not usable, in order: the ones an identity
 * provider keeps unique first (Cognito's `cognito:username` is unique in a user pool and never
 * changes), `name` last (nobody keeps it unique).
 */
const DISPLAY_NAME_CLAIMS = ['cognito:username', 'preferred_username', 'name'] as const;

/**
 * Whether a claim value can stand as a user name: a valid UserName (1–32 letters, digits, `_ . -`)
 * that is not a generated id (a UUID) — a UUID would be unreadable beside messages and bids.
 */
export function isUsableName(value: unknown): value is UserName {
  return UserNameSchema.safeParse(value).success && !GENERATED_ID.test(String(value).trim());
}

/**
 * The name a token's holder chats and bids as: `sub` when it is usable, else the first usable
 * claim of {@link DISPLAY_NAME_CLAIMS}; undefined when none is (the connection has no user name).
 */
export function displayNameOf(payload: Record<string, unknown>): UserName | undefined {
  const candidate = ['sub', ...DISPLAY_NAME_CLAIMS].map((claim) => payload[claim]).find(isUsableName);
  return candidate === undefined ? undefined : UserNameSchema.parse(candidate);
}
