/**
 * Running totals of every metric the functions emit, per service, kept in the process beside the
 * EMF output. On Lambda they are a few numbers per container; the local runtime (where EMF is off)
 * shows them in /health. Kept on `globalThis` under a registered symbol so every module instance
 * (each function is loaded as its own) adds to the same totals.
 */
export interface MetricTotal {
  unit: string;
  /** How many values were recorded. */
  count: number;
  sum: number;
  max: number;
}

const TOTALS_KEY = Symbol.for('realtime-platform.metric-totals');

function totals(): Map<string, Map<string, MetricTotal>> {
  const holder = globalThis as { [TOTALS_KEY]?: Map<string, Map<string, MetricTotal>> };
  holder[TOTALS_KEY] ??= new Map();
  return holder[TOTALS_KEY];
}

export function recordMetricTotal(service: string, name: string, unit: string, value: number): void {
  let byName = totals().get(service);
  if (!byName) {
    byName = new Map();
    totals().set(service, byName);
  }
  const total = byName.get(name) ?? { unit, count: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
  total.count += 1;
  total.sum += value;
  total.max = Math.max(total.max, value);
  byName.set(name, total);
}

/**
 * Totals by service and metric: counts as their sum, durations as `{count, mean, max}` in their unit.
 */
export function metricTotalsSnapshot(): Record<
  string,
  Record<string, number | { count: number; mean: number; max: number }>
> {
  const snapshot: Record<string, Record<string, number | { count: number; mean: number; max: number }>> = {};
  for (const [service, byName] of totals()) {
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
