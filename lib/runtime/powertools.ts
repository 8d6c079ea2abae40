import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export interface Powertools {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

const byService = new Map<string, Powertools>();

/**
 * The Powertools logger, metrics and tracer of one function, created once per service name.
 * Keyed by name (not one module-level instance) because the local runtime runs every function in
 * one process, and each must log and count under its own service.
 */
export function powertoolsFor(serviceName: string): Powertools {
  let tools = byService.get(serviceName);
  if (!tools) {
    const logger = new Logger({ serviceName });
    tools = {
      logger,
      metrics: new Metrics({
        serviceName,
        namespace: 'RealtimePlatform',
        // An invocation that counted nothing (a ping, a health check) is normal, not a warning.
        logger: {
          debug: (...args: unknown[]) => logger.debug(String(args[0])),
          info: (...args: unknown[]) => logger.debug(String(args[0])),
          warn: (...args: unknown[]) => logger.debug(String(args[0])),
          error: (...args: unknown[]) => logger.error(String(args[0])),
        },
      }),
      tracer: new Tracer({ serviceName }),
    };
    byService.set(serviceName, tools);
  }
  return tools;
}
