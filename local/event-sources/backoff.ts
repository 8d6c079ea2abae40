/**
 * Resolves after `ms`, or as soon as `signal` aborts (at once if it already has), so that a poller's
 * `stop()` never waits out a pause. A pause of 0 still yields to the event loop (one timer tick).
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `baseMs` doubled `attempt` times, capped at `maxMs`. */
export function exponentialDelay(baseMs: number, attempt: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** attempt, maxMs);
}
