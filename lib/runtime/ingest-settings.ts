import { systemClock } from '#adapters/system-clock.ts';

/** What an ingestor normalises its readings with: the key attribute, the clock, the skew it allows. */
export interface IngestSettings {
  keyAttribute: string;
  now: () => number;
  maxClockSkewMs: number;
}

/** The {@link IngestSettings} of a function's config (BaseEnvSchema), on the machine's clock. */
export function ingestSettingsOf(config: {
  REAL_TIME_ITEM_KEY: string;
  MAX_CLOCK_SKEW_MS: number;
}): IngestSettings {
  return {
    keyAttribute: config.REAL_TIME_ITEM_KEY,
    now: systemClock.now,
    maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
  };
}
