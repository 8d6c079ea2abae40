import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATE } from '#local/platform.ts';
import { loadTemplate, readTemplate } from '#local/template/load-template.ts';
import { buildFunctions, type FunctionBundle } from '../../scripts/build-functions.ts';
import { lambdaNodeBinary } from '../helpers/lambda-bundle.ts';

/**
 * Template parameter XRayTracing against what a function's bundle loads at its cold start: the
 * Powertools Tracer (and the X-Ray SDK's async hook and UDP emitter) only with `Full`. The bundle is
 * imported in a fresh Node 22 process with the function's template environment. The bundle leaves the
 * tracer out: with `Full` it comes from the Powertools layer, whose /opt/nodejs/node_modules Lambda
 * puts on NODE_PATH (here the project's node_modules stands in for it), so `aws-xray-sdk-core` in
 * `require`'s module cache says the tracer was loaded.
 */
const projectModules = fileURLToPath(new URL('../../node_modules', import.meta.url));

const FUNCTION = 'RestReadingsFunction';
// Imports the bundle and invokes it once with a body it refuses before any AWS call (through the
// whole middleware stack, the tracer's when on), then answers the status and whether the X-Ray SDK
// was loaded.
const PROBE = `
import { createRequire } from 'node:module';
const { handler } = await import(process.argv[1]);
const context = { functionName: 'fn', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10000 };
const event = { headers: { 'content-type': 'application/json' }, body: '{', isBase64Encoded: false };
const { statusCode } = await handler(event, context);
const loaded = Object.keys(createRequire(process.argv[1]).cache);
console.log(JSON.stringify({ statusCode, xray: loaded.some((path) => path.includes('/aws-xray-sdk-core/')) }));`;

let buildDir: string;
let bundle: FunctionBundle;

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'rtp-tracing-'));
  [bundle] = (await buildFunctions({ buildDir, only: [FUNCTION] })) as [FunctionBundle];
});

afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/** Imports the bundle with the function's environment under `parameters`; what it loaded. */
async function coldStart(
  parameters: Record<string, string>,
  layer?: { NODE_PATH: string },
): Promise<{ statusCode: number; xray: boolean; env: string }> {
  const model = loadTemplate(DEFAULT_TEMPLATE, {
    parameters: { AuthMode: 'none', ...parameters },
  }).functions.find((fn) => fn.logicalId === FUNCTION);
  if (!model) throw new Error(`no ${FUNCTION} in the template`);
  const env = {
    ...model.environment,
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    ...layer,
  };
  const child = spawn(
    lambdaNodeBinary(),
    ['--input-type=module', '-e', PROBE, pathToFileURL(bundle.bundlePath).href],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${FUNCTION} bundle exited ${code}: ${stderr.slice(-1500)}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return {
    ...(JSON.parse(last) as { statusCode: number; xray: boolean }),
    env: String(model.environment.POWERTOOLS_TRACE_ENABLED),
  };
}

describe('XRayTracing (template parameter) and the tracer in a bundle', { timeout: 60_000 }, () => {
  it('Lambda (the default): the function is told tracing is off and never loads the tracer', async () => {
    expect(await coldStart({})).toEqual({ statusCode: 400, xray: false, env: 'false' });
  });

  it('None: the same, without X-Ray segments', async () => {
    expect(await coldStart({ XRayTracing: 'None' })).toEqual({ statusCode: 400, xray: false, env: 'false' });
  });

  it("Full: the variable is left to Powertools' default (on in Lambda) and the tracer loads from the layer", async () => {
    expect(await coldStart({ XRayTracing: 'Full' }, { NODE_PATH: projectModules })).toEqual({
      statusCode: 400,
      xray: true,
      env: 'undefined',
    });
  });

  it('Full without the layer: the cold start fails naming the layer parameter', async () => {
    await expect(coldStart({ XRayTracing: 'Full' })).rejects.toThrow(
      /with XRayTracing=Full the template attaches the Powertools layer \(parameter PowertoolsLayer\)/,
    );
  });

  it('the bundle carries no tracer code, and the layer the template names is the version the code is built against', async () => {
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.filter((input) => /aws-xray-sdk|powertools\/tracer/.test(input))).toEqual([]);
    const template = readTemplate(DEFAULT_TEMPLATE) as {
      Parameters: { PowertoolsLayer: { Default: string } };
    };
    const installed = JSON.parse(
      readFileSync(join(projectModules, '@aws-lambda-powertools', 'tracer', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(template.Parameters.PowertoolsLayer.Default).toBe(
      `/aws/service/powertools/typescript/generic/all/${installed.version}`,
    );
  });
});
