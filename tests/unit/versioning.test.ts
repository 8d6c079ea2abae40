import { describe, expect, it } from 'vitest';
import { positionOf } from '#core/normalise-reading.ts';
import { isNewerVersion, nextVersion, shouldApplyReading } from '#core/versioning.ts';

describe('versioning rules', () => {
  const at = (ts: number, index: number, sourceOrder?: string) => ({
    ts,
    position: positionOf(sourceOrder, index),
  });

  it('applies a first reading and readings strictly later in (ts, position) only', () => {
    expect(shouldApplyReading(undefined, at(5, 0))).toBe(true);
    expect(shouldApplyReading(at(5, 9), at(6, 0))).toBe(true);
    expect(shouldApplyReading(at(5, 0), at(5, 1))).toBe(true);
    expect(shouldApplyReading(at(5, 1), at(5, 0))).toBe(false);
    expect(shouldApplyReading(at(5, 0), at(4, 9))).toBe(false);
  });

  it('refuses the same reading delivered again', () => {
    expect(shouldApplyReading(at(5, 3, '4959'), at(5, 3, '4959'))).toBe(false);
  });

  it('orders positions by source order first, then index, as fixed-width text', () => {
    expect(shouldApplyReading(at(5, 0, '999'), at(5, 0, '1000'))).toBe(true);
    expect(shouldApplyReading(at(5, 10), at(5, 9))).toBe(false);
  });

  it('never overtakes an item stored without a position at the same ts', () => {
    expect(shouldApplyReading({ ts: 5 }, at(5, 1))).toBe(false);
  });

  it('counts versions from 1', () => {
    expect(nextVersion(undefined)).toBe(1);
    expect(nextVersion({ version: 7 })).toBe(8);
  });

  it('lets clients drop duplicate and late frames', () => {
    expect(isNewerVersion(undefined, 1)).toBe(true);
    expect(isNewerVersion(3, 3)).toBe(false);
    expect(isNewerVersion(3, 2)).toBe(false);
    expect(isNewerVersion(3, 4)).toBe(true);
  });
});
