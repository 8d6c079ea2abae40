import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { createTracer } from './tracing.ts';

export interface Powertools {
  logger: Logger;
  metrics: Metrics;
  /** Undefined when tracing is off (see tracing.ts). */
  tracer: Tracer | undefined;
}

/** Sees every metric value a function adds, beside its EMF output. */
type MetricObserver = (service: string, name: string, unit: string, value: number) => void;

let metricObserver: MetricObserver | undefined;

/**
 * Shows every metric the functions of this process add to `observer` as well (the local runtime
 * totals them for /health, where EMF is off). Nothing sets one on Lambda.
 */
export function observeMetrics(observer: MetricObserver | undefined): void {
  metricObserver = observer;
}

/** Powertools metrics that also show each value to the process's observer, if any. */
class ObservedMetrics extends Metrics {
  readonly #service: string;

  constructor(options: ConstructorParameters<typeof Metrics>[0] & { serviceName: string }) {
    super(options);
    this.#service = options.serviceName;
  }

  override addMetric(...args: Parameters<Metrics['addMetric']>): this {
    const [name, unit, value] = args;
    metricObserver?.(this.#service, name, unit, value);
    return super.addMetric(...args);
  }
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
      metrics: new ObservedMetrics({
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
      tracer: createTracer(serviceName),
    };
    byService.set(serviceName, tools);
  }
  return tools;
}
