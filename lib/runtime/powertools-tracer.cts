/**
 * The Powertools Tracer and its middy middleware through their CommonJS builds, for tracing.ts to load
 * only when tracing is on. CommonJS because a bundle keeps a CommonJS module's `require`s inside a
 * wrapper that runs on first use, where the ESM build's `import http, https, diagnostics_channel, url`
 * would be hoisted to the top of every bundle and run at each cold start, traced or not. And
 * `require`, because the bundles leave the tracer out: on AWS it comes from the Powertools layer at
 * /opt/nodejs/node_modules, which Lambda puts on NODE_PATH, a path `require` searches and `import` does not.
 */
import tracer = require('@aws-lambda-powertools/tracer');
import middleware = require('@aws-lambda-powertools/tracer/middleware');

export = { Tracer: tracer.Tracer, captureLambdaHandler: middleware.captureLambdaHandler };
