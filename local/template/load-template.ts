import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import {
  DEFAULT_STACK_NAME,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  localArn,
  stackResourceName,
} from './local-identity.ts';
import type {
  EventSourceModel,
  FunctionModel,
  HttpApiModel,
  HttpJwtAuthorizerModel,
  LocalTemplate,
  S3EventSourceModel,
  SqsEventSourceModel,
  StreamEventSourceModel,
  TableModel,
  WebSocketApiModel,
  WebSocketAuthorizerModel,
} from './model.ts';

type Json = unknown;
type Resource = { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> };

interface LoadTemplateOptions {
  /** Stack name; tables are named from it (`<stack>-RealTimeData`), so tests use a unique one per run. */
  stackName?: string;
  region?: string;
  /** Parameter values that replace the template's defaults. */
  parameters?: Record<string, string>;
  /**
   * Local values of resources that have no local meaning in the template (queue URLs, API ids, …):
   * called for `Ref X` and `GetAtt X.Attr` of non-table resources. Return undefined for the default
   * placeholder `local:<LogicalId>[.<Attr>]`.
   */
  resolveResource?: (logicalId: string, attribute?: string) => string | undefined;
  /** Environment values that replace the template's for every function that declares them (endpoints). */
  environmentOverrides?: Record<string, string>;
}

/** What `Ref: AWS::NoValue` resolves to: the property or list element is dropped. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * template.yaml as SAM reads it: YAML with CloudFormation's short-form tags, and YAML merge keys
 * (`<<: *anchor`) expanded — yaml-cfn keeps them as a literal `<<` key, PyYAML (SAM, cfn-lint) merges.
 */
export function readTemplate(templatePath: string): unknown {
  return expandMergeKeys(yamlParse(readFileSync(templatePath, 'utf8')));
}

function expandMergeKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(expandMergeKeys);
  if (value === null || typeof value !== 'object') return value;
  const { '<<': merged, ...own } = value as Record<string, Json>;
  const result: Record<string, Json> = {};
  // Keys written beside the merge key win over merged ones, and earlier merged maps over later
  // ones, as in YAML 1.1's merge type.
  const bases = merged === undefined ? [] : ([] as Json[]).concat(merged);
  for (const base of bases.reverse()) Object.assign(result, expandMergeKeys(base));
  for (const [key, inner] of Object.entries(own)) result[key] = expandMergeKeys(inner);
  return result;
}

/** A template construct the local runtime cannot run: named, with where it is. */
class TemplateError extends Error {}

/** The parts of template.yaml the loader reads. */
interface TemplateDocument {
  Parameters?: Record<string, { Default?: Json }>;
  Conditions?: Record<string, Json>;
  Globals?: { Function?: Record<string, Json> };
  Resources: Record<string, Resource>;
}

/**
 * Reads template.yaml into the local runtime's model: tables, functions (Globals merged, intrinsics
 * resolved, entry points located) and the WebSocket API's routes.
 * @throws TemplateError for intrinsics or references the local runtime cannot resolve.
 */
export function loadTemplate(templatePath: string, options: LoadTemplateOptions = {}): LocalTemplate {
  const template = readTemplate(templatePath) as TemplateDocument;
  const stackName = options.stackName ?? DEFAULT_STACK_NAME;
  const region = options.region ?? LOCAL_REGION;
  const parameters = parameterValues(template, options.parameters);
  const resources = template.Resources;
  const resolver = new TemplateResolver(template, { stackName, region, parameters }, options.resolveResource);
  const resolveValue = (value: Json) => resolver.resolve(value);
  return {
    resources: resources as LocalTemplate['resources'],
    resolve: resolveValue,
    parameters,
    stackName,
    region,
    tables: loadTables(resources, resolver),
    functions: loadFunctions({
      resources,
      resolveValue,
      projectRoot: dirname(resolve(templatePath)),
      globals: template.Globals?.Function ?? {},
      environmentOverrides: options.environmentOverrides ?? {},
    }),
    ...loadWebSocketApi(resources, parameters, resolveValue),
    ...loadHttpApi(resources, parameters, resolveValue),
  };
}

/** The template's parameter defaults, replaced by `overrides`. */
function parameterValues(template: TemplateDocument, overrides: Record<string, string> = {}) {
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) parameters[name] = String(parameter.Default);
  }
  return Object.assign(parameters, overrides);
}

/**
 * Resolves the intrinsics the template uses (Ref, GetAtt, Sub, Join, If and the conditions they
 * name) to local values: tables by their names, pseudo parameters from the local identity, other
 * resources through `resolveResource` or a `local:<LogicalId>[.<Attr>]` placeholder.
 */
class TemplateResolver {
  readonly #template: TemplateDocument;
  readonly #parameters: Record<string, string>;
  readonly #region: string;
  readonly #stackName: string;
  readonly #resolveResource: LoadTemplateOptions['resolveResource'];
  readonly #pseudo: Record<string, string>;
  readonly #tableNames = new Map<string, string>();

  constructor(
    template: TemplateDocument,
    stack: { stackName: string; region: string; parameters: Record<string, string> },
    resolveResource: LoadTemplateOptions['resolveResource'],
  ) {
    this.#template = template;
    this.#parameters = stack.parameters;
    this.#region = stack.region;
    this.#stackName = stack.stackName;
    this.#resolveResource = resolveResource;
    this.#pseudo = {
      'AWS::StackName': stack.stackName,
      'AWS::Region': stack.region,
      'AWS::AccountId': LOCAL_ACCOUNT_ID,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackId': localArn('cloudformation', `stack/${stack.stackName}/local`, stack.region),
    };
  }

  /** `value` with every intrinsic replaced by its local value; `AWS::NoValue` entries dropped. */
  resolve(value: Json): Json {
    if (Array.isArray(value))
      return value.map((inner) => this.resolve(inner)).filter((inner) => inner !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, Json>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.#intrinsic(first[0], first[1]);
    }
    return Object.fromEntries(
      entries.map(([key, inner]) => [key, this.resolve(inner)]).filter(([, inner]) => inner !== NO_VALUE),
    );
  }

  /** The table's declared `TableName`, or `<stack>-<LogicalId>` as CloudFormation names it. */
  tableName(logicalId: string): string {
    let name = this.#tableNames.get(logicalId);
    if (!name) {
      const declared = this.#template.Resources[logicalId]?.Properties?.TableName;
      name =
        declared === undefined
          ? stackResourceName(this.#stackName, logicalId)
          : String(this.resolve(declared));
      this.#tableNames.set(logicalId, name);
    }
    return name;
  }

  #ref(name: string): string {
    if (name in this.#pseudo) return this.#pseudo[name] as string;
    if (name in this.#parameters) return this.#parameters[name] as string;
    const resource = this.#template.Resources[name];
    if (!resource) throw new TemplateError(`Ref to unknown name ${name}`);
    if (resource.Type === 'AWS::DynamoDB::Table') return this.tableName(name);
    return this.#resolveResource?.(name) ?? `local:${name}`;
  }

  #attribute(name: string, attribute: string): string {
    const resource = this.#template.Resources[name];
    if (!resource) throw new TemplateError(`GetAtt of unknown resource ${name}`);
    if (resource.Type === 'AWS::DynamoDB::Table') {
      const table = this.tableName(name);
      if (attribute === 'Arn') return localArn('dynamodb', `table/${table}`, this.#region);
      if (attribute === 'StreamArn') return localArn('dynamodb', `table/${table}/stream/local`, this.#region);
    }
    return this.#resolveResource?.(name, attribute) ?? `local:${name}.${attribute}`;
  }

  // Conditions: the subset templates use to switch features by parameter (Equals, Not, And, Or).
  #condition(name: string): boolean {
    const condition = this.#template.Conditions?.[name];
    if (condition === undefined) throw new TemplateError(`unknown condition ${name}`);
    return this.#evaluate(condition);
  }

  #evaluate(value: Json): boolean {
    const [entry] = Object.entries((value ?? {}) as Record<string, Json>);
    const [fn, argument] = entry ?? ['', undefined];
    const args = Array.isArray(argument) ? argument : [argument];
    switch (fn) {
      case 'Condition':
        return this.#condition(String(argument));
      case 'Fn::Equals':
        return String(this.resolve(args[0])) === String(this.resolve(args[1]));
      case 'Fn::Not':
        return !this.#evaluate(args[0]);
      case 'Fn::And':
        return args.every((inner) => this.#evaluate(inner));
      case 'Fn::Or':
        return args.some((inner) => this.#evaluate(inner));
      default:
        throw new TemplateError(
          `condition function ${fn || JSON.stringify(value)} is not supported by the local runtime`,
        );
    }
  }

  #intrinsic(fn: string, argument: Json): Json {
    switch (fn) {
      case 'Ref':
        return argument === 'AWS::NoValue' ? NO_VALUE : this.#ref(String(argument));
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = argument as [string, Json, Json];
        return this.resolve(this.#condition(String(condition)) ? whenTrue : whenFalse);
      }
      case 'Fn::GetAtt': {
        const [name, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return this.#attribute(String(name), String(attribute));
      }
      case 'Fn::Sub':
        return this.#sub(argument);
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, Json[]];
        return (this.resolve(parts) as Json[]).map(String).join(separator);
      }
      default:
        throw new TemplateError(`${fn} is not supported by the local runtime`);
    }
  }

  #sub(argument: Json): string {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    const vars = this.resolve(variables) as Record<string, Json>;
    return String(text).replace(/\$\{(!?)([^}]+)\}/g, (_match, literal: string, expression: string) => {
      if (literal) return `\${${expression}}`;
      if (expression in vars) return String(vars[expression]);
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return this.#attribute(expression.slice(0, dot), expression.slice(dot + 1));
      }
      return this.#ref(expression);
    });
  }
}

function loadTables(resources: Record<string, Resource>, resolver: TemplateResolver): TableModel[] {
  const tables: TableModel[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const props = resolver.resolve(resource.Properties ?? {}) as Record<string, never>;
    const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    const stream = props.StreamSpecification as { StreamViewType?: TableModel['streamViewType'] } | undefined;
    tables.push({
      logicalId,
      tableName: resolver.tableName(logicalId),
      attributeDefinitions: props.AttributeDefinitions ?? [],
      keySchema: props.KeySchema ?? [],
      globalSecondaryIndexes: props.GlobalSecondaryIndexes ?? [],
      localSecondaryIndexes: props.LocalSecondaryIndexes ?? [],
      ...(stream?.StreamViewType ? { streamViewType: stream.StreamViewType } : {}),
      ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
    });
  }
  return tables;
}

/** What loading a function needs beside its own resource. */
interface FunctionContext {
  resources: Record<string, Resource>;
  resolveValue: (value: Json) => Json;
  projectRoot: string;
  /** `Globals.Function`: each function's properties win over them. */
  globals: Record<string, Json>;
  environmentOverrides: Record<string, string>;
}

function loadFunctions(context: FunctionContext): FunctionModel[] {
  return Object.entries(context.resources)
    .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
    .map(([logicalId, resource]) => loadFunction(context, logicalId, resource));
}

function loadFunction(context: FunctionContext, logicalId: string, resource: Resource): FunctionModel {
  const props = resource.Properties ?? {};
  const merged: Record<string, Json> = { ...context.globals, ...props };
  const handler = String(merged.Handler ?? '');
  const buildProperties = (resource.Metadata?.BuildProperties ?? {}) as { EntryPoints?: string[] };
  const entry = buildProperties.EntryPoints?.[0];
  if (!entry) throw new TemplateError(`${logicalId}: Metadata.BuildProperties.EntryPoints is required`);
  return {
    logicalId,
    entryPoint: resolve(context.projectRoot, String(merged.CodeUri ?? '.'), entry),
    exportName: handler.slice(handler.lastIndexOf('.') + 1),
    timeoutSeconds: Number(merged.Timeout ?? 3),
    memorySize: Number(merged.MemorySize ?? 128),
    environment: functionEnvironment(context, props),
    asyncInvoke: loadAsyncInvoke(merged.EventInvokeConfig),
    events: loadEvents(
      context,
      logicalId,
      (props.Events ?? {}) as Record<string, { Type: string; Properties?: Json }>,
    ),
  };
}

/** Globals' variables and the function's own, resolved, then the overrides of those it declares. */
function functionEnvironment(context: FunctionContext, props: Record<string, Json>): Record<string, string> {
  const variablesOf = (holder: Record<string, Json>) =>
    (holder.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...variablesOf(context.globals), ...variablesOf(props) })) {
    const resolved = context.resolveValue(value);
    const override = context.environmentOverrides[name];
    // A variable whose value is `Ref: AWS::NoValue` is not set, as CloudFormation leaves it out.
    if (resolved === NO_VALUE && override === undefined) continue;
    environment[name] = override ?? String(resolved);
  }
  return environment;
}

/** `EventInvokeConfig`: Lambda retries a failed asynchronous invocation twice unless told otherwise. */
function loadAsyncInvoke(config: Json | undefined): FunctionModel['asyncInvoke'] {
  const props = (config ?? {}) as {
    MaximumRetryAttempts?: Json;
    DestinationConfig?: { OnFailure?: { Type?: Json; Destination?: Json } };
  };
  const onFailure = props.DestinationConfig?.OnFailure;
  const queue = onFailure?.Type === 'SQS' ? getAttTarget(onFailure.Destination) : undefined;
  return {
    maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? 2),
    ...(queue ? { onFailureQueueLogicalId: queue } : {}),
  };
}

function loadEvents(
  context: FunctionContext,
  logicalId: string,
  events: Record<string, { Type: string; Properties?: Json }>,
): EventSourceModel[] {
  const models: EventSourceModel[] = [];
  for (const [name, event] of Object.entries(events)) {
    const props = (event.Properties ?? {}) as Record<string, Json>;
    if (event.Type === 'DynamoDB' || event.Type === 'Kinesis') {
      models.push(streamEvent(logicalId, name, event.Type, props));
    } else if (event.Type === 'HttpApi') {
      models.push({
        kind: 'HttpApi',
        name,
        method: String(props.Method ?? 'ANY').toUpperCase(),
        path: String(props.Path ?? '/'),
      });
    } else if (event.Type === 'SQS') {
      models.push(sqsEvent(logicalId, name, props));
    } else if (event.Type === 'S3') {
      models.push(s3Event(context, logicalId, name, props));
    }
  }
  return models;
}

function sqsEvent(logicalId: string, name: string, props: Record<string, Json>): SqsEventSourceModel {
  const queueLogicalId = getAttTarget(props.Queue);
  if (!queueLogicalId)
    throw new TemplateError(`${logicalId}.Events.${name}: Queue must be a GetAtt of a template queue`);
  return {
    kind: 'SQS',
    name,
    queueLogicalId,
    batchSize: Number(props.BatchSize ?? 10),
    maximumBatchingWindowInSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
    reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
      'ReportBatchItemFailures',
    ),
    enabled: props.Enabled !== false,
  };
}

function s3Event(
  context: FunctionContext,
  logicalId: string,
  name: string,
  props: Record<string, Json>,
): S3EventSourceModel {
  const bucketLogicalId = (props.Bucket as { Ref?: Json } | undefined)?.Ref;
  if (typeof bucketLogicalId !== 'string' || context.resources[bucketLogicalId]?.Type !== 'AWS::S3::Bucket')
    throw new TemplateError(`${logicalId}.Events.${name}: Bucket must be a Ref to a bucket of this template`);
  const rules =
    (props.Filter as { S3Key?: { Rules?: Array<{ Name?: Json; Value?: Json }> } } | undefined)?.S3Key
      ?.Rules ?? [];
  const rule = (ruleName: string) =>
    rules.find((candidate) => String(candidate.Name).toLowerCase() === ruleName)?.Value;
  const prefix = rule('prefix');
  const suffix = rule('suffix');
  return {
    kind: 'S3',
    name,
    bucketLogicalId,
    events: ([] as Json[]).concat(props.Events ?? []).map(String),
    ...(prefix === undefined ? {} : { prefix: String(context.resolveValue(prefix)) }),
    ...(suffix === undefined ? {} : { suffix: String(context.resolveValue(suffix)) }),
  };
}

function streamEvent(
  logicalId: string,
  name: string,
  kind: 'DynamoDB' | 'Kinesis',
  props: Record<string, Json>,
): StreamEventSourceModel {
  const sourceLogicalId = getAttTarget(props.Stream);
  if (!sourceLogicalId)
    throw new TemplateError(`${logicalId}.Events.${name}: Stream must be a GetAtt of a template resource`);
  const destination = (props.DestinationConfig as { OnFailure?: { Destination?: Json } } | undefined)
    ?.OnFailure?.Destination;
  const failureQueue = getAttTarget(destination);
  return {
    kind,
    name,
    sourceLogicalId,
    batchSize: Number(props.BatchSize ?? 100),
    maximumBatchingWindowInSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
    maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? -1),
    bisectBatchOnFunctionError: props.BisectBatchOnFunctionError === true,
    reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
      'ReportBatchItemFailures',
    ),
    startingPosition: props.StartingPosition === 'TRIM_HORIZON' ? 'TRIM_HORIZON' : 'LATEST',
    maximumRecordAgeInSeconds: Number(props.MaximumRecordAgeInSeconds ?? -1),
    ...(failureQueue ? { onFailureQueueLogicalId: failureQueue } : {}),
  };
}

function getAttTarget(value: Json): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: Json } | undefined)?.['Fn::GetAtt'];
  if (getAtt === undefined) return undefined;
  return Array.isArray(getAtt) ? String(getAtt[0]) : String(getAtt).split('.')[0];
}

/** The routes of an ApiGatewayV2 API, each with the function its integration invokes. */
function apiRoutes(
  apiId: string,
  resources: Record<string, Resource>,
): Array<{ routeId: string; route: Resource; functionLogicalId: string }> {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route' && refersToApi(r, apiId))
    .map(([routeId, route]) => {
      const target = JSON.stringify(route.Properties?.Target ?? '');
      const integrationId = /integrations\/\$\{(\w+)\}/.exec(target)?.[1];
      const integration = integrationId ? resources[integrationId] : undefined;
      const functionLogicalId = invokedFunction(integration?.Properties?.IntegrationUri);
      if (!functionLogicalId)
        throw new TemplateError(`${routeId}: cannot find the function its integration invokes`);
      return { routeId, route, functionLogicalId };
    });
}

function refersToApi(resource: Resource, apiId: string): boolean {
  return (resource.Properties?.ApiId as { Ref?: string } | undefined)?.Ref === apiId;
}

/** `X` of an integration or authorizer URI `…/functions/${X.Arn}/invocations`. */
function invokedFunction(uri: Json): string | undefined {
  return /functions\/\$\{(\w+)\.Arn\}/.exec(JSON.stringify(uri ?? ''))?.[1];
}

function apiStageName(
  apiId: string,
  resources: Record<string, Resource>,
  parameters: Record<string, string>,
  resolveValue: (value: Json) => Json,
): string {
  const stage = Object.values(resources).find(
    (r) => r.Type === 'AWS::ApiGatewayV2::Stage' && refersToApi(r, apiId),
  );
  return stage ? String(resolveValue(stage.Properties?.StageName)) : (parameters.StageName ?? 'local');
}

function findApi(resources: Record<string, Resource>, protocol: 'WEBSOCKET' | 'HTTP') {
  return Object.entries(resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::ApiGatewayV2::Api' && resource.Properties?.ProtocolType === protocol,
  );
}

function loadWebSocketApi(
  resources: Record<string, Resource>,
  parameters: Record<string, string>,
  resolveValue: (value: Json) => Json,
): { webSocketApi?: WebSocketApiModel } {
  const entry = findApi(resources, 'WEBSOCKET');
  if (!entry) return {};
  const [apiId, api] = entry;
  const routes = apiRoutes(apiId, resources).map(({ routeId, route, functionLogicalId }) => {
    const authorizer = routeAuthorizer(routeId, route, resources, resolveValue);
    return {
      routeKey: String(route.Properties?.RouteKey),
      functionLogicalId,
      ...(authorizer ? { authorizer } : {}),
    };
  });
  return {
    webSocketApi: {
      logicalId: apiId,
      routeSelectionExpression: String(api.Properties?.RouteSelectionExpression ?? '$request.body.action'),
      stageName: apiStageName(apiId, resources, parameters, resolveValue),
      routes,
    },
  };
}

function loadHttpApi(
  resources: Record<string, Resource>,
  parameters: Record<string, string>,
  resolveValue: (value: Json) => Json,
): { httpApi?: HttpApiModel } {
  const entry = findApi(resources, 'HTTP');
  if (!entry) return {};
  const [apiId] = entry;
  const routes = apiRoutes(apiId, resources).map(({ routeId, route, functionLogicalId }) => {
    const routeKey = String(route.Properties?.RouteKey);
    const [method, path] = routeKey.split(' ');
    if (!method || !path) throw new TemplateError(`${routeId}: RouteKey must be '<METHOD> <path>'`);
    const authorizer = jwtAuthorizer(routeId, route, resources, resolveValue);
    return { method, path, functionLogicalId, ...(authorizer ? { authorizer } : {}) };
  });
  return {
    httpApi: {
      logicalId: apiId,
      stageName: apiStageName(apiId, resources, parameters, resolveValue),
      routes,
    },
  };
}

/** The logical id a route's `AuthorizerId` names, the `Fn::If` branches picked by their conditions. */
function authorizerReference(route: Resource, resolveValue: (value: Json) => Json): string | undefined {
  // Only the logical id is needed: pick the Fn::If branch without resolving the Ref to a local placeholder.
  let reference: Json = route.Properties?.AuthorizerId;
  while (typeof reference === 'object' && reference !== null && 'Fn::If' in reference) {
    const [condition, whenTrue, whenFalse] = (reference as { 'Fn::If': [Json, Json, Json] })['Fn::If'];
    const holds = resolveValue({ 'Fn::If': [condition, true, false] }) === true;
    reference = holds ? whenTrue : whenFalse;
  }
  const logicalId = (reference as { Ref?: Json } | undefined)?.Ref;
  return typeof logicalId === 'string' ? logicalId : undefined;
}

/** The JWT authorizer of an HTTP route with `AuthorizationType: JWT` (conditions resolved), or undefined for `NONE`. */
function jwtAuthorizer(
  routeId: string,
  route: Resource,
  resources: Record<string, Resource>,
  resolveValue: (value: Json) => Json,
): HttpJwtAuthorizerModel | undefined {
  const type = resolveValue(route.Properties?.AuthorizationType ?? 'NONE');
  if (type === 'NONE') return undefined;
  if (type !== 'JWT') throw new TemplateError(`${routeId}: only JWT authorizers run locally on the HTTP API`);
  const logicalId = authorizerReference(route, resolveValue);
  const authorizer = logicalId ? resources[logicalId] : undefined;
  const props = (authorizer ? resolveValue(authorizer.Properties ?? {}) : {}) as Record<string, Json>;
  if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer' || props.AuthorizerType !== 'JWT')
    throw new TemplateError(`${routeId}: AuthorizerId must be a Ref to a JWT AWS::ApiGatewayV2::Authorizer`);
  const jwt = (props.JwtConfiguration ?? {}) as { Issuer?: Json; Audience?: Json };
  return {
    logicalId: logicalId as string,
    issuer: String(jwt.Issuer ?? ''),
    audience: ([] as Json[]).concat(jwt.Audience ?? []).map(String),
    identitySource: ([] as Json[]).concat(props.IdentitySource ?? []).map(String),
  };
}

/**
 * The Lambda REQUEST authorizer of a route with `AuthorizationType: CUSTOM` (conditions resolved),
 * or undefined for `NONE`.
 */
function routeAuthorizer(
  routeId: string,
  route: Resource,
  resources: Record<string, Resource>,
  resolveValue: (value: Json) => Json,
): WebSocketAuthorizerModel | undefined {
  if (resolveValue(route.Properties?.AuthorizationType ?? 'NONE') !== 'CUSTOM') return undefined;
  const logicalId = authorizerReference(route, resolveValue);
  const authorizer = logicalId ? resources[logicalId] : undefined;
  if (authorizer?.Type !== 'AWS::ApiGatewayV2::Authorizer')
    throw new TemplateError(`${routeId}: AuthorizerId must be a Ref to an AWS::ApiGatewayV2::Authorizer`);
  const authorizerProps = authorizer.Properties ?? {};
  if (authorizerProps.AuthorizerType !== 'REQUEST')
    throw new TemplateError(`${logicalId}: only REQUEST (Lambda) authorizers run locally`);
  const functionLogicalId = invokedFunction(authorizerProps.AuthorizerUri);
  if (!functionLogicalId)
    throw new TemplateError(`${logicalId}: cannot find the function AuthorizerUri invokes`);
  const identitySource = resolveValue(authorizerProps.IdentitySource ?? []);
  return {
    logicalId: logicalId as string,
    functionLogicalId,
    identitySource: Array.isArray(identitySource) ? identitySource.map(String) : [String(identitySource)],
  };
}
