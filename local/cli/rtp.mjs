#!/usr/bin/env node
// The `rtp` command: runs the TypeScript CLI through tsx, so no build step stands between a clone and a run.
import { register } from 'tsx/esm/api';

// The SDK is pinned by package-lock.json; its notice about future Node majors is not for this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./rtp.ts');
