/**
 * Running totals of every metric the in-process functions emit, per service: EMF is off locally, so
 * /health and the bench show these instead of CloudWatch. One set per process, as the functions'
 * Powertools instances are (every platform started in the process adds to and shows the same totals).
 */
interface MetricTotal {
  unit: string;
  /** How many values were recorded. */
  count: number;
  sum: number;
  max: number;
}

const totals = new Map<string, Map<string, MetricTotal>>();

function recordMetricTotal(service: string, name: string, unit: string, value: number): void {
  let byName = totals.get(service);
  if (!byName) {
    byName = new Map();
    totals.set(service, byName);
  }
  const total = byName.get(name) ?? { unit, count: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
  total.count += 1;
  total.sum += value;
  total.max = Math.max(total.max, value);
  byName.set(name, total);
}

/**
 * Starts totalling what the functions count; call before they load, once their environment is set.
 * Idempotent. The functions' Powertools module is imported here, not at this file's load: it decides
 * when loaded whether to load the tracer (POWERTOOLS_TRACE_ENABLED, which the platform turns off).
 */
export async function totalFunctionMetrics(): Promise<void> {
  const { observeMetrics } = await import('#runtime/powertools.ts');
  observeMetrics(recordMetricTotal);
}

/**
 * Totals by service and metric: counts as their sum, durations as `{count, mean, max}` in their unit.
 */
export function metricTotalsSnapshot(): Record<
  string,
  Record<string, number | { count: number; mean: number; max: number }>
> {
  const snapshot: Record<string, Record<string, number | { count: number; mean: number; max: number }>> = {};
  for (const [service, byName] of totals) {
    snapshot[service] = {};
    for (const [name, total] of byName) {
      snapshot[service][name] =
        total.unit === 'Count'
          ? total.sum
          : { count: total.count, mean: Math.round((total.sum / total.count) * 10) / 10, max: total.max };
    }
  }
  return snapshot;
}
