import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { createLimiter, type Limiter } from '#core/limiter.ts';
import { localArn } from '#local/template/local-identity.ts';
import type { FunctionModel } from '#local/template/model.ts';
import type { LambdaInvoker } from './invoker.ts';

/** The function ran past its configured timeout (Lambda reports `Task timed out after N seconds`). */
class FunctionTimeoutError extends Error {
  constructor(logicalId: string, timeoutSeconds: number) {
    super(`${logicalId}: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Counts loads, so each platform started in one process gets module instances of its own. */
let loads = 0;

/**
 * Invocations of one function that run at once; the rest wait, off their clock, for one to end.
 * On AWS each concurrent invocation is an instance with sockets of its own; here one process plays
 * every instance, and each SDK client shares 50 sockets (the SDK's default). Without the cap, 2,000
 * `$disconnect`s at once queued inside the SDK and spent their 10 s timeout waiting for a socket.
 */
const LOCAL_FUNCTION_CONCURRENCY = 50;

interface LoadedFunction {
  model: FunctionModel;
  handler: Handler;
  /** Holds an invocation until fewer than LOCAL_FUNCTION_CONCURRENCY of this function run. */
  limit: Limiter;
}

interface FunctionStats {
  invocations: number;
  /** Invocations that waited for a free instance (LOCAL_FUNCTION_CONCURRENCY were running). */
  queued: number;
  errors: number;
  timeouts: number;
  totalMs: number;
}

/**
 * Runs the template's functions in this process with Lambda's semantics: each module is loaded once
 * (its cold start: config parsed from the function's own environment), each invocation gets a fresh
 * context and is cut off at the function's timeout.
 */
export class InProcessFunctions implements LambdaInvoker {
  private readonly handlers = new Map<string, LoadedFunction>();
  readonly stats = new Map<string, FunctionStats>();

  /**
   * Loads every function. Module top levels read `process.env` at load time (cold start), so each
   * function's environment is put in place while its module loads; the modules are loaded one at a time.
   * @throws when a module fails to load (e.g. its config is invalid) — the platform does not start.
   */
  static async load(functions: readonly FunctionModel[]): Promise<InProcessFunctions> {
    const loaded = new InProcessFunctions();
    loads += 1;
    for (const model of functions) {
      const previous = { ...process.env };
      Object.assign(process.env, model.environment);
      try {
        // The query makes each function its own module instance even when two share an entry file,
        // and a later platform of this process parse its own config rather than reuse the first's.
        const module = (await import(
          `${pathToFileURL(model.entryPoint).href}?function=${model.logicalId}&load=${loads}`
        )) as Record<string, unknown>;
        const handler = module[model.exportName];
        if (typeof handler !== 'function') {
          throw new Error(`${model.logicalId}: ${model.entryPoint} does not export "${model.exportName}"`);
        }
        const limit = createLimiter(LOCAL_FUNCTION_CONCURRENCY);
        loaded.handlers.set(model.logicalId, { model, handler: handler as Handler, limit });
        loaded.stats.set(model.logicalId, { invocations: 0, queued: 0, errors: 0, timeouts: 0, totalMs: 0 });
      } finally {
        for (const name of Object.keys(model.environment)) {
          if (previous[name] === undefined) delete process.env[name];
          else process.env[name] = previous[name];
        }
      }
    }
    return loaded;
  }

  has(logicalId: string): boolean {
    return this.handlers.has(logicalId);
  }

  /** Runs one invocation when an instance is free; its timeout counts from then, as on Lambda. */
  async invoke(logicalId: string, event: unknown): Promise<unknown> {
    const entry = this.handlers.get(logicalId);
    if (!entry) throw new Error(`no function ${logicalId} in the template`);
    const stats = this.stats.get(logicalId) as FunctionStats;
    let ranAtOnce = false;
    const answer = entry.limit(() => {
      ranAtOnce = true;
      return this.#run(entry, stats, event);
    });
    // The limiter starts a task before it returns when a slot is free: not started yet = waiting.
    if (!ranAtOnce) stats.queued += 1;
    return answer;
  }

  async #run({ model, handler }: LoadedFunction, stats: FunctionStats, event: unknown): Promise<unknown> {
    const logicalId = model.logicalId;
    const started = performance.now();
    const deadline = Date.now() + model.timeoutSeconds * 1000;
    const context = lambdaContext(model, deadline);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(logicalId, model.timeoutSeconds)),
        model.timeoutSeconds * 1000,
      );
    });
    stats.invocations += 1;
    try {
      return await Promise.race([handler(event, context), timeout]);
    } catch (error) {
      stats.errors += 1;
      if (error instanceof FunctionTimeoutError) stats.timeouts += 1;
      throw error;
    } finally {
      clearTimeout(timer);
      stats.totalMs += performance.now() - started;
    }
  }
}

function lambdaContext(model: FunctionModel, deadline: number): Context {
  const functionName = model.logicalId;
  const notSupported = () => {
    throw new Error('callback-style context methods are not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localArn('lambda', `function:${functionName}`),
    memoryLimitInMB: String(model.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: notSupported,
    fail: notSupported,
    succeed: notSupported,
  };
}
