import { config } from '#contracts/zod.ts';

// Imported first by every entry point (page and worker): zod's JIT probes `new Function`, which the
// app's CSP (no 'unsafe-eval') refuses and reports as a violation; interpreted parsing needs no eval.
// The contracts' zod (zod/mini with its English messages) is the only zod the app loads.
config({ jitless: true });
