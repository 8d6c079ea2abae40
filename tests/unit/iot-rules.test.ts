// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IoT rule substitution templates use ${…} literally.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { IotRuleEngine, loadTopicRules, TopicRuleError } from '#local/event-sources/iot-rules.ts';
import type { LocalTemplate, RawResource } from '#local/template/model.ts';
import { waitFor } from '../helpers/platform.ts';

const FUNCTION: RawResource = { Type: 'AWS::Serverless::Function', Properties: {} };

function rule(payload: Record<string, unknown>, fn: RawResource = FUNCTION): Record<string, RawResource> {
  return {
    IngestFunction: fn,
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} },
    FailureQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
    TelemetryRule: {
      Type: 'AWS::IoT::TopicRule',
      Properties: {
        TopicRulePayload: {
          Sql: "SELECT *, topic(2) AS vehicleId FROM 'vehicles/+/telemetry'",
          AwsIotSqlVersion: '2016-03-23',
          Actions: [{ Lambda: { FunctionArn: { 'Fn::GetAtt': ['IngestFunction', 'Arn'] } } }],
          ...payload,
        },
      },
    },
  };
}

describe('loadTopicRules', () => {
  it('reads Lambda and Kinesis actions', () => {
    const [model] = loadTopicRules(
      rule({
        Actions: [
          { Lambda: { FunctionArn: { 'Fn::GetAtt': 'IngestFunction.Arn' } } },
          { Kinesis: { StreamName: { Ref: 'Stream' }, PartitionKey: '${topic(2)}' } },
        ],
        ErrorAction: { Sqs: { QueueUrl: { Ref: 'FailureQueue' } } },
      }),
    );
    expect(model?.actions.map((action) => action.kind)).toEqual(['lambda', 'kinesis']);
    expect(model?.errorAction).toEqual({ type: 'Sqs', queueLogicalId: 'FailureQueue' });
  });

  it('skips disabled rules', () => {
    expect(loadTopicRules(rule({ RuleDisabled: true }))).toEqual([]);
  });

  it.each([
    [{ Sql: "SELECT upper(x) AS y FROM 'a'" }, 'TelemetryRule: unsupported construct function upper()'],
    [
      { AwsIotSqlVersion: '2015-10-08' },
      'TelemetryRule: AwsIotSqlVersion "2015-10-08" is not supported locally',
    ],
    [{ Actions: [{ Sns: {} }] }, 'TelemetryRule: Actions[0]: action Sns is not supported locally'],
    [
      { Actions: [{ Lambda: { FunctionArn: 'arn:aws:lambda:us-east-1:1:function:x' } }] },
      'TelemetryRule: Actions[0].Lambda.FunctionArn must be !GetAtt',
    ],
    [
      { Actions: [{ Kinesis: { StreamName: 'by-name' } }] },
      'TelemetryRule: Actions[0].Kinesis.StreamName must be !Ref',
    ],
    [{ Actions: [] }, 'TelemetryRule: has no Actions'],
  ])('refuses %j naming the rule and the construct', (payload, message) => {
    expect(() => loadTopicRules(rule(payload))).toThrow(TopicRuleError);
    expect(() => loadTopicRules(rule(payload))).toThrow(message);
  });
});

describe('IotRuleEngine', () => {
  const template = {
    region: 'us-east-1',
    resolve: (value: unknown) => (value as { Ref?: string }).Ref ?? value,
  } as unknown as LocalTemplate;

  it('invokes the function with the rule output, retrying twice like an async invocation, then logs', async () => {
    const events: unknown[] = [];
    const lines: string[] = [];
    const engine = new IotRuleEngine({
      rules: loadTopicRules(rule({})),
      template,
      invoker: {
        invoke: async (_id, event) => {
          events.push(event);
          throw new Error('DynamoDB is down');
        },
      },
      log: (line) => lines.push(line),
      retryDelayMs: 1,
    });
    engine.handle('vehicles/3/telemetry', Buffer.from('{"speed":1}'), 5);
    await waitFor(() => engine.stats.lambdaDiscarded === 1, 'the discarded invocation');
    expect(events).toEqual([
      { speed: 1, vehicleId: '3' },
      { speed: 1, vehicleId: '3' },
      { speed: 1, vehicleId: '3' },
    ]);
    expect(engine.stats).toMatchObject({ lambdaInvocations: 3, lambdaRetries: 2, actionErrors: 0 });
    expect(lines).toEqual([
      'TelemetryRule → IngestFunction: async invocation discarded after 3 attempt(s): DynamoDB is down',
    ]);
    await engine.stop();
  });

  it("sends an exhausted invocation to the function's on-failure queue as Lambda's destination record", async () => {
    const sent: Array<{ queue: string; body: unknown }> = [];
    const fn: RawResource = {
      Type: 'AWS::Serverless::Function',
      Properties: {
        EventInvokeConfig: {
          MaximumRetryAttempts: 1,
          DestinationConfig: {
            OnFailure: { Type: 'SQS', Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } },
          },
        },
      },
    };
    const engine = new IotRuleEngine({
      rules: loadTopicRules(rule({}, fn)),
      template,
      invoker: { invoke: () => Promise.reject(new Error('DynamoDB is down')) },
      log: () => {},
      retryDelayMs: 1,
      sendToQueue: async (queue, body) => {
        sent.push({ queue, body });
      },
    });
    engine.handle('vehicles/3/telemetry', Buffer.from('{"speed":1}'), 5);
    await waitFor(() => engine.stats.failuresQueued === 1, 'the destination record');
    expect(sent).toMatchObject([
      {
        queue: 'FailureQueue',
        body: {
          version: '1.0',
          requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2 },
          requestPayload: { speed: 1, vehicleId: '3' },
          responsePayload: { errorType: 'Error', errorMessage: 'DynamoDB is down' },
        },
      },
    ]);
    await engine.stop();
  });

  it("sends a failed Kinesis put to the rule's Sqs error action in AWS's error message format", async () => {
    const sent: unknown[] = [];
    const unreachable = new KinesisClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
    const engine = new IotRuleEngine({
      rules: loadTopicRules(
        rule({
          Actions: [{ Kinesis: { StreamName: { Ref: 'Stream' }, PartitionKey: '${topic(2)}' } }],
          ErrorAction: { Sqs: { QueueUrl: { Ref: 'FailureQueue' } } },
        }),
      ),
      template,
      invoker: { invoke: async () => {} },
      log: () => {},
      kinesis: unreachable,
      sendToQueue: async (_queue, body) => {
        sent.push(body);
      },
    });
    engine.handle('vehicles/3/telemetry', Buffer.from('{"speed":1}'), 5);
    await waitFor(() => engine.stats.failuresQueued === 1, 'the error action message');
    expect(sent).toMatchObject([
      {
        ruleName: 'TelemetryRule',
        topic: 'vehicles/3/telemetry',
        base64OriginalPayload: Buffer.from('{"speed":1}').toString('base64'),
        failures: [{ failedAction: 'KinesisAction', failedResource: 'Stream' }],
      },
    ]);
    expect(engine.stats).toMatchObject({ actionErrors: 1, kinesisRecords: 0 });
    await engine.stop();
    unreachable.destroy();
  });

  it('stops retrying once an attempt succeeds, and ignores topics outside the filter', async () => {
    let calls = 0;
    const engine = new IotRuleEngine({
      rules: loadTopicRules(rule({})),
      template,
      invoker: {
        invoke: async () => {
          calls += 1;
          if (calls === 1) throw new Error('once');
        },
      },
      log: () => {},
      retryDelayMs: 1,
    });
    engine.handle('vehicles/3/commands', Buffer.from('{}'), 5);
    engine.handle('vehicles/3/telemetry', Buffer.from('{"speed":1}'), 5);
    await waitFor(() => engine.stats.lambdaSucceeded === 1, 'the successful retry');
    expect(engine.stats).toMatchObject({
      ruleMatches: 1,
      lambdaInvocations: 2,
      lambdaRetries: 1,
      actionErrors: 0,
    });
    await engine.stop();
  });

  it("invokes a rule of encode(*, 'base64') with any bytes; SELECT * over bytes that are not JSON is a payload error", async () => {
    const events: unknown[] = [];
    const lines: string[] = [];
    const bytesRule =
      "SELECT encode(*, 'base64') AS payload, topic(2) AS vehicleId FROM 'vehicles/+/telemetry'";
    const engine = new IotRuleEngine({
      rules: [...loadTopicRules(rule({ Sql: bytesRule })), ...loadTopicRules(rule({}))],
      template,
      invoker: { invoke: async (_id, event) => void events.push(event) },
      log: (line) => lines.push(line),
    });
    const bytes = Buffer.from([0xff, 0x00, 0x2a]);
    engine.handle('vehicles/3/telemetry', bytes, 5);
    await waitFor(() => engine.stats.lambdaSucceeded === 1, 'the invocation with the bytes');
    expect(events).toEqual([{ payload: bytes.toString('base64'), vehicleId: '3' }]);
    expect(engine.stats).toMatchObject({ ruleMatches: 1, payloadErrors: 1 });
    expect(lines).toEqual([
      'TelemetryRule: message on vehicles/3/telemetry not evaluated: SELECT * needs a JSON object payload: it is not JSON',
    ]);
    await engine.stop();
  });
});
