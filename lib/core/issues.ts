import type { Issue } from '#contracts/error-body.ts';
import * as z from '#contracts/zod.ts';
import { ValidationError } from './errors.ts';

/** Turns zod issues into the platform's `{path, message}` list; the root is named `where`. */
function toIssues(error: z.core.$ZodError, where: string): Issue[] {
  return error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema` and returns the output.
 * @throws ValidationError naming every bad field, prefixed with `where` (e.g. `body`).
 */
export function parseOrThrow<S extends z.core.$ZodType>(
  schema: S,
  input: unknown,
  where: string,
): z.output<S> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data;
  const issues = toIssues(result.error, where);
  const first = issues[0];
  throw new ValidationError(first ? `${first.path}: ${first.message}` : `${where} is invalid`, issues);
}

/**
 * Parses `text` as JSON.
 * @throws ValidationError `<where>: <problem>` (default "is not valid JSON") when it is not JSON.
 */
export function parseJsonOrThrow(text: string, where: string, problem = 'is not valid JSON'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError(`${where}: ${problem}`, [{ path: where, message: problem }]);
  }
}

/**
 * Parses `text` as JSON, then with `schema`.
 * @throws ValidationError when it is not JSON or fails the schema (see {@link parseOrThrow}).
 */
export function parseJsonWith<S extends z.core.$ZodType>(
  schema: S,
  text: string,
  where: string,
): z.output<S> {
  return parseOrThrow(schema, parseJsonOrThrow(text, where), where);
}
