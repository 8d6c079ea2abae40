/**
 * Child process of scripts/validate-template.ts: loads every function of a template as its cold start
 * does — the module's top level parses its environment with `loadConfig` — and reports, over IPC, the
 * functions whose module throws. Started with an environment of Lambda's own variables only, so nothing
 * the developer exported can stand in for a variable the template forgot.
 *
 * argv: <template path> <parameter overrides as JSON>
 */
import { existsSync } from 'node:fs';
import { InProcessFunctions } from '#local/lambda/in-process-functions.ts';
import { loadTemplate, readTemplate } from '#local/template/load-template.ts';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  localArn,
  stackResourceName,
} from '#local/template/local-identity.ts';

/** One function whose module failed to load. */
export interface FunctionConfigFailure {
  logicalId: string;
  message: string;
}

const STACK_NAME = 'rtp-template-check';

/**
 * Values shaped like the ones CloudFormation returns, so URL- or ARN-typed variables built from them
 * parse as they will on AWS (the local runtime's `local:<Id>` placeholders are no hostnames).
 */
function awsShapedResource(resources: Record<string, { Type?: string }>) {
  return (logicalId: string, attribute?: string): string => {
    const type = resources[logicalId]?.Type ?? '';
    const name = stackResourceName(STACK_NAME, logicalId).toLowerCase();
    if (attribute === 'Arn') {
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return localArn(service, name);
    }
    if (attribute !== undefined) return `${name}-${attribute.toLowerCase()}`;
    if (type === 'AWS::SQS::Queue')
      return `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT_ID}/${name}`;
    if (type === 'AWS::SNS::Topic') return localArn('sns', name);
    // Bucket names, API ids, function names: one lowercase DNS label.
    return name;
  };
}

async function checkFunctionConfig(
  templatePath: string,
  parameters: Record<string, string>,
): Promise<FunctionConfigFailure[]> {
  const { Resources } = readTemplate(templatePath) as { Resources: Record<string, { Type?: string }> };
  const template = loadTemplate(templatePath, {
    stackName: STACK_NAME,
    region: LOCAL_REGION,
    parameters,
    resolveResource: awsShapedResource(Resources),
  });
  const failures: FunctionConfigFailure[] = [];
  // A missing entry file is the parent's static check; loading it would only repeat that error.
  for (const model of template.functions.filter((fn) => existsSync(fn.entryPoint))) {
    try {
      await InProcessFunctions.load([model]);
    } catch (error) {
      failures.push({ logicalId: model.logicalId, message: (error as Error).message });
    }
  }
  return failures;
}

const [templatePath = 'template.yaml', parametersJson = '{}'] = process.argv.slice(2);
let answer: { failures: FunctionConfigFailure[] } | { error: string };
try {
  answer = { failures: await checkFunctionConfig(templatePath, JSON.parse(parametersJson)) };
} catch (error) {
  answer = { error: (error as Error).message };
}
// Loaded modules may hold timers or sockets open (SDK agents, metrics flushes): exit once the answer is out.
process.send?.(answer, () => process.exit(0));
