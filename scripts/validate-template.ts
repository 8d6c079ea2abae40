/**
 * Offline validation of an AWS SAM / CloudFormation template.
 *
 * CloudFormation resource types, properties (nested property types included), required properties and
 * `Fn::GetAtt` attributes come from the CloudFormation resource spec database shipped in
 * `@aws-cdk/aws-service-spec`. `AWS::Serverless::*` resources are checked against the curated lists
 * below: the spec database only carries an outdated snapshot of the SAM spec (no LoggingConfig, no
 * ScheduleV2, …), so it is not used for them.
 *
 * Usage: `npx tsx scripts/validate-template.ts [template.yaml]` prints one error per line, exit 1 if any.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource as SpecResource } from '@aws-cdk/service-spec-types';
import { yamlParse } from 'yaml-cfn';

export interface ValidateTemplateOptions {
  /**
   * Check the esbuild `Metadata` of each `AWS::Serverless::Function`: entry point files exist under
   * `CodeUri` and export the `Handler`. Default true.
   */
  checkBuild?: boolean;
}

export interface ValidateTemplateResult {
  errors: string[];
}

type SpecDb = ReturnType<typeof loadAwsServiceSpecSync>;
type Obj = Record<string, unknown>;

// ------------------------------------------------------------------------------------------------
// SAM spec, curated. Follows the AWS SAM specification as published in the SAM developer guide and
// aws-sam-translator 1.105 (2025): resource properties, event source types and their properties, and
// the properties the Globals section accepts per resource type.

interface SamResourceSpec {
  readonly properties: readonly string[];
  readonly required?: readonly string[];
  /** The CloudFormation resource SAM generates under the same logical id (for GetAtt attributes). */
  readonly generates?: string;
  /** Extra GetAtt attributes SAM resolves for this type. */
  readonly extraAttributes?: readonly string[];
  /** `!Ref Id.Suffix` references SAM resolves for this type (e.g. `MyFunction.Alias`). */
  readonly refSuffixes?: readonly string[];
}

const SAM_RESOURCES: Readonly<Record<string, SamResourceSpec>> = {
  'AWS::Serverless::Function': {
    properties: [
      'Architectures',
      'AssumeRolePolicyDocument',
      'AutoPublishAlias',
      'AutoPublishAliasAllProperties',
      'AutoPublishCodeSha256',
      'CapacityProviderConfig',
      'CodeSigningConfigArn',
      'CodeUri',
      'DeadLetterQueue',
      'DeploymentPreference',
      'Description',
      'DurableConfig',
      'Environment',
      'EphemeralStorage',
      'EventInvokeConfig',
      'Events',
      'FileSystemConfigs',
      'FunctionName',
      'FunctionScalingConfig',
      'FunctionUrlConfig',
      'Handler',
      'ImageConfig',
      'ImageUri',
      'InlineCode',
      'KmsKeyArn',
      'Layers',
      'LoggingConfig',
      'MemorySize',
      'PackageType',
      'PermissionsBoundary',
      'Policies',
      'PropagateTags',
      'ProvisionedConcurrencyConfig',
      'PublishToLatestPublished',
      'RecursiveLoop',
      'ReservedConcurrentExecutions',
      'Role',
      'RolePath',
      'Runtime',
      'RuntimeManagementConfig',
      'SnapStart',
      'SourceKMSKeyArn',
      'Tags',
      'Timeout',
      'Tracing',
      'VersionDescription',
      'VpcConfig',
    ],
    generates: 'AWS::Lambda::Function',
    refSuffixes: ['Alias', 'Version'],
  },
  'AWS::Serverless::Api': {
    properties: [
      'AccessLogSetting',
      'AlwaysDeploy',
      'ApiKeySourceType',
      'Auth',
      'BinaryMediaTypes',
      'CacheClusterEnabled',
      'CacheClusterSize',
      'CanarySetting',
      'Cors',
      'DefinitionBody',
      'DefinitionUri',
      'Description',
      'DisableExecuteApiEndpoint',
      'Domain',
      'EndpointConfiguration',
      'FailOnWarnings',
      'GatewayResponses',
      'MergeDefinitions',
      'MethodSettings',
      'MinimumCompressionSize',
      'Mode',
      'Models',
      'Name',
      'OpenApiVersion',
      'Policy',
      'PropagateTags',
      'StageName',
      'Tags',
      'TracingEnabled',
      'Variables',
    ],
    required: ['StageName'],
    generates: 'AWS::ApiGateway::RestApi',
    refSuffixes: ['Stage', 'Deployment', 'DomainName'],
  },
  'AWS::Serverless::HttpApi': {
    properties: [
      'AccessLogSettings',
      'Auth',
      'CorsConfiguration',
      'DefaultRouteSettings',
      'DefinitionBody',
      'DefinitionUri',
      'Description',
      'DisableExecuteApiEndpoint',
      'Domain',
      'FailOnWarnings',
      'Name',
      'PropagateTags',
      'RouteSettings',
      'StageName',
      'StageVariables',
      'Tags',
    ],
    generates: 'AWS::ApiGatewayV2::Api',
    refSuffixes: ['Stage', 'DomainName'],
  },
  'AWS::Serverless::SimpleTable': {
    properties: [
      'PointInTimeRecoverySpecification',
      'PrimaryKey',
      'ProvisionedThroughput',
      'SSESpecification',
      'TableName',
      'Tags',
    ],
    generates: 'AWS::DynamoDB::Table',
  },
  'AWS::Serverless::StateMachine': {
    properties: [
      'AutoPublishAlias',
      'Definition',
      'DefinitionSubstitutions',
      'DefinitionUri',
      'DeploymentPreference',
      'Events',
      'Logging',
      'Name',
      'PermissionsBoundary',
      'Policies',
      'PropagateTags',
      'Role',
      'RolePath',
      'Tags',
      'Tracing',
      'Type',
      'UseAliasAsEventTarget',
    ],
    generates: 'AWS::StepFunctions::StateMachine',
    refSuffixes: ['Alias', 'Version'],
  },
  'AWS::Serverless::LayerVersion': {
    properties: [
      'CompatibleArchitectures',
      'CompatibleRuntimes',
      'ContentUri',
      'Description',
      'LayerName',
      'LicenseInfo',
      'PublishLambdaVersion',
      'RetentionPolicy',
    ],
    required: ['ContentUri'],
    generates: 'AWS::Lambda::LayerVersion',
  },
  'AWS::Serverless::Application': {
    properties: ['Location', 'NotificationARNs', 'Parameters', 'Tags', 'TimeoutInMinutes'],
    required: ['Location'],
    generates: 'AWS::CloudFormation::Stack',
  },
  'AWS::Serverless::Connector': {
    properties: ['Destination', 'Permissions', 'Source'],
    required: ['Destination', 'Permissions', 'Source'],
  },
};

interface SamEventSpec {
  readonly properties: readonly string[];
  readonly required?: readonly string[];
  /** Whether the event may omit `Properties` altogether. */
  readonly propertiesOptional?: boolean;
}

const STREAM_EVENT_PROPERTIES = [
  'BatchSize',
  'BisectBatchOnFunctionError',
  'DestinationConfig',
  'Enabled',
  'FilterCriteria',
  'FunctionResponseTypes',
  'KmsKeyArn',
  'MaximumBatchingWindowInSeconds',
  'MaximumRecordAgeInSeconds',
  'MaximumRetryAttempts',
  'MetricsConfig',
  'ParallelizationFactor',
  'StartingPosition',
  'StartingPositionTimestamp',
  'Stream',
  'TumblingWindowInSeconds',
] as const;

const RULE_EVENT_PROPERTIES = [
  'DeadLetterConfig',
  'Enabled',
  'EventBusName',
  'Input',
  'InputPath',
  'InputTransformer',
  'Pattern',
  'RetryPolicy',
  'RuleName',
  'State',
  'Target',
] as const;

/** Event source types of `AWS::Serverless::Function` `Events`. */
const SAM_FUNCTION_EVENTS: Readonly<Record<string, SamEventSpec>> = {
  DynamoDB: { properties: STREAM_EVENT_PROPERTIES, required: ['Stream', 'StartingPosition'] },
  Kinesis: {
    properties: [...STREAM_EVENT_PROPERTIES, 'ConsumerName'],
    required: ['Stream', 'StartingPosition'],
  },
  SQS: {
    properties: [
      'BatchSize',
      'Enabled',
      'FilterCriteria',
      'FunctionResponseTypes',
      'KmsKeyArn',
      'MaximumBatchingWindowInSeconds',
      'MetricsConfig',
      'ProvisionedPollerConfig',
      'Queue',
      'ScalingConfig',
    ],
    required: ['Queue'],
  },
  SNS: {
    properties: ['FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy', 'Region', 'SqsSubscription', 'Topic'],
    required: ['Topic'],
  },
  S3: { properties: ['Bucket', 'Events', 'Filter'], required: ['Bucket', 'Events'] },
  IoTRule: { properties: ['AwsIotSqlVersion', 'Sql'], required: ['Sql'] },
  HttpApi: {
    properties: [
      'ApiId',
      'Auth',
      'Method',
      'Path',
      'PayloadFormatVersion',
      'RouteSettings',
      'TimeoutInMillis',
    ],
    propertiesOptional: true,
  },
  Api: {
    properties: [
      'Auth',
      'Method',
      'Path',
      'RequestModel',
      'RequestParameters',
      'ResponseTransferMode',
      'RestApiId',
      'TimeoutInMillis',
    ],
    required: ['Method', 'Path'],
  },
  Schedule: {
    properties: [
      'DeadLetterConfig',
      'Description',
      'Enabled',
      'Input',
      'Name',
      'RetryPolicy',
      'Schedule',
      'State',
    ],
    required: ['Schedule'],
  },
  ScheduleV2: {
    properties: [
      'DeadLetterConfig',
      'Description',
      'EndDate',
      'FlexibleTimeWindow',
      'GroupName',
      'Input',
      'KmsKeyArn',
      'Name',
      'OmitName',
      'PermissionsBoundary',
      'RetryPolicy',
      'RoleArn',
      'ScheduleExpression',
      'ScheduleExpressionTimezone',
      'StartDate',
      'State',
    ],
    required: ['ScheduleExpression'],
  },
  CloudWatchEvent: { properties: RULE_EVENT_PROPERTIES },
  EventBridgeRule: { properties: RULE_EVENT_PROPERTIES, required: ['Pattern'] },
  CloudWatchLogs: {
    properties: ['FilterPattern', 'LogGroupName'],
    required: ['FilterPattern', 'LogGroupName'],
  },
  Cognito: { properties: ['Trigger', 'UserPool'], required: ['Trigger', 'UserPool'] },
  AlexaSkill: { properties: ['SkillId'], propertiesOptional: true },
  MSK: {
    properties: [
      'BatchSize',
      'BisectBatchOnFunctionError',
      'ConsumerGroupId',
      'DestinationConfig',
      'Enabled',
      'FilterCriteria',
      'FunctionResponseTypes',
      'KmsKeyArn',
      'MaximumBatchingWindowInSeconds',
      'MaximumRecordAgeInSeconds',
      'MaximumRetryAttempts',
      'ProvisionedPollerConfig',
      'SchemaRegistryConfig',
      'SourceAccessConfigurations',
      'StartingPosition',
      'StartingPositionTimestamp',
      'Stream',
      'Topics',
    ],
    required: ['Stream', 'Topics'],
  },
  MQ: {
    properties: [
      'BatchSize',
      'Broker',
      'DynamicPolicyName',
      'Enabled',
      'FilterCriteria',
      'KmsKeyArn',
      'MaximumBatchingWindowInSeconds',
      'Queues',
      'SecretsManagerKmsKeyId',
      'SourceAccessConfigurations',
    ],
    required: ['Broker', 'Queues', 'SourceAccessConfigurations'],
  },
  SelfManagedKafka: {
    properties: [
      'BatchSize',
      'BisectBatchOnFunctionError',
      'ConsumerGroupId',
      'DestinationConfig',
      'Enabled',
      'FilterCriteria',
      'FunctionResponseTypes',
      'KafkaBootstrapServers',
      'KmsKeyArn',
      'MaximumRecordAgeInSeconds',
      'MaximumRetryAttempts',
      'ProvisionedPollerConfig',
      'SchemaRegistryConfig',
      'SourceAccessConfigurations',
      'StartingPosition',
      'StartingPositionTimestamp',
      'Topics',
    ],
    required: ['SourceAccessConfigurations', 'Topics'],
  },
  DocumentDB: {
    properties: [
      'BatchSize',
      'Cluster',
      'CollectionName',
      'DatabaseName',
      'Enabled',
      'FilterCriteria',
      'FullDocument',
      'KmsKeyArn',
      'MaximumBatchingWindowInSeconds',
      'SecretsManagerKmsKeyId',
      'SourceAccessConfigurations',
      'StartingPosition',
      'StartingPositionTimestamp',
    ],
    required: ['Cluster', 'DatabaseName', 'SourceAccessConfigurations'],
  },
};

/** Properties each `Globals` section accepts (everything but Role, Policies, FunctionName, Events, …). */
const SAM_GLOBALS: Readonly<Record<string, readonly string[]>> = {
  Function: [
    'Architectures',
    'AssumeRolePolicyDocument',
    'AutoPublishAlias',
    'AutoPublishAliasAllProperties',
    'CodeSigningConfigArn',
    'CodeUri',
    'DeadLetterQueue',
    'DeploymentPreference',
    'Description',
    'Environment',
    'EphemeralStorage',
    'EventInvokeConfig',
    'FileSystemConfigs',
    'FunctionUrlConfig',
    'Handler',
    'KmsKeyArn',
    'Layers',
    'LoggingConfig',
    'MemorySize',
    'PermissionsBoundary',
    'PropagateTags',
    'ProvisionedConcurrencyConfig',
    'RecursiveLoop',
    'ReservedConcurrentExecutions',
    'RolePath',
    'Runtime',
    'RuntimeManagementConfig',
    'SnapStart',
    'SourceKMSKeyArn',
    'Tags',
    'Timeout',
    'Tracing',
    'VpcConfig',
  ],
  Api: [
    'AccessLogSetting',
    'AlwaysDeploy',
    'Auth',
    'BinaryMediaTypes',
    'CacheClusterEnabled',
    'CacheClusterSize',
    'CanarySetting',
    'Cors',
    'DefinitionUri',
    'Domain',
    'EndpointConfiguration',
    'GatewayResponses',
    'MergeDefinitions',
    'MethodSettings',
    'MinimumCompressionSize',
    'Name',
    'OpenApiVersion',
    'PropagateTags',
    'TracingEnabled',
    'Variables',
  ],
  HttpApi: [
    'AccessLogSettings',
    'Auth',
    'CorsConfiguration',
    'DefaultRouteSettings',
    'Domain',
    'FailOnWarnings',
    'PropagateTags',
    'RouteSettings',
    'StageVariables',
    'Tags',
  ],
  SimpleTable: ['SSESpecification'],
  StateMachine: ['PropagateTags'],
  LayerVersion: ['PublishLambdaVersion'],
};

// ------------------------------------------------------------------------------------------------
// CloudFormation template grammar

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const TEMPLATE_SECTIONS = new Set([
  'AWSTemplateFormatVersion',
  'Conditions',
  'Description',
  'Globals',
  'Mappings',
  'Metadata',
  'Outputs',
  'Parameters',
  'Resources',
  'Rules',
  'Transform',
]);

const RESOURCE_KEYS = new Set([
  'Condition',
  'Connectors',
  'CreationPolicy',
  'DeletionPolicy',
  'DependsOn',
  'IgnoreGlobals',
  'Metadata',
  'Properties',
  'Type',
  'UpdatePolicy',
  'UpdateReplacePolicy',
]);

const OUTPUT_KEYS = new Set(['Condition', 'Description', 'Export', 'Value']);

const PARAMETER_TYPES = new Set([
  'String',
  'Number',
  'List<Number>',
  'CommaDelimitedList',
  'AWS::SSM::Parameter::Name',
]);

const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

// ------------------------------------------------------------------------------------------------

let cachedDb: SpecDb | undefined;

/** The spec database takes about a second to load: load it once per process. */
function specDb(): SpecDb {
  cachedDb ??= loadAwsServiceSpecSync();
  return cachedDb;
}

const specResourceCache = new Map<string, SpecResource | undefined>();

function specResource(type: string): SpecResource | undefined {
  if (!specResourceCache.has(type)) {
    specResourceCache.set(type, specDb().lookup('resource', 'cloudFormationType', 'equals', type)[0]);
  }
  return specResourceCache.get(type);
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An intrinsic function call: an object with exactly one key, `Ref`, `Condition` or `Fn::…`. */
function intrinsicName(value: unknown): string | undefined {
  if (!isObj(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const key = keys[0]!;
  return key === 'Ref' || key.startsWith('Fn::') ? key : undefined;
}

function isCustomResourceType(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

class TemplateChecker {
  readonly errors: string[] = [];
  private readonly parameters: Set<string>;
  private readonly resources: Map<string, string>;
  private readonly conditions: Set<string>;
  private readonly mappings: Set<string>;

  constructor(
    private readonly template: Obj,
    private readonly templateDir: string,
    private readonly options: Required<ValidateTemplateOptions>,
  ) {
    this.parameters = new Set(Object.keys(this.section('Parameters')));
    this.conditions = new Set(Object.keys(this.section('Conditions')));
    this.mappings = new Set(Object.keys(this.section('Mappings')));
    this.resources = new Map();
    for (const [id, resource] of Object.entries(this.section('Resources'))) {
      if (isObj(resource) && typeof resource.Type === 'string') this.resources.set(id, resource.Type);
    }
  }

  run(): void {
    for (const key of Object.keys(this.template)) {
      if (!TEMPLATE_SECTIONS.has(key)) this.error(key, 'unknown template section');
    }
    if (!isObj(this.template.Resources) || Object.keys(this.template.Resources).length === 0) {
      this.error('Resources', 'the template must declare at least one resource');
    }
    this.checkParameters();
    this.checkConditions();
    this.checkGlobals();
    for (const [id, resource] of Object.entries(this.section('Resources'))) {
      this.checkResource(id, resource);
    }
    this.checkOutputs();
  }

  private section(name: string): Obj {
    const value = this.template[name];
    return isObj(value) ? value : {};
  }

  private error(where: string, message: string): void {
    this.errors.push(`${where}: ${message}`);
  }

  private usesSam(): boolean {
    const transform = this.template.Transform;
    const transforms = Array.isArray(transform) ? transform : [transform];
    return transforms.includes(SAM_TRANSFORM);
  }

  // ---------------------------------------------------------------- sections

  private checkParameters(): void {
    for (const [name, param] of Object.entries(this.section('Parameters'))) {
      const where = `Parameters.${name}`;
      if (!isObj(param) || typeof param.Type !== 'string') {
        this.error(where, 'a parameter needs a Type');
        continue;
      }
      const type = param.Type;
      const known =
        PARAMETER_TYPES.has(type) ||
        /^AWS::SSM::Parameter::Value<.+>$/.test(type) ||
        /^(List<)?AWS::EC2::[A-Za-z]+::[A-Za-z]+(>)?$/.test(type) ||
        /^(List<)?AWS::Route53::HostedZone::Id(>)?$/.test(type);
      if (!known) this.error(where, `unknown parameter type ${type}`);
      if (Array.isArray(param.AllowedValues) && param.Default !== undefined) {
        const allowed = param.AllowedValues.map(String);
        if (!allowed.includes(String(param.Default))) {
          this.error(where, `Default ${String(param.Default)} is not one of AllowedValues`);
        }
      }
    }
  }

  private checkConditions(): void {
    for (const [name, condition] of Object.entries(this.section('Conditions'))) {
      this.checkIntrinsics(condition, `Conditions.${name}`, undefined, true);
    }
  }

  private checkGlobals(): void {
    const globals = this.template.Globals;
    if (globals === undefined) return;
    if (!this.usesSam()) this.error('Globals', `only valid with Transform: ${SAM_TRANSFORM}`);
    if (!isObj(globals)) {
      this.error('Globals', 'must be a map');
      return;
    }
    for (const [sectionName, props] of Object.entries(globals)) {
      const where = `Globals.${sectionName}`;
      const allowed = SAM_GLOBALS[sectionName];
      if (!allowed) {
        this.error(where, `unknown Globals section (one of ${Object.keys(SAM_GLOBALS).join(', ')})`);
        continue;
      }
      if (!isObj(props)) {
        this.error(where, 'must be a map');
        continue;
      }
      for (const key of Object.keys(props)) {
        if (!allowed.includes(key))
          this.error(`${where}.${key}`, `not a property Globals.${sectionName} accepts`);
      }
      this.checkIntrinsics(props, where);
    }
  }

  private checkOutputs(): void {
    for (const [name, output] of Object.entries(this.section('Outputs'))) {
      const where = `Outputs.${name}`;
      if (!isObj(output)) {
        this.error(where, 'must be a map');
        continue;
      }
      for (const key of Object.keys(output)) {
        if (!OUTPUT_KEYS.has(key)) this.error(`${where}.${key}`, 'unknown output attribute');
      }
      if (output.Value === undefined) this.error(where, 'an output needs a Value');
      if (output.Condition !== undefined) this.checkConditionName(output.Condition, `${where}.Condition`);
      this.checkIntrinsics(output.Value, `${where}.Value`);
      this.checkIntrinsics(output.Export, `${where}.Export`);
    }
  }

  // ---------------------------------------------------------------- resources

  private checkResource(id: string, resource: unknown): void {
    const where = `Resources.${id}`;
    if (!isObj(resource)) {
      this.error(where, 'must be a map');
      return;
    }
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) this.error(`${where}.${key}`, 'unknown resource attribute');
    }
    const type = resource.Type;
    if (typeof type !== 'string') {
      this.error(where, 'a resource needs a Type');
      return;
    }
    if (resource.Condition !== undefined) this.checkConditionName(resource.Condition, `${where}.Condition`);
    this.checkDependsOn(resource.DependsOn, `${where}.DependsOn`);
    const props = resource.Properties ?? {};
    if (!isObj(props)) {
      this.error(`${where}.Properties`, 'must be a map');
      return;
    }
    this.checkIntrinsics(props, `${where}.Properties`);

    if (type.startsWith('AWS::Serverless::')) {
      this.checkSamResource(id, type, props, resource);
    } else if (!isCustomResourceType(type)) {
      const spec = specResource(type);
      if (!spec) {
        this.error(`${where}.Type`, `unknown resource type ${type}`);
        return;
      }
      this.checkProperties(props, spec.properties, `${where}.Properties`);
    }
  }

  private checkDependsOn(dependsOn: unknown, where: string): void {
    if (dependsOn === undefined) return;
    const targets = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
    for (const target of targets) {
      if (typeof target !== 'string' || !this.resources.has(target)) {
        this.error(where, `DependsOn target ${String(target)} is not a resource`);
      }
    }
  }

  private checkConditionName(name: unknown, where: string): void {
    if (typeof name !== 'string' || !this.conditions.has(name)) {
      this.error(where, `condition ${String(name)} is not declared in Conditions`);
    }
  }

  /** Checks CloudFormation properties against the spec, recursing into nested property types. */
  private checkProperties(props: Obj, known: Readonly<Record<string, Property>>, where: string): void {
    for (const [name, value] of Object.entries(props)) {
      const prop = known[name];
      if (!prop) {
        this.error(`${where}.${name}`, 'unknown property');
        continue;
      }
      this.checkValue(value, prop.type, `${where}.${name}`);
    }
    for (const [name, prop] of Object.entries(known)) {
      if (prop.required && !(name in props)) this.error(`${where}.${name}`, 'required property is missing');
    }
  }

  private checkValue(value: unknown, type: PropertyType, where: string): void {
    const intrinsic = intrinsicName(value);
    if (intrinsic) {
      // Fn::If picks one of two literal values: both must be valid (AWS::NoValue drops the property).
      if (intrinsic === 'Fn::If' && isObj(value)) {
        const args = value['Fn::If'];
        if (Array.isArray(args)) {
          for (const branch of args.slice(1)) {
            if (isObj(branch) && branch.Ref === 'AWS::NoValue') continue;
            this.checkValue(branch, type, where);
          }
        }
      }
      return;
    }
    switch (type.type) {
      case 'ref': {
        if (!isObj(value)) {
          this.error(where, 'expected an object');
          return;
        }
        const def = specDb().get('typeDefinition', type.reference);
        this.checkProperties(value, def.properties, where);
        return;
      }
      case 'array':
        if (!Array.isArray(value)) {
          this.error(where, 'expected a list');
          return;
        }
        value.forEach((element, i) => {
          this.checkValue(element, type.element, `${where}[${i}]`);
        });
        return;
      case 'map':
        if (!isObj(value)) {
          this.error(where, 'expected a map');
          return;
        }
        for (const [key, element] of Object.entries(value))
          this.checkValue(element, type.element, `${where}.${key}`);
        return;
      case 'union':
        this.checkUnion(value, type.types, where);
        return;
      case 'string':
      case 'number':
      case 'integer':
      case 'boolean':
      case 'date-time':
        if (typeof value === 'object' && value !== null) this.error(where, `expected a ${type.type}`);
        return;
      default:
        // json, tag, null: free-form
        return;
    }
  }

  /** A union accepts the value if any member does; otherwise report the closest member's errors. */
  private checkUnion(value: unknown, types: readonly PropertyType[], where: string): void {
    let closest: string[] | undefined;
    for (const member of types) {
      const saved = this.errors.splice(0);
      this.checkValue(value, member, where);
      const memberErrors = this.errors.splice(0);
      this.errors.push(...saved);
      if (memberErrors.length === 0) return;
      // A member whose only complaint is the value's shape (object vs list vs scalar) is not the closest.
      const shapeMatches = !memberErrors.some((e) => e.startsWith(`${where}: expected a`));
      if (shapeMatches && !closest) closest = memberErrors;
    }
    if (closest) this.errors.push(...closest);
    else
      this.error(
        where,
        `value does not match any of the allowed types (${types.map((t) => t.type).join(', ')})`,
      );
  }

  // ---------------------------------------------------------------- SAM resources

  private checkSamResource(id: string, type: string, props: Obj, resource: Obj): void {
    const where = `Resources.${id}`;
    if (!this.usesSam()) this.error(`${where}.Type`, `${type} needs Transform: ${SAM_TRANSFORM}`);
    const spec = SAM_RESOURCES[type];
    if (!spec) {
      this.error(`${where}.Type`, `unknown resource type ${type}`);
      return;
    }
    for (const key of Object.keys(props)) {
      if (!spec.properties.includes(key))
        this.error(`${where}.Properties.${key}`, `unknown property of ${type}`);
    }
    for (const key of spec.required ?? []) {
      if (!(key in props)) this.error(`${where}.Properties.${key}`, 'required property is missing');
    }
    if (type === 'AWS::Serverless::Function') this.checkSamFunction(id, props, resource);
    if (type === 'AWS::Serverless::StateMachine' && !('Definition' in props) && !('DefinitionUri' in props)) {
      this.error(`${where}.Properties`, 'a state machine needs Definition or DefinitionUri');
    }
  }

  private checkSamFunction(id: string, props: Obj, resource: Obj): void {
    const where = `Resources.${id}.Properties`;
    const globals =
      isObj(this.template.Globals) && isObj(this.template.Globals.Function)
        ? this.template.Globals.Function
        : {};
    const merged: Obj = { ...globals, ...props };
    if (merged.PackageType !== 'Image') {
      for (const key of ['Handler', 'Runtime']) {
        if (merged[key] === undefined)
          this.error(`${where}.${key}`, 'required property is missing (here or in Globals)');
      }
      if (merged.CodeUri === undefined && merged.InlineCode === undefined) {
        this.error(`${where}.CodeUri`, 'a zip function needs CodeUri or InlineCode (here or in Globals)');
      }
    } else if (merged.ImageUri === undefined && !isObj(resource.Metadata)) {
      this.error(`${where}.ImageUri`, 'an image function needs ImageUri or build Metadata');
    }
    this.checkSamEvents(props.Events, `${where}.Events`);
    if (this.options.checkBuild) this.checkEsbuild(id, merged, resource.Metadata);
  }

  private checkSamEvents(events: unknown, where: string): void {
    if (events === undefined) return;
    if (!isObj(events)) {
      this.error(where, 'must be a map of event sources');
      return;
    }
    for (const [name, event] of Object.entries(events)) {
      const at = `${where}.${name}`;
      if (!isObj(event)) {
        this.error(at, 'must be a map with Type and Properties');
        continue;
      }
      for (const key of Object.keys(event)) {
        if (key !== 'Type' && key !== 'Properties')
          this.error(`${at}.${key}`, 'unknown event source attribute');
      }
      const type = event.Type;
      const spec = typeof type === 'string' ? SAM_FUNCTION_EVENTS[type] : undefined;
      if (!spec) {
        this.error(`${at}.Type`, `unknown event source type ${String(type)}`);
        continue;
      }
      const props = event.Properties;
      if (props === undefined) {
        if (!spec.propertiesOptional)
          this.error(`${at}.Properties`, `a ${String(type)} event needs Properties`);
        continue;
      }
      if (!isObj(props)) {
        this.error(`${at}.Properties`, 'must be a map');
        continue;
      }
      for (const key of Object.keys(props)) {
        if (!spec.properties.includes(key))
          this.error(`${at}.Properties.${key}`, `unknown property of a ${type} event`);
      }
      for (const key of spec.required ?? []) {
        if (!(key in props)) this.error(`${at}.Properties.${key}`, 'required property is missing');
      }
    }
  }

  /** esbuild functions: entry points exist under CodeUri and the one named by Handler exports it. */
  private checkEsbuild(id: string, merged: Obj, metadata: unknown): void {
    if (!isObj(metadata) || metadata.BuildMethod !== 'esbuild') return;
    const where = `Resources.${id}.Metadata.BuildProperties.EntryPoints`;
    const entryPoints = isObj(metadata.BuildProperties) ? metadata.BuildProperties.EntryPoints : undefined;
    if (!Array.isArray(entryPoints) || entryPoints.length === 0) {
      this.error(where, 'esbuild functions need a non-empty EntryPoints list');
      return;
    }
    if (typeof merged.CodeUri !== 'string') {
      this.error(`Resources.${id}.Properties.CodeUri`, 'esbuild functions need a local CodeUri path');
      return;
    }
    const codeDir = path.resolve(this.templateDir, merged.CodeUri);
    const handler = typeof merged.Handler === 'string' ? merged.Handler : undefined;
    const dot = handler?.lastIndexOf('.') ?? -1;
    const handlerModule = handler && dot > 0 ? handler.slice(0, dot) : undefined;
    const handlerExport = handler && dot > 0 ? handler.slice(dot + 1) : undefined;
    if (handler && !handlerExport) {
      this.error(
        `Resources.${id}.Properties.Handler`,
        `Handler ${handler} is not of the form <file>.<export>`,
      );
    }

    const found: { entry: string; file: string }[] = [];
    for (const [i, entry] of entryPoints.entries()) {
      if (typeof entry !== 'string') {
        this.error(`${where}[${i}]`, 'must be a file path');
        continue;
      }
      const file = path.resolve(codeDir, entry);
      if (existsSync(file) && statSync(file).isFile()) found.push({ entry, file });
      else
        this.error(`${where}[${i}]`, `entry point ${entry} does not exist under CodeUri ${merged.CodeUri}`);
    }
    if (!handlerModule || !handlerExport) return;
    // esbuild names each output after its entry file, so the Handler's module picks the entry point.
    const target = found.find(({ entry }) => entryBaseName(entry) === path.basename(handlerModule));
    if (!target) {
      if (found.length === entryPoints.length) {
        this.error(
          `Resources.${id}.Properties.Handler`,
          `Handler module ${handlerModule} matches no entry point`,
        );
      }
      return;
    }
    if (!exportsName(target.file, handlerExport)) {
      this.error(where, `entry point ${target.entry} does not export ${handlerExport} (Handler ${handler})`);
    }
  }

  // ---------------------------------------------------------------- intrinsic functions

  /** Walks a value and checks every Ref, Fn::GetAtt, Fn::Sub, Fn::If, Fn::FindInMap it contains. */
  private checkIntrinsics(
    value: unknown,
    where: string,
    subVars?: ReadonlySet<string>,
    inConditions = false,
  ): void {
    if (Array.isArray(value)) {
      value.forEach((element, i) => {
        this.checkIntrinsics(element, `${where}[${i}]`, subVars, inConditions);
      });
      return;
    }
    if (!isObj(value)) return;
    const keys = Object.keys(value);
    if (inConditions && keys.length === 1 && typeof value.Condition === 'string') {
      this.checkConditionName(value.Condition, where);
      return;
    }
    const fn = intrinsicName(value);
    if (!fn) {
      for (const [key, element] of Object.entries(value)) {
        this.checkIntrinsics(element, `${where}.${key}`, subVars, inConditions);
      }
      return;
    }
    const args = value[fn];
    const at = `${where}.${fn}`;
    switch (fn) {
      case 'Ref':
        if (typeof args !== 'string') this.error(at, 'Ref takes a logical id');
        else if (!this.isRefTarget(args, subVars))
          this.error(at, `Ref target ${args} is not a parameter, resource or pseudo parameter`);
        return;
      case 'Fn::GetAtt':
        this.checkGetAtt(args, at);
        return;
      case 'Fn::Sub':
        this.checkSub(args, at, inConditions);
        return;
      case 'Fn::If':
        if (!Array.isArray(args) || args.length !== 3) {
          this.error(at, 'Fn::If takes [condition, valueIfTrue, valueIfFalse]');
          return;
        }
        this.checkConditionName(args[0], at);
        this.checkIntrinsics(args.slice(1), at, subVars, inConditions);
        return;
      case 'Fn::FindInMap':
        if (Array.isArray(args) && typeof args[0] === 'string' && !this.mappings.has(args[0])) {
          this.error(at, `mapping ${args[0]} is not declared in Mappings`);
        }
        this.checkIntrinsics(args, at, subVars, inConditions);
        return;
      default:
        this.checkIntrinsics(args, at, subVars, inConditions);
    }
  }

  private isRefTarget(name: string, subVars?: ReadonlySet<string>): boolean {
    if (PSEUDO_PARAMETERS.has(name) || this.parameters.has(name) || this.resources.has(name)) return true;
    if (subVars?.has(name)) return true;
    // SAM resolves `!Ref MyFunction.Alias`, `!Ref MyApi.Stage`, … to resources it generates.
    const dot = name.indexOf('.');
    if (dot > 0) {
      const type = this.resources.get(name.slice(0, dot));
      const suffixes = type ? SAM_RESOURCES[type]?.refSuffixes : undefined;
      return suffixes?.includes(name.slice(dot + 1)) ?? false;
    }
    return false;
  }

  private checkGetAtt(args: unknown, where: string): void {
    const parts = typeof args === 'string' ? splitOnce(args, '.') : args;
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== 'string') {
      this.error(where, 'Fn::GetAtt takes [logicalId, attribute]');
      return;
    }
    const [logicalId, attribute] = parts as [string, unknown];
    if (typeof attribute !== 'string') {
      this.checkIntrinsics(attribute, where);
      if (!this.resources.has(logicalId)) this.error(where, `GetAtt target ${logicalId} is not a resource`);
      return;
    }
    this.checkAttribute(logicalId, attribute, where);
  }

  private checkAttribute(logicalId: string, attribute: string, where: string): void {
    const type = this.resources.get(logicalId);
    if (!type) {
      this.error(where, `GetAtt target ${logicalId} is not a resource`);
      return;
    }
    const allowed = this.attributesOf(type);
    if (allowed === 'any' || allowed.has(attribute)) return;
    if (allowed.has('Outputs.*') && attribute.startsWith('Outputs.')) return;
    const list = [...allowed].sort().join(', ') || 'none';
    this.error(where, `${type} ${logicalId} has no attribute ${attribute} (attributes: ${list})`);
  }

  private attributesOf(type: string): Set<string> | 'any' {
    if (isCustomResourceType(type)) return 'any';
    const sam = SAM_RESOURCES[type];
    const cfnType = sam ? sam.generates : type;
    const spec = cfnType ? specResource(cfnType) : undefined;
    if (!spec && !sam) return 'any'; // unknown type, already reported
    const names = new Set(Object.keys(spec?.attributes ?? {}));
    for (const extra of sam?.extraAttributes ?? []) names.add(extra);
    if (cfnType === 'AWS::CloudFormation::Stack') names.add('Outputs.*');
    return names;
  }

  private checkSub(args: unknown, where: string, inConditions: boolean): void {
    let text: unknown = args;
    const vars = new Set<string>();
    if (Array.isArray(args)) {
      if (args.length !== 2 || !isObj(args[1])) {
        this.error(where, 'Fn::Sub takes a string or [string, { var: value }]');
        return;
      }
      text = args[0];
      for (const [name, varValue] of Object.entries(args[1])) {
        vars.add(name);
        this.checkIntrinsics(varValue, `${where}[1].${name}`, undefined, inConditions);
      }
    }
    if (typeof text !== 'string') {
      this.error(where, 'Fn::Sub needs a template string');
      return;
    }
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = match[1] ?? '';
      if (name.startsWith('!')) continue; // ${!Literal} is an escape
      if (vars.has(name) || this.isRefTarget(name)) continue;
      const dot = name.indexOf('.');
      if (dot > 0) {
        this.checkAttribute(name.slice(0, dot), name.slice(dot + 1), where);
        continue;
      }
      this.error(where, `\${${name}} is not a parameter, resource, pseudo parameter or Sub variable`);
    }
  }
}

function entryBaseName(entry: string): string {
  return path.basename(entry).replace(/\.[cm]?[jt]sx?$/, '');
}

function splitOnce(text: string, separator: string): [string, string] | undefined {
  const index = text.indexOf(separator);
  return index < 0 ? undefined : [text.slice(0, index), text.slice(index + separator.length)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A text check, not a parse: `export const|let|var|function|class <name>` or `export { … <name> … }`. */
export function exportsName(file: string, name: string): boolean {
  const source = readFileSync(file, 'utf8');
  const id = escapeRegExp(name);
  const declaration = new RegExp(
    `export\\s+(?:const|let|var|class|(?:async\\s+)?function\\s*\\*?)\\s*${id}\\b`,
  );
  if (declaration.test(source)) return true;
  for (const match of source.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)) {
    if (match[0].startsWith('export type')) continue;
    const names = (match[1] ?? '').split(',').map((item) => {
      const parts = item.trim().split(/\s+as\s+/);
      return (parts[parts.length - 1] ?? '').trim();
    });
    if (names.includes(name)) return true;
  }
  return false;
}

/**
 * Validates a SAM / CloudFormation template offline.
 *
 * Checks resource types, properties (nested ones for CloudFormation types) and required properties,
 * Globals, SAM event sources, every Ref / Fn::GetAtt / Fn::Sub / Fn::If / Fn::FindInMap target,
 * DependsOn, Conditions, Outputs, and the esbuild entry points and handler exports of SAM functions.
 * Never throws on template content: an unreadable or unparsable file is reported as an error.
 */
export function validateTemplate(
  templatePath: string,
  opts: ValidateTemplateOptions = {},
): ValidateTemplateResult {
  const absolute = path.resolve(templatePath);
  let template: unknown;
  try {
    template = yamlParse(readFileSync(absolute, 'utf8'));
  } catch (cause) {
    return { errors: [`${templatePath}: cannot read or parse: ${(cause as Error).message}`] };
  }
  if (!isObj(template)) return { errors: [`${templatePath}: not a template (expected a map)`] };
  const checker = new TemplateChecker(template, path.dirname(absolute), {
    checkBuild: opts.checkBuild ?? true,
  });
  checker.run();
  return { errors: checker.errors };
}

function main(argv: readonly string[]): number {
  const templatePath = argv[0] ?? 'template.yaml';
  const { errors } = validateTemplate(templatePath);
  for (const error of errors) console.error(error);
  if (errors.length > 0) {
    console.error(`${templatePath}: ${errors.length} error(s)`);
    return 1;
  }
  console.log(`${templatePath}: OK`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
