import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpApi } from '#local/gateway/http-api.ts';
import type { WebSocketGateway } from '#local/gateway/websocket-gateway.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { LocalTemplate } from '#local/template/model.ts';

/** What phase 1 of a service tells the platform. */
export interface ServiceStarted {
  /** Named endpoints for /health, e.g. `{ mqtt: 'mqtt://127.0.0.1:1883' }`. */
  endpoints?: Record<string, string>;
  /** Named resources for /health, e.g. `{ ingestQueueUrl: '…' }`. */
  resources?: Record<string, string>;
  /**
   * Process environment for the SDK clients of every function, e.g. `AWS_ENDPOINT_URL_SQS`
   * (the SDK reads these itself; set before the functions load).
   */
  sdkEnvironment?: Record<string, string>;
  /** Local values of the template resources this service emulates (queue URLs, ARNs, names). */
  resolveResource?: (logicalId: string, attribute?: string) => string | undefined;
}

/**
 * What phase 2 of a service may add, for what is known only once the gateways listen (e.g. an API
 * served on the gateway's port). `sdkEnvironment` still reaches the loaded functions: the SDK reads
 * `AWS_ENDPOINT_URL_*` on a client's first call.
 */
export type ServiceAttached = Pick<ServiceStarted, 'endpoints' | 'resources' | 'sdkEnvironment'>;

/** What phase 2 gets: the functions are loaded and the gateways are up. */
export interface AttachContext {
  template: LocalTemplate;
  invoker: LambdaInvoker;
  gateway: WebSocketGateway;
  httpApi: HttpApi;
  /** Serves extra HTTP paths on the WebSocket gateway's port (e.g. the IoT data plane `POST /topics/…`). */
  addGatewayRoute(prefix: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  log: (line: string) => void;
}

/**
 * One emulated AWS service of the local runtime (SQS/SNS/S3, Kinesis, IoT Core, …). The platform
 * starts services in two phases, because the functions' environment needs the services' endpoints
 * and the services' event sources need the loaded functions.
 */
export interface LocalService {
  readonly name: string;
  /** Phase 1: start emulators and create the template's resources of this service. */
  start(context: { template: LocalTemplate; log: (line: string) => void }): Promise<ServiceStarted>;
  /** Phase 2: attach event sources (pollers, rules, notifications) to the functions. */
  // biome-ignore lint/suspicious/noConfusingVoidType: services that add nothing keep `async attach(): Promise<void>`.
  attach?(context: AttachContext): Promise<void | ServiceAttached>;
  /** Live counters for /health. */
  stats?(): Record<string, unknown>;
  /** Stops everything the service started. */
  stop(): Promise<void>;
}
