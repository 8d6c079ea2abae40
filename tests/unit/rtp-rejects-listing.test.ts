import { describe, expect, it } from 'vitest';
import { describeReject } from '#local/cli/commands/rejects.ts';

/** A reject as listed: `binary` when the sender kept its bytes as base64 (as it does for these). */
const entry = (payload: Buffer, binary = false) => ({
  sentAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  code: 'ValidationError',
  reason: 'payload: is not JSON',
  payload,
  binary,
});

describe('rtp rejects listing', () => {
  it('shows text bytes as text, on one line', () => {
    expect(describeReject(entry(Buffer.from('{"speed":\n "fast"}')))).toBe(
      '2026-01-02T03:04:05.000Z  ValidationError  payload: is not JSON  {"speed": "fast"}',
    );
  });

  it('shows bytes that are not printable text as base64, so the terminal is not garbled', () => {
    expect(describeReject(entry(Buffer.from([0xff, 0x00, 0x01]), true))).toMatch(/ {2}base64:\/wAB$/);
    expect(describeReject(entry(Buffer.from('a\u0000b'), true))).toMatch(/ {2}base64:YQBi$/);
  });

  it('cuts a long payload short', () => {
    expect(describeReject(entry(Buffer.from('x'.repeat(100))))).toMatch(/ x{72}…$/);
  });
});
