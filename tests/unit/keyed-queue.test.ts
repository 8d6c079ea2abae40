import { describe, expect, it } from 'vitest';
import { createKeyedQueue } from '#core/keyed-queue.ts';

/** A task that finishes when the test says so, recording when it starts and ends. */
function gate(log: string[], name: string) {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    open: () => open(),
    task: async () => {
      log.push(`start ${name}`);
      await opened;
      log.push(`end ${name}`);
      return name;
    },
  };
}

describe('createKeyedQueue', () => {
  it('runs the tasks of one key in call order, one at a time', async () => {
    const log: string[] = [];
    const queue = createKeyedQueue();
    const first = gate(log, 'a1');
    const second = gate(log, 'a2');
    const done = Promise.all([queue('a', first.task), queue('a', second.task)]);
    await Promise.resolve();
    second.open();
    await Promise.resolve();
    expect(log).toEqual(['start a1']);
    first.open();
    expect(await done).toEqual(['a1', 'a2']);
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2']);
  });

  it('runs tasks of different keys concurrently', async () => {
    const log: string[] = [];
    const queue = createKeyedQueue();
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const done = Promise.all([queue('a', a.task), queue('b', b.task)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start a', 'start b']);
    b.open();
    a.open();
    await done;
  });

  it('goes on with the next task of a key after one fails', async () => {
    const queue = createKeyedQueue();
    const failed = queue('a', () => Promise.reject(new Error('boom')));
    const next = queue('a', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('next');
  });
});
