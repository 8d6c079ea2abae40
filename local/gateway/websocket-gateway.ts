import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { TOKEN_EXPIRED_CLOSE_CODE } from '#contracts/ws-limits.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { localArn } from '#local/template/local-identity.ts';
import type { WebSocketApiModel, WebSocketAuthorizerModel } from '#local/template/model.ts';
import {
  consoleGatewayLogger,
  formatRequestTime,
  type GatewayLogger,
  headerPairs,
  newGatewayId,
  readBody,
  sourceIpOf,
} from './request-context.ts';

/** API Gateway's limit for one PostToConnection payload and one incoming message: 128 KB. */
const MAX_MESSAGE_BYTES = 128 * 1024;

const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_MAX_CONNECTION_DURATION_MS = 2 * 60 * 60 * 1000;
/** How long `close()` waits for clients to answer the close handshake before cutting the sockets. */
const SHUTDOWN_GRACE_MS = 1000;
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

interface WebSocketGatewayOptions {
  /** Routes, route selection expression and stage, from the template. */
  api: WebSocketApiModel;
  invoker: LambdaInvoker;
  /** Port on 127.0.0.1 for both WebSocket upgrades and `@connections` calls; 0 (default) picks a free one. */
  port?: number;
  /** Closes a connection with no incoming message for this long (1001 Going away). Default 10 min, like API Gateway. */
  idleTimeoutMs?: number;
  /** Closes every connection this long after it opened (1001 Going away). Default 2 h, like API Gateway. */
  maxConnectionDurationMs?: number;
  /** `requestContext.apiId` of the events. Default `local`. */
  apiId?: string;
  logger?: GatewayLogger;
  /**
   * Answers HTTP requests that are not `@connections` calls (the runtime can mount other local
   * endpoints on this port). Without it they get API Gateway's 403 `{"message":"Forbidden"}`.
   */
  fallbackRequestHandler?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Browser origins allowed to open a connection; an upgrade with another `Origin` gets 403 before
   * `$connect` runs. Default: every origin (API Gateway itself does not check).
   */
  allowedOrigins?: { allows(origin: string | undefined): boolean };
}

/** `requestContext` of the events API Gateway sends to WebSocket route integrations. */
interface WebSocketRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  /** MESSAGE events only. */
  messageId?: string;
  extendedRequestId: string;
  requestTime: string;
  messageDirection: 'IN';
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  identity: { sourceIp: string; userAgent?: string };
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  /** DISCONNECT events only. */
  disconnectStatusCode?: number;
  /** DISCONNECT events only. */
  disconnectReason?: string;
  /** With a `$connect` authorizer: its `principalId` and context, on every event of the connection. */
  authorizer?: Record<string, string | number | boolean>;
}

/** The Lambda proxy event of a WebSocket route (`$connect`, `$disconnect`, message routes). */
export interface WebSocketRouteEvent {
  requestContext: WebSocketRequestContext;
  /** CONNECT and DISCONNECT: header names as the client sent them (look them up case-insensitively). */
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  /** CONNECT only, absent without a query string. */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  /** MESSAGE only: the text frame as received. */
  body?: string;
  isBase64Encoded: boolean;
}

/** What an `@connections` call answers, whether it came over HTTP or in-process. */
interface ManagementResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Counters for `/health`. */
interface WebSocketGatewayStats {
  openConnections: number;
  connectionsAccepted: number;
  connectionsRejected: number;
  messagesReceived: number;
  framesPosted: number;
  goneResponses: number;
  payloadTooLargeResponses: number;
}

interface Connection {
  id: string;
  socket: WebSocket;
  /** False from the moment a close starts: API Gateway answers 410 for a closing connection. */
  open: boolean;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  idleTimer: NodeJS.Timeout;
  maxAgeTimer: NodeJS.Timeout;
  /** Closes the connection at its token's `exp` (authorizer context), when it has one. */
  tokenTimer?: NodeJS.Timeout;
  /** Set when the gateway itself closes: the status reported to `$disconnect`, whatever the client echoes. */
  closeCode?: number;
  closeReason?: string;
}

interface PendingConnect {
  id: string;
  authorizer?: Record<string, string | number | boolean>;
  connectedAt: number;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  subprotocol?: string;
}

type RouteSelector = (body: unknown) => string | undefined;

/**
 * Local stand-in for an API Gateway WebSocket API: one `ws` server on 127.0.0.1 that runs the same
 * Lambda handlers with the same events, and the `@connections` management API on the same port.
 *
 * - Upgrade: `$connect` runs first; the handshake completes only on a 2xx result, otherwise the
 *   client gets that status (502 when the function throws or returns no status code).
 *   Until then the connection id answers 410 to management calls.
 * - Text frames: route selection on the template's expression (`$request.body.action`), falling back
 *   to `$default`; no route gives the `Forbidden` error frame, a failed invocation the
 *   `Internal server error` frame. Return values are ignored (no route responses).
 *   Binary frames close with 1003, messages over 128 KB with 1009, as API Gateway does.
 * - `$disconnect` runs exactly once per opened connection, after the socket is gone.
 * - A connection whose authorizer context carries `exp` (epoch seconds, the token's) is closed then
 *   with 4001 (the platform's `TOKEN_EXPIRED_CLOSE_CODE`; API Gateway itself never does this).
 * - `@connections`: `POST|GET|DELETE /{stage}/@connections/{id}` (the stage prefix is optional), so the
 *   real `ApiGatewayManagementApiClient` with `endpoint: gateway.managementEndpoint` works unchanged,
 *   `GoneException` and `PayloadTooLargeException` included.
 */
export class WebSocketGateway {
  readonly #options: WebSocketGatewayOptions;
  readonly #stage: string;
  readonly #apiId: string;
  readonly #idleTimeoutMs: number;
  readonly #maxConnectionDurationMs: number;
  readonly #logger: GatewayLogger;
  readonly #routes: Map<string, string>;
  readonly #connectAuthorizer: WebSocketAuthorizerModel | undefined;
  readonly #selectRoute: RouteSelector;
  readonly #server: Server;
  #wss: WebSocketServer;
  readonly #connections = new Map<string, Connection>();
  readonly #pendingIds = new Set<string>();
  readonly #subprotocols = new WeakMap<IncomingMessage, string>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #port = 0;
  #closing = false;
  #stats: Omit<WebSocketGatewayStats, 'openConnections'> = {
    connectionsAccepted: 0,
    connectionsRejected: 0,
    messagesReceived: 0,
    framesPosted: 0,
    goneResponses: 0,
    payloadTooLargeResponses: 0,
  };

  /** @throws Error when the route selection expression is not of the supported `$request.body.…` forms. */
  constructor(options: WebSocketGatewayOptions) {
    this.#options = options;
    this.#stage = options.api.stageName;
    this.#apiId = options.apiId ?? 'local';
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#maxConnectionDurationMs = options.maxConnectionDurationMs ?? DEFAULT_MAX_CONNECTION_DURATION_MS;
    this.#logger = options.logger ?? consoleGatewayLogger;
    this.#routes = new Map(options.api.routes.map((route) => [route.routeKey, route.functionLogicalId]));
    this.#connectAuthorizer = options.api.routes.find((route) => route.routeKey === '$connect')?.authorizer;
    this.#selectRoute = compileRouteSelectionExpression(options.api.routeSelectionExpression);
    this.#wss = this.#createWebSocketServer();
    this.#server = createServer((req, res) => {
      this.#onHttpRequest(req, res).catch((error: unknown) => {
        this.#logger.error('@connections request failed', { error: String(error) });
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    // Longer than the SDK agent's idle sockets live, so a reused keep-alive socket is not closed under it.
    this.#server.keepAliveTimeout = 65_000;
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#onUpgrade(req, socket, head).catch((error: unknown) => {
        this.#logger.error('WebSocket upgrade failed', { error: String(error) });
        socket.destroy();
      });
    });
  }

  /**
   * Listens on 127.0.0.1. Resolves with the bound port. After `close()` it listens again on the same
   * port (a gateway restart: the old connections are gone, clients reconnect with new ids).
   */
  async start(): Promise<{ port: number; url: string; managementEndpoint: string }> {
    if (this.#closing) {
      // A closed ws server refuses every upgrade (503): a restart needs a fresh one.
      this.#wss = this.#createWebSocketServer();
      this.#closing = false;
    }
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port || (this.#options.port ?? 0), '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return { port: this.#port, url: this.url, managementEndpoint: this.managementEndpoint };
  }

  get port(): number {
    return this.#port;
  }

  /** Where clients connect, e.g. `ws://127.0.0.1:3001` (`/{stage}` is accepted too). */
  get url(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  /** The `endpoint` for `ApiGatewayManagementApiClient` (the local `WS_CALLBACK_URL`). */
  get managementEndpoint(): string {
    return `http://127.0.0.1:${this.#port}/${this.#stage}`;
  }

  stats(): WebSocketGatewayStats {
    return { openConnections: this.#connections.size, ...this.#stats };
  }

  /** In-process PostToConnection: sends `data` as one text frame; 200, 410 (gone) or 413 (over 128 KB). */
  postToConnection(connectionId: string, data: string | Uint8Array): ManagementResponse {
    const connection = this.#openConnection(connectionId);
    if (!connection) return this.#gone();
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (payload.byteLength > MAX_MESSAGE_BYTES) {
      this.#stats.payloadTooLargeResponses++;
      return errorResponse(413, 'PayloadTooLargeException', 'Message too long');
    }
    connection.socket.send(payload, { binary: false });
    this.#stats.framesPosted++;
    return { statusCode: 200, headers: {}, body: '' };
  }

  /** In-process GetConnection: 200 with `{connectedAt, identity, lastActiveAt}` (wire format), or 410. */
  getConnection(connectionId: string): ManagementResponse {
    const connection = this.#openConnection(connectionId);
    if (!connection) return this.#gone();
    const body = {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    };
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  }

  /** In-process DeleteConnection: starts the close (then `$disconnect` runs) and answers 204, or 410. */
  deleteConnection(connectionId: string): ManagementResponse {
    const connection = this.#openConnection(connectionId);
    if (!connection) return this.#gone();
    this.#closeConnection(connection, 1000, '');
    return { statusCode: 204, headers: {}, body: '' };
  }

  /**
   * Answers one `@connections` call given its method, path (with or without the stage prefix) and body;
   * what the HTTP endpoint serves, usable by an in-process transport. `undefined` when the path is not
   * an `@connections` path.
   */
  handleManagementRequest(method: string, path: string, body: Uint8Array): ManagementResponse | undefined {
    const target = this.#managementTarget(path);
    if (target === undefined) return undefined;
    if (target === null) return errorResponse(403, 'ForbiddenException', 'Forbidden');
    switch (method) {
      case 'POST':
        return this.postToConnection(target, body);
      case 'GET':
        return this.getConnection(target);
      case 'DELETE':
        return this.deleteConnection(target);
      default:
        return errorResponse(403, 'ForbiddenException', 'Forbidden');
    }
  }

  /**
   * Closes every connection (1001 Going away, their `$disconnect` runs), waits for in-flight
   * invocations, then stops listening.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const sockets = [...this.#connections.values()].map((connection) => {
      const closed = new Promise<void>((resolve) => connection.socket.once('close', () => resolve()));
      this.#closeConnection(connection, 1001, 'Going away');
      return closed;
    });
    const grace = setTimeout(() => {
      for (const connection of this.#connections.values()) connection.socket.terminate();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all(sockets);
    clearTimeout(grace);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#server.closeAllConnections();
    await serverClosed;
    this.#wss.close();
  }

  #createWebSocketServer(): WebSocketServer {
    return new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (_protocols, req) => this.#subprotocols.get(req) ?? false,
    });
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.#closing) return rejectUpgrade(socket, 503, '{"message":"Service Unavailable"}');
    if (!this.#isApiPath(url.pathname)) return rejectUpgrade(socket, 403, '{"message":"Forbidden"}');
    if (!isValidHandshake(req)) return rejectUpgrade(socket, 400, '');
    if (this.#options.allowedOrigins && !this.#options.allowedOrigins.allows(req.headers.origin)) {
      this.#stats.connectionsRejected++;
      return rejectUpgrade(socket, 403, '{"message":"Forbidden: origin not allowed"}');
    }

    const id = this.#newConnectionId();
    const now = Date.now();
    const pending: PendingConnect = {
      id,
      connectedAt: now,
      sourceIp: sourceIpOf(req),
      userAgent: req.headers['user-agent'] ?? '',
      domainName: req.headers.host ?? `127.0.0.1:${this.#port}`,
    };
    const connectFunction = this.#routes.get('$connect');
    this.#pendingIds.add(id);
    try {
      if (this.#connectAuthorizer) {
        const outcome = await this.#authorize(this.#connectAuthorizer, req, url, pending);
        if ('statusCode' in outcome) {
          this.#stats.connectionsRejected++;
          return rejectUpgrade(socket, outcome.statusCode, outcome.body);
        }
        pending.authorizer = outcome.authorizer;
      }
      if (connectFunction !== undefined) {
        const event = this.#connectEvent(req, url, pending);
        let result: unknown;
        try {
          result = await this.#track(this.#options.invoker.invoke(connectFunction, event));
        } catch (error) {
          this.#logger.error('$connect integration failed', { connectionId: id, error: String(error) });
          this.#stats.connectionsRejected++;
          return rejectUpgrade(socket, 502, '{"message": "Internal server error"}');
        }
        const response = proxyResponseOf(result);
        if (response === undefined) {
          this.#logger.error('$connect returned no statusCode', { connectionId: id });
          this.#stats.connectionsRejected++;
          return rejectUpgrade(socket, 502, '{"message": "Internal server error"}');
        }
        if (response.statusCode < 200 || response.statusCode > 299) {
          this.#stats.connectionsRejected++;
          return rejectUpgrade(socket, response.statusCode, response.body, response.headers);
        }
        const subprotocol = headerValue(response.headers, 'sec-websocket-protocol');
        if (subprotocol !== undefined) this.#subprotocols.set(req, subprotocol);
      }
      if (!socket.writable || this.#closing) {
        // The function accepted and may have stored the connection: let `$disconnect` clean it up.
        socket.destroy();
        this.#dispatchDisconnect(pending, 1006, '');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onOpen(ws, pending));
    } finally {
      this.#pendingIds.delete(id);
    }
  }

  #onOpen(socket: WebSocket, pending: PendingConnect): void {
    const connection: Connection = {
      ...pending,
      socket,
      open: true,
      lastActiveAt: pending.connectedAt,
      idleTimer: setTimeout(() => this.#closeConnection(connection, 1001, 'Going away'), this.#idleTimeoutMs),
      maxAgeTimer: setTimeout(
        () => this.#closeConnection(connection, 1001, 'Going away'),
        this.#maxConnectionDurationMs,
      ),
    };
    connection.idleTimer.unref();
    connection.maxAgeTimer.unref();
    const tokenExpiresAt = Number(pending.authorizer?.exp);
    if (Number.isFinite(tokenExpiresAt) && tokenExpiresAt > 0) {
      // The local stand-in for what closes an idle expired connection on AWS (see README,
      // "Authentication and limits"): at `exp`, with the platform's own close code.
      connection.tokenTimer = setTimeout(
        () => this.#closeConnection(connection, TOKEN_EXPIRED_CLOSE_CODE, 'Token expired'),
        Math.max(0, tokenExpiresAt * 1000 - Date.now()),
      );
      connection.tokenTimer.unref();
    }
    this.#connections.set(connection.id, connection);
    this.#stats.connectionsAccepted++;
    socket.on('message', (data, isBinary) => this.#onMessage(connection, data, isBinary));
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        connection.closeCode ??= 1009;
        connection.closeReason ??= 'Message too big';
      }
      connection.open = false;
    });
    socket.once('close', (code, reason) => {
      connection.open = false;
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxAgeTimer);
      clearTimeout(connection.tokenTimer);
      this.#connections.delete(connection.id);
      this.#dispatchDisconnect(
        connection,
        connection.closeCode ?? code,
        connection.closeReason ?? reason.toString(),
      );
    });
  }

  #onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (!connection.open) return;
    connection.lastActiveAt = Date.now();
    connection.idleTimer.refresh();
    if (isBinary) {
      this.#closeConnection(connection, 1003, 'Unsupported data');
      return;
    }
    this.#stats.messagesReceived++;
    const body = rawDataToString(data);
    const requestId = newGatewayId();
    const routeKey = this.#routeFor(body);
    if (routeKey === undefined) {
      this.#sendErrorFrame(connection, 'Forbidden', requestId);
      return;
    }
    const event: WebSocketRouteEvent = {
      requestContext: {
        ...this.#requestContext(connection, routeKey, 'MESSAGE', requestId, connection.lastActiveAt),
        messageId: newGatewayId(),
      },
      body,
      isBase64Encoded: false,
    };
    const functionId = this.#routes.get(routeKey)!;
    this.#track(this.#options.invoker.invoke(functionId, event)).catch((error: unknown) => {
      this.#logger.error(`${routeKey} integration failed`, {
        connectionId: connection.id,
        requestId,
        error: String(error),
      });
      this.#sendErrorFrame(connection, 'Internal server error', requestId);
    });
  }

  #routeFor(body: string): string | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const key = parsed === undefined ? undefined : this.#selectRoute(parsed);
    // Reserved routes are never selected by message content.
    if (key !== undefined && !key.startsWith('$') && this.#routes.has(key)) return key;
    return this.#routes.has('$default') ? '$default' : undefined;
  }

  #sendErrorFrame(connection: Connection, message: string, requestId: string): void {
    if (!connection.open) return;
    connection.socket.send(JSON.stringify({ message, connectionId: connection.id, requestId }));
  }

  #dispatchDisconnect(connection: PendingConnect, statusCode: number, reason: string): void {
    const functionId = this.#routes.get('$disconnect');
    if (functionId === undefined) return;
    const requestId = newGatewayId();
    const event: WebSocketRouteEvent = {
      headers: { Host: connection.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' },
      multiValueHeaders: {
        Host: [connection.domainName],
        'x-api-key': [''],
        'X-Forwarded-For': [''],
        'x-restapi': [''],
      },
      requestContext: {
        ...this.#requestContext(connection, '$disconnect', 'DISCONNECT', requestId, Date.now()),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
        disconnectStatusCode: statusCode,
        disconnectReason: reason,
      },
      isBase64Encoded: false,
    };
    this.#track(this.#options.invoker.invoke(functionId, event)).catch((error: unknown) => {
      this.#logger.error('$disconnect integration failed', {
        connectionId: connection.id,
        requestId,
        error: String(error),
      });
    });
  }

  #connectEvent(req: IncomingMessage, url: URL, pending: PendingConnect): WebSocketRouteEvent {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    const add = (name: string, value: string) => {
      headers[name] = value;
      multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
    };
    for (const [name, value] of headerPairs(req)) {
      const lower = name.toLowerCase();
      // API Gateway terminates the handshake itself; the hop-by-hop headers never reach the function.
      if (lower === 'connection' || lower === 'upgrade') continue;
      add(name, value);
    }
    add('X-Amzn-Trace-Id', `Root=1-${Math.floor(pending.connectedAt / 1000).toString(16)}-${randomHex(12)}`);
    add('X-Forwarded-For', pending.sourceIp);
    add('X-Forwarded-Port', String(this.#port));
    add('X-Forwarded-Proto', 'http');

    const event: WebSocketRouteEvent = {
      headers,
      multiValueHeaders,
      requestContext: {
        ...this.#requestContext(pending, '$connect', 'CONNECT', newGatewayId(), pending.connectedAt),
        identity: { sourceIp: pending.sourceIp, userAgent: pending.userAgent },
      },
      isBase64Encoded: false,
    };
    if (url.search.length > 1) {
      const single: Record<string, string> = {};
      const multi: Record<string, string[]> = {};
      for (const [name, value] of url.searchParams) {
        single[name] = value;
        multi[name] = [...(multi[name] ?? []), value];
      }
      event.queryStringParameters = single;
      event.multiValueQueryStringParameters = multi;
    }
    return event;
  }

  /**
   * Runs the `$connect` route's REQUEST authorizer as API Gateway does: a missing identity source →
   * 401 without invoking; the function throwing `Unauthorized` → 401, throwing anything else → 500;
   * a policy that does not Allow `execute-api:Invoke` on the route (or Denies it) → 403. Allowed: the
   * context (with `principalId`) becomes `requestContext.authorizer` of every event of the connection.
   */
  async #authorize(
    authorizer: WebSocketAuthorizerModel,
    req: IncomingMessage,
    url: URL,
    pending: PendingConnect,
  ): Promise<
    { authorizer: Record<string, string | number | boolean> } | { statusCode: number; body: string }
  > {
    const unauthorized = { statusCode: 401, body: '{"message":"Unauthorized"}' };
    const forbidden = { statusCode: 403, body: '{"message":"Forbidden"}' };
    for (const source of authorizer.identitySource) {
      if (identitySourceValue(source, req, url) === undefined) return unauthorized;
    }
    const methodArn = localArn('execute-api', `${this.#apiId}/${this.#stage}/$connect`);
    const event = {
      type: 'REQUEST',
      methodArn,
      stageVariables: {},
      ...this.#connectEvent(req, url, pending),
    };
    let result: unknown;
    try {
      result = await this.#track(this.#options.invoker.invoke(authorizer.functionLogicalId, event));
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') return unauthorized;
      this.#logger.error('$connect authorizer failed', { connectionId: pending.id, error: String(error) });
      return { statusCode: 500, body: '{"message": null}' };
    }
    const decision = policyDecision(result, methodArn);
    if (decision === undefined) {
      this.#logger.error('$connect authorizer returned no valid policy', { connectionId: pending.id });
      return { statusCode: 500, body: '{"message": null}' };
    }
    if (!decision.allowed) return forbidden;
    return { authorizer: decision.context };
  }

  #requestContext(
    connection: PendingConnect,
    routeKey: string,
    eventType: WebSocketRequestContext['eventType'],
    requestId: string,
    requestTimeEpoch: number,
  ): WebSocketRequestContext {
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: formatRequestTime(requestTimeEpoch),
      messageDirection: 'IN',
      stage: this.#stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch,
      identity: { sourceIp: connection.sourceIp },
      requestId,
      domainName: connection.domainName,
      connectionId: connection.id,
      apiId: this.#apiId,
      ...(connection.authorizer ? { authorizer: connection.authorizer } : {}),
    };
  }

  #closeConnection(connection: Connection, code: number, reason: string): void {
    if (!connection.open) return;
    connection.open = false;
    connection.closeCode = code;
    connection.closeReason = reason;
    connection.socket.close(code, reason);
  }

  async #onHttpRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (this.#managementTarget(path) === undefined) {
      if (this.#options.fallbackRequestHandler) return this.#options.fallbackRequestHandler(req, res);
      return writeManagementResponse(res, errorResponse(403, 'ForbiddenException', 'Forbidden'));
    }
    let body: Uint8Array = Buffer.alloc(0);
    if (req.method === 'POST') {
      const read = await readBody(req, MAX_MESSAGE_BYTES);
      if (read === undefined) {
        this.#stats.payloadTooLargeResponses++;
        const tooLarge = errorResponse(413, 'PayloadTooLargeException', 'Message too long');
        return writeManagementResponse(res, {
          ...tooLarge,
          headers: { ...tooLarge.headers, connection: 'close' },
        });
      }
      body = read;
    }
    const response = this.handleManagementRequest(req.method ?? 'GET', path, body)!;
    writeManagementResponse(res, response);
  }

  /** The connection id of an `@connections` path; `null` for another stage; `undefined` for other paths. */
  #managementTarget(path: string): string | null | undefined {
    const segments = path.split('/');
    let idSegment: string | undefined;
    if (segments.length === 3 && segments[1] === '@connections') idSegment = segments[2];
    else if (segments.length === 4 && segments[2] === '@connections') {
      if (segments[1] !== this.#stage) return null;
      idSegment = segments[3];
    }
    if (idSegment === undefined || idSegment === '') return undefined;
    try {
      return decodeURIComponent(idSegment);
    } catch {
      return undefined;
    }
  }

  #openConnection(connectionId: string): Connection | undefined {
    const connection = this.#connections.get(connectionId);
    return connection?.open && connection.socket.readyState === connection.socket.OPEN
      ? connection
      : undefined;
  }

  #gone(): ManagementResponse {
    this.#stats.goneResponses++;
    return {
      statusCode: 410,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' },
      body: '{"message":null}',
    };
  }

  #isApiPath(pathname: string): boolean {
    return pathname === '/' || pathname === `/${this.#stage}` || pathname === `/${this.#stage}/`;
  }

  #newConnectionId(): string {
    let id = newGatewayId();
    while (this.#connections.has(id) || this.#pendingIds.has(id)) id = newGatewayId();
    return id;
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    const untrack = () => this.#inFlight.delete(promise);
    promise.then(untrack, untrack);
    return promise;
  }
}

interface ProxyResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A Lambda proxy result as API Gateway reads it for `$connect`; `undefined` when it has no usable status. */
function proxyResponseOf(result: unknown): ProxyResponse | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { statusCode, headers, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = typeof statusCode === 'string' ? Number(statusCode) : statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
    return undefined;
  const textHeaders: Record<string, string> = {};
  if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (['string', 'number', 'boolean'].includes(typeof value)) textHeaders[name] = String(value);
    }
  }
  let text = typeof body === 'string' ? body : '';
  if (isBase64Encoded === true) text = Buffer.from(text, 'base64').toString();
  return { statusCode: status, headers: textHeaders, body: text };
}

/** The value of an authorizer identity source (`route.request.querystring.x` / `route.request.header.x`). */
function identitySourceValue(source: string, req: IncomingMessage, url: URL): string | undefined {
  const query = /^route\.request\.querystring\.(.+)$/.exec(source);
  if (query) return url.searchParams.get(query[1]!) || undefined;
  const header = /^route\.request\.header\.(.+)$/.exec(source);
  if (header) {
    const value = req.headers[header[1]!.toLowerCase()];
    return (Array.isArray(value) ? value[0] : value) || undefined;
  }
  // Stage variables and context sources are always present locally.
  return 'present';
}

/**
 * Reads a Lambda authorizer's IAM policy answer: allowed only when a statement Allows
 * `execute-api:Invoke` on `methodArn` and none Denies it. `undefined` when the answer is malformed.
 */
function policyDecision(
  result: unknown,
  methodArn: string,
): { allowed: boolean; context: Record<string, string | number | boolean> } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  const statements = (policyDocument as { Statement?: unknown } | undefined)?.Statement;
  if (typeof principalId !== 'string' || !Array.isArray(statements)) return undefined;
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);
  const matches = (statement: Record<string, unknown>) =>
    list(statement.Action).some((action) => globMatch(action, 'execute-api:Invoke')) &&
    list(statement.Resource).some((resource) => globMatch(resource, methodArn));
  const applicable = (statements as Array<Record<string, unknown>>).filter(matches);
  const allowed =
    applicable.some((statement) => statement.Effect === 'Allow') &&
    !applicable.some((statement) => statement.Effect === 'Deny');
  const flat: Record<string, string | number | boolean> = { principalId };
  if (typeof context === 'object' && context !== null) {
    // API Gateway passes only scalar context values on.
    for (const [name, value] of Object.entries(context)) {
      if (['string', 'number', 'boolean'].includes(typeof value))
        flat[name] = value as string | number | boolean;
    }
  }
  return { allowed, context: flat };
}

function globMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(value);
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Answers the upgrade request with a plain HTTP response, as API Gateway does when `$connect` refuses. */
function rejectUpgrade(
  socket: Duplex,
  statusCode: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const payload = Buffer.from(body);
  const lines = [`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}`];
  const skip = new Set(['content-length', 'connection', 'transfer-encoding', 'sec-websocket-protocol']);
  for (const [name, value] of Object.entries(headers)) {
    // Header injection guard: function-supplied values go straight onto the socket.
    if (skip.has(name.toLowerCase()) || /[\r\n]/.test(name + value)) continue;
    lines.push(`${name}: ${value}`);
  }
  if (headerValue(headers, 'content-type') === undefined && payload.length > 0) {
    lines.push('Content-Type: application/json');
  }
  lines.push('Connection: close', `Content-Length: ${payload.length}`, '', '');
  socket.once('finish', () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), payload]));
}

function isValidHandshake(req: IncomingMessage): boolean {
  const version = Number(req.headers['sec-websocket-version']);
  return (
    req.method === 'GET' &&
    req.headers.upgrade?.toLowerCase() === 'websocket' &&
    WEBSOCKET_KEY.test(req.headers['sec-websocket-key'] ?? '') &&
    (version === 13 || version === 8)
  );
}

function errorResponse(statusCode: number, errorType: string, message: string): ManagementResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': errorType },
    body: JSON.stringify({ message }),
  };
}

function writeManagementResponse(res: ServerResponse, response: ManagementResponse): void {
  const payload = Buffer.from(response.body);
  res.writeHead(response.statusCode, {
    ...response.headers,
    'x-amzn-requestid': newGatewayId(),
    'content-length': String(payload.length),
  });
  res.end(payload);
}

function rawDataToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString();
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.from(data).toString();
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * Compiles API Gateway's route selection expression. Supported: `$request.body.a.b` and templates
 * such as `${request.body.service}/${request.body.action}`; a missing or non-scalar value selects
 * nothing (then `$default`).
 * @throws Error for any other expression, naming it.
 */
function compileRouteSelectionExpression(expression: string): RouteSelector {
  const plain = /^\$request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)$/.exec(expression);
  if (plain) {
    const path = plain[1]!.split('.');
    return (body) => scalarAt(body, path);
  }
  const placeholder = /\$\{request\.body\.([A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*)\}/g;
  const rest = expression.replace(placeholder, '');
  if (rest === expression || rest.includes('$')) {
    throw new Error(
      `Unsupported route selection expression '${expression}': use $request.body.<path> or \${request.body.<path>} templates`,
    );
  }
  return (body) => {
    let missing = false;
    const key = expression.replace(placeholder, (_match, path: string) => {
      const value = scalarAt(body, path.split('.'));
      if (value === undefined) missing = true;
      return value ?? '';
    });
    return missing ? undefined : key;
  };
}

function scalarAt(body: unknown, path: string[]): string | undefined {
  let value: unknown = body;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
