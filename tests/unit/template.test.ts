// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS templates
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateTemplate } from '../../scripts/validate-template.ts';

const HANDLER = 'export const handler = async () => ({ statusCode: 200 });\n';

const BASE = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName:
    Type: String
    Default: develop
    AllowedValues: [develop, prod]
Conditions:
  IsProd: !Equals [!Ref StageName, prod]
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
      GlobalSecondaryIndexes:
        - IndexName: byPk
          KeySchema:
            - { AttributeName: pk, KeyType: HASH }
          Projection: { ProjectionType: KEYS_ONLY }
      StreamSpecification:
        StreamViewType: NEW_AND_OLD_IMAGES
      PointInTimeRecoverySpecification: !If
        - IsProd
        - { PointInTimeRecoveryEnabled: true }
        - !Ref AWS::NoValue
  Queue:
    Type: AWS::SQS::Queue
    DependsOn: Table
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./
      Handler: handler.handler
      Environment:
        Variables:
          TABLE: !Ref Table
          PREFIX: !Sub '\${AWS::StackName}-\${StageName}-\${!NotAVariable}'
          STREAM: !Sub ['\${Arn}/\${Table.StreamArn}', { Arn: !GetAtt Queue.Arn }]
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            FunctionResponseTypes: [ReportBatchItemFailures]
        Get:
          Type: HttpApi
          Properties: { Method: GET, Path: /items }
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Format: esm
        EntryPoints: [src/fn/handler.ts]
Outputs:
  FnArn:
    Value: !GetAtt Fn.Arn
  QueueUrl:
    Condition: IsProd
    Value: !Ref Queue
`;

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Writes the template and the given source files to a fresh temp dir and validates it. */
function validate(
  template: string,
  files: Record<string, string> = { 'src/fn/handler.ts': HANDLER },
): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'rtp-template-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  writeFileSync(path.join(dir, 'template.yaml'), template);
  return validateTemplate(path.join(dir, 'template.yaml')).errors;
}

/** BASE with one snippet replaced; fails loudly if the snippet is not there. */
function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

describe('validateTemplate', () => {
  it('accepts the project template.yaml (handler entry files included)', () => {
    expect(validateTemplate('template.yaml').errors).toEqual([]);
  });

  it('accepts a valid template using short-form tags, Sub escapes and Sub variables', () => {
    expect(validate(BASE)).toEqual([]);
  });

  it('accepts a JSON template with long-form intrinsics', () => {
    const template = {
      Resources: {
        Queue: { Type: 'AWS::SQS::Queue' },
        Dlq: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, maxReceiveCount: 3 },
          },
        },
      },
      Outputs: {
        Url: { Value: { 'Fn::Join': ['', [{ Ref: 'Queue' }, { 'Fn::GetAtt': 'Dlq.QueueName' }]] } },
      },
    };
    expect(validate(JSON.stringify(template), {})).toEqual([]);
  });

  it('reports an unknown resource type', () => {
    const errors = validate(edit('Type: AWS::SQS::Queue', 'Type: AWS::SQS::Qeueu'));
    expect(errors).toEqual(['Resources.Queue.Type: unknown resource type AWS::SQS::Qeueu']);
  });

  it('reports an unknown SAM resource type', () => {
    const errors = validate(edit('Type: AWS::SQS::Queue', 'Type: AWS::Serverless::Queue'));
    expect(errors).toContain('Resources.Queue.Type: unknown resource type AWS::Serverless::Queue');
  });

  it('reports unknown properties at the top level and in nested property types', () => {
    const top = validate(edit('BillingMode: PAY_PER_REQUEST', 'BillingMod: PAY_PER_REQUEST'));
    expect(top).toEqual(['Resources.Table.Properties.BillingMod: unknown property']);
    const nested = validate(edit('StreamViewType: NEW_AND_OLD_IMAGES', 'ViewType: NEW_AND_OLD_IMAGES'));
    expect(nested).toContain('Resources.Table.Properties.StreamSpecification.ViewType: unknown property');
  });

  it('reports unknown properties inside both branches of Fn::If', () => {
    const errors = validate(edit('{ PointInTimeRecoveryEnabled: true }', '{ PitrEnabled: true }'));
    expect(errors).toContain(
      'Resources.Table.Properties.PointInTimeRecoverySpecification.PitrEnabled: unknown property',
    );
  });

  it('reports missing required properties at the top level and in nested property types', () => {
    const top = validate(
      edit('      KeySchema:\n        - { AttributeName: pk, KeyType: HASH }\n      Global', '      Global'),
    );
    expect(top).toEqual(['Resources.Table.Properties.KeySchema: required property is missing']);
    const nested = validate(edit('          Projection: { ProjectionType: KEYS_ONLY }\n', ''));
    expect(nested).toEqual([
      'Resources.Table.Properties.GlobalSecondaryIndexes[0].Projection: required property is missing',
    ]);
  });

  it('reports a list where the spec wants an object', () => {
    const errors = validate(
      edit(
        'StreamSpecification:\n        StreamViewType: NEW_AND_OLD_IMAGES',
        'StreamSpecification: [NEW_AND_OLD_IMAGES]',
      ),
    );
    expect(errors).toEqual(['Resources.Table.Properties.StreamSpecification: expected an object']);
  });

  it('reports unknown SAM function properties and missing Runtime', () => {
    expect(validate(edit('Handler: handler.handler', 'Handler: handler.handler\n      Memory: 512'))).toEqual(
      ['Resources.Fn.Properties.Memory: unknown property of AWS::Serverless::Function'],
    );
    expect(validate(edit('    Runtime: nodejs22.x\n', ''))).toEqual([
      'Resources.Fn.Properties.Runtime: required property is missing (here or in Globals)',
    ]);
  });

  it('reports Globals sections and properties SAM does not accept', () => {
    expect(validate(edit('    Timeout: 10', '    Timeout: 10\n    Policies: []'))).toEqual([
      'Globals.Function.Policies: not a property Globals.Function accepts',
    ]);
    expect(validate(edit('Globals:\n', 'Globals:\n  Table:\n    SSESpecification: {}\n'))).toContain(
      'Globals.Table: unknown Globals section (one of Function, Api, HttpApi, SimpleTable, StateMachine, LayerVersion)',
    );
  });

  it('reports a Ref to something that is not a parameter, resource or pseudo parameter', () => {
    expect(validate(edit('TABLE: !Ref Table', 'TABLE: !Ref Tabel'))).toEqual([
      'Resources.Fn.Properties.Environment.Variables.TABLE.Ref: Ref target Tabel is not a parameter, resource or pseudo parameter',
    ]);
    expect(validate(edit('TABLE: !Ref Table', 'TABLE: !Ref AWS::Regoin'))).toHaveLength(1);
  });

  it('accepts the Refs SAM generates (MyFunction.Alias) only for resources that have them', () => {
    expect(validate(edit('TABLE: !Ref Table', 'TABLE: !Ref Fn.Alias'))).toEqual([]);
    expect(validate(edit('TABLE: !Ref Table', 'TABLE: !Ref Table.Alias'))).toHaveLength(1);
  });

  it('reports a GetAtt on a missing resource', () => {
    expect(validate(edit('Value: !GetAtt Fn.Arn', 'Value: !GetAtt Missing.Arn'))).toEqual([
      'Outputs.FnArn.Value.Fn::GetAtt: GetAtt target Missing is not a resource',
    ]);
  });

  it('reports a GetAtt attribute the spec does not list, for CloudFormation and SAM resources', () => {
    const cfn = validate(edit('Stream: !GetAtt Table.StreamArn', 'Stream: !GetAtt Table.StreamName'));
    expect(cfn).toEqual([
      'Resources.Fn.Properties.Events.Changes.Properties.Stream.Fn::GetAtt: AWS::DynamoDB::Table Table has no attribute StreamName (attributes: Arn, StreamArn)',
    ]);
    const sam = validate(edit('Value: !GetAtt Fn.Arn', 'Value: !GetAtt Fn.Name'));
    expect(sam).toHaveLength(1);
    expect(sam[0]).toMatch(
      /^Outputs\.FnArn\.Value\.Fn::GetAtt: AWS::Serverless::Function Fn has no attribute Name/,
    );
  });

  it('reports Sub variables that resolve to nothing, and bad Resource.Attr in Sub', () => {
    expect(validate(edit('${StageName}-', '${Stage}-'))).toEqual([
      'Resources.Fn.Properties.Environment.Variables.PREFIX.Fn::Sub: ${Stage} is not a parameter, resource, pseudo parameter or Sub variable',
    ]);
    expect(validate(edit('${Table.StreamArn}', '${Table.Stream}'))).toHaveLength(1);
    expect(validate(edit('{ Arn: !GetAtt Queue.Arn }', '{ QueueArn: !GetAtt Queue.Arn }'))).toHaveLength(1);
  });

  it('reports DependsOn targets and Conditions that do not exist', () => {
    expect(validate(edit('DependsOn: Table', 'DependsOn: [Table, Nope]'))).toEqual([
      'Resources.Queue.DependsOn: DependsOn target Nope is not a resource',
    ]);
    expect(validate(edit('Condition: IsProd', 'Condition: IsStaging'))).toEqual([
      'Outputs.QueueUrl.Condition: condition IsStaging is not declared in Conditions',
    ]);
    expect(validate(edit('!If\n        - IsProd', '!If\n        - IsDev'))).toHaveLength(1);
  });

  it('reports an esbuild entry point file that does not exist under CodeUri', () => {
    expect(validate(BASE, {})).toEqual([
      'Resources.Fn.Metadata.BuildProperties.EntryPoints[0]: entry point src/fn/handler.ts does not exist under CodeUri ./',
    ]);
  });

  it('reports an entry point that does not export the Handler', () => {
    const errors = validate(BASE, { 'src/fn/handler.ts': 'export const main = async () => ({});\n' });
    expect(errors).toEqual([
      'Resources.Fn.Metadata.BuildProperties.EntryPoints: entry point src/fn/handler.ts does not export handler (Handler handler.handler)',
    ]);
  });

  it('finds the handler in export lists and async function declarations', () => {
    const lists = 'const main = async () => ({});\nexport { main as handler };\n';
    expect(validate(BASE, { 'src/fn/handler.ts': lists })).toEqual([]);
    const fn = 'export async function handler() {\n  return {};\n}\n';
    expect(validate(BASE, { 'src/fn/handler.ts': fn })).toEqual([]);
  });

  it('reports unknown SAM event types and event properties', () => {
    expect(validate(edit('Type: DynamoDB', 'Type: DynamoDBStream'))).toEqual([
      'Resources.Fn.Properties.Events.Changes.Type: unknown event source type DynamoDBStream',
    ]);
    expect(
      validate(edit('StartingPosition: LATEST', 'StartingPosition: LATEST\n            BatchWindow: 1')),
    ).toEqual([
      'Resources.Fn.Properties.Events.Changes.Properties.BatchWindow: unknown property of a DynamoDB event',
    ]);
    expect(validate(edit('            StartingPosition: LATEST\n', ''))).toEqual([
      'Resources.Fn.Properties.Events.Changes.Properties.StartingPosition: required property is missing',
    ]);
  });

  it('reports Outputs whose values use unknown refs', () => {
    expect(validate(edit('Value: !Ref Queue', 'Value: !Sub "${Queue}-${Nope}"'))).toEqual([
      'Outputs.QueueUrl.Value.Fn::Sub: ${Nope} is not a parameter, resource, pseudo parameter or Sub variable',
    ]);
  });
});
