import type { ReadingsAccepted } from '#contracts/reading.ts';
import { createLimiter } from './limiter.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ItemStore } from './ports.ts';

/** Conditional writes in flight per request: enough to hide latency, few enough not to throttle. */
const WRITE_CONCURRENCY = 16;

/**
 * Applies readings to RealTimeData. Readings not later in (`ts`, `position`) than the stored state are
 * counted as `stale`, not applied: redelivery and disorder are normal for every source. Writes run
 * concurrently; the condition, not their order, makes the later reading of one unit win.
 * @throws DependencyError when a write fails; the caller retries the whole set (writes are idempotent
 * by (`ts`, `position`)).
 */
export async function ingestReadings(
  readings: readonly NormalisedReading[],
  items: ItemStore,
): Promise<ReadingsAccepted> {
  const limit = createLimiter(WRITE_CONCURRENCY);
  const results = await Promise.all(readings.map((reading) => limit(() => items.applyReading(reading))));
  const applied = results.filter((result) => result.applied).length;
  return { accepted: readings.length, stale: readings.length - applied };
}
