import { describe, expect, it } from 'vitest';
import { isNewerVersion, nextVersion, shouldApplyReading } from '#core/versioning.ts';

describe('versioning rules', () => {
  it('applies a first reading and strictly newer ones only', () => {
    expect(shouldApplyReading(undefined, { ts: 5 })).toBe(true);
    expect(shouldApplyReading({ ts: 5 }, { ts: 6 })).toBe(true);
    expect(shouldApplyReading({ ts: 5 }, { ts: 5 })).toBe(false);
    expect(shouldApplyReading({ ts: 5 }, { ts: 4 })).toBe(false);
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
