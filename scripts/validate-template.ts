/**
 * What `cfn-lint` cannot know about this project's template.yaml (cfn-lint checks types, properties,
 * references and SAM against AWS's own specs; tests/unit/cfn-lint.test.ts runs it):
 * - every function's esbuild entry point exists under CodeUri and exports the Handler's export;
 * - every function's environment (Globals + its own, intrinsics resolved as the local runtime resolves
 *   them) passes that function's config schema: the module is loaded as at cold start, in a child
 *   process (scripts/check-function-config.ts), once per deployed parameter set;
 * - every resource and event source type is one the local runtime runs or one it knowingly does not
 *   (local/template/local-support.ts).
 *
 * Usage: `npm run validate:template [template.yaml]` prints one error per line, exit 1 if any.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTemplate } from '#local/template/load-template.ts';
import { LOCAL_REGION } from '#local/template/local-identity.ts';
import {
  EVENT_TYPES_NOT_RUN_LOCALLY,
  LOCAL_EVENT_TYPES,
  LOCAL_RESOURCE_TYPES,
  NOT_RUN_LOCALLY,
} from '#local/template/local-support.ts';
import type { FunctionConfigFailure } from './check-function-config.ts';

/** Template parameter values, by parameter name. */
export type ParameterSet = Readonly<Record<string, string>>;

/**
 * The ways the stack is deployed (samconfig.toml, README "Deploy to AWS"): open (develop, and the local
 * runtime's default) and with JWT auth, given the issuer parameters the template's Rules require.
 */
const DEPLOYED_PARAMETER_SETS: Readonly<Record<string, ParameterSet>> = {
  'AuthMode=none': { AuthMode: 'none' },
  'AuthMode=jwt': {
    AuthMode: 'jwt',
    JwksUrl: 'https://issuer.example.com/.well-known/jwks.json',
    JwtIssuer: 'https://issuer.example.com',
    JwtAudience: 'example-app-client',
    IngestApiKeys: 'example-ingest-key',
  },
};

interface ValidateTemplateOptions {
  /** Parameter sets each function's environment is checked under, by label. Default DEPLOYED_PARAMETER_SETS. */
  parameterSets?: Readonly<Record<string, ParameterSet>>;
}

interface ValidateTemplateResult {
  errors: string[];
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SUPPORT_FILE = 'local/template/local-support.ts';
const CONFIG_CHECK_SCRIPT = fileURLToPath(new URL('./check-function-config.ts', import.meta.url));
/** Loading ~20 handlers with their SDK clients takes seconds; a module that hangs at load must not hang us. */
const CONFIG_CHECK_TIMEOUT_MS = 120_000;

/** Resource and event source types outside both lists of local/template/local-support.ts. */
function checkLocalSupport(resources: Obj): string[] {
  const errors: string[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const type = isObj(resource) ? String(resource.Type) : 'undefined';
    if (!(type in LOCAL_RESOURCE_TYPES) && !(type in NOT_RUN_LOCALLY)) {
      errors.push(
        `Resources.${id}.Type: ${type} is neither run by the local runtime nor listed as not run locally (${SUPPORT_FILE})`,
      );
    }
    if (type !== 'AWS::Serverless::Function' || !isObj(resource) || !isObj(resource.Properties)) continue;
    const events = isObj(resource.Properties.Events) ? resource.Properties.Events : {};
    for (const [name, event] of Object.entries(events)) {
      const eventType = isObj(event) ? String(event.Type) : 'undefined';
      if (!LOCAL_EVENT_TYPES.has(eventType) && !(eventType in EVENT_TYPES_NOT_RUN_LOCALLY)) {
        errors.push(
          `Resources.${id}.Properties.Events.${name}.Type: event source ${eventType} is neither run by the local runtime nor listed as not run locally (${SUPPORT_FILE})`,
        );
      }
    }
  }
  return errors;
}

/** esbuild entry points exist under CodeUri, and the one the Handler names exports the Handler's export. */
function checkEntryPoints(id: string, resource: Obj, globals: Obj, templateDir: string): string[] {
  const merged: Obj = { ...globals, ...(isObj(resource.Properties) ? resource.Properties : {}) };
  const build = isObj(resource.Metadata) ? resource.Metadata.BuildProperties : undefined;
  const entryPoints = isObj(build) ? build.EntryPoints : undefined;
  const where = `Resources.${id}.Metadata.BuildProperties.EntryPoints`;
  if (!Array.isArray(entryPoints) || entryPoints.length === 0) return [`${where}: no esbuild entry point`];
  const codeUri = typeof merged.CodeUri === 'string' ? merged.CodeUri : '.';
  const handler = String(merged.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return [`Resources.${id}.Properties.Handler: ${handler} is not <module>.<export>`];
  const [handlerModule, handlerExport] = [handler.slice(0, dot), handler.slice(dot + 1)];

  const errors: string[] = [];
  const found: { entry: string; file: string }[] = [];
  for (const [i, entry] of entryPoints.entries()) {
    const file = path.resolve(templateDir, codeUri, String(entry));
    if (existsSync(file) && statSync(file).isFile()) found.push({ entry: String(entry), file });
    else errors.push(`${where}[${i}]: entry point ${String(entry)} does not exist under CodeUri ${codeUri}`);
  }
  if (errors.length > 0) return errors;
  // esbuild names each output after its entry file, so the Handler's module picks the entry point.
  const target = found.find(({ entry }) => entryBaseName(entry) === path.basename(handlerModule));
  if (!target) return [`Resources.${id}.Properties.Handler: module ${handlerModule} matches no entry point`];
  if (!exportsName(target.file, handlerExport)) {
    return [`${where}: entry point ${target.entry} does not export ${handlerExport} (Handler ${handler})`];
  }
  return [];
}

function entryBaseName(entry: string): string {
  return path.basename(entry).replace(/\.[cm]?[jt]sx?$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A text check, not a parse: `export const|let|var|function|class <name>` or `export { … <name> … }`. */
function exportsName(file: string, name: string): boolean {
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
 * Loads every function in a child process with a clean environment (Lambda's variables only): the
 * validator's own environment must not satisfy a schema the template does not, and handler modules'
 * load-time effects (SDK clients, Powertools, X-Ray hooks) stay out of this process.
 */
function checkFunctionConfig(
  templatePath: string,
  label: string,
  parameters: ParameterSet,
  skip: ReadonlySet<string>,
): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), CONFIG_CHECK_SCRIPT, templatePath, JSON.stringify(parameters)],
      {
        cwd: path.dirname(CONFIG_CHECK_SCRIPT),
        env: {
          AWS_REGION: LOCAL_REGION,
          AWS_DEFAULT_REGION: LOCAL_REGION,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
        },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        timeout: CONFIG_CHECK_TIMEOUT_MS,
      },
    );
    let stderr = '';
    let answer: { failures?: FunctionConfigFailure[]; error?: string } | undefined;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('message', (message) => {
      answer = message as typeof answer;
    });
    child.on('close', (code, signal) => {
      if (answer?.failures) {
        resolve(
          answer.failures
            .filter(({ logicalId }) => !skip.has(logicalId))
            .map(
              ({ logicalId, message }) =>
                `Resources.${logicalId}.Properties.Environment [${label}]: cold start fails: ${message}`,
            ),
        );
      } else {
        const why = answer?.error ?? (stderr.trim() || `exit ${code ?? signal}`);
        resolve([`${templatePath} [${label}]: the local runtime cannot load the functions: ${why}`]);
      }
    });
  });
}

/**
 * Runs the checks cfn-lint cannot make (see the file's TSDoc). Never throws on template content: an
 * unreadable or unparsable file is reported as an error.
 */
export async function validateTemplate(
  templatePath: string,
  options: ValidateTemplateOptions = {},
): Promise<ValidateTemplateResult> {
  const absolute = path.resolve(templatePath);
  let template: unknown;
  try {
    template = readTemplate(absolute);
  } catch (cause) {
    return { errors: [`${templatePath}: cannot read or parse: ${(cause as Error).message}`] };
  }
  if (!isObj(template) || !isObj(template.Resources)) {
    return { errors: [`${templatePath}: not a template (no Resources map)`] };
  }
  const resources = template.Resources;
  const globals =
    isObj(template.Globals) && isObj(template.Globals.Function) ? template.Globals.Function : {};
  const errors = checkLocalSupport(resources);
  // A function whose entry point is reported would only fail to load for the same reason.
  const badEntryPoints = new Set<string>();
  for (const [id, resource] of Object.entries(resources)) {
    if (!isObj(resource) || resource.Type !== 'AWS::Serverless::Function') continue;
    const entryErrors = checkEntryPoints(id, resource, globals, path.dirname(absolute));
    if (entryErrors.length > 0) badEntryPoints.add(id);
    errors.push(...entryErrors);
  }
  const sets = Object.entries(options.parameterSets ?? DEPLOYED_PARAMETER_SETS);
  const configErrors = await Promise.all(
    sets.map(([label, parameters]) => checkFunctionConfig(absolute, label, parameters, badEntryPoints)),
  );
  return { errors: [...errors, ...configErrors.flat()] };
}

async function main(argv: readonly string[]): Promise<number> {
  const templatePath = argv[0] ?? 'template.yaml';
  const { errors } = await validateTemplate(templatePath);
  for (const error of errors) console.error(error);
  if (errors.length > 0) {
    console.error(`${templatePath}: ${errors.length} error(s)`);
    return 1;
  }
  console.log(`${templatePath}: OK`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
