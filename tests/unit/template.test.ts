// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders, not JS templates
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type ParameterSet, validateTemplate } from '../../scripts/validate-template.ts';

const CONFIG_MODULE = pathToFileURL(path.resolve('lib/runtime/config.ts')).href;

/** A handler whose cold start parses the base function environment, as the project's handlers do. */
const HANDLER = `import { BaseEnvSchema, loadConfig } from '${CONFIG_MODULE}';
const config = loadConfig(BaseEnvSchema);
export const handler = async () => ({ statusCode: 200, body: config.ITEMS_TABLE });
`;

const BASE = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  ItemKey:
    Type: String
    Default: vehicleId
Globals:
  Function:
    Runtime: nodejs22.x
    CodeUri: ./
    Handler: handler.handler
    Environment:
      Variables:
        REAL_TIME_ITEM_KEY: !Ref ItemKey
        ITEMS_TABLE: !Ref Table
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - { AttributeName: pk, AttributeType: S }
      KeySchema:
        - { AttributeName: pk, KeyType: HASH }
  Role:
    Type: AWS::IAM::Role
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          CONNECTIONS_TABLE: !Sub '\${AWS::StackName}-connections'
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints: [src/fn/handler.ts]
`;

const WITHOUT_CONNECTIONS_TABLE = BASE.replace(
  "CONNECTIONS_TABLE: !Sub '${AWS::StackName}-connections'",
  'OTHER: x',
);
const ONE_SET: Record<string, ParameterSet> = { defaults: {} };
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  delete process.env.CONNECTIONS_TABLE;
});

/** Writes the template and the given source files to a fresh temp dir and validates it. */
async function validate(
  template: string,
  files: Record<string, string> = { 'src/fn/handler.ts': HANDLER },
  parameterSets = ONE_SET,
): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rtp-template-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries({ 'package.json': '{"type":"module"}', ...files })) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  writeFileSync(path.join(dir, 'template.yaml'), template);
  return (await validateTemplate(path.join(dir, 'template.yaml'), { parameterSets })).errors;
}

/** BASE with one snippet replaced; fails loudly if the snippet is not there. */
function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

describe('validateTemplate', { timeout: 60_000 }, () => {
  it('accepts the project template.yaml under every deployed parameter set', async () => {
    expect((await validateTemplate('template.yaml')).errors).toEqual([]);
  });

  it('accepts a small template whose function loads with its environment', async () => {
    expect(await validate(BASE)).toEqual([]);
  });

  it('reports an esbuild entry point that does not exist under CodeUri', async () => {
    expect(await validate(BASE, {})).toEqual([
      'Resources.Fn.Metadata.BuildProperties.EntryPoints[0]: entry point src/fn/handler.ts does not exist under CodeUri ./',
    ]);
  });

  it('reports an entry point that does not export the Handler', async () => {
    const errors = await validate(BASE, { 'src/fn/handler.ts': 'export const main = async () => ({});\n' });
    expect(errors).toEqual([
      'Resources.Fn.Metadata.BuildProperties.EntryPoints: entry point src/fn/handler.ts does not export handler (Handler handler.handler)',
    ]);
  });

  it('finds the handler in export lists and async function declarations', async () => {
    const lists = 'const main = async () => ({});\nexport { main as handler };\n';
    expect(await validate(BASE, { 'src/fn/handler.ts': lists })).toEqual([]);
    const fn = 'export async function handler() {\n  return {};\n}\n';
    expect(await validate(BASE, { 'src/fn/handler.ts': fn })).toEqual([]);
  });

  it('reports a variable the function’s config schema needs and the template does not set', async () => {
    const errors = await validate(WITHOUT_CONNECTIONS_TABLE);
    expect(errors).toEqual([
      'Resources.Fn.Properties.Environment [defaults]: cold start fails: invalid configuration: CONNECTIONS_TABLE: Invalid input: expected string, received undefined',
    ]);
  });

  it('does not let the validator’s own environment stand in for the template’s', async () => {
    process.env.CONNECTIONS_TABLE = 'set-by-the-developer';
    const errors = await validate(WITHOUT_CONNECTIONS_TABLE);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('CONNECTIONS_TABLE');
  });

  it('resolves parameters per set and names the set whose values fail the schema', async () => {
    const errors = await validate(BASE, undefined, { good: {}, reserved: { ItemKey: 'version' } });
    expect(errors).toEqual([
      'Resources.Fn.Properties.Environment [reserved]: cold start fails: invalid configuration: REAL_TIME_ITEM_KEY: is an attribute RealTimeData items already use',
    ]);
  });

  it('reports a resource type the local runtime neither runs nor lists as not run', async () => {
    const errors = await validate(edit('Type: AWS::IAM::Role', 'Type: AWS::StepFunctions::StateMachine'));
    expect(errors).toEqual([
      'Resources.Role.Type: AWS::StepFunctions::StateMachine is neither run by the local runtime nor listed as not run locally (local/template/local-support.ts)',
    ]);
  });

  it('reports an event source type the local runtime neither runs nor lists as not run', async () => {
    const errors = await validate(
      edit(
        'Type: DynamoDB\n          Properties:',
        "Type: CloudWatchLogs\n          Properties:\n            LogGroupName: app\n            FilterPattern: ''",
      ),
    );
    expect(errors).toContain(
      'Resources.Fn.Properties.Events.Changes.Type: event source CloudWatchLogs is neither run by the local runtime nor listed as not run locally (local/template/local-support.ts)',
    );
  });

  it('reports a file that is not YAML', async () => {
    const errors = await validate('Resources: [unclosed', {});
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/cannot read or parse/);
  });
});
