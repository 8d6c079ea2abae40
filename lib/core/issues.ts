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

/** @throws ValidationError `<where>: must be a JSON object` when `value` is not one (an array is not). */
export function jsonObjectOrThrow(value: unknown, where: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw new ValidationError(`${where}: must be a JSON object`, [
    { path: where, message: 'must be a JSON object' },
  ]);
}

/**
 * Parses `text` as a JSON object: what a device or a producer sends as one message.
 * @throws ValidationError `<where>: is not JSON`, or `<where>: must be a JSON object` (`42`, `[1]`).
 */
export function parseJsonObjectOrThrow(text: string, where: string): Record<string, unknown> {
  return jsonObjectOrThrow(parseJsonOrThrow(text, where, 'is not JSON'), where);
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
