import type { ItemData } from '#contracts/real-time-item.ts';

/** One state of a channel, from history or a frame: what charts and trails are drawn from. */
export interface Sample {
  version: number;
  ts: number;
  data: ItemData;
}

/**
 * `held` (oldest first by event time, one per version) with `added` merged in: a version already
 * held counts once (history and live frames overlap), then only what lies within `windowMs` of the
 * newest sample, at most `max` of the newest.
 */
export function mergeSamples(held: Sample[], added: Sample[], windowMs: number, max: number): Sample[] {
  const last = held.at(-1);
  const [only] = added;
  let merged: Sample[];
  if (added.length === 1 && only && (last === undefined || only.ts > last.ts)) {
    // A live frame, the common case: it goes at the end, no re-sort. Later than every sample held,
    // it is none of them (a version has one event time).
    merged = [...held, only];
  } else {
    const byVersion = new Map(held.map((sample) => [sample.version, sample]));
    for (const sample of added) byVersion.set(sample.version, sample);
    merged = [...byVersion.values()].sort((a, b) => a.ts - b.ts || a.version - b.version);
  }
  const newest = merged.at(-1)?.ts ?? 0;
  const start = merged.findIndex((sample) => sample.ts >= newest - windowMs);
  return merged.slice(Math.max(start, merged.length - max));
}
