/** Runs the tasks of one key one after another, in call order; tasks of different keys run concurrently. */
type KeyedQueue = <T>(key: string, task: () => Promise<T>) => Promise<T>;

/**
 * A {@link KeyedQueue}. Readings of one item are written in their order with it, so each applied
 * reading of a request or batch is delivered, not only the last (written concurrently, the later could
 * land first and refuse the earlier as stale). A failed task does not block the next of its key.
 * Keys are forgotten once their queue is empty.
 */
export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}
