import type { ReadingsAccepted } from '#contracts/reading.ts';
import { createKeyedQueue } from './keyed-queue.ts';
import { createLimiter } from './limiter.ts';
import type { NormalisedReading } from './normalise-reading.ts';
import type { ItemStore } from './ports.ts';

/** The item a reading writes, as one string. */
export function itemIdOf(reading: { itemKey: string; channel: string }): string {
  return `${reading.itemKey}\u0000${reading.channel}`;
}

/** Conditional writes in flight per request: enough to hide latency, few enough not to throttle. */
const WRITE_CONCURRENCY = 16;

/**
 * Applies readings to RealTimeData. Readings not later in (`ts`, `position`) than the stored state are
 * counted as `stale`, not applied: redelivery and disorder are normal for every source. Writes run
 * concurrently, those of one item in their order (so each applied one is delivered, the last stays).
 * @throws DependencyError when a write fails; the caller retries the whole set (writes are idempotent
 * by (`ts`, `position`)).
 */
export async function ingestReadings(
  readings: readonly NormalisedReading[],
  items: ItemStore,
): Promise<ReadingsAccepted> {
  const limit = createLimiter(WRITE_CONCURRENCY);
  const inOrder = createKeyedQueue();
  const results = await Promise.all(
    readings.map((reading) => inOrder(itemIdOf(reading), () => limit(() => items.applyReading(reading)))),
  );
  const applied = results.filter((result) => result.applied).length;
  return { accepted: readings.length, stale: readings.length - applied };
}
