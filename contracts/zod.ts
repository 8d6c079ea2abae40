import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The zod every shipped module builds and parses with: `zod/mini` (the functional API, a fraction of
 * classic zod's size and schema-building cost at a cold start), with classic zod's English messages.
 * Mini loads no locale by itself, and the messages are the platform's API (issues, error frames,
 * config errors), so every contract imports zod through this module: the locale is set before
 * anything parses. Import it as `import * as z from './zod.ts'` (or `#contracts/zod.ts`): a
 * re-exported namespace object would keep all of zod in every bundle.
 */
config(en());

export * from 'zod/mini';
