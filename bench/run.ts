/**
 * `npm run bench [-- --quick] [--only 1,3] [--rate 500] [--duration 20] [--transport rest|mqtt]
 * [--subscribers 2000] [--concurrency 32] [--http-connections] [--object-mb 200] [--line-bytes 16000]
 * [--functions RestReadingsFunction,…] [--lambda-env NAME=value,…]`: the benchmark scenarios (latency,
 * throughput, fan-out, AWS work per batch, S3 objects of any size, and `--only lambda` (7): the Lambda
 * bundles against a minimal handler; `--only history` (8): the live path with and without the history
 * writer; `--only batching` (9): posts per delivered change with batching on and off) against a
 * platform started in this process, each beside
 * the limit measured in the same run. Tables on stdout, JSON and SVG charts in bench/results/.
 * Scenario 5 (cost on AWS) is on paper: bench/cost-model.md.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_STACK_NAME } from '#local/template/local-identity.ts';
import { FunctionCpuMeter, startBenchPlatform } from './lib/harness.ts';
import { LoadClient } from './lib/load-client-handle.ts';
import { RESULTS_DIR, writeResult } from './lib/report.ts';
import { runBatching } from './scenarios/batching.ts';
import { runFanout } from './scenarios/fanout.ts';
import { runHistory } from './scenarios/history.ts';
import { runLambda } from './scenarios/lambda.ts';
import { runLatency } from './scenarios/latency.ts';
import { runS3Objects } from './scenarios/s3-objects.ts';
import { createRawLimitTable, rawConditionalPutRate, runThroughput } from './scenarios/throughput.ts';
import { runWorkPerBatch } from './scenarios/work-per-batch.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rate: { type: 'string', default: '500' },
    duration: { type: 'string' },
    subscribers: { type: 'string', default: '2000' },
    transport: { type: 'string' },
    concurrency: { type: 'string' },
    ladder: { type: 'string' },
    'http-connections': { type: 'boolean', default: false },
    'object-mb': { type: 'string' },
    'line-bytes': { type: 'string', default: '16000' },
    functions: { type: 'string' },
    'lambda-env': { type: 'string' },
  },
});
const quick = values.quick ?? false;
const only = new Set((values.only ?? '1,2,3,4,6').split(',').map((part) => part.trim()));
const inProcess = !values['http-connections'];
const startedAt = Date.now();
const meter = new FunctionCpuMeter('StreamFanoutFunction');
const summary: Record<string, unknown> = {
  quick,
  startedAt: new Date(startedAt).toISOString(),
  node: process.version,
  connectionsTransport: inProcess ? 'in-process' : 'http',
  loadAverageAtStart: loadavg().map((value) => Math.round(value * 10) / 10),
};
console.log(
  `bench (${quick ? 'quick' : 'full'}); machine load average ${summary.loadAverageAtStart} — ` +
    'other processes on this machine skew absolute figures; ratios are measured side by side',
);

if (['1', '2', '3', '9', 'batching'].some((scenario) => only.has(scenario))) {
  const platform = await startBenchPlatform({
    inProcessConnections: inProcess,
    ...(values.concurrency ? { parameters: { FanoutConcurrency: values.concurrency } } : {}),
  });
  const client = await LoadClient.start();
  try {
    // DynamoDB Local's JVM runs 3-5× slower until its JIT has seen a few thousand requests.
    const warmUp = await rawConditionalPutRate(
      platform.endpoints.dynamodb,
      await createRawLimitTable(platform),
      32,
      quick ? 4_000 : 10_000,
    );
    console.log(`DynamoDB Local warmed up (${warmUp.writesPerSecond} conditional writes/s during warm-up)`);
    if (only.has('1')) {
      summary.latency = await runLatency(platform, client, {
        quick,
        rate: Number(values.rate),
        keys: 50,
        subscribersPerKey: 4,
        durationMs: Number(values.duration ?? (quick ? 8 : 20)) * 1000,
        ...(values.transport === 'rest' || values.transport === 'mqtt'
          ? { transport: values.transport }
          : {}),
        ...(values.ladder !== undefined
          ? { ladder: values.ladder.split(',').filter(Boolean).map(Number) }
          : {}),
      });
    }
    if (only.has('2')) summary.throughput = await runThroughput(platform, client, { quick });
    if (only.has('3')) {
      summary.fanout = await runFanout(platform, client, meter, {
        subscribers: Number(values.subscribers),
        burst: quick ? 5 : 20,
        concurrency: Number(platform.template.parameters.FanoutConcurrency ?? 32),
        inProcess,
      });
    }
    if (only.has('9') || only.has('batching'))
      summary.batching = await runBatching(platform, client, meter, { quick });
  } finally {
    await client.stop();
    await platform.stop();
  }
}

if (only.has('6')) {
  const platform = await startBenchPlatform();
  try {
    summary.s3Objects = await runS3Objects(platform, {
      megabytes: Number(values['object-mb'] ?? (quick ? 20 : 200)),
      smallMegabytes: 2,
      lineBytes: Number(values['line-bytes']),
      keys: 100,
    });
  } finally {
    await platform.stop();
  }
}

if (only.has('7') || only.has('lambda')) {
  // The stack name the function fixtures are written for (S3ObjectsFunction's event names its bucket).
  const platform = await startBenchPlatform({ stackName: DEFAULT_STACK_NAME });
  try {
    summary.lambda = await runLambda(platform, {
      coldStarts: quick ? 3 : 7,
      warmUp: quick ? 10 : 30,
      invocations: quick ? 30 : 200,
      ...(values.functions ? { functions: values.functions.split(',') } : {}),
      ...(values['lambda-env']
        ? {
            envOverrides: Object.fromEntries(
              values['lambda-env']
                .split(',')
                .map((pair) => [pair.split('=')[0], pair.slice(pair.indexOf('=') + 1)]),
            ),
          }
        : {}),
    });
  } finally {
    await platform.stop();
  }
}

if (only.has('8') || only.has('history')) {
  summary.history = await runHistory({
    keys: quick ? 10 : 50,
    rounds: quick ? 10 : 40,
    repeats: quick ? 1 : 2,
    warmUpMs: quick ? 4_000 : 10_000,
  });
}

const workOptions = { keys: quick ? 10 : 50, subscribersPerKey: 3 };
if (only.has('4') && only.size === 1) summary.workPerBatch = await runWorkPerBatch(meter, workOptions);
else if (only.has('4')) {
  // Function modules load once per process (their cold start), so a second platform, the one with
  // the counting proxy, runs in a process of its own.
  const child = fork(fileURLToPath(import.meta.url), ['--only', '4', ...(quick ? ['--quick'] : [])], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`scenario 4 exited with ${code}`);
  summary.workPerBatch = JSON.parse(readFileSync(`${RESULTS_DIR}work-per-batch.json`, 'utf8')) as unknown;
}
if (only.size > 1 || !only.has('4')) {
  summary.totalSeconds = Math.round((Date.now() - startedAt) / 1000);
  summary.loadAverageAtEnd = loadavg().map((value) => Math.round(value * 10) / 10);
  writeResult(quick ? 'summary-quick' : 'summary', summary);
  console.log(
    `\nbench done in ${summary.totalSeconds} s; results in bench/results/ (JSON git-ignored, *.svg charts)`,
  );
}
