import type { ServerResponse as GatewayResponse, IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JoseTokenVerifier } from '#adapters/jose-token-verifier.ts';
import { LOCAL_API_KEY, LOCAL_JWT_SECRET } from '#local/auth/local-auth.ts';
import { metricTotalsSnapshot, totalFunctionMetrics } from '#local/diagnostics/metric-totals.ts';
import { createTables } from '#local/emulators/create-tables.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import {
  createLocalStreamsClient,
  DynamoDbStreamPoller,
} from '#local/event-sources/dynamodb-stream-poller.ts';
import { sendToFailureQueue } from '#local/event-sources/on-failure-queue.ts';
import { AllowedOrigins } from '#local/gateway/allowed-origins.ts';
import { HttpApi } from '#local/gateway/http-api.ts';
import { serveConnectionsInProcess } from '#local/gateway/in-process-connections.ts';
import { securityHeadersOf } from '#local/gateway/security-headers.ts';
import { staticFiles } from '#local/gateway/static-files.ts';
import { WebSocketGateway } from '#local/gateway/websocket-gateway.ts';
import { InProcessFunctions } from '#local/lambda/in-process-functions.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { localServices } from '#local/services/index.ts';
import type { AttachContext, LocalService } from '#local/services/local-service.ts';
import { functionEvents } from '#local/template/function-events.ts';
import { loadTemplate } from '#local/template/load-template.ts';
import {
  DEFAULT_STACK_NAME,
  healthResourceName,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
} from '#local/template/local-identity.ts';
import type { LocalTemplate, StreamEventSourceModel } from '#local/template/model.ts';

export const DEFAULT_TEMPLATE = fileURLToPath(new URL('../template.yaml', import.meta.url));
/** The built web app (`npx vite build web`), served at `/`. */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));
/** The template's consumer of the RealTimeData stream that writes the history (option `history`). */
const HISTORY_WRITER_FUNCTION = 'HistoryWriterFunction';

export interface PlatformOptions {
  templatePath?: string;
  /** Names the tables (`<stack>-RealTimeData`); tests pass a unique one. Default `rtp-local`. */
  stackName?: string;
  /** Template parameter overrides, e.g. `{ RealTimeItemKey: 'deviceId' }`. */
  parameters?: Record<string, string>;
  /**
   * Ports on 127.0.0.1 by service name; 0 picks a free one. Defaults: http 3000, websocket 3001,
   * dynamodb 8000, and each service's own (mqtt 1883, …).
   */
  ports?: Record<string, number | undefined>;
  /** Every port free (0), whatever `ports` says: for tests running beside a started platform. */
  freePorts?: boolean;
  /** Keep DynamoDB Local's data in this directory (survives restarts) instead of in memory. */
  dataDir?: string;
  /** Powertools log level of the functions. Default WARN: the terminal shows problems, not traffic. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Where the runtime's own lines go. Default console.error. */
  log?: (line: string) => void;
  /** The emulated services besides DynamoDB and the gateways. Default: all of `local/services/index.ts`. */
  services?: LocalService[];
  /** The built web app served at `/`. Default `web/dist`. */
  webDir?: string;
  /**
   * The HS256 secret the local `$connect` authorizer verifies tokens with (`rtp token` signs with it).
   * Default `LOCAL_JWT_SECRET`. Auth is off locally unless `parameters.AuthMode` is `jwt`.
   */
  jwtSecret?: string;
  /**
   * Environment values that replace the template's for every function declaring them, applied last
   * (tests point `WS_CALLBACK_URL` at a fault-injecting proxy with it).
   */
  functionEnvironment?: Record<string, string>;
  /**
   * Functions post to `@connections` through the SDK with an in-process request handler instead of
   * HTTP (same SDK path, no socket). Default true; the HTTP endpoint stays up either way.
   */
  inProcessConnections?: boolean;
  /**
   * Browser origins allowed besides the platform's own HTTP origin (127.0.0.1 and localhost at the
   * HTTP port): WebSocket upgrades from any other `Origin` get 403 and the HTTP API's CORS answers
   * only these. `*` allows every origin. Requests without `Origin` (CLIs, SDKs) always pass.
   */
  allowedOrigins?: string[];
  /**
   * Default true. False: the history writer's stream source is not started (the table stays empty;
   * `sync` with `after` answers `reset`), to measure what history costs the live path (`RTP_HISTORY=off`).
   */
  history?: boolean;
}

interface PlatformEndpoints {
  http: string;
  websocket: string;
  connections: string;
  dynamodb: string;
  /** Endpoints of the other services (mqtt, sqs, kinesis, …). */
  [name: string]: string;
}

export interface Platform {
  endpoints: PlatformEndpoints;
  resources: Record<string, string>;
  template: LocalTemplate;
  /** Invokes a template function in-process, as its event sources do (tests and tools use it). */
  invoke(functionLogicalId: string, event: unknown): Promise<unknown>;
  /** What /health answers: endpoints, resources and live counters. */
  health(): Record<string, unknown>;
  /** Stops everything this platform started (gateway, pollers, DynamoDB Local), in reverse order. */
  stop(): Promise<void>;
  /**
   * Fault injection: stops DynamoDB Local (everything else keeps running and meets a refused
   * connection) and starts it again on the same port. Only with `dataDir`: in memory, data would go.
   */
  dynamoDb: { stop(): Promise<void>; start(): Promise<void> };
  /**
   * Fault injection: stops the WebSocket gateway (every connection is closed with 1001 and gets its
   * `$disconnect`; connects meet a refused port; HTTP, pollers and functions keep running) and starts
   * it again on the same port. Clients reconnect and `sync`.
   */
  websocketGateway: { stop(): Promise<void>; start(): Promise<void> };
}

/**
 * Brings the whole stack of template.yaml up on this machine: DynamoDB Local with the template's
 * tables, the functions in-process, the WebSocket gateway with its `@connections` endpoint, the HTTP
 * API and a stream poller per DynamoDB event source. Every socket binds 127.0.0.1.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? ((line: string) => console.error(line));
  const templatePath = options.templatePath ?? DEFAULT_TEMPLATE;
  const templateOptions = localTemplateOptions(options);
  const portOf = (name: string, fallback: number): number =>
    options.freePorts ? 0 : (options.ports?.[name] ?? fallback);
  const stops = new StopList(log);
  try {
    const dynamo = await startDynamoDb(options.dataDir, portOf('dynamodb', 8000), stops);
    pointFunctionSdksAt(dynamo.endpoint);
    const baseTemplate = loadTemplate(templatePath, templateOptions);
    const services = options.services ?? localServices(portOf);
    const started = await startServices(services, baseTemplate, log, stops);
    await createTemplateTables(dynamo.endpoint, baseTemplate, stops);

    // Gateways start before the functions load: the functions' env needs the gateways' ports.
    const invoker = new DeferredInvoker();
    const allowedOrigins = new AllowedOrigins(options.allowedOrigins);
    const gatewayRoutes: GatewayRoute[] = [];
    const gateway = await startGateway(baseTemplate, invoker, {
      port: portOf('websocket', 3001),
      allowedOrigins,
      routes: gatewayRoutes,
      stops,
    });
    if (options.inProcessConnections ?? true) {
      const stopServing = serveConnectionsInProcess(gateway);
      stops.push(async () => stopServing());
    }
    const jwtSecret = options.jwtSecret ?? LOCAL_JWT_SECRET;
    const httpApi = createHttpApi(baseTemplate, invoker, portOf('http', 3000), allowedOrigins, jwtSecret);
    const endpoints: PlatformEndpoints = {
      http: '',
      websocket: gateway.url,
      connections: gateway.managementEndpoint,
      dynamodb: dynamo.endpoint,
      ...started.endpoints,
    };

    const template = loadTemplate(templatePath, {
      ...templateOptions,
      resolveResource: started.resolveResource,
      environmentOverrides: {
        WS_CALLBACK_URL: gateway.managementEndpoint,
        WS_URL: gateway.url,
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
        JWT_SECRET: jwtSecret,
        ...options.functionEnvironment,
      },
    });
    await totalFunctionMetrics();
    invoker.functions = await InProcessFunctions.load(template.functions);
    const pollers = await startStreamPollers(
      template,
      options.history ?? true,
      invoker,
      dynamo.endpoint,
      log,
      stops,
    );
    const attachContext: AttachContext = {
      template,
      invoker,
      gateway,
      httpApi,
      addGatewayRoute: (prefix, handler) => gatewayRoutes.push({ prefix, handler }),
      log,
    };
    await attachServices(services, attachContext, endpoints, started.resources);

    const resources = platformResources(template, started.resources);
    const health = () => ({
      status: 'ok',
      endpoints,
      resources,
      stats: {
        gateway: gateway.stats(),
        http: httpApi.stats(),
        streams: Object.fromEntries(pollers.map((poller, index) => [`poller${index}`, poller.stats])),
        functions: Object.fromEntries(invoker.functions?.stats ?? []),
        // What the functions counted (readings ingested per source, frames delivered, rejects,
        // per-stage latency): EMF is off locally, so the running totals stand in for CloudWatch.
        metrics: metricTotalsSnapshot(),
        ...Object.fromEntries(services.map((service) => [service.name, service.stats?.() ?? {}])),
      },
    });
    addHealthRoute(httpApi, template, jwtSecret, health, endpoints, resources);
    addWebApp(httpApi, template, options.webDir ?? DEFAULT_WEB_DIR, gateway.url);
    await httpApi.start();
    endpoints.http = httpApi.url;
    allowedOrigins.addOwn(httpApi.url);
    stops.push(() => httpApi.close());

    return {
      endpoints,
      resources,
      template,
      health,
      invoke: (id, event) => invoker.invoke(id, event),
      stop: () => stops.stopAll(),
      dynamoDb: dynamo.control,
      websocketGateway: {
        stop: () => gateway.close(),
        start: async () => {
          await gateway.start();
        },
      },
    };
  } catch (error) {
    await stops.stopAll();
    throw error;
  }
}

/** Local defaults: open (the dashboard needs no token, REST ingest no key); `AuthMode: 'jwt'`
 * turns the authorizers on with the local HS256 secret and requires the well-known ingest key. */
function localTemplateOptions(options: PlatformOptions): {
  stackName: string;
  parameters: Record<string, string>;
} {
  return {
    stackName: options.stackName ?? DEFAULT_STACK_NAME,
    parameters: {
      AuthMode: 'none',
      ...(options.parameters?.AuthMode === 'jwt' ? { IngestApiKeys: LOCAL_API_KEY } : {}),
      ...options.parameters,
    },
  };
}

/** What the platform started, stopped in reverse order; a stop that fails is logged and the rest go on. */
class StopList {
  readonly #stops: Array<() => Promise<void>> = [];
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  push(stop: () => Promise<void>): void {
    this.#stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.#stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        this.#log(`stop failed: ${(error as Error).message}`);
      }
    }
    this.#stops.length = 0;
  }
}

/** DynamoDB Local, and the fault-injection control that restarts it on its port (on-disk mode only). */
async function startDynamoDb(dataDir: string | undefined, port: number, stops: StopList) {
  let dynamo: DynamoDbLocal = await startDynamoDbLocal({ port, ...(dataDir ? { dataDir } : {}) });
  stops.push(() => dynamo.stop());
  return {
    endpoint: dynamo.endpoint,
    control: {
      stop: () => dynamo.stop(),
      start: async () => {
        if (!dataDir) throw new Error('restarting DynamoDB Local needs dataDir (on-disk mode)');
        dynamo = await startDynamoDbLocal({ port: dynamo.port, dataDir });
      },
    },
  };
}

/** The functions' SDK clients find DynamoDB Local (and sign as the local identity) through the SDK's own environment chain. */
function pointFunctionSdksAt(dynamoEndpoint: string): void {
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}

/** Phase 1 of the other services: emulators up, their resources created, their endpoints known. */
async function startServices(
  services: LocalService[],
  template: LocalTemplate,
  log: (line: string) => void,
  stops: StopList,
) {
  const endpoints: Record<string, string> = {};
  const resources: Record<string, string> = {};
  const resolvers: Array<(logicalId: string, attribute?: string) => string | undefined> = [];
  for (const service of services) {
    const started = await service.start({ template, log });
    stops.push(() => service.stop());
    Object.assign(endpoints, started.endpoints);
    Object.assign(resources, started.resources);
    Object.assign(process.env, started.sdkEnvironment);
    if (started.resolveResource) resolvers.push(started.resolveResource);
  }
  const resolveResource = (logicalId: string, attribute?: string) => {
    for (const resolver of resolvers) {
      const value = resolver(logicalId, attribute);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  return { endpoints, resources, resolveResource };
}

async function createTemplateTables(dynamoEndpoint: string, template: LocalTemplate, stops: StopList) {
  const client = new DynamoDBClient({ endpoint: dynamoEndpoint });
  await createTables(client, template.tables);
  stops.push(async () => client.destroy());
}

/** The invoker the gateways and pollers get before the functions are loaded (they load last). */
class DeferredInvoker implements LambdaInvoker {
  functions: InProcessFunctions | undefined;

  invoke(logicalId: string, event: unknown): Promise<unknown> {
    if (!this.functions) throw new Error('functions are not loaded yet');
    return this.functions.invoke(logicalId, event);
  }
}

/** An extra HTTP path a service serves on the WebSocket gateway's port. */
interface GatewayRoute {
  prefix: string;
  handler: (req: IncomingMessage, res: GatewayResponse) => void;
}

/** The WebSocket API with its `@connections` endpoint, and the services' routes on its port. */
async function startGateway(
  template: LocalTemplate,
  invoker: LambdaInvoker,
  options: { port: number; allowedOrigins: AllowedOrigins; routes: GatewayRoute[]; stops: StopList },
): Promise<WebSocketGateway> {
  if (!template.webSocketApi) throw new Error('template.yaml has no WebSocket API');
  const gateway = new WebSocketGateway({
    api: template.webSocketApi,
    invoker,
    port: options.port,
    allowedOrigins: options.allowedOrigins,
    fallbackRequestHandler: (req, res) => {
      const route = options.routes.find((candidate) => (req.url ?? '').startsWith(candidate.prefix));
      if (route) return route.handler(req, res);
      sendJson(res, 403, { message: 'Forbidden' });
    },
  });
  await gateway.start();
  options.stops.push(() => gateway.close());
  return gateway;
}

function createHttpApi(
  template: LocalTemplate,
  invoker: LambdaInvoker,
  port: number,
  allowedOrigins: AllowedOrigins,
  jwtSecret: string,
): HttpApi {
  return new HttpApi({
    functions: template.functions,
    routes: template.httpApi?.routes ?? [],
    // The HTTP API's JWT authorizer, run here with the local HS256 secret (JWKS on AWS).
    verifyJwt: (authorizer, token) =>
      JoseTokenVerifier.fromSecret({
        secret: jwtSecret,
        issuer: authorizer.issuer,
        audience: authorizer.audience,
      }).verifyPayload(token),
    invoker,
    port,
    cors: {
      // Read per request: the platform's own origin is added once the HTTP port is known.
      get allowOrigins() {
        return allowedOrigins.list();
      },
      allowHeaders: ['content-type', 'authorization', 'x-api-key'],
    },
  });
}

/** A poller per DynamoDB event source (the history writer's only with `history`). */
async function startStreamPollers(
  template: LocalTemplate,
  history: boolean,
  invoker: LambdaInvoker,
  dynamoEndpoint: string,
  log: (line: string) => void,
  stops: StopList,
): Promise<DynamoDbStreamPoller[]> {
  const pollers: DynamoDbStreamPoller[] = [];
  const streamsClient = createLocalStreamsClient(dynamoEndpoint);
  stops.push(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
    streamsClient.destroy();
  });
  for (const { fn, event } of functionEvents(template, 'DynamoDB')) {
    if (!history && fn.logicalId === HISTORY_WRITER_FUNCTION) continue;
    pollers.push(await startStreamPoller(template, fn.logicalId, event, invoker, streamsClient, log));
  }
  return pollers;
}

/** Phase 2: the services' event sources reach the loaded functions; what they add joins /health. */
async function attachServices(
  services: LocalService[],
  context: AttachContext,
  endpoints: PlatformEndpoints,
  resources: Record<string, string>,
): Promise<void> {
  for (const service of services) {
    const attached = await service.attach?.(context);
    if (attached) {
      Object.assign(endpoints, attached.endpoints);
      Object.assign(resources, attached.resources);
      Object.assign(process.env, attached.sdkEnvironment);
    }
  }
}

/** The resources /health names: the stack, stage and item key, the tables, the services' resources. */
function platformResources(
  template: LocalTemplate,
  serviceResources: Record<string, string>,
): Record<string, string> {
  return {
    stackName: template.stackName,
    stage: template.webSocketApi?.stageName ?? '',
    realTimeItemKey: template.parameters.RealTimeItemKey ?? 'vehicleId',
    ...Object.fromEntries(
      template.tables.map((table) => [healthResourceName(table.logicalId), table.tableName]),
    ),
    ...serviceResources,
  };
}

function addHealthRoute(
  httpApi: HttpApi,
  template: LocalTemplate,
  jwtSecret: string,
  health: () => Record<string, unknown>,
  endpoints: PlatformEndpoints,
  resources: Record<string, string>,
): void {
  httpApi.addLocalRoute('GET', '/health', async (req, res) => {
    if (template.parameters.AuthMode !== 'jwt' || (await hasValidToken(req, jwtSecret))) {
      return sendJson(res, 200, health());
    }
    // Table names, queue URLs and counters are for the developer (any valid token), not for every
    // caller: without one, only what a page needs to connect, as items-api answers on AWS.
    sendJson(res, 200, {
      status: 'ok',
      endpoints: { http: endpoints.http, websocket: endpoints.websocket },
      resources: { realTimeItemKey: resources.realTimeItemKey },
    });
  });
}

/** The web app (web/dist) on the same origin as the APIs; it finds the WebSocket through /health. */
function addWebApp(httpApi: HttpApi, template: LocalTemplate, webDir: string, websocketUrl: string): void {
  const wsPort = new URL(websocketUrl).port;
  const webApp = staticFiles(webDir, {
    buildHint: 'npx vite build web',
    headers: securityHeadersOf(template, [`ws://127.0.0.1:${wsPort}`, `ws://localhost:${wsPort}`]),
  });
  httpApi.addLocalRoute('GET', '/', webApp);
  httpApi.addLocalRoute('GET', '/{proxy+}', webApp);
}

async function startStreamPoller(
  template: LocalTemplate,
  functionLogicalId: string,
  eventSource: StreamEventSourceModel,
  invoker: LambdaInvoker,
  client: ReturnType<typeof createLocalStreamsClient>,
  log: (line: string) => void,
): Promise<DynamoDbStreamPoller> {
  const table = template.tables.find((candidate) => candidate.logicalId === eventSource.sourceLogicalId);
  if (!table)
    throw new Error(`${functionLogicalId}: stream source ${eventSource.sourceLogicalId} is not a table`);
  const poller = new DynamoDbStreamPoller({
    client,
    tableName: table.tableName,
    functionLogicalId,
    eventSource,
    invoker,
    idleDelayMs: 20,
    onFailure: async (failure) => {
      log(
        `${functionLogicalId}: discarded ${failure.DDBStreamBatchInfo.batchSize} stream records after retries ` +
          `(on-failure destination ${eventSource.onFailureQueueLogicalId ?? 'none'})`,
      );
      await sendToFailureQueue(template, eventSource.onFailureQueueLogicalId, failure, log);
    },
    onError: (error) => log(`${functionLogicalId} stream poller: ${(error as Error).message}`),
  });
  await poller.start();
  return poller;
}

/** Whether the request carries `Authorization: Bearer <token>` with a token valid for the local secret. */
async function hasValidToken(req: IncomingMessage, secret: string): Promise<boolean> {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1];
  if (!token) return false;
  try {
    await JoseTokenVerifier.fromSecret({ secret }).verifyPayload(token);
    return true;
  } catch {
    return false;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 2));
}
