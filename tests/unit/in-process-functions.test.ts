import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessFunctions } from '#local/lambda/in-process-functions.ts';
import type { FunctionModel } from '#local/template/model.ts';

const held: FunctionModel = {
  logicalId: 'HeldFunction',
  entryPoint: fileURLToPath(new URL('../helpers/held-handler.ts', import.meta.url)),
  exportName: 'handler',
  timeoutSeconds: 10,
  memorySize: 128,
  environment: {},
  events: [],
};

afterEach(() => {
  vi.useRealTimers();
});

describe('InProcessFunctions', () => {
  it('runs 50 invocations of a function at once; the rest wait and run as those end', async () => {
    const functions = await InProcessFunctions.load([held]);
    let release = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    const answers = Array.from({ length: 60 }, () => functions.invoke('HeldFunction', { hold }));
    expect(functions.stats.get('HeldFunction')).toMatchObject({ invocations: 50, queued: 10 });
    release();
    expect(await Promise.all(answers)).toHaveLength(60);
    expect(functions.stats.get('HeldFunction')).toMatchObject({ invocations: 60, errors: 0 });
  });

  it('starts the clock of a waiting invocation when it runs, not when it is asked for', async () => {
    const functions = await InProcessFunctions.load([held]);
    vi.useFakeTimers();
    const never = new Promise<void>(() => {});
    const running = Array.from({ length: 50 }, () =>
      functions.invoke('HeldFunction', { hold: never }).catch((error: Error) => error.message),
    );
    const waiting = functions.invoke('HeldFunction', {});
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(running)).toContain('HeldFunction: Task timed out after 10.00 seconds');
    // It waited the others' whole timeout, and still had all of its own.
    expect(await waiting).toBe(10_000);
    expect(functions.stats.get('HeldFunction')).toMatchObject({ invocations: 51, queued: 1, timeouts: 50 });
  });
});
