/**
 * Bundles every `AWS::Serverless::Function` of template.yaml the way `sam build` does (aws-lambda-builders'
 * nodejs_npm_esbuild workflow), from each function's `Metadata.BuildProperties`, into
 * `.aws-sam/build/<LogicalId>/`, with esbuild's metafile beside it (`<LogicalId>.metafile.json`).
 * Run: `npm run build:functions [-- --only <LogicalId|folder>]`.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { readTemplate } from '#local/template/load-template.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_TEMPLATE = join(projectRoot, 'template.yaml');
const DEFAULT_BUILD_DIR = join(projectRoot, '.aws-sam', 'build');

/** A BuildProperties value or template construct this build cannot do as SAM would. */
export class BuildPropertiesError extends Error {}

/** One function's bundle. */
export interface FunctionBundle {
  logicalId: string;
  /** `.aws-sam/build/<LogicalId>`: the function's whole artifact (what Lambda unpacks). */
  artifactDir: string;
  /** The entry point's output, e.g. `<artifactDir>/handler.mjs`. */
  bundlePath: string;
  /** Bytes of every file in the artifact (the bundle, and its source map when there is one). */
  bytes: number;
  /** Bytes of the bundle alone. */
  bundleBytes: number;
  metafile: Metafile;
  metafilePath: string;
}

interface BuildFunctionsOptions {
  templatePath?: string;
  /** Default `.aws-sam/build` of the project. */
  buildDir?: string;
  /** Only these functions: logical ids, or folders of their entry points (`ingestors/kinesis-telemetry`, `ws-connect`). */
  only?: readonly string[];
  /** Called once per built function. */
  onBuilt?: (bundle: FunctionBundle) => void;
}

type Json = unknown;
type FunctionResource = {
  Type: string;
  Properties?: { CodeUri?: Json; Environment?: { Variables?: Record<string, Json> } };
  Metadata?: { BuildMethod?: Json; BuildProperties?: Record<string, Json> };
};

/**
 * How SAM maps each BuildProperties key to esbuild (aws-lambda-builders `esbuild.py`: boolean flags
 * only when `true`, single values `--key=value`, lists `--key:item` per item). SAM CLI itself turns
 * the PascalCase keys into esbuild's snake_case ones.
 */
const PROPERTY_MAPPERS: Record<string, (value: Json, where: string) => BuildOptions> = {
  EntryPoints: () => ({}),
  Minify: (value) => ({ minify: value === true }),
  Sourcemap: (value) => ({ sourcemap: value === true }),
  Target: (value) => ({ target: String(value) }),
  Format: (value, where) => ({ format: oneOf(value, ['cjs', 'esm', 'iife'] as const, where) }),
  MainFields: (value) => ({ mainFields: String(value).split(',') }),
  SourcesContent: (value) => ({ sourcesContent: String(value) !== 'false' }),
  External: (value, where) => ({ external: list(value, where) }),
  Loader: (value, where) => ({
    loader: Object.fromEntries(list(value, where).map((item) => pair(item, where))) as BuildOptions['loader'],
  }),
  OutExtension: (value, where) => ({
    outExtension: Object.fromEntries(list(value, where).map((item) => pair(item, where))),
  }),
  Banner: (value, where) => ({
    banner: Object.fromEntries(list(value, where).map((item) => pair(item, where))),
  }),
};

/**
 * The esbuild options `sam build` uses for one function: its defaults (bundle, platform node,
 * target es2020, format cjs, minify), overridden by BuildProperties, and Sourcemap turned on when
 * the function's NODE_OPTIONS has `--enable-source-maps` and BuildProperties leave Sourcemap unset.
 * @throws BuildPropertiesError for a key SAM does not know or a value it would refuse.
 */
export function esbuildOptionsOf(
  logicalId: string,
  buildProperties: Record<string, Json>,
  nodeOptions: string | undefined,
): BuildOptions & { entryPoints: string[] } {
  const where = `${logicalId}.Metadata.BuildProperties`;
  const entryPoints = buildProperties.EntryPoints;
  if (!Array.isArray(entryPoints) || entryPoints.length === 0)
    throw new BuildPropertiesError(`${where}.EntryPoints must be a non-empty list`);
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'es2020',
    format: 'cjs',
    minify: true,
  };
  for (const [key, value] of Object.entries(buildProperties)) {
    const mapper = PROPERTY_MAPPERS[key];
    if (!mapper)
      throw new BuildPropertiesError(
        `${where}.${key} is not an esbuild property SAM knows (${Object.keys(PROPERTY_MAPPERS).join(', ')})`,
      );
    Object.assign(options, mapper(value, `${where}.${key}`));
  }
  if (buildProperties.Sourcemap === undefined && nodeOptions?.split(/\s+/).includes('--enable-source-maps'))
    options.sourcemap = true;
  return { ...options, entryPoints: entryPoints.map(String) };
}

/**
 * Builds the template's esbuild functions (all, or `only` some) into `buildDir/<LogicalId>/`.
 * @throws BuildPropertiesError for build metadata SAM would not build; esbuild's errors as they are.
 */
export async function buildFunctions(options: BuildFunctionsOptions = {}): Promise<FunctionBundle[]> {
  const templatePath = resolve(options.templatePath ?? DEFAULT_TEMPLATE);
  const buildDir = resolve(options.buildDir ?? DEFAULT_BUILD_DIR);
  const template = readTemplate(templatePath) as {
    Globals?: { Function?: { CodeUri?: Json; Environment?: { Variables?: Record<string, Json> } } };
    Resources: Record<string, FunctionResource>;
  };
  const globals = template.Globals?.Function ?? {};
  const functions = Object.entries(template.Resources).filter(
    ([, resource]) =>
      resource.Type === 'AWS::Serverless::Function' && resource.Metadata?.BuildMethod === 'esbuild',
  );
  const selected = options.only?.length
    ? functions.filter(([logicalId, resource]) =>
        options.only?.some((name) => matches(name, logicalId, resource)),
      )
    : functions;
  if (options.only?.length && selected.length === 0)
    throw new BuildPropertiesError(`no esbuild function matches ${options.only.join(', ')}`);

  const bundles: FunctionBundle[] = [];
  for (const [logicalId, resource] of selected) {
    const codeUri = resource.Properties?.CodeUri ?? globals.CodeUri;
    if (typeof codeUri !== 'string')
      throw new BuildPropertiesError(`${logicalId}: CodeUri must be a local path for an esbuild function`);
    const nodeOptions =
      resource.Properties?.Environment?.Variables?.NODE_OPTIONS ??
      globals.Environment?.Variables?.NODE_OPTIONS;
    const esbuildOptions = esbuildOptionsOf(
      logicalId,
      resource.Metadata?.BuildProperties ?? {},
      typeof nodeOptions === 'string' ? nodeOptions : undefined,
    );
    const workingDir = resolve(dirname(templatePath), codeUri);
    const artifactDir = join(buildDir, logicalId);
    rmSync(artifactDir, { recursive: true, force: true });
    const result = await build({
      ...esbuildOptions,
      absWorkingDir: workingDir,
      outdir: artifactDir,
      metafile: true,
      logLevel: 'silent',
    });
    const metafilePath = `${artifactDir}.metafile.json`;
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(metafilePath, JSON.stringify(result.metafile));
    const outputs = Object.entries(result.metafile.outputs);
    const entryOutput = outputs.find(([, output]) => output.entryPoint !== undefined);
    if (!entryOutput) throw new Error(`${logicalId}: esbuild wrote no entry point output`);
    // Metafile paths are relative to the working directory.
    const absolute = (path: string) => resolve(workingDir, path);
    const bundle: FunctionBundle = {
      logicalId,
      artifactDir,
      bundlePath: absolute(entryOutput[0]),
      bytes: outputs.reduce((sum, [path]) => sum + statSync(absolute(path)).size, 0),
      bundleBytes: entryOutput[1].bytes,
      metafile: result.metafile,
      metafilePath,
    };
    options.onBuilt?.(bundle);
    bundles.push(bundle);
  }
  return bundles;
}

function matches(name: string, logicalId: string, resource: FunctionResource): boolean {
  if (name === logicalId) return true;
  const folder = name.replace(/\/+$/, '');
  const entryPoints = resource.Metadata?.BuildProperties?.EntryPoints;
  return (Array.isArray(entryPoints) ? entryPoints : []).some((entry) => {
    const entryDir = dirname(String(entry));
    return entryDir === folder || entryDir.endsWith(`/${folder}`);
  });
}

function list(value: Json, where: string): string[] {
  if (!Array.isArray(value)) throw new BuildPropertiesError(`${where} must be a list`);
  return value.map(String);
}

/** `.js=.mjs`, `js=<text>`, `.wasm=binary`: split at the first `=`, as esbuild's CLI does. */
function pair(item: string, where: string): [string, string] {
  const at = item.indexOf('=');
  if (at <= 0) throw new BuildPropertiesError(`${where}: "${item}" is not of the form key=value`);
  return [item.slice(0, at), item.slice(at + 1)];
}

function oneOf<T extends string>(value: Json, allowed: readonly T[], where: string): T {
  if (!allowed.includes(value as T))
    throw new BuildPropertiesError(`${where} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const only: string[] = [];
  for (let index = 0; index < args.length; index += 2) {
    const value = args[index + 1];
    if (args[index] !== '--only' || value === undefined) {
      console.error(`usage: npm run build:functions [-- --only <LogicalId|folder>]... (at ${args[index]})`);
      process.exit(2);
    }
    only.push(value);
  }
  const started = performance.now();
  try {
    const bundles = await buildFunctions({
      only,
      onBuilt: (bundle) =>
        console.log(
          `${bundle.logicalId.padEnd(32)} ${kib(bundle.bundleBytes).padStart(11)}  ${relative(projectRoot, bundle.bundlePath)}` +
            (bundle.bytes > bundle.bundleBytes
              ? ` (+ ${kib(bundle.bytes - bundle.bundleBytes)} source map)`
              : ''),
        ),
    });
    console.log(
      `built ${bundles.length} functions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (error) {
    console.error(`build:functions: ${(error as Error).message}`);
    process.exit(1);
  }
}
