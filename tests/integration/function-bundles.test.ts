import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_CONTENT_TYPE } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import type { Platform } from '#local/platform.ts';
import { DEFAULT_STACK_NAME, healthResourceName } from '#local/template/local-identity.ts';
import { buildFunctions, type FunctionBundle } from '../../scripts/build-functions.ts';
import { awsClientsFor, queueDepth } from '../helpers/aws-clients.ts';
import { invokeBundle } from '../helpers/lambda-bundle.ts';
import { startTestPlatform, waitFor } from '../helpers/platform.ts';

/**
 * The artifacts that ship are the ones tested: every function is bundled as `sam build` bundles it,
 * then each bundle, alone in a temp dir, answers its fixture event (events/<LogicalId>.json) from a
 * fresh Node 22 process against a local platform exactly as its source does in-process against an
 * equally fresh one: same return value, same tables, queues and buckets afterwards.
 */

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const devDependencies = Object.keys(
  (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { devDependencies: object })
    .devDependencies,
);
/** Project folders that never ship in a function. */
const LOCAL_ONLY = /^(local|tests|bench|scripts|web)\//;
/**
 * What the local runtime's hooks were known by when they lived in the deployed code: the metric-totals
 * and `@connections` handler registries on `globalThis`, and the in-process transport's switch.
 */
const LOCAL_HOOK_TRACES = [
  'realtime-platform.metric-totals',
  'realtime-platform.connections-request-handlers',
  'RTP_INPROCESS_CONNECTIONS',
  'metricTotalsSnapshot',
  'serveConnectionsInProcess',
];
/** The object S3ObjectsFunction's fixture event names: two good lines and a bad one. */
const S3_FIXTURE_OBJECT = [
  '{"vehicleId":"9","ts":1763900000000,"data":{"speed":20}}',
  '{"vehicleId":"9","channel":"engine","ts":1763900000500,"data":{"engineTemp":91}}',
  '{"vehicleId":"","data":{}}',
].join('\n');

/**
 * The order the fixtures run in, on both sides: the connection first (later actions need it),
 * readings before the reads that return them, the disconnect last.
 */
const STEPS = [
  'WsAuthorizerFunction',
  'WsConnectFunction',
  'WsActionsFunction',
  'WsRoomsFunction',
  'WsBidsFunction',
  'WsCommandFunction',
  'RestReadingsFunction',
  'IotTelemetryFunction',
  'KinesisTelemetryFunction',
  'QueueMessagesFunction',
  'S3ObjectsFunction',
  'JobsApiFunction',
  'JobsWorkerFunction',
  'SalesCatalogueUpdaterFunction',
  'SalesCatalogueFunction',
  'ItemsApiFunction',
  'StreamFanoutFunction',
  'HistoryWriterFunction',
  'WsExpirySweeperFunction',
  'WsDisconnectFunction',
];

interface StepOutcome {
  /** The handler's return value, or the error it failed with. */
  answer: unknown;
  /** Tables, queue depths and bucket keys once the platform settled. */
  state: unknown;
}

type Invoke = (platform: Platform, logicalId: string, event: unknown) => Promise<unknown>;

const fixtureEvent = (logicalId: string): unknown =>
  JSON.parse(readFileSync(join(projectRoot, 'events', `${logicalId}.json`), 'utf8'));

let buildDir: string;
let bundles: FunctionBundle[];
const outcomes: Record<'source' | 'bundle', Record<string, StepOutcome>> = { source: {}, bundle: {} };

beforeAll(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'rtp-build-'));
  bundles = await buildFunctions({ buildDir });
  // One fresh platform after the other: the functions' SDK endpoints live in process.env.
  outcomes.source = await runFixtures((platform, logicalId, event) => platform.invoke(logicalId, event));
  outcomes.bundle = await runFixtures(invokeBundleOf);
}, 180_000);

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('function bundles', () => {
  it('cover every function of the template, each with a fixture event and a step', () => {
    expect(bundles.map((bundle) => bundle.logicalId).sort()).toEqual([...STEPS].sort());
    for (const logicalId of STEPS) expect(fixtureEvent(logicalId)).toBeTypeOf('object');
  });

  it.each(STEPS)('%s carries no local-only code and no dev dependency', (logicalId) => {
    const bundle = bundles.find((candidate) => candidate.logicalId === logicalId) as FunctionBundle;
    const inputs = Object.keys(bundle.metafile.inputs);
    expect(inputs.filter((path) => LOCAL_ONLY.test(path))).toEqual([]);
    expect(
      inputs.map(packageOf).filter((name) => name !== undefined && devDependencies.includes(name)),
    ).toEqual([]);
  });

  it.each(['StreamFanoutFunction', 'RestReadingsFunction'])(
    "%s carries none of the local runtime's hooks",
    (logicalId) => {
      const bundle = bundles.find((candidate) => candidate.logicalId === logicalId) as FunctionBundle;
      const code = readFileSync(bundle.bundlePath, 'utf8');
      expect(LOCAL_HOOK_TRACES.filter((trace) => code.includes(trace))).toEqual([]);
    },
  );

  it.each(STEPS)(
    '%s bundle answers its fixture like its source, from a fresh Node 22 process',
    (logicalId) => {
      const source = outcomes.source[logicalId] as StepOutcome;
      const bundle = outcomes.bundle[logicalId] as StepOutcome;
      expect(bundle.answer).toEqual(source.answer);
      expect(bundle.state).toEqual(source.state);
    },
  );
});

/** `../main/node_modules/@scope/name/lib/x.js` → `@scope/name` (paths as esbuild's metafile has them). */
function packageOf(path: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
}

/** Runs every step on a fresh platform with `invoke`, recording what each answered and left behind. */
async function runFixtures(invoke: Invoke): Promise<Record<string, StepOutcome>> {
  // The stack name `npm start` uses, so the fixtures' resource names (the S3 event's bucket) hold as written.
  // The history writer runs as its own step only: off the stream, the history table does not
  // depend on how far its batching window got when a step's state is read.
  const platform = await startTestPlatform({ stackName: DEFAULT_STACK_NAME, history: false });
  const aws = awsClientsFor(platform);
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: platform.endpoints.dynamodb }),
  );
  const results: Record<string, StepOutcome> = {};
  try {
    for (const logicalId of STEPS) {
      const event = fixtureEvent(logicalId);
      if (logicalId === 'S3ObjectsFunction') await putFixtureObject(platform, aws, documents, event);
      let answer: unknown;
      try {
        answer = await readable(plain(await invoke(platform, logicalId, event)));
      } catch (error) {
        answer = { failed: (error as Error).message };
      }
      await settle(platform, aws);
      results[logicalId] = {
        answer: normalise(answer),
        state: normalise(await stateOf(platform, aws, documents)),
      };
    }
    return results;
  } finally {
    for (const client of Object.values(aws)) client.destroy();
    documents.destroy();
    await platform.stop();
  }
}

/** Invokes the function's bundle in a fresh Node 22 process with only its environment and the SDK's. */
const invokeBundleOf: Invoke = async (platform, logicalId, event) => {
  const bundle = bundles.find((candidate) => candidate.logicalId === logicalId) as FunctionBundle;
  const model = platform.template.functions.find((fn) => fn.logicalId === logicalId);
  if (!model) throw new Error(`no function ${logicalId} on the platform`);
  const sdk = Object.entries(process.env).filter(
    ([name]) =>
      ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].includes(name) ||
      name.startsWith('AWS_ENDPOINT_URL_'),
  ) as Array<[string, string]>;
  const outcome = await invokeBundle({
    artifactDir: bundle.artifactDir,
    bundleFile: bundle.bundlePath.slice(bundle.artifactDir.length + 1),
    exportName: model.exportName,
    functionName: logicalId,
    env: { ...model.environment, ...Object.fromEntries(sdk) },
    event,
    // Lambda gives the cold start (init) 10 s, then the invocation the function's timeout.
    timeoutMs: 10_000 + model.timeoutSeconds * 1000,
  });
  if (!outcome.ok) throw new Error(`${outcome.error}\n${outcome.output}`);
  return outcome.result;
};

/**
 * The object of S3ObjectsFunction's event, put in the bucket. Putting it raises the local S3
 * notification (the source function ingests it in-process); once that is done, what it wrote is
 * removed, so the fixture's invocation starts from the state the other steps left.
 */
async function putFixtureObject(
  platform: Platform,
  aws: ReturnType<typeof awsClientsFor>,
  documents: DynamoDBDocumentClient,
  event: unknown,
) {
  type S3Location = { bucket: { name: string }; object: { key: string } };
  const record = (event as { Records: Array<{ s3: S3Location }> }).Records[0];
  if (!record) throw new Error('events/S3ObjectsFunction.json has no record');
  const { bucket, object } = record.s3;
  const itemsTable = platform.resources.realTimeDataTable as string;
  await aws.s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: object.key, Body: S3_FIXTURE_OBJECT }));
  const s3Items = async () => (await scanTable(documents, itemsTable)).filter((item) => item.source === 's3');
  const reportKey = `rejected/${object.key}.json`;
  await waitFor(
    async () => (await s3Items()).length === 2 && (await bucketKeys(aws, bucket.name)).includes(reportKey),
    'the local notification to ingest the fixture object',
    15_000,
  );
  for (const item of await s3Items())
    await documents.send(
      new DeleteCommand({ TableName: itemsTable, Key: { itemKey: item.itemKey, channel: item.channel } }),
    );
  await aws.s3.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: reportKey }));
}

/** Waits until every queue a function reads is drained (its consumer ran and deleted the messages). */
async function settle(platform: Platform, aws: ReturnType<typeof awsClientsFor>) {
  const consumed = platform.template.functions.flatMap((fn) =>
    fn.events.flatMap((event) => (event.kind === 'SQS' ? [queueUrlOf(platform, event.queueLogicalId)] : [])),
  );
  await waitFor(
    async () =>
      (await Promise.all(consumed.map((url) => queueDepth(aws.sqs, url)))).every((depth) => depth === 0),
    'the queues the functions read to drain',
    20_000,
  );
}

function queueUrlOf(platform: Platform, logicalId: string): string {
  const url = platform.resources[`${healthResourceName(logicalId)}Url`];
  if (!url) throw new Error(`no local URL for queue ${logicalId}`);
  return url;
}

/** Every table's items, every queue's depth and every bucket's keys, in a stable order. */
async function stateOf(
  platform: Platform,
  aws: ReturnType<typeof awsClientsFor>,
  documents: DynamoDBDocumentClient,
) {
  const tables: Record<string, unknown[]> = {};
  // An item past its TTL is gone for every read; DynamoDB Local deletes it whenever its sweep comes
  // round (the history rows of the writer's fixture, applied in 2025, expired long ago), so leave it out.
  const now = Date.now() / 1000;
  for (const table of platform.template.tables) {
    const items = await scanTable(documents, table.tableName);
    tables[table.logicalId] = items
      .filter((item) => !(typeof item.expiresAt === 'number' && item.expiresAt < now))
      .sort(byJson);
  }
  const queues: Record<string, number> = {};
  const buckets: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(platform.resources).sort()) {
    if (name.endsWith('QueueUrl')) queues[name] = await queueDepth(aws.sqs, value);
    else if (name.endsWith('Bucket')) buckets[name] = (await bucketKeys(aws, value)).sort();
  }
  return { tables, queues, buckets };
}

async function scanTable(documents: DynamoDBDocumentClient, tableName: string) {
  const items: Array<Record<string, unknown>> = [];
  for await (const page of paginateScan({ client: documents }, { TableName: tableName }))
    items.push(...(page.Items ?? []));
  return items;
}

async function bucketKeys(aws: ReturnType<typeof awsClientsFor>, bucket: string): Promise<string[]> {
  const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key as string);
}

const byJson = (a: unknown, b: unknown) =>
  JSON.stringify(normalise(a)).localeCompare(JSON.stringify(normalise(b)));

/** As JSON carries it (what a Lambda answer is): undefined fields dropped, undefined itself kept. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * An answer whose body is a SQLite database (GET /sales/catalogue) with its rows instead: the file's
 * bytes carry page counters and times that differ between two runs, its rows must not.
 */
async function readable(answer: unknown): Promise<unknown> {
  const response = answer as { headers?: Record<string, string>; body?: string } | undefined;
  if (response?.headers?.['content-type'] !== SQLITE_CONTENT_TYPE || response.body === undefined)
    return answer;
  const database = new (await loadSqlJs()).Database(Buffer.from(response.body, 'base64'));
  try {
    const [products] = database.exec('SELECT * FROM products ORDER BY id');
    return { ...response, body: { columns: products?.columns, rows: products?.values } };
  } finally {
    database.close();
  }
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Room message ids: base-36 time, then 12 random characters (lib/core/room-messages.ts). */
const MESSAGE_ID = /\b[0-9a-z]{9}-[0-9a-f]{12}\b/g;
/**
 * What differs between two runs by nature: ids, clocks, content hashes, TTLs (a room message's is
 * days out), and a connection's action count, which restarts with each 10 s rate window (where the
 * window boundary falls differs per run), and stream sequence numbers (`seq`, and the history's
 * `channelTs` that ends with one), which DynamoDB Local hands out by its own clock.
 */
const VOLATILE_KEYS = new Set(['etag', 'ETag', 'requestId', 'expiresAt', 'actions', 'seq', 'channelTs']);

/**
 * Replaces what differs between two runs by nature — random ids, times of this run (ms or s,
 * within a few days of now), ETags — with placeholders; JSON bodies are normalised inside.
 */
function normalise(value: unknown, key?: string): unknown {
  if (key !== undefined && VOLATILE_KEYS.has(key)) return `<${key}>`;
  if (typeof value === 'number') {
    const now = Date.now();
    if (Math.abs(value - now) < 3 * 86_400_000) return '<time-ms>';
    if (Math.abs(value - now / 1000) < 3 * 86_400) return '<time-s>';
    return value;
  }
  if (typeof value === 'string') {
    if (key === 'body' && /^[[{]/.test(value)) return normalise(JSON.parse(value));
    return value.replace(UUID, '<uuid>').replace(MESSAGE_ID, '<message-id>');
  }
  if (Array.isArray(value)) return value.map((inner) => normalise(inner));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, normalise(inner, name)]));
  return value;
}
