import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { createLocalKinesisClient, type Kinesalite, startKinesalite } from '#local/emulators/kinesalite.ts';
import { KinesisPoller } from '#local/event-sources/kinesis-poller.ts';
import { sendToFailureQueue } from '#local/event-sources/on-failure-queue.ts';
import { eventSource, functionEvents } from '#local/template/function-events.ts';
import { healthResourceName, stackResourceName } from '#local/template/local-identity.ts';
import type { LocalTemplate } from '#local/template/model.ts';
import type { AttachContext, LocalService, ServiceStarted } from './local-service.ts';

const ACTIVE_TIMEOUT_MS = 10_000;

/** An AWS::Kinesis::Stream of the template, as created in kinesalite. */
interface LocalStream {
  logicalId: string;
  name: string;
  arn: string;
  shardCount: number;
}

/**
 * Kinesis Data Streams on this machine: kinesalite embedded (in memory, 127.0.0.1), every
 * `AWS::Kinesis::Stream` of the template created, and a {@link KinesisPoller} per `Type: Kinesis`
 * event of a function. Functions reach it through `AWS_ENDPOINT_URL_KINESIS`.
 */
export function kinesisService(port: number): LocalService {
  let kinesalite: Kinesalite | undefined;
  let client: KinesisClient | undefined;
  const streams = new Map<string, LocalStream>();
  const pollers = new Map<string, KinesisPoller>();
  let failuresSent = 0;

  return {
    name: 'kinesis',

    async start({ template, log }): Promise<ServiceStarted> {
      kinesalite = await startKinesalite({ port });
      client = createLocalKinesisClient(kinesalite.endpoint, template.region);
      for (const [logicalId, resource] of Object.entries(template.resources)) {
        if (resource.Type !== 'AWS::Kinesis::Stream') continue;
        const stream = await createStream(client, template, logicalId);
        streams.set(logicalId, stream);
        log(`kinesis: stream ${stream.name} (${stream.shardCount} shard(s)) on ${kinesalite.endpoint}`);
      }
      return {
        endpoints: { kinesis: kinesalite.endpoint },
        resources: Object.fromEntries(
          [...streams.values()].map((stream) => [healthResourceName(stream.logicalId), stream.name]),
        ),
        sdkEnvironment: { AWS_ENDPOINT_URL_KINESIS: kinesalite.endpoint },
        resolveResource: (logicalId, attribute) => {
          const stream = streams.get(logicalId);
          if (stream === undefined) return undefined;
          if (attribute === undefined) return stream.name;
          return attribute === 'Arn' ? stream.arn : undefined;
        },
      };
    },

    async attach({ template, invoker, log }: AttachContext): Promise<void> {
      if (client === undefined) throw new Error('kinesis service is not started');
      for (const found of functionEvents(template, 'Kinesis')) {
        const { fn, event } = found;
        const stream = eventSource(streams, event.sourceLogicalId, found, 'AWS::Kinesis::Stream');
        const poller = new KinesisPoller({
          client,
          streamName: stream.name,
          functionLogicalId: fn.logicalId,
          eventSource: event,
          invoker,
          idleDelayMs: 20,
          region: template.region,
          onFailure: async (failure) => {
            log(
              `${fn.logicalId}: discarded ${failure.KinesisBatchInfo.batchSize} Kinesis records ` +
                `(${failure.requestContext.condition}; on-failure destination ${event.onFailureQueueLogicalId ?? 'none'})`,
            );
            if (await sendToFailureQueue(template, event.onFailureQueueLogicalId, failure, log))
              failuresSent++;
          },
          onError: (error) => log(`${fn.logicalId} kinesis poller: ${(error as Error).message}`),
        });
        await poller.start();
        pollers.set(`${fn.logicalId}.${event.name}`, poller);
      }
    },

    stats() {
      return {
        streams: Object.fromEntries([...streams.values()].map((stream) => [stream.logicalId, stream.name])),
        pollers: Object.fromEntries([...pollers].map(([name, poller]) => [name, poller.stats])),
        failuresSent,
      };
    },

    async stop() {
      await Promise.all([...pollers.values()].map((poller) => poller.stop()));
      pollers.clear();
      client?.destroy();
      await kinesalite?.stop();
    },
  };
}

async function createStream(
  client: KinesisClient,
  template: LocalTemplate,
  logicalId: string,
): Promise<LocalStream> {
  const props = template.resources[logicalId]?.Properties ?? {};
  const name =
    props.Name === undefined
      ? stackResourceName(template.stackName, logicalId)
      : String(template.resolve(props.Name));
  const shardCount = props.ShardCount === undefined ? 1 : Number(template.resolve(props.ShardCount));
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new Error(`${logicalId}: ShardCount must be a positive integer, not ${String(shardCount)}`);
  }
  // StreamEncryption has no local meaning (kinesalite stores plain data); the records read back the same.
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  let summary = await waitActive(client, name);
  const retention =
    props.RetentionPeriodHours === undefined ? 24 : Number(template.resolve(props.RetentionPeriodHours));
  if (retention > 24) {
    await client.send(
      new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: retention }),
    );
    summary = await waitActive(client, name);
  }
  return { logicalId, name, arn: summary.StreamARN ?? '', shardCount };
}

async function waitActive(client: KinesisClient, name: string) {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { StreamDescriptionSummary: summary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (summary?.StreamStatus === 'ACTIVE') return summary;
    if (Date.now() > deadline)
      throw new Error(`kinesis stream ${name} is not ACTIVE after ${ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
