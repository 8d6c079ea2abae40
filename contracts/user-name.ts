import * as z from './zod.ts';

/** A user name, recorded on the connection at $connect (`?user=<name>`). */
export const UserNameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'must not be empty'),
    z.maxLength(32, 'must be at most 32 characters'),
    z.regex(/^[\p{L}\p{N}_.-]+$/u, 'may contain only letters, digits, _ . and -'),
  );
export type UserName = z.output<typeof UserNameSchema>;
