/**
 * The local runtime's view of template.yaml: what it needs to run the stack on one machine.
 * Produced by `loadTemplate` (load-template.ts); every other part of local/ reads this, never the YAML.
 */

interface AttributeDefinition {
  AttributeName: string;
  AttributeType: 'S' | 'N' | 'B';
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

interface GlobalSecondaryIndexModel {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
}

/** An AWS::DynamoDB::Table, with intrinsics resolved. */
export interface TableModel {
  logicalId: string;
  tableName: string;
  attributeDefinitions: AttributeDefinition[];
  keySchema: KeySchemaElement[];
  globalSecondaryIndexes: GlobalSecondaryIndexModel[];
  /** Same shape as a GSI's; the partition key is the table's own. */
  localSecondaryIndexes: GlobalSecondaryIndexModel[];
  /** Set when the table has a stream. */
  streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
  ttlAttribute?: string;
}

/** A DynamoDB (or Kinesis) stream event source of a function. */
export interface StreamEventSourceModel {
  kind: 'DynamoDB' | 'Kinesis';
  name: string;
  /** Logical id of the table (DynamoDB) or stream (Kinesis) read. */
  sourceLogicalId: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  /** Records older than this are discarded unprocessed; -1 or absent: never. */
  maximumRecordAgeInSeconds?: number;
  /** Logical id of the on-failure destination queue, if any. */
  onFailureQueueLogicalId?: string;
}

interface HttpApiEventModel {
  kind: 'HttpApi';
  name: string;
  method: string;
  /** API Gateway path template, e.g. `/items/{key}`. */
  path: string;
}

/** An SQS event source of a function (`Type: SQS`): a poller with Lambda's semantics reads the queue. */
export interface SqsEventSourceModel {
  kind: 'SQS';
  name: string;
  /** Logical id of the AWS::SQS::Queue read (from `Queue: !GetAtt X.Arn`). */
  queueLogicalId: string;
  /** 1–10000; default 10. */
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

/** An S3 notification to a function (`Type: S3`): raised by the local runtime itself. */
export interface S3EventSourceModel {
  kind: 'S3';
  name: string;
  /** Logical id of the AWS::S3::Bucket watched (from `Bucket: !Ref X`). */
  bucketLogicalId: string;
  /** Event patterns, e.g. `s3:ObjectCreated:*`. */
  events: string[];
  /** Key filter rules (`Filter.S3Key.Rules` prefix/suffix). */
  prefix?: string;
  suffix?: string;
}

export type EventSourceModel =
  | StreamEventSourceModel
  | HttpApiEventModel
  | SqsEventSourceModel
  | S3EventSourceModel;

/** An AWS::Serverless::Function with Globals merged and intrinsics resolved. */
export interface FunctionModel {
  logicalId: string;
  /** Absolute path of the TypeScript entry point (Metadata.BuildProperties.EntryPoints[0] under CodeUri). */
  entryPoint: string;
  /** Exported name of the handler (the part of `Handler` after the last dot). */
  exportName: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  /** Asynchronous invocations (S3 notifications): `EventInvokeConfig` retries and on-failure queue. */
  asyncInvoke?: { maximumRetryAttempts: number; onFailureQueueLogicalId?: string };
  events: EventSourceModel[];
}

/** A route of the WebSocket API (AWS::ApiGatewayV2::Route) and the function its integration invokes. */
interface WebSocketRouteModel {
  routeKey: string;
  functionLogicalId: string;
  /** The route's Lambda REQUEST authorizer (`AuthorizationType: CUSTOM`), run before the integration. */
  authorizer?: WebSocketAuthorizerModel;
}

/** An AWS::ApiGatewayV2::Authorizer of type REQUEST and the function it invokes. */
export interface WebSocketAuthorizerModel {
  logicalId: string;
  functionLogicalId: string;
  /** e.g. `route.request.querystring.token`: all must be present, or API Gateway answers 401 itself. */
  identitySource: string[];
}

/** An AWS::ApiGatewayV2::Authorizer of type JWT (an HTTP API's own): issuer and audience checked by the gateway. */
export interface HttpJwtAuthorizerModel {
  logicalId: string;
  /** `iss` tokens must carry (`JwtConfiguration.Issuer`); empty locally, where the dev issuer applies. */
  issuer: string;
  /** Accepted `aud` values (`JwtConfiguration.Audience`). */
  audience: string[];
  /** e.g. `$request.header.Authorization`. */
  identitySource: string[];
}

/** A route of the HTTP API (AWS::ApiGatewayV2::Route): method, path template and the function it invokes. */
export interface HttpRouteModel {
  /** Upper-case method or `ANY`. */
  method: string;
  /** API Gateway path template, e.g. `/items/{key}`. */
  path: string;
  functionLogicalId: string;
  /** The route's JWT authorizer (`AuthorizationType: JWT`, conditions resolved); absent for `NONE`. */
  authorizer?: HttpJwtAuthorizerModel;
}

export interface HttpApiModel {
  logicalId: string;
  stageName: string;
  routes: HttpRouteModel[];
}

export interface WebSocketApiModel {
  logicalId: string;
  /** e.g. `$request.body.action` */
  routeSelectionExpression: string;
  stageName: string;
  routes: WebSocketRouteModel[];
}

/** A template resource as written (intrinsics unresolved), for services that create their own resources. */
export interface RawResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface LocalTemplate {
  /** Every resource as written, by logical id. */
  resources: Record<string, RawResource>;
  /** Resolves intrinsics (Ref, GetAtt, Sub, Join) in a raw value the way the loader does. */
  resolve(value: unknown): unknown;
  /** Parameter values after defaults and overrides. */
  parameters: Record<string, string>;
  stackName: string;
  region: string;
  tables: TableModel[];
  functions: FunctionModel[];
  webSocketApi?: WebSocketApiModel;
  /** The HTTP API declared as ApiGatewayV2 resources (routes of SAM `HttpApi` events stay on the functions). */
  httpApi?: HttpApiModel;
}
