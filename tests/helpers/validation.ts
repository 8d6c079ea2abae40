import { expect } from 'vitest';
import type { Issue } from '#contracts/error-body.ts';
import { ValidationError } from '#core/errors.ts';

/** Runs `run`, expects a ValidationError and returns its issues. */
export function validationIssues(run: () => unknown): Issue[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}
