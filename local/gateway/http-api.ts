import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ErrorBody } from '#contracts/error-body.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { LOCAL_ACCOUNT_ID } from '#local/template/local-identity.ts';
import type { FunctionModel, HttpJwtAuthorizerModel, HttpRouteModel } from '#local/template/model.ts';
import {
  consoleGatewayLogger,
  formatRequestTime,
  type GatewayLogger,
  headerPairs,
  newGatewayId,
  readBody,
  sendJson,
  sourceIpOf,
} from './request-context.ts';

/** API Gateway HTTP API payload limit: 10 MB. */
const MAX_HTTP_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway HTTP API's maximum integration timeout: 30 s. */
const DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000;

/** Request bodies of these types reach the function as text; everything else (even no type) as base64. */
const TEXT_CONTENT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

/** The template's `CorsConfiguration` of the HTTP API, in SAM's shape (camel-cased). */
interface HttpApiCorsConfig {
  /** `*` or exact origins. */
  allowOrigins: string[];
  /** Default `*`. */
  allowMethods?: string[];
  /** Default none; `*` echoes what the preflight asks for. */
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
  allowCredentials?: boolean;
}

/**
 * Verifies a bearer token for a JWT authorizer (signature, `iss`, `aud`, `exp`) and returns its
 * payload; throws for any token the authorizer must refuse.
 */
type JwtPayloadVerifier = (
  authorizer: HttpJwtAuthorizerModel,
  token: string,
) => Promise<Record<string, unknown>>;

interface HttpApiOptions {
  /** Functions of the template; their `HttpApi` events become routes. */
  functions: FunctionModel[];
  /** Routes declared as ApiGatewayV2 resources (the template's `httpApi.routes`). */
  routes?: HttpRouteModel[];
  /** Runs the JWT authorizers of `routes`; required when one has an authorizer. */
  verifyJwt?: JwtPayloadVerifier;
  invoker: LambdaInvoker;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /**
   * `requestContext.stage`. Default `$default`. With a named stage, paths may also carry the `/{stage}`
   * prefix as on AWS (it stays in `rawPath` and is ignored for routing).
   */
  stage?: string;
  /** `requestContext.apiId`. Default `local`. */
  apiId?: string;
  /** Answer preflights and add CORS headers, like the HTTP API's `CorsConfiguration`. Default: no CORS. */
  cors?: HttpApiCorsConfig;
  /** Larger request bodies get 413. Default 10 MB, API Gateway's limit. */
  maxBodyBytes?: number;
  /** A function still running after this gets 503 `Service Unavailable`, like API Gateway. Default 30 s. */
  integrationTimeoutMs?: number;
  logger?: GatewayLogger;
}

/**
 * A route the runtime serves itself (health, static files). It writes the whole response; path
 * parameters come decoded (`proxy` for `{proxy+}`).
 */
export type LocalRouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  pathParameters: Record<string, string>,
) => void | Promise<void>;

interface HttpApiStats {
  requests: number;
  invocations: number;
  /** Responses with a 5xx status made by the gateway (integration failures, timeouts). */
  integrationErrors: number;
}

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

type RouteTarget =
  | { kind: 'function'; functionLogicalId: string; authorizer?: HttpJwtAuthorizerModel }
  | { kind: 'local'; handler: LocalRouteHandler };

interface Route {
  /** Upper-case method or `ANY`. */
  method: string;
  /** `GET /items/{key}`, or `$default`. */
  routeKey: string;
  /** Undefined for `$default`. */
  segments: Segment[] | undefined;
  target: RouteTarget;
}

interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string>;
}

interface MappedResponse {
  statusCode: number;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

const SEGMENT_RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * Local stand-in for an API Gateway HTTP API (payload format 2.0) on 127.0.0.1.
 *
 * Routes come from the functions' `HttpApi` events (`{param}`, `{proxy+}`, `ANY`, `$default`) plus
 * local routes. The most specific route wins (literal segment > `{param}` > `{proxy+}`, exact
 * method > `ANY`); on the same route key a local route wins over a function.
 * Results are mapped as API Gateway does: `{statusCode, headers, cookies, body, isBase64Encoded}`,
 * anything else is a 200 JSON body; a throwing function (or one past its own timeout) gives 500
 * `{"message":"Internal Server Error"}`, one past the integration timeout 503, no route 404
 * `{"message":"Not Found"}`, a body over the limit 413.
 */
export class HttpApi {
  readonly #options: HttpApiOptions;
  readonly #stage: string;
  readonly #apiId: string;
  readonly #maxBodyBytes: number;
  readonly #integrationTimeoutMs: number;
  readonly #logger: GatewayLogger;
  readonly #routes: Route[] = [];
  readonly #server: Server;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #stats: HttpApiStats = { requests: 0, invocations: 0, integrationErrors: 0 };
  #port = 0;

  /**
   * @throws Error on an invalid path template, two functions on the same route key, or a JWT
   * authorizer without `verifyJwt`.
   */
  constructor(options: HttpApiOptions) {
    this.#options = options;
    this.#stage = options.stage ?? '$default';
    this.#apiId = options.apiId ?? 'local';
    this.#maxBodyBytes = options.maxBodyBytes ?? MAX_HTTP_BODY_BYTES;
    this.#integrationTimeoutMs = options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    this.#logger = options.logger ?? consoleGatewayLogger;
    for (const fn of options.functions) {
      for (const event of fn.events) {
        if (event.kind !== 'HttpApi') continue;
        this.#addRoute(event.method, event.path, { kind: 'function', functionLogicalId: fn.logicalId });
      }
    }
    for (const route of options.routes ?? []) {
      if (route.authorizer && !options.verifyJwt)
        throw new Error(
          `HTTP API route '${route.method} ${route.path}' has a JWT authorizer but no verifier`,
        );
      this.#addRoute(route.method, route.path, {
        kind: 'function',
        functionLogicalId: route.functionLogicalId,
        ...(route.authorizer ? { authorizer: route.authorizer } : {}),
      });
    }
    this.#server = createServer((req, res) => {
      this.#onRequest(req, res).catch((error: unknown) => {
        this.#logger.error('HTTP API request failed', { path: req.url, error: String(error) });
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = 65_000;
  }

  /**
   * Serves `method path` (`ANY` allowed; same template syntax as the template) with `handler` instead
   * of a function. Wins over a function route with the same route key.
   * @throws Error on an invalid template or a second local route with the same route key.
   */
  addLocalRoute(method: string, path: string, handler: LocalRouteHandler): void {
    this.#addRoute(method, path, { kind: 'local', handler });
  }

  /** Route keys served, functions' and local ones, e.g. for a startup banner. */
  routeKeys(): string[] {
    return this.#routes.map((route) => route.routeKey);
  }

  /** Listens on 127.0.0.1. Resolves with the bound port. */
  async start(): Promise<{ port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port ?? 0, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    return { port: this.#port, url: this.url };
  }

  get port(): number {
    return this.#port;
  }

  /** e.g. `http://127.0.0.1:3000` */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  stats(): HttpApiStats {
    return { ...this.#stats };
  }

  /** Stops accepting requests, waits for running invocations, closes keep-alive connections. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    this.#server.closeAllConnections();
    await closed;
  }

  #addRoute(method: string, path: string, target: RouteTarget): void {
    const upper = method.toUpperCase();
    const segments = path === '$default' ? undefined : parseTemplate(path);
    const routeKey = path === '$default' ? '$default' : `${upper} ${path}`;
    const clash = this.#routes.find(
      (route) => route.routeKey === routeKey && route.target.kind === target.kind,
    );
    if (clash) throw new Error(`HTTP API route '${routeKey}' is defined twice`);
    this.#routes.push({ method: upper, routeKey, segments, target });
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#stats.requests++;
    const rawUrl = req.url ?? '/';
    const queryIndex = rawUrl.indexOf('?');
    const rawPath = queryIndex === -1 ? rawUrl : rawUrl.slice(0, queryIndex);
    const rawQueryString = queryIndex === -1 ? '' : rawUrl.slice(queryIndex + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const corsHeaders = this.#corsHeaders(req);

    if (method === 'OPTIONS' && this.#options.cors && req.headers['access-control-request-method']) {
      res.writeHead(204, { ...corsHeaders, ...this.#preflightHeaders(req, corsHeaders) });
      res.end();
      return;
    }

    const match = this.#match(method, this.#routingPath(rawPath));
    if (!match) return sendJson(res, 404, { message: 'Not Found' }, corsHeaders);

    const { route, pathParameters } = match;
    if (route.target.kind === 'local') {
      for (const [name, value] of Object.entries(corsHeaders)) res.setHeader(name, value);
      await route.target.handler(req, res, pathParameters);
      return;
    }

    const body = await readBody(req, this.#maxBodyBytes);
    if (body === undefined) {
      return sendJson(
        res,
        413,
        { message: 'Request Entity Too Large' },
        { ...corsHeaders, connection: 'close' },
      );
    }
    const requestId = newGatewayId();
    const event = this.#event(req, route, { rawPath, rawQueryString, pathParameters, body, requestId });
    if (route.target.authorizer) {
      const authorizer = await this.#authorise(route.target.authorizer, event);
      if (!authorizer) {
        const refused: ErrorBody = {
          error: { code: 'Unauthorized', message: 'missing or invalid bearer token (Authorization)' },
        };
        return sendJson(res, 401, refused, {
          ...corsHeaders,
          'www-authenticate': 'Bearer',
          'apigw-requestid': requestId,
        });
      }
      // aws-lambda types the JWT authorizer's context on a separate event type.
      Object.assign(event.requestContext, { authorizer });
    }
    const response = await this.#invoke(route.target.functionLogicalId, event, requestId);
    const payload = response.body;
    res.writeHead(response.statusCode, {
      ...response.headers,
      ...corsHeaders,
      'apigw-requestid': requestId,
      'content-length': String(payload.length),
    });
    res.end(payload);
  }

  /**
   * Runs a JWT authorizer as API Gateway does: the token from its identity source (`Bearer ` prefix
   * optional), verified; the claims as strings, lists as `[a b]`. Undefined when refused.
   */
  async #authorise(
    authorizer: HttpJwtAuthorizerModel,
    event: APIGatewayProxyEventV2,
  ): Promise<{ jwt: { claims: Record<string, string>; scopes: string[] | null } } | undefined> {
    const source = authorizer.identitySource[0] ?? '$request.header.Authorization';
    const header = /^\$request\.header\.(.+)$/.exec(source)?.[1]?.toLowerCase();
    const value = header ? event.headers[header] : undefined;
    const token = value?.trim().replace(/^Bearer\s+/i, '');
    if (!token || !this.#options.verifyJwt) return undefined;
    let payload: Record<string, unknown>;
    try {
      payload = await this.#options.verifyJwt(authorizer, token);
    } catch {
      return undefined;
    }
    const claims: Record<string, string> = {};
    for (const [name, claim] of Object.entries(payload)) {
      claims[name] = Array.isArray(claim)
        ? `[${claim.map(String).join(' ')}]`
        : typeof claim === 'object'
          ? JSON.stringify(claim)
          : String(claim);
    }
    const scope = payload.scope ?? payload.scp;
    const scopes =
      typeof scope === 'string' ? scope.split(' ') : Array.isArray(scope) ? scope.map(String) : null;
    return { jwt: { claims, scopes } };
  }

  async #invoke(
    functionLogicalId: string,
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Promise<MappedResponse> {
    this.#stats.invocations++;
    const invocation = this.#options.invoker.invoke(functionLogicalId, event);
    this.#inFlight.add(invocation);
    const untrack = () => this.#inFlight.delete(invocation);
    invocation.then(untrack, untrack);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#integrationTimeoutMs);
    });
    try {
      const result = await Promise.race([invocation, timedOut]);
      if (result === 'timeout') {
        this.#logger.error('HTTP API integration timed out', { functionLogicalId, requestId });
        this.#stats.integrationErrors++;
        return gatewayError(503, 'Service Unavailable');
      }
      const mapped = mapProxyResult(result);
      if (typeof mapped === 'string') {
        this.#logger.error(`Malformed Lambda proxy response: ${mapped}`, { functionLogicalId, requestId });
        this.#stats.integrationErrors++;
        return gatewayError(500, 'Internal Server Error');
      }
      return mapped;
    } catch (error) {
      this.#logger.error('HTTP API integration failed', {
        functionLogicalId,
        requestId,
        error: String(error),
      });
      this.#stats.integrationErrors++;
      return gatewayError(500, 'Internal Server Error');
    } finally {
      clearTimeout(timer);
    }
  }

  #event(
    req: IncomingMessage,
    route: Route,
    request: {
      rawPath: string;
      rawQueryString: string;
      pathParameters: Record<string, string>;
      body: Buffer;
      requestId: string;
    },
  ): APIGatewayProxyEventV2 {
    const now = Date.now();
    const sourceIp = sourceIpOf(req);
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [name, value] of headerPairs(req)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) continue;
      if (lower === 'cookie') {
        cookies.push(
          ...value
            .split(';')
            .map((cookie) => cookie.trim())
            .filter((cookie) => cookie !== ''),
        );
        continue;
      }
      headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
    }
    headers['x-forwarded-for'] = headers['x-forwarded-for']
      ? `${headers['x-forwarded-for']},${sourceIp}`
      : sourceIp;
    headers['x-forwarded-port'] = String(this.#port);
    headers['x-forwarded-proto'] = 'http';
    headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(now / 1000).toString(16)}-${newGatewayId()}`;

    const domainName = headers.host ?? `127.0.0.1:${this.#port}`;
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: request.rawPath,
      rawQueryString: request.rawQueryString,
      headers,
      requestContext: {
        accountId: LOCAL_ACCOUNT_ID,
        apiId: this.#apiId,
        domainName,
        domainPrefix: domainName.split('.')[0] ?? domainName,
        http: {
          method: (req.method ?? 'GET').toUpperCase(),
          path: request.rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp,
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: request.requestId,
        routeKey: route.routeKey,
        stage: this.#stage,
        time: formatRequestTime(now),
        timeEpoch: now,
      },
      isBase64Encoded: false,
    };
    if (cookies.length > 0) event.cookies = cookies;
    const query = parseQuery(request.rawQueryString);
    if (query) event.queryStringParameters = query;
    if (Object.keys(request.pathParameters).length > 0) event.pathParameters = request.pathParameters;
    if (request.body.length > 0) {
      const text = isTextContentType(headers['content-type']);
      event.body = request.body.toString(text ? 'utf8' : 'base64');
      event.isBase64Encoded = !text;
    }
    return event;
  }

  #routingPath(rawPath: string): string {
    if (this.#stage === '$default') return rawPath;
    if (rawPath === `/${this.#stage}`) return '/';
    if (rawPath.startsWith(`/${this.#stage}/`)) return rawPath.slice(this.#stage.length + 1);
    return rawPath;
  }

  #match(method: string, path: string): RouteMatch | undefined {
    const requestSegments = path === '/' ? [] : path.slice(1).split('/');
    let best: RouteMatch | undefined;
    for (const route of this.#routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      const pathParameters = route.segments ? matchSegments(route.segments, requestSegments) : {};
      if (pathParameters === undefined) continue;
      const candidate = { route, pathParameters };
      if (!best || compareRoutes(candidate.route, best.route) < 0) best = candidate;
    }
    return best;
  }

  #corsHeaders(req: IncomingMessage): Record<string, string> {
    const cors = this.#options.cors;
    const origin = req.headers.origin;
    if (!cors || origin === undefined) return {};
    const any = cors.allowOrigins.includes('*');
    if (!any && !cors.allowOrigins.includes(origin)) return {};
    const headers: Record<string, string> = {
      'access-control-allow-origin': any && !cors.allowCredentials ? '*' : origin,
    };
    if (!any || cors.allowCredentials) headers.vary = 'origin';
    if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (cors.exposeHeaders?.length) headers['access-control-expose-headers'] = cors.exposeHeaders.join(',');
    return headers;
  }

  #preflightHeaders(req: IncomingMessage, corsHeaders: Record<string, string>): Record<string, string> {
    const cors = this.#options.cors;
    if (!cors || corsHeaders['access-control-allow-origin'] === undefined) return {};
    const headers: Record<string, string> = {
      'access-control-allow-methods': (cors.allowMethods ?? ['*']).join(','),
    };
    const requested = req.headers['access-control-request-headers'];
    const allowHeaders = cors.allowHeaders ?? [];
    if (allowHeaders.includes('*') && requested) headers['access-control-allow-headers'] = requested;
    else if (allowHeaders.length > 0) headers['access-control-allow-headers'] = allowHeaders.join(',');
    if (cors.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(cors.maxAgeSeconds);
    return headers;
  }
}

/** @throws Error when the template is not `/…` or puts `{proxy+}` anywhere but last. */
function parseTemplate(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`HTTP API path '${path}' must start with '/'`);
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  return parts.map((part, index): Segment => {
    const greedy = /^\{([A-Za-z0-9_.-]+)\+\}$/.exec(part);
    if (greedy) {
      if (index !== parts.length - 1)
        throw new Error(`HTTP API path '${path}': a greedy variable must be last`);
      return { kind: 'greedy', name: greedy[1]! };
    }
    const param = /^\{([A-Za-z0-9_.-]+)\}$/.exec(part);
    if (param) return { kind: 'param', name: param[1]! };
    if (part === '' || /[{}]/.test(part))
      throw new Error(`HTTP API path '${path}' has an invalid segment '${part}'`);
    return { kind: 'literal', value: part };
  });
}

function matchSegments(template: Segment[], request: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of template.entries()) {
    const value = request[index];
    if (segment.kind === 'greedy') {
      const rest = request.slice(index);
      if (rest.length === 0 || rest.every((part) => part === '')) return undefined;
      parameters[segment.name] = decodeSegment(rest.join('/'));
      return parameters;
    }
    if (value === undefined || value === '') return undefined;
    if (segment.kind === 'literal') {
      if (value !== segment.value) return undefined;
    } else {
      parameters[segment.name] = decodeSegment(value);
    }
  }
  return request.length === template.length ? parameters : undefined;
}

/** Negative when `a` is more specific than `b`. */
function compareRoutes(a: Route, b: Route): number {
  if (!a.segments || !b.segments) return (a.segments ? 0 : 1) - (b.segments ? 0 : 1);
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const rankA = a.segments[i] ? SEGMENT_RANK[a.segments[i]!.kind] : 3;
    const rankB = b.segments[i] ? SEGMENT_RANK[b.segments[i]!.kind] : 3;
    if (rankA !== rankB) return rankA - rankB;
  }
  const methodA = a.method === 'ANY' ? 1 : 0;
  const methodB = b.method === 'ANY' ? 1 : 0;
  if (methodA !== methodB) return methodA - methodB;
  return (a.target.kind === 'local' ? 0 : 1) - (b.target.kind === 'local' ? 0 : 1);
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Duplicate names are joined with commas, as in payload format 2.0. */
function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  return Object.keys(query).length > 0 ? query : undefined;
}

function isTextContentType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!type) return false;
  return type.startsWith('text/') || TEXT_CONTENT_TYPES.has(type);
}

function gatewayError(statusCode: number, message: string): MappedResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** Maps a payload-2.0 result as API Gateway does; a string describes why the result is malformed. */
function mapProxyResult(result: unknown): MappedResponse | string {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = result as Record<string, unknown>;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return `statusCode ${JSON.stringify(statusCode)} is not an HTTP status`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body must be a string';
  const out: OutgoingHttpHeaders = {};
  if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (['string', 'number', 'boolean'].includes(typeof value)) out[name.toLowerCase()] = String(value);
    }
  }
  if (Array.isArray(cookies)) {
    out['set-cookie'] = cookies.filter((cookie): cookie is string => typeof cookie === 'string');
  }
  out['content-type'] ??= 'text/plain; charset=utf-8';
  const text = typeof body === 'string' ? body : '';
  const payload = isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text);
  return { statusCode, headers: out, body: payload };
}
