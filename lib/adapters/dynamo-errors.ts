import { DependencyError, type PlatformError, StaleWriteError } from '#core/errors.ts';

/** Maps an AWS SDK DynamoDB error to the taxonomy. Conditional check failures mean a stale write. */
export function fromDynamoError(error: unknown, what: string): PlatformError {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'ConditionalCheckFailedException')
    return new StaleWriteError(`${what}: newer state is stored`, { cause: error });
  return new DependencyError(`${what}: DynamoDB failed (${name ?? 'unknown error'})`, { cause: error });
}
