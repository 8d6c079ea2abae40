import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InProcessFunctions } from '#local/lambda/in-process-functions.ts';
import { type Platform, type PlatformOptions, startPlatform } from '#local/platform.ts';
import { cpuMsSince } from './stats.ts';

/** Starts the whole platform in this process on free ports with a stack name of its own. */
export function startBenchPlatform(options: PlatformOptions = {}): Promise<Platform> {
  return startPlatform({
    stackName: `bench-${randomUUID().slice(0, 8)}`,
    freePorts: true,
    logLevel: 'ERROR',
    log: (line) => {
      if (!/iterator|trimmed/i.test(line)) console.error(`  [platform] ${line}`);
    },
    ...options,
  });
}

/**
 * CPU time this process spends while invocations of one function are in flight (overlapping
 * invocations counted once). Wraps the in-process invoker, the platform's only way into a function,
 * so it sees every invocation the stream poller makes.
 */
export class FunctionCpuMeter {
  cpuMs = 0;
  wallMs = 0;
  invocations = 0;
  records = 0;
  /** Distinct keys per invocation (DynamoDB stream events), in order. */
  keysPerInvocation: number[] = [];
  #active = 0;
  #since: NodeJS.CpuUsage = process.cpuUsage();
  #wallSince = 0;

  constructor(readonly functionLogicalId: string) {
    const meter = this;
    const original = InProcessFunctions.prototype.invoke;
    InProcessFunctions.prototype.invoke = async function invoke(this: InProcessFunctions, id, event) {
      if (id !== meter.functionLogicalId) return original.call(this, id, event);
      meter.#enter(event);
      try {
        return await original.call(this, id, event);
      } finally {
        meter.#leave();
      }
    };
  }

  reset(): void {
    this.cpuMs = 0;
    this.wallMs = 0;
    this.invocations = 0;
    this.records = 0;
    this.keysPerInvocation = [];
  }

  #enter(event: unknown): void {
    this.invocations += 1;
    const records =
      (event as { Records?: Array<{ dynamodb?: { Keys?: { itemKey?: { S?: string } } } }> }).Records ?? [];
    this.records += records.length;
    this.keysPerInvocation.push(new Set(records.map((record) => record.dynamodb?.Keys?.itemKey?.S)).size);
    if (this.#active++ === 0) {
      this.#since = process.cpuUsage();
      this.#wallSince = performance.now();
    }
  }

  #leave(): void {
    if (--this.#active === 0) {
      this.cpuMs += cpuMsSince(this.#since);
      this.wallMs += performance.now() - this.#wallSince;
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall-clock ms with sub-ms resolution, the same clock the load client stamps frames with. */
export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * CPU of this process and of DynamoDB Local's JVM (a child of this process) over a window, in % of
 * one core: what bounds a scenario on a small machine.
 */
export class CpuWindow {
  #since = process.cpuUsage();
  #javaSince = 0;
  #at = performance.now();
  readonly #javaPid: number | undefined;

  constructor() {
    try {
      const pid = execFileSync('pgrep', ['-P', String(process.pid), 'java'])
        .toString()
        .trim()
        .split('\n')[0];
      this.#javaPid = pid ? Number(pid) : undefined;
    } catch {
      this.#javaPid = undefined;
    }
    this.start();
  }

  start(): void {
    this.#since = process.cpuUsage();
    this.#javaSince = this.#javaMs();
    this.#at = performance.now();
  }

  /** `{ node, dynamodbLocal }` in % of one core since `start()`. */
  read(): { nodeCpuPct: number; dynamoCpuPct: number } {
    const elapsed = performance.now() - this.#at;
    return {
      nodeCpuPct: Math.round((cpuMsSince(this.#since) * 100) / elapsed),
      dynamoCpuPct: Math.round(((this.#javaMs() - this.#javaSince) * 100) / elapsed),
    };
  }

  #javaMs(): number {
    if (this.#javaPid === undefined) return 0;
    try {
      const fields = readFileSync(`/proc/${this.#javaPid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 Hz).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0;
    }
  }
}

/** PostToConnection calls the local gateway has answered so far (delivered, gone, or too large). */
export function postsSoFar(platform: Platform): number {
  const gateway = (platform.health().stats as { gateway: Record<string, number> }).gateway;
  return (gateway.framesPosted ?? 0) + (gateway.goneResponses ?? 0) + (gateway.payloadTooLargeResponses ?? 0);
}

/** The API key POST /readings wants locally (first of the template's `IngestApiKeys`), if any. */
export function ingestApiKey(platform: Platform): string | undefined {
  const keys = platform.template.parameters.IngestApiKeys ?? '';
  return keys.split(',')[0]?.trim() || undefined;
}
