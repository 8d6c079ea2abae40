import type { Context } from 'aws-lambda';

/**
 * A function for tests of the in-process runtime: it waits for `event.hold` (a promise the test
 * keeps), then answers the time it had left, so a test sees when its clock started.
 */
export async function handler(event: { hold?: Promise<void> }, context: Context): Promise<number> {
  await event.hold;
  return context.getRemainingTimeInMillis();
}
