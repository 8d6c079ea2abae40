import { config } from 'zod';

// Imported first by every entry point (page and worker): zod's JIT probes `new Function`, which the
// app's CSP (no 'unsafe-eval') refuses and reports as a violation; interpreted parsing needs no eval.
config({ jitless: true });
