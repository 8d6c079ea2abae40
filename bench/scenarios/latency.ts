import type { Platform } from '#local/platform.ts';
import { CpuWindow, ingestApiKey } from '../lib/harness.ts';
import type { LoadClient } from '../lib/load-client-handle.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { round, summarise } from '../lib/stats.ts';
import { lineChart } from '../lib/svg.ts';

export interface LatencyOptions {
  quick: boolean;
  rate: number;
  keys: number;
  subscribersPerKey: number;
  durationMs: number;
  /** Ingest path; default MQTT when the platform has a broker, REST otherwise. */
  transport?: 'mqtt' | 'rest';
  /** Rates to step through after the first (stops at the first that misses the target). */
  ladder?: number[];
}

export interface LatencyStep {
  rate: number;
  transport: 'mqtt' | 'rest';
  published: number;
  publishRate: number;
  frames: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  lost: number;
  /** Readings a subscriber got only as a later reading of its key (conflated by batching, or stale). */
  superseded: number;
  stale: number;
  errors: number;
  nodeCpuPct: number;
  dynamoCpuPct: number;
  /** Mean duration of the ingest function (REST or IoT rule target), ms. */
  ingestAvgMs: number;
  fanoutInvocations: number;
  /** Mean duration of a stream-fanout invocation (one batch), ms. */
  fanoutAvgMs: number;
}

type FunctionCounters = Record<string, { invocations: number; totalMs: number }>;

function functionStats(platform: Platform): FunctionCounters {
  return structuredClone((platform.health().stats as { functions: FunctionCounters }).functions);
}

/**
 * Scenario 1: vehicles publish telemetry at a fixed rate; every subscriber of a key gets every
 * reading; latency is publish → WS frame at the subscriber (both stamped by the load client).
 */
export async function runLatency(platform: Platform, client: LoadClient, options: LatencyOptions) {
  const keyAttribute = platform.resources.realTimeItemKey ?? 'vehicleId';
  const mqttUrl = options.transport === 'rest' ? undefined : platform.endpoints.mqtt;
  const transport = mqttUrl ? 'mqtt' : 'rest';
  const keys = Array.from({ length: options.keys }, (_, i) => `veh-${i + 1}`);
  await client.connect(platform.endpoints.websocket, keys, options.subscribersPerKey, keyAttribute);

  const runStep = async (rate: number, durationMs: number): Promise<LatencyStep> => {
    await client.reset();
    const cpu = new CpuWindow();
    const before = functionStats(platform);
    const published = await client.publish({
      transport,
      httpUrl: platform.endpoints.http,
      apiKey: ingestApiKey(platform),
      ...(mqttUrl ? { mqttUrl } : {}),
      keyAttribute,
      keys,
      rate,
      durationMs,
    });
    const total = Object.values(published.sent).reduce((sum, count) => sum + count, 0);
    const collected = await client.collect({
      expectedFrames: total * options.subscribersPerKey,
      quietMs: 1_500,
      timeoutMs: options.quick ? 20_000 : 60_000,
      sent: published.sent,
    });
    const usage = cpu.read();
    const after = functionStats(platform);
    const ingestId = transport === 'mqtt' ? 'IotTelemetryFunction' : 'RestReadingsFunction';
    const delta = (id: string) => {
      const a = after[id] ?? { invocations: 0, totalMs: 0 };
      const b = before[id] ?? { invocations: 0, totalMs: 0 };
      const invocations = a.invocations - b.invocations;
      return { invocations, avgMs: invocations > 0 ? round((a.totalMs - b.totalMs) / invocations, 1) : 0 };
    };
    const fanout = delta('StreamFanoutFunction');
    const ingest = delta(ingestId);
    const latency = summarise(collected.latencies);
    // Lost: the newest state of a key never reached its subscriber. A reading conflated into a newer
    // one of its key (batching: the newest change of an item per fan-out invocation) or refused as
    // stale is superseded, not lost; the integration tests count every reading with ?batch=false.
    const lost = collected.missing;
    return {
      rate,
      transport,
      published: total,
      publishRate: round((total * 1000) / published.publishMs, 0),
      frames: collected.framesReceived,
      p50: round(latency.p50),
      p95: round(latency.p95),
      p99: round(latency.p99),
      max: round(latency.max),
      lost,
      superseded: collected.superseded,
      stale: published.stale,
      errors: published.errors,
      ...usage,
      ingestAvgMs: ingest.avgMs,
      fanoutInvocations: fanout.invocations,
      fanoutAvgMs: fanout.avgMs,
    };
  };

  // Warm-up: first invocations load code paths and open keep-alive sockets.
  await runStep(Math.min(100, options.rate), 1_000);
  const steps: LatencyStep[] = [await runStep(options.rate, options.durationMs)];
  const holds = (step: LatencyStep) =>
    step.p99 <= 50 && step.lost === 0 && step.errors === 0 && step.publishRate >= step.rate * 0.95;
  // Up from the set rate while the target holds; down from it when it does not.
  const up = [750, 1000, 1250, 1500, 2000, 2500, 3000].filter((rate) => rate > options.rate);
  const down = [250, 100, 50, 25].filter((rate) => rate < options.rate);
  const ladder = options.ladder ?? (holds(steps[0]!) ? up : down).slice(0, options.quick ? 1 : undefined);
  for (const rate of ladder) {
    const step = await runStep(rate, options.quick ? 4_000 : Math.min(options.durationMs, 8_000));
    steps.push(step);
    if (rate > options.rate ? !holds(step) : holds(step)) break;
  }
  steps.sort((a, b) => a.rate - b.rate);
  await client.close();
  const highestHolding = Math.max(0, ...steps.filter(holds).map((step) => step.rate));
  printTable(
    `1. End-to-end latency (${transport === 'rest' ? 'REST POST /readings: no MQTT broker in this build' : 'MQTT'} → WS), ${options.keys} keys × ${options.subscribersPerKey} subscribers, ms`,
    steps.map((step) => ({ ...step })),
  );
  console.log(
    `   highest rate with p99 ≤ 50 ms and 0 lost: ${highestHolding || 'none'} readings/s` +
      (options.quick ? ' (quick mode: one step up or down only)' : ''),
  );
  const svg = latencyChart(transport, options, steps);
  const result = { scenario: 'latency', options, transport, steps, highestRateP99Within50ms: highestHolding };
  writeResult('latency', result, svg);
  return result;
}

/** The latency chart: p50/p95/p99 against the offered rate, log scale, with the p99 target. */
export function latencyChart(
  transport: string,
  options: Pick<LatencyOptions, 'keys' | 'subscribersPerKey'>,
  steps: readonly LatencyStep[],
): string {
  return lineChart({
    title: 'End-to-end latency, publish → WebSocket frame',
    subtitle: `${transport.toUpperCase()} ingest, ${options.keys} keys × ${options.subscribersPerKey} subscribers, ${steps.reduce((sum, step) => sum + step.lost, 0)} lost`,
    xLabel: 'readings/s',
    unit: 'ms',
    logY: true,
    series: [
      { name: 'p50', points: steps.map((step) => [step.rate, step.p50]) },
      { name: 'p95', points: steps.map((step) => [step.rate, step.p95]) },
      { name: 'p99', points: steps.map((step) => [step.rate, step.p99]) },
    ],
    target: { value: 50, label: 'p99 target 50 ms' },
  });
}
