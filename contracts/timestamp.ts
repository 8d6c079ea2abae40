import * as z from './zod.ts';

/** How far ahead of the platform's clock a `ts` may be by default (`MAX_CLOCK_SKEW_MS`): 5 minutes. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

const TIMESTAMP_MESSAGE = 'must be epoch milliseconds or an ISO 8601 date-time with an offset (Z or ±hh:mm)';

/**
 * Event time as devices send it: epoch milliseconds, or an ISO 8601 date-time with an offset
 * (`2026-12-01T12:00:00Z`, `…+01:00`). Stored as epoch ms. An ISO time without offset is refused: its
 * instant depends on a time zone the platform cannot know.
 */
export const TimestampSchema = z.union(
  [
    z.int().check(z.nonnegative()),
    z.pipe(
      z.pipe(
        z.iso.datetime({ offset: true, error: TIMESTAMP_MESSAGE }),
        z.transform((text) => Date.parse(text)),
      ),
      z.int().check(z.nonnegative(TIMESTAMP_MESSAGE)),
    ),
  ],
  { error: TIMESTAMP_MESSAGE },
);
