import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { connectAsync } from 'mqtt';
import { RejectReportSchema } from '#contracts/queue-message.ts';
import {
  REJECT_BODY_ENCODING_ATTRIBUTE,
  REJECT_CODE_ATTRIBUTE,
  REJECT_REASON_ATTRIBUTE,
  REJECT_SOURCES,
  type RejectSource,
} from '#contracts/rejects.ts';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#local/template/local-identity.ts';
import type { LocalEnv } from '../local-config.ts';
import { fetchHealth, type Health } from './platform-client.ts';

/** One kept reject, as `rtp rejects` shows it. */
export interface RejectEntry {
  source: RejectSource;
  sentAt: number;
  code: string;
  reason: string;
  /** The original bytes (base64 bodies decoded). */
  payload: Buffer;
  /** The sender kept the bytes as base64 (`BodyEncoding=base64`): they are not text. */
  binary: boolean;
  /** Message attributes besides the reason: Topic, PartitionKey, SequenceNumber, SourceMessageId. */
  ids: Record<string, string>;
}

/** What a replay of one source did. */
interface ReplayOutcome {
  source: RejectSource;
  replayed: number;
  applied: number;
  rejectedAgain: number;
  /** Replayed but not yet counted by the ingestor when the wait ended (still on their way, not lost). */
  pending: number;
}

/**
 * How the ingestor of each replayable source counts one input (its metrics in /health
 * `stats.metrics`): exactly one of `applied` or `rejected` grows per message or record.
 */
const OUTCOME_METRICS: Record<
  Exclude<RejectSource, 's3'>,
  { service: string; applied: string[]; rejected: string }
> = {
  mqtt: {
    service: 'iot-telemetry',
    applied: ['ReadingsIngested', 'ReadingsStale'],
    rejected: 'ReadingsRejected',
  },
  kinesis: {
    service: 'kinesis-telemetry',
    applied: ['ReadingsIngested', 'ReadingsStale'],
    rejected: 'RecordsRejected',
  },
  queue: { service: 'queue-messages', applied: ['MessagesApplied'], rejected: 'MessagesRejected' },
};

/** How long received rejects stay hidden from other readers while they are listed or replayed. */
const HOLD_SECONDS = 60;
const PREVIEW_CHARS = 72;

/**
 * `rtp rejects [--source s] [--replay] [--limit n] [--wait seconds]`: prints the rejects of each
 * source (or what their replay did) and returns the same.
 */
export async function runRejects(
  env: LocalEnv,
  options: { sources: RejectSource[]; replay: boolean; limit: number; waitSeconds: number },
  print: (line: string) => void = console.log,
): Promise<{ listed: RejectEntry[]; replayed: ReplayOutcome[] }> {
  const health = await fetchHealth(env.RTP_URL, env.RTP_TOKEN);
  const clients = awsClients(health);
  try {
    if (!options.replay) {
      const listed: RejectEntry[] = [];
      for (const source of options.sources) {
        const entries = await listRejects(clients, health, source);
        listed.push(...entries);
        const where = health.resources[REJECT_SOURCES[source].resource] ?? '(not in /health)';
        print(`${source}: ${entries.length} reject(s) in ${where}`);
        for (const entry of entries.slice(0, options.limit)) print(`  ${describeReject(entry)}`);
      }
      return { listed, replayed: [] };
    }
    const outcomes: ReplayOutcome[] = [];
    for (const source of options.sources) {
      if (source === 's3') {
        print('s3: reject reports are not replayed; put the object under ingest/ again once fixed');
        continue;
      }
      const outcome = await replayRejects(clients, health, env, source, options.waitSeconds * 1000);
      outcomes.push(outcome);
      print(
        `${source}: replayed ${outcome.replayed}: ${outcome.applied} applied, ${outcome.rejectedAgain} rejected again` +
          (outcome.pending > 0 ? `, ${outcome.pending} not yet processed` : '') +
          (outcome.rejectedAgain > 0
            ? ` (kept in ${health.resources[REJECT_SOURCES[source].resource]})`
            : ''),
      );
    }
    return { listed: [], replayed: outcomes };
  } finally {
    clients.sqs.destroy();
    clients.s3.destroy();
  }
}

interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
}

function awsClients(health: Health): AwsClients {
  const endpoint = health.endpoints.sqs;
  if (endpoint === undefined) {
    throw new Error('the platform has no SQS endpoint in /health (with AuthMode=jwt set RTP_TOKEN)');
  }
  const config = {
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  };
  return {
    sqs: new SQSClient(config),
    s3: new S3Client({ ...config, endpoint: health.endpoints.s3 ?? endpoint }),
  };
}

/** The rejects of one source, newest first. Queue messages are received and released again (visible). */
async function listRejects(
  clients: AwsClients,
  health: Health,
  source: RejectSource,
): Promise<RejectEntry[]> {
  if (source === 's3') return listRejectReports(clients.s3, health);
  const queueUrl = queueOf(health, source);
  const messages = await receiveAll(clients.sqs, queueUrl);
  await Promise.all(
    messages.map((message) =>
      clients.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ),
  );
  return messages.map((message) => toEntry(source, message)).sort((a, b) => b.sentAt - a.sentAt);
}

/**
 * Sends every reject of `source` back through its ingestor the way it first came (MQTT republished
 * to its topic, Kinesis put on the stream with its partition key, SQS sent to the ingest queue),
 * deleting each from the reject queue once it is sent (so a failed send leaves it there), then waits
 * until the ingestor has counted every one. Those rejected again are back in the reject queue.
 */
async function replayRejects(
  clients: AwsClients,
  health: Health,
  env: LocalEnv,
  source: Exclude<RejectSource, 's3'>,
  waitMs: number,
): Promise<ReplayOutcome> {
  const queueUrl = queueOf(health, source);
  const messages = await receiveAll(clients.sqs, queueUrl);
  const before = await outcomeCounts(env, source);
  const send = await senderFor(health, clients, source);
  try {
    for (const message of messages) {
      await send(toEntry(source, message));
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  } finally {
    await send.close();
  }
  const deadline = Date.now() + waitMs;
  let counted = { applied: 0, rejected: 0 };
  for (;;) {
    const now = await outcomeCounts(env, source);
    counted = { applied: now.applied - before.applied, rejected: now.rejected - before.rejected };
    if (counted.applied + counted.rejected >= messages.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const rejectedAgain = Math.min(counted.rejected, messages.length);
  const applied = Math.min(counted.applied, messages.length - rejectedAgain);
  return {
    source,
    replayed: messages.length,
    applied,
    rejectedAgain,
    pending: messages.length - applied - rejectedAgain,
  };
}

type Sender = ((entry: RejectEntry) => Promise<void>) & { close(): Promise<void> };

async function senderFor(
  health: Health,
  clients: AwsClients,
  source: Exclude<RejectSource, 's3'>,
): Promise<Sender> {
  if (source === 'mqtt') {
    const url = health.endpoints.mqtt;
    if (url === undefined) throw new Error('the platform has no MQTT broker in /health');
    const client = await connectAsync(url, { protocolVersion: 4, clientId: `rtp-rejects-${process.pid}` });
    return Object.assign(
      async (entry: RejectEntry) => {
        const topic = entry.ids.Topic;
        if (topic === undefined)
          throw new Error('an MQTT reject without its Topic attribute cannot be replayed');
        await client.publishAsync(topic, entry.payload, { qos: 1 });
      },
      { close: () => client.endAsync() },
    );
  }
  if (source === 'kinesis') {
    const endpoint = health.endpoints.kinesis;
    const streamName = health.resources.telemetryStream;
    if (endpoint === undefined || streamName === undefined)
      throw new Error('the platform has no Kinesis stream');
    const client = createLocalKinesisClient(endpoint);
    return Object.assign(
      async (entry: RejectEntry) => {
        await client.send(
          new PutRecordCommand({
            StreamName: streamName,
            Data: entry.payload,
            PartitionKey: entry.ids.PartitionKey ?? 'replay',
          }),
        );
      },
      { close: async () => client.destroy() },
    );
  }
  const queueUrl = health.resources.ingestQueueUrl;
  if (queueUrl === undefined) throw new Error('the platform has no ingest queue');
  return Object.assign(
    async (entry: RejectEntry) => {
      await clients.sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: entry.payload.toString('utf8') }),
      );
    },
    // The SQS client is the caller's (it reads the reject queue too).
    { close: async () => {} },
  );
}

/** The ingestor's running totals of applied and rejected inputs (/health `stats.metrics`). */
async function outcomeCounts(
  env: LocalEnv,
  source: Exclude<RejectSource, 's3'>,
): Promise<{ applied: number; rejected: number }> {
  const response = await fetch(`${env.RTP_URL}/health`, {
    headers: env.RTP_TOKEN ? { authorization: `Bearer ${env.RTP_TOKEN}` } : {},
  });
  const body = (await response.json()) as { stats?: { metrics?: Record<string, Record<string, unknown>> } };
  const { service, applied, rejected } = OUTCOME_METRICS[source];
  const metrics = body.stats?.metrics?.[service] ?? {};
  const count = (name: string) => (typeof metrics[name] === 'number' ? (metrics[name] as number) : 0);
  return { applied: applied.reduce((sum, name) => sum + count(name), 0), rejected: count(rejected) };
}

function queueOf(health: Health, source: RejectSource): string {
  const url = health.resources[REJECT_SOURCES[source].resource];
  if (url === undefined) {
    throw new Error(`/health names no ${REJECT_SOURCES[source].resource} (with AuthMode=jwt set RTP_TOKEN)`);
  }
  return url;
}

/** Every message of the queue, held invisible for {@link HOLD_SECONDS}. */
async function receiveAll(client: SQSClient, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const output = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: HOLD_SECONDS,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    const batch = output.Messages ?? [];
    if (batch.length === 0) return messages;
    messages.push(...batch);
  }
}

function toEntry(source: RejectSource, message: Message): RejectEntry {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue ?? '']),
  );
  const {
    [REJECT_CODE_ATTRIBUTE]: code = '(none: failed every receive)',
    [REJECT_REASON_ATTRIBUTE]: reason = '',
    [REJECT_BODY_ENCODING_ATTRIBUTE]: encoding,
    Source: _source,
    ...ids
  } = attributes;
  const body = message.Body ?? '';
  return {
    source,
    sentAt: Number(message.Attributes?.SentTimestamp ?? 0),
    code,
    reason,
    payload: encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    binary: encoding === 'base64',
    ids,
  };
}

/** S3 reject reports (`rejected/<key>.json`), newest first: one entry per rejected line. */
async function listRejectReports(client: S3Client, health: Health): Promise<RejectEntry[]> {
  const bucket = health.resources[REJECT_SOURCES.s3.resource];
  if (bucket === undefined) return [];
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'rejected/' }));
  const entries: RejectEntry[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
    const parsed = RejectReportSchema.safeParse(JSON.parse((await got.Body?.transformToString()) ?? 'null'));
    if (!parsed.success) continue;
    for (const line of parsed.data.rejected) {
      entries.push({
        source: 's3',
        sentAt: parsed.data.rejectedAt,
        code: line.code,
        reason: line.reason,
        payload: Buffer.from(`s3://${parsed.data.bucket}/${parsed.data.key} line ${line.line}`),
        binary: false,
        ids: { Object: parsed.data.key },
      });
    }
  }
  return entries.sort((a, b) => b.sentAt - a.sentAt);
}

/**
 * One line of the listing: time, code, reason and the start of the bytes, as text, or as `base64:…`
 * when the sender kept them as base64 (not text: printed raw they would garble the terminal).
 */
export function describeReject(
  entry: Pick<RejectEntry, 'sentAt' | 'code' | 'reason' | 'payload' | 'binary'>,
): string {
  const shown = entry.binary
    ? `base64:${entry.payload.toString('base64')}`
    : entry.payload.toString('utf8').replace(/\s+/g, ' ');
  const preview = shown.length > PREVIEW_CHARS ? `${shown.slice(0, PREVIEW_CHARS)}…` : shown;
  return `${new Date(entry.sentAt).toISOString()}  ${entry.code}  ${entry.reason}  ${preview}`;
}
