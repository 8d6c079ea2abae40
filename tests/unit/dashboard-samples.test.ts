import { describe, expect, it } from 'vitest';
import { mergeSamples, type Sample } from '../../web/src/samples.ts';

const sample = (version: number, ts: number): Sample => ({ version, ts, data: { speed: version } });
const versions = (samples: Sample[]) => samples.map((s) => s.version);

describe('the dashboard merging history and live samples', () => {
  it('counts a version held by both once and orders by event time', () => {
    const live = [sample(5, 500), sample(6, 600)];
    const history = [sample(3, 300), sample(4, 400), sample(5, 500)];
    expect(versions(mergeSamples(live, history, 10_000, 100))).toEqual([3, 4, 5, 6]);
  });

  it('appends a live sample later than all held, and keeps only the window and the newest max', () => {
    const held = [sample(1, 0), sample(2, 1_000), sample(3, 2_000)];
    expect(versions(mergeSamples(held, [sample(4, 3_000)], 10_000, 100))).toEqual([1, 2, 3, 4]);
    expect(versions(mergeSamples(held, [sample(4, 3_000)], 1_500, 100))).toEqual([3, 4]);
    expect(versions(mergeSamples(held, [sample(4, 3_000)], 10_000, 2))).toEqual([3, 4]);
  });

  it('places a late sample (older event time) in order', () => {
    const held = [sample(1, 0), sample(3, 2_000)];
    expect(versions(mergeSamples(held, [sample(2, 1_000)], 10_000, 100))).toEqual([1, 2, 3]);
  });
});
