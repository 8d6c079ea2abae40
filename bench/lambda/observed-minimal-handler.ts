import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { handler as minimal } from './minimal-handler.ts';

/**
 * The minimal handler inside the platform's observed stack (middy, Powertools logger context, metrics
 * flushed per invocation, the tracer when tracing is on): what the stack alone adds to init and to
 * each invocation, measured beside the bare minimal handler.
 */
export const handler = observedHandler(minimal, powertoolsFor('bench-observed'));
