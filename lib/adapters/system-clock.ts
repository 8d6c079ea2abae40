import type { Clock } from '#core/ports.ts';

/** The machine's clock: what every function passes where the core asks for a {@link Clock}. */
export const systemClock: Clock = { now: () => Date.now() };
