import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { loadConfig, TracingEnvSchema } from './config.ts';

/**
 * Powertools Tracer, loaded only when tracing is on (template parameter `XRayTracing=Full`).
 * Importing it loads the X-Ray SDK, whose continuation-local storage installs an async hook for the
 * whole process: every `await` then costs ~10× more (measured: 300k awaits 263 ms instead of 27 ms).
 * Where tracing is off (the default on AWS, the local runtime, tests) the module is never evaluated.
 * The function bundles leave the tracer out (template `External`): on AWS it comes from the
 * Powertools layer that `Full` attaches (template parameter `PowertoolsLayer`).
 */
const tracingOn = loadConfig(TracingEnvSchema).POWERTOOLS_TRACE_ENABLED;

// The CommonJS builds declare their own copies of the classes; these are the same API.
const powertoolsTracer = tracingOn ? await loadTracer() : undefined;

async function loadTracer() {
  try {
    return (await import('./powertools-tracer.cts')).default as unknown as {
      Tracer: typeof Tracer;
      captureLambdaHandler: typeof captureLambdaHandler;
    };
  } catch (error) {
    throw new Error(
      'tracing is on (POWERTOOLS_TRACE_ENABLED) but @aws-lambda-powertools/tracer cannot be loaded: ' +
        'with XRayTracing=Full the template attaches the Powertools layer (parameter PowertoolsLayer), ' +
        `which provides it; set POWERTOOLS_TRACE_ENABLED=false to run without it (${String(error)})`,
      { cause: error },
    );
  }
}

/** A tracer for the service, or undefined when tracing is off. */
export function createTracer(serviceName: string): Tracer | undefined {
  return powertoolsTracer ? new powertoolsTracer.Tracer({ serviceName }) : undefined;
}

/** The middy middleware that traces each invocation, or undefined without a tracer. */
export function tracingMiddleware(tracer: Tracer | undefined): MiddlewareObj | undefined {
  return tracer && powertoolsTracer ? powertoolsTracer.captureLambdaHandler(tracer) : undefined;
}
