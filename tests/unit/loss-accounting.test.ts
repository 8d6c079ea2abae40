import { describe, expect, it } from 'vitest';
import { accountKey, sumReports } from '../helpers/loss-accounting.ts';

const frames = (...pairs: Array<[seq: number, version: number]>) =>
  pairs.map(([seq, version]) => ({ seq, version }));

describe('accountKey', () => {
  it('counts a clean run as every stored version delivered once, in order', () => {
    expect(
      accountKey({
        sent: [0, 1, 2, 3],
        storedVersion: 4,
        storedSeq: 3,
        frames: frames([0, 1], [1, 2], [2, 3], [3, 4]),
      }),
    ).toEqual({ delivered: 4, lost: 0, conflated: 0, duplicated: 0, reordered: 0, superseded: 0 });
  });

  it('accepts a reading superseded before it was stored as no loss', () => {
    // seq 1 was refused (seq 2 stored first): three versions for four readings.
    expect(
      accountKey({
        sent: [0, 1, 2, 3],
        storedVersion: 3,
        storedSeq: 3,
        frames: frames([0, 1], [2, 2], [3, 3]),
      }),
    ).toEqual({ delivered: 3, lost: 0, conflated: 0, duplicated: 0, reordered: 0, superseded: 1 });
  });

  it('detects a lost frame, a duplicated frame and a reordered frame', () => {
    expect(
      accountKey({
        sent: [0, 1, 2, 3, 4],
        storedVersion: 5,
        storedSeq: 4,
        // Version 2 never arrives, version 3 arrives twice, version 4 arrives after version 5.
        frames: frames([0, 1], [2, 3], [2, 3], [4, 5], [3, 4]),
      }),
    ).toEqual({ delivered: 4, lost: 1, conflated: 0, duplicated: 1, reordered: 1, superseded: 0 });
  });

  it('counts the newest reading missing from the stored item as lost', () => {
    expect(
      accountKey({ sent: [0, 1, 2], storedVersion: 2, storedSeq: 1, frames: frames([0, 1], [1, 2]) }).lost,
    ).toBe(1);
  });

  it('counts a version whose seq went backwards as reordered', () => {
    expect(
      accountKey({ sent: [0, 1, 2], storedVersion: 3, storedSeq: 2, frames: frames([0, 1], [2, 2], [1, 3]) })
        .reordered,
    ).toBe(1);
  });

  it('counts versions left out just below a batched frame as conflated, a gap below a single frame as lost', () => {
    const batched = (seq: number, version: number) => ({ seq, version, batched: true });
    expect(
      accountKey({
        sent: [0, 1, 2, 3, 4, 5],
        storedVersion: 6,
        storedSeq: 5,
        // 2 and 3 went as 4 inside one batch frame; 5 never arrived before the single frame of 6.
        frames: [...frames([0, 1]), batched(3, 4), ...frames([5, 6])],
      }),
    ).toMatchObject({ delivered: 3, lost: 1, conflated: 2 });
  });

  it('counts nothing received of a stored key as all lost', () => {
    expect(accountKey({ sent: [0, 1], storedVersion: 2, storedSeq: 1, frames: [] })).toMatchObject({
      delivered: 0,
      lost: 2,
    });
  });
});

describe('sumReports', () => {
  it('adds every count', () => {
    const one = { delivered: 1, lost: 2, conflated: 6, duplicated: 3, reordered: 4, superseded: 5 };
    expect(sumReports([one, one])).toEqual({
      delivered: 2,
      lost: 4,
      conflated: 12,
      duplicated: 6,
      reordered: 8,
      superseded: 10,
    });
  });
});
