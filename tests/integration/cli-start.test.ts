import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/platform.ts';

const rtp = fileURLToPath(new URL('../../local/cli/rtp.mjs', import.meta.url));

/**
 * `npm start` as a newcomer runs it: the CLI in its own process, with none of the variables the test
 * runner sets for in-process platforms (vitest.config.ts turns tracing off for every test process).
 */
function startCli(overrides: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  const {
    POWERTOOLS_TRACE_ENABLED: _trace,
    POWERTOOLS_METRICS_DISABLED: _metrics,
    AWS_XRAY_CONTEXT_MISSING: _xray,
    ...environment
  } = process.env;
  const ports = ['HTTP', 'WS', 'DYNAMODB', 'KINESIS', 'MQTT', 'SQS'].map((name) => [`RTP_${name}_PORT`, '0']);
  const child = spawn(process.execPath, [rtp, 'start'], {
    env: { ...environment, ...Object.fromEntries(ports), RTP_STACK_NAME: 'cli-start', ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  return { child, output: () => output };
}

const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The exit code, or the signal's name when a signal ended the process (so a failure says which). */
function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? String(signal))));
}

describe('rtp start (what npm start runs)', () => {
  it('comes up in a fresh process without the test environment, and stops on SIGINT', async () => {
    const { child, output } = startCli();
    children.push(child);
    const exited = exitOf(child);
    await waitFor(() => /ready in/.test(output()) || child.exitCode !== null, 'the ready line', 90_000);
    expect(output()).toMatch(/Realtime Platform ready in/);
    expect(output()).not.toMatch(/^rtp: /m);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);

  it('stops what it started when Ctrl-C comes while it is still starting', async () => {
    const { child, output } = startCli();
    children.push(child);
    const exited = exitOf(child);
    await waitFor(() => /^starting /m.test(output()) || child.exitCode !== null, 'the starting line', 30_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/SIGINT: stopping once the start in progress finishes…\n[\s\S]*stopped\.\n$/);
    expect(output()).not.toMatch(/ready in/);
  }, 120_000);

  it('refuses a busy port in one line naming it and the variable that moves it, starting nothing', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { child, output } = startCli({ RTP_DYNAMODB_PORT: String(port) });
      children.push(child);
      expect(await exitOf(child)).toBe(1);
      expect(output().trim()).toBe(
        `rtp: port ${port} (RTP_DYNAMODB_PORT) is in use on 127.0.0.1: stop what holds it, ` +
          'or set RTP_DYNAMODB_PORT to another port (0 picks a free one)',
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 60_000);
});
