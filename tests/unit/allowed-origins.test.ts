import { describe, expect, it } from 'vitest';
import { AllowedOrigins } from '#local/gateway/allowed-origins.ts';

describe('AllowedOrigins', () => {
  it("allows the platform's own origin under both loopback names, extras, and requests without Origin", () => {
    const origins = new AllowedOrigins(['http://127.0.0.1:5173/']);
    origins.addOwn('http://127.0.0.1:3000');
    expect(origins.allows('http://127.0.0.1:3000')).toBe(true);
    expect(origins.allows('http://localhost:3000')).toBe(true);
    expect(origins.allows('http://127.0.0.1:5173')).toBe(true);
    expect(origins.allows(undefined)).toBe(true);
  });

  it('refuses other ports, schemes, hosts and the opaque origin', () => {
    const origins = new AllowedOrigins();
    origins.addOwn('http://127.0.0.1:3000');
    for (const origin of ['http://127.0.0.1:3001', 'https://127.0.0.1:3000', 'https://evil.example', 'null'])
      expect(origins.allows(origin)).toBe(false);
  });

  it('allows every origin with *, and names a setting that is no origin', () => {
    expect(new AllowedOrigins(['*']).allows('https://anything.example')).toBe(true);
    expect(() => new AllowedOrigins(['127.0.0.1:5173'])).toThrow(/not an origin|without a path/);
    expect(() => new AllowedOrigins(['http://127.0.0.1:5173/app'])).toThrow(/without a path/);
  });
});
