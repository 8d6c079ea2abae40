import { createServer } from 'node:net';
import { startPlatform } from '#local/platform.ts';
import type { LocalEnv } from '../local-config.ts';

/** The variables that set the platform's ports, by the name startPlatform gives each port. */
const PORT_VARIABLES = {
  http: 'RTP_HTTP_PORT',
  websocket: 'RTP_WS_PORT',
  dynamodb: 'RTP_DYNAMODB_PORT',
  kinesis: 'RTP_KINESIS_PORT',
  mqtt: 'RTP_MQTT_PORT',
  sqs: 'RTP_SQS_PORT',
} as const satisfies Record<string, keyof LocalEnv>;

/**
 * Refuses to start when a port is taken, in one line naming the port and the variable that moves
 * it. Checked before anything starts: DynamoDB Local would otherwise die with a Java stack trace,
 * and a Node server with a bare EADDRINUSE.
 * @throws Error naming the first busy port and its variable.
 */
async function assertPortsFree(env: LocalEnv): Promise<void> {
  for (const variable of Object.values(PORT_VARIABLES)) {
    const port = env[variable];
    if (port === 0) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE' || error.code === 'EACCES'
            ? new Error(
                `port ${port} (${variable}) is ${error.code === 'EACCES' ? 'not allowed' : 'in use'} on 127.0.0.1: ` +
                  `stop what holds it, or set ${variable} to another port (0 picks a free one)`,
              )
            : error,
        ),
      );
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  }
}

/**
 * `rtp start`: the whole platform until Ctrl-C; then everything it started is stopped. The signal
 * handlers are in place before anything starts: a signal that arrives while the platform comes up
 * (or the instant the ready line is written) waits for it and stops it, instead of killing this
 * process and leaving DynamoDB Local running.
 */
export async function runStart(env: LocalEnv): Promise<void> {
  const started = performance.now();
  await assertPortsFree(env);
  let stopping = false;
  let ready = false;
  const starting = startPlatform({
    stackName: env.RTP_STACK_NAME,
    ports: Object.fromEntries(
      Object.entries(PORT_VARIABLES).map(([name, variable]) => [name, env[variable]]),
    ),
    logLevel: env.RTP_LOG_LEVEL,
    parameters: {
      AuthMode: env.RTP_AUTH_MODE,
      ...(env.RTP_API_KEY ? { IngestApiKeys: env.RTP_API_KEY } : {}),
    },
    jwtSecret: env.RTP_JWT_SECRET,
    allowedOrigins: env.RTP_ALLOWED_ORIGINS,
    ...(env.RTP_DATA_DIR ? { dataDir: env.RTP_DATA_DIR } : {}),
    history: env.RTP_HISTORY === 'on',
  });
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${signal}: stopping${ready ? '' : ' once the start in progress finishes'}…`);
    // A start that failed has already stopped what it started, and its error is printed by rtp.
    const platform = await starting.catch(() => undefined);
    if (!platform) return;
    await platform.stop();
    console.error('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  console.error('starting DynamoDB Local, gateway and functions…');

  const { endpoints, resources } = await starting;
  ready = true;
  if (stopping) return;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `Realtime Platform ready in ${seconds}s — http ${endpoints.http}  ws ${endpoints.websocket}/?${resources.realTimeItemKey}=3  ` +
      `dynamodb ${endpoints.dynamodb}  health ${endpoints.http}/health  (Ctrl-C stops)`,
  );
}
