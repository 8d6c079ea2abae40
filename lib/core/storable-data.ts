import type { Issue } from '#contracts/error-body.ts';
import { ValidationError } from './errors.ts';

/**
 * Deepest nesting of objects and arrays a reading's `data` may have. DynamoDB refuses items nested
 * deeper than 32 levels, and schema validation recurses per level: the limit keeps both well clear.
 */
export const MAX_DATA_DEPTH = 16;

/** DynamoDB numbers have 38 significant digits between 1e-130 and 1e126; the SDK refuses unsafe integers. */
const MIN_NUMBER_MAGNITUDE = 1e-130;

/**
 * Checks that `data` can be stored as a RealTimeData item as sent: nesting at most `MAX_DATA_DEPTH`
 * and every number finite, within ±`Number.MAX_SAFE_INTEGER` and not below DynamoDB's smallest
 * magnitude. Iterative, so a hostile nesting depth cannot overflow the stack.
 * @throws ValidationError naming the first offending paths.
 */
export function assertStorableData(data: unknown, where: string): void {
  const issues: Issue[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: data, path: where, depth: 0 },
  ];
  while (stack.length > 0 && issues.length < 10) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === 'number') {
      const magnitude = Math.abs(value);
      if (!Number.isFinite(value) || magnitude > Number.MAX_SAFE_INTEGER) {
        issues.push({ path, message: `must be within ±${Number.MAX_SAFE_INTEGER}` });
      } else if (magnitude !== 0 && magnitude < MIN_NUMBER_MAGNITUDE) {
        issues.push({ path, message: `must be 0 or at least ${MIN_NUMBER_MAGNITUDE} in magnitude` });
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_DATA_DEPTH) {
      issues.push({ path, message: `nests deeper than ${MAX_DATA_DEPTH} levels` });
      continue;
    }
    for (const [name, inner] of Object.entries(value)) {
      stack.push({ value: inner, path: `${path}.${name}`, depth: depth + 1 });
    }
  }
  const first = issues[0];
  if (first) throw new ValidationError(`${first.path}: ${first.message}`, issues);
}
