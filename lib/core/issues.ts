import type { z } from 'zod';
import type { Issue } from '#contracts/error-body.ts';
import { ValidationError } from './errors.ts';

/** Turns zod issues into the platform's `{path, message}` list; the root is named `where`. */
export function toIssues(error: z.ZodError, where: string): Issue[] {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema` and returns the output.
 * @throws ValidationError naming every bad field, prefixed with `where` (e.g. `body`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = toIssues(result.error, where);
  const first = issues[0];
  throw new ValidationError(first ? `${first.path}: ${first.message}` : `${where} is invalid`, issues);
}
