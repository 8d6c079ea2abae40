import { randomUUID } from 'node:crypto';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createLimiter, type Limiter } from '#core/limiter.ts';
import { asyncInvocationFailure } from '#local/event-sources/on-failure-queue.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import type { LocalTemplate, RawResource } from '#local/template/model.ts';
import {
  type CompiledRuleSql,
  compileRuleSql,
  compileSubstitution,
  evaluateRule,
  matchesTopicFilter,
  type RuleMessage,
  RuleSqlError,
  ruleMessageOf,
} from './iot-rule-sql.ts';

/**
 * Runs the template's `AWS::IoT::TopicRule`s against the messages of the local broker.
 *
 * - SQL: the subset documented in iot-rule-sql.ts; `AwsIotSqlVersion` must be `2016-03-23`.
 * - `Lambda` action (`FunctionArn: !GetAtt <Function>.Arn`): invoked asynchronously with the rule's
 *   output as the event, retried like Lambda's async invocations (the function's
 *   `EventInvokeConfig.MaximumRetryAttempts`, default 2; delays shortened locally). An invocation
 *   that exhausts its retries goes, as Lambda's destination record, to the function's
 *   `EventInvokeConfig.DestinationConfig.OnFailure` SQS queue when it has one; it is logged otherwise.
 *   As on AWS, a function error is not a failure of the rule's action.
 * - `Kinesis` action (`StreamName: !Ref <AWS::Kinesis::Stream>`, optional `PartitionKey` with
 *   substitutions like `${topic(2)}`, default `${newuuid()}`): `PutRecord` of the output JSON
 *   against the SDK's configured Kinesis endpoint (`AWS_ENDPOINT_URL_KINESIS` locally).
 * - `ErrorAction`: `Sqs` with `QueueUrl: !Ref <AWS::SQS::Queue>` gets AWS's error action message
 *   (`ruleName`, `topic`, `base64OriginalPayload`, `failures`) when an action fails; other error
 *   action types are not emulated and the failure is logged.
 * Rules with `RuleDisabled: true` are skipped. Anything else is refused when the platform starts.
 */

/** A topic rule of the template the local runtime cannot run: names the rule and the construct. */
export class TopicRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicRuleError';
  }
}

type TopicRuleAction =
  | {
      kind: 'lambda';
      functionLogicalId: string;
      maximumRetryAttempts: number;
      /** The function's async on-failure destination queue, if any. */
      onFailureQueueLogicalId?: string;
    }
  | { kind: 'kinesis'; streamLogicalId: string; partitionKey: (message: RuleMessage) => string };

export interface TopicRuleModel {
  logicalId: string;
  sql: CompiledRuleSql;
  actions: TopicRuleAction[];
  /** The error action's type (e.g. `Sqs`) and, for `Sqs`, the queue it sends to. */
  errorAction?: { type: string; queueLogicalId?: string };
}

const LAMBDA_DEFAULT_ASYNC_RETRIES = 2;

function refOf(value: unknown): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
}

function getAttOf(value: unknown): [string, string] | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return [String(getAtt[0]), String(getAtt[1])];
  if (typeof getAtt === 'string') {
    const [name = '', attribute = ''] = getAtt.split('.');
    return [name, attribute];
  }
  return undefined;
}

/**
 * Reads every enabled `AWS::IoT::TopicRule` of the template.
 * @throws TopicRuleError naming the rule and the unsupported SQL construct, action or reference.
 */
export function loadTopicRules(resources: Record<string, RawResource>): TopicRuleModel[] {
  const rules: TopicRuleModel[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IoT::TopicRule') continue;
    const fail = (why: string) => new TopicRuleError(`${logicalId}: ${why}`);
    const payload = (resource.Properties?.TopicRulePayload ?? {}) as Record<string, unknown>;
    if (payload.RuleDisabled === true || payload.RuleDisabled === 'true') continue;
    if (payload.AwsIotSqlVersion !== '2016-03-23') {
      throw fail(
        `AwsIotSqlVersion ${JSON.stringify(payload.AwsIotSqlVersion ?? '(unset: 2015-10-08)')} is not supported locally; use '2016-03-23'`,
      );
    }
    if (typeof payload.Sql !== 'string') throw fail('Sql must be a plain string');
    let sql: CompiledRuleSql;
    try {
      sql = compileRuleSql(payload.Sql);
    } catch (error) {
      if (error instanceof RuleSqlError) throw fail(`${error.message} in Sql "${payload.Sql}"`);
      throw error;
    }
    const actions = ((payload.Actions ?? []) as Array<Record<string, unknown>>).map((action, index) =>
      loadAction(action, `Actions[${index}]`, resources, fail),
    );
    if (actions.length === 0) throw fail('has no Actions');
    const errorAction = loadErrorAction(payload.ErrorAction, resources);
    rules.push({ logicalId, sql, actions, ...(errorAction ? { errorAction } : {}) });
  }
  return rules;
}

function loadErrorAction(
  value: unknown,
  resources: Record<string, RawResource>,
): TopicRuleModel['errorAction'] {
  const [type] = Object.keys((value ?? {}) as object);
  if (!type) return undefined;
  const queue = refOf((value as Record<string, { QueueUrl?: unknown } | undefined>)[type]?.QueueUrl);
  const isQueue = type === 'Sqs' && queue !== undefined && resources[queue]?.Type === 'AWS::SQS::Queue';
  return isQueue ? { type, queueLogicalId: queue } : { type };
}

function loadAction(
  action: Record<string, unknown>,
  where: string,
  resources: Record<string, RawResource>,
  fail: (why: string) => TopicRuleError,
): TopicRuleAction {
  const [type, ...others] = Object.keys(action);
  if (!type || others.length > 0) throw fail(`${where} must name exactly one action type`);
  const props = (action[type] ?? {}) as Record<string, unknown>;
  if (type === 'Lambda') {
    const [functionLogicalId, attribute] = getAttOf(props.FunctionArn) ?? [];
    const fn = functionLogicalId ? resources[functionLogicalId] : undefined;
    if (!functionLogicalId || attribute !== 'Arn' || fn?.Type !== 'AWS::Serverless::Function') {
      throw fail(`${where}.Lambda.FunctionArn must be !GetAtt <a function of the template>.Arn`);
    }
    const invokeConfig = fn.Properties?.EventInvokeConfig as
      | {
          MaximumRetryAttempts?: unknown;
          DestinationConfig?: { OnFailure?: { Type?: unknown; Destination?: unknown } };
        }
      | undefined;
    const retries = Number(invokeConfig?.MaximumRetryAttempts ?? LAMBDA_DEFAULT_ASYNC_RETRIES);
    const onFailure = invokeConfig?.DestinationConfig?.OnFailure;
    const [queue] = (onFailure?.Type === 'SQS' && getAttOf(onFailure.Destination)) || [];
    return {
      kind: 'lambda',
      functionLogicalId,
      maximumRetryAttempts: retries,
      ...(queue && resources[queue]?.Type === 'AWS::SQS::Queue' ? { onFailureQueueLogicalId: queue } : {}),
    };
  }
  if (type === 'Kinesis') {
    const streamLogicalId = refOf(props.StreamName);
    if (!streamLogicalId || resources[streamLogicalId]?.Type !== 'AWS::Kinesis::Stream') {
      throw fail(`${where}.Kinesis.StreamName must be !Ref <an AWS::Kinesis::Stream of the template>`);
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, as AWS defaults it.
    const template = props.PartitionKey === undefined ? '${newuuid()}' : props.PartitionKey;
    if (typeof template !== 'string') throw fail(`${where}.Kinesis.PartitionKey must be a plain string`);
    try {
      return { kind: 'kinesis', streamLogicalId, partitionKey: compileSubstitution(template) };
    } catch (error) {
      if (error instanceof RuleSqlError)
        throw fail(`${where}.Kinesis.PartitionKey "${template}": ${error.message}`);
      throw error;
    }
  }
  throw fail(`${where}: action ${type} is not supported locally (supported: Lambda, Kinesis)`);
}

/** Counters for /health; cumulative since start. */
interface IotRuleStats {
  /** Messages that matched a rule's topic filter and WHERE. */
  ruleMatches: number;
  /** Messages a rule could not evaluate: `SELECT *` over a payload that is not a JSON object. */
  payloadErrors: number;
  /** Invocation attempts, retries included. */
  lambdaInvocations: number;
  /** Async invocations that returned (after however many attempts). */
  lambdaSucceeded: number;
  lambdaRetries: number;
  /** Async invocations dropped after the last retry. */
  lambdaDiscarded: number;
  kinesisRecords: number;
  /** Failed rule actions (a failed PutRecord): what the rule's ErrorAction gets. */
  actionErrors: number;
  /** Failures reported to a queue (error action messages, Lambda on-failure destination records). */
  failuresQueued: number;
}

interface IotRuleEngineOptions {
  rules: TopicRuleModel[];
  template: LocalTemplate;
  invoker: LambdaInvoker;
  log: (line: string) => void;
  /** Base delay between async retries (Lambda waits minutes; locally 200 ms, then 400 ms). */
  retryDelayMs?: number;
  /** Async invocations in flight at once; the rest queue, like Lambda's async event queue. */
  concurrency?: number;
  /** Kinesis client of the `Kinesis` actions. Default: the SDK's, with the environment's endpoint. */
  kinesis?: KinesisClient;
  /**
   * Sends a failure report (error action message, Lambda destination record) to a template queue.
   * Without it, failures are only logged.
   */
  sendToQueue?: (queueLogicalId: string, body: unknown) => Promise<void>;
}

/** Evaluates the topic rules for each broker message and carries out their actions. */
export class IotRuleEngine {
  readonly stats: IotRuleStats = {
    ruleMatches: 0,
    payloadErrors: 0,
    lambdaInvocations: 0,
    lambdaSucceeded: 0,
    lambdaRetries: 0,
    lambdaDiscarded: 0,
    kinesisRecords: 0,
    actionErrors: 0,
    failuresQueued: 0,
  };
  readonly #options: IotRuleEngineOptions;
  readonly #limit: Limiter;
  readonly #inFlight = new Set<Promise<void>>();
  #kinesis: KinesisClient | undefined;
  #stopped = false;
  #wake: () => void = () => {};
  readonly #stopping = new Promise<void>((resolve) => {
    this.#wake = resolve;
  });

  constructor(options: IotRuleEngineOptions) {
    this.#options = options;
    this.#limit = createLimiter(options.concurrency ?? 32);
    this.#kinesis = options.kinesis;
  }

  /** Runs every rule whose filter matches `topic`. Actions run in the background. */
  handle(topic: string, payload: Buffer, timestamp: number): void {
    if (this.#stopped) return;
    let message: RuleMessage | undefined;
    for (const rule of this.#options.rules) {
      if (!matchesTopicFilter(rule.sql.topicFilter, topic)) continue;
      message ??= ruleMessageOf(topic, payload, timestamp);
      let output: Record<string, unknown> | undefined;
      try {
        output = evaluateRule(rule.sql, message);
      } catch (error) {
        this.#reportPayloadError(rule, topic, (error as Error).message);
        continue;
      }
      if (!output) continue;
      this.stats.ruleMatches += 1;
      for (const action of rule.actions) this.#track(this.#run(rule, action, message, output));
    }
  }

  /** Stops taking messages, cuts retry waits short and waits for the actions in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    if (!this.#options.kinesis) this.#kinesis?.destroy();
  }

  #reportPayloadError(rule: TopicRuleModel, topic: string, why: string): void {
    this.stats.payloadErrors += 1;
    this.#options.log(`${rule.logicalId}: message on ${topic} not evaluated: ${why}`);
  }

  /** Sends a failure report to `queueLogicalId`, or logs `line` when there is no queue to send to. */
  async #report(queueLogicalId: string | undefined, body: unknown, line: string): Promise<void> {
    const send = this.#options.sendToQueue;
    if (queueLogicalId === undefined || send === undefined || this.#stopped) {
      this.#options.log(line);
      return;
    }
    try {
      await send(queueLogicalId, body);
      this.stats.failuresQueued += 1;
    } catch (error) {
      this.#options.log(`${line}; sending it to ${queueLogicalId} failed too: ${(error as Error).message}`);
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #run(
    rule: TopicRuleModel,
    action: TopicRuleAction,
    message: RuleMessage,
    output: Record<string, unknown>,
  ): Promise<void> {
    if (action.kind === 'lambda') return this.#invokeAsync(rule, action, output);
    try {
      await this.#putRecord(action, message, output);
    } catch (error) {
      this.stats.actionErrors += 1;
      const errorMessage = (error as Error).message;
      // AWS IoT's error action message.
      const report = {
        ruleName: rule.logicalId,
        topic: message.topic,
        cloudwatchTraceId: randomUUID(),
        clientId: '',
        base64OriginalPayload: message.bytes.toString('base64'),
        failures: [{ failedAction: 'KinesisAction', failedResource: action.streamLogicalId, errorMessage }],
      };
      const note = rule.errorAction?.queueLogicalId
        ? ''
        : ` (ErrorAction ${rule.errorAction?.type ?? 'none'} not emulated)`;
      await this.#report(
        rule.errorAction?.queueLogicalId,
        report,
        `${rule.logicalId} → ${action.streamLogicalId}: ${errorMessage}${note}`,
      );
    }
  }

  async #invokeAsync(
    rule: TopicRuleModel,
    action: Extract<TopicRuleAction, { kind: 'lambda' }>,
    event: Record<string, unknown>,
  ): Promise<void> {
    const attempts = 1 + action.maximumRetryAttempts;
    const delay = this.#options.retryDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        this.stats.lambdaInvocations += 1;
        await this.#limit(() => this.#options.invoker.invoke(action.functionLogicalId, event));
        this.stats.lambdaSucceeded += 1;
        return;
      } catch (error) {
        if (attempt >= attempts || this.#stopped) {
          this.stats.lambdaDiscarded += 1;
          const record = asyncInvocationFailure({
            region: this.#options.template.region,
            functionLogicalId: action.functionLogicalId,
            attempts: attempt,
            event,
            error,
          });
          await this.#report(
            action.onFailureQueueLogicalId,
            record,
            `${rule.logicalId} → ${action.functionLogicalId}: async invocation discarded after ${attempt} attempt(s): ${(error as Error).message}`,
          );
          return;
        }
        this.stats.lambdaRetries += 1;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, delay * attempt)), this.#stopping]);
      }
    }
  }

  async #putRecord(
    action: Extract<TopicRuleAction, { kind: 'kinesis' }>,
    message: RuleMessage,
    output: Record<string, unknown>,
  ): Promise<void> {
    // Created on first use: the Kinesis service's endpoint is in the SDK's environment by then.
    // HTTP/1.1: the Kinesis client's default HTTP/2 handler gets a protocol error from kinesalite.
    this.#kinesis ??= new KinesisClient({ requestHandler: new NodeHttpHandler() });
    const streamName = String(this.#options.template.resolve({ Ref: action.streamLogicalId }));
    await this.#kinesis.send(
      new PutRecordCommand({
        StreamName: streamName,
        PartitionKey: action.partitionKey(message) || 'default',
        Data: Buffer.from(JSON.stringify(output)),
      }),
    );
    this.stats.kinesisRecords += 1;
  }
}
