import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { sendToFailureQueue } from '#local/event-sources/on-failure-queue.ts';
import {
  type ObjectCreated,
  type S3NotificationTarget,
  S3Notifier,
} from '#local/event-sources/s3-notifications.ts';
import { SqsPoller } from '#local/event-sources/sqs-poller.ts';
import type { LambdaInvoker } from '#local/lambda/invoker.ts';
import { eventSource, functionEvents } from '#local/template/function-events.ts';
import {
  healthResourceName,
  LOCAL_CREDENTIALS,
  localArn,
  stackResourceName,
} from '#local/template/local-identity.ts';
import type { LocalTemplate, RawResource } from '#local/template/model.ts';
import type { AttachContext, LocalService, ServiceStarted } from './local-service.ts';

/** Queue attributes of AWS::SQS::Queue that fauxqs honours (the rest, e.g. SSE, has no local meaning). */
const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

/** Subscription attributes of AWS::SNS::Subscription that fauxqs honours. */
const SUBSCRIPTION_ATTRIBUTES = ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy'];

interface LocalQueue {
  name: string;
  url: string;
  arn: string;
}

/** The part of fauxqs' S3 store the notifications read (size and ETag of a created object). */
interface FauxqsS3Store {
  headObject(bucket: string, key: string): { contentLength: number; etag: string };
}

type FauxqsStores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>['stores']>;

interface FauxqsServiceOptions {
  port: number;
  /** Delay before the first retry of a failed S3 notification. Default 200 ms. */
  s3RetryDelayMs?: number;
}

/** The SDK clients the service creates the template's resources with (and the SQS pollers read with). */
interface FauxqsClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
}

/**
 * SQS, SNS and S3 on one port: fauxqs embedded (its `buildApp()`, listening on 127.0.0.1 — its
 * `startFauxqs()` binds every interface), with the template's queues (redrive included: fauxqs
 * moves a message received more than maxReceiveCount times), topics, SQS subscriptions (raw delivery
 * honoured) and buckets created. Attaches an {@link SqsPoller} per `Type: SQS` event and raises S3
 * notifications for `Type: S3` events itself, from a hook on the emulator's object-creating responses.
 */
export function fauxqsService(options: FauxqsServiceOptions | number): LocalService {
  const { port, s3RetryDelayMs } =
    typeof options === 'number' ? { port: options, s3RetryDelayMs: undefined } : options;
  const resources = new FauxqsResources();
  const pollers = new Map<string, SqsPoller>();
  let app: ReturnType<typeof buildApp> | undefined;
  let clients: FauxqsClients | undefined;
  let notifier: S3Notifier | undefined;

  return {
    name: 'fauxqs',

    async start({ template, log }): Promise<ServiceStarted> {
      const served = await startFauxqsApp(port, log, () => notifier);
      app = served.app;
      const { endpoint } = served;
      const config = { endpoint, region: template.region, credentials: LOCAL_CREDENTIALS };
      clients = { sqs: new SQSClient(config), sns: new SNSClient(config), s3: new S3Client(config) };
      await resources.create(template, clients, log);
      log(`fauxqs: ${resources.summary()} on ${endpoint}`);
      return {
        endpoints: { sqs: endpoint, sns: endpoint, s3: endpoint },
        resources: resources.forHealth(),
        // One endpoint serves all three. It is an IP literal, so S3 clients address buckets
        // path-style by themselves (virtual-hosted `bucket.127.0.0.1` cannot resolve).
        sdkEnvironment: {
          AWS_ENDPOINT_URL_SQS: endpoint,
          AWS_ENDPOINT_URL_SNS: endpoint,
          AWS_ENDPOINT_URL_S3: endpoint,
        },
        resolveResource: (logicalId, attribute) => resources.resolve(logicalId, attribute),
      };
    },

    async attach({ template, invoker, log }: AttachContext): Promise<void> {
      if (!clients) throw new Error('fauxqs service is not started');
      startSqsPollers(template, resources, { client: clients.sqs, invoker, log }, pollers);
      notifier = new S3Notifier({
        invoker,
        targets: s3NotificationTargets(template, resources),
        region: template.region,
        log,
        sendToFailureQueue: (queueLogicalId, record) =>
          sendToFailureQueue(template, queueLogicalId, record, log),
        ...(s3RetryDelayMs === undefined ? {} : { retryDelayMs: s3RetryDelayMs }),
      });
    },

    stats() {
      return {
        queues: Object.fromEntries(
          [...resources.queues].map(([logicalId, queue]) => [logicalId, queue.name]),
        ),
        pollers: Object.fromEntries([...pollers].map(([name, poller]) => [name, poller.stats])),
        s3Notifications: notifier?.stats ?? {},
      };
    },

    async stop() {
      await Promise.all([...pollers.values()].map((poller) => poller.stop()));
      pollers.clear();
      await notifier?.stop();
      if (clients) for (const client of Object.values(clients)) client.destroy();
      await app?.close();
    },
  };
}

/**
 * fauxqs listening on 127.0.0.1 with the two S3 behaviours it lacks: conditional PutObject, and a
 * notification to `notifierOf()` (once attached) for each object a response created.
 */
async function startFauxqsApp(
  port: number,
  log: (line: string) => void,
  notifierOf: () => S3Notifier | undefined,
): Promise<{ app: ReturnType<typeof buildApp>; endpoint: string }> {
  const stores = await createStores();
  const s3Store = stores.s3Store as unknown as FauxqsS3Store;
  const app = buildApp({ logger: false, stores });
  app.addHook('onResponse', async (request, reply) => {
    const created = objectCreatedBy(request, reply.statusCode);
    const notifier = notifierOf();
    if (created === undefined || notifier === undefined) return;
    try {
      const object = s3Store.headObject(created.bucket, created.key);
      notifier.objectCreated({
        ...created,
        size: object.contentLength,
        eTag: object.etag.replaceAll('"', ''),
      });
    } catch (error) {
      log(
        `fauxqs: no S3 notification for s3://${created.bucket}/${created.key}: ${(error as Error).message}`,
      );
    }
  });
  app.addHook('preHandler', (request, reply, done) => {
    const refusal = conditionalPutRefusal(request, s3Store);
    if (refusal === undefined) return done();
    reply.code(refusal.status).header('content-type', 'application/xml').send(refusal.xml);
  });
  await app.listen({ port, host: '127.0.0.1' });
  // A fastify instance is thenable: wrapped, so awaiting the result does not await the app.
  return { app, endpoint: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/**
 * Starts an {@link SqsPoller} per `Type: SQS` event of the template's functions, each put in `pollers`
 * (by `<Function>.<Event>`) as it starts, so that a later failure still stops it.
 */
function startSqsPollers(
  template: LocalTemplate,
  resources: FauxqsResources,
  { client, invoker, log }: { client: SQSClient; invoker: LambdaInvoker; log: (line: string) => void },
  pollers: Map<string, SqsPoller>,
): void {
  for (const found of functionEvents(template, 'SQS')) {
    const { fn, event } = found;
    const queue = eventSource(resources.queues, event.queueLogicalId, found, 'AWS::SQS::Queue');
    const poller = new SqsPoller({
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionLogicalId: fn.logicalId,
      eventSource: event,
      invoker,
      region: template.region,
      onError: (error) => log(`${fn.logicalId} sqs poller: ${(error as Error).message}`),
    });
    poller.start();
    pollers.set(`${fn.logicalId}.${event.name}`, poller);
  }
}

/** What each `Type: S3` event of the template's functions is notified of. */
function s3NotificationTargets(template: LocalTemplate, resources: FauxqsResources): S3NotificationTarget[] {
  const targets: S3NotificationTarget[] = [];
  for (const found of functionEvents(template, 'S3')) {
    const { fn, event } = found;
    const bucketName = eventSource(resources.buckets, event.bucketLogicalId, found, 'AWS::S3::Bucket');
    targets.push({
      functionLogicalId: fn.logicalId,
      configurationId: `${fn.logicalId}-${event.name}`,
      bucketName,
      events: event.events,
      ...(event.prefix === undefined ? {} : { prefix: event.prefix }),
      ...(event.suffix === undefined ? {} : { suffix: event.suffix }),
      ...fn.asyncInvoke,
    });
  }
  return targets;
}

/** The template's queues, topics, subscriptions and buckets as created in fauxqs, by logical id. */
class FauxqsResources {
  readonly queues = new Map<string, LocalQueue>();
  readonly topics = new Map<string, { name: string; arn: string }>();
  readonly buckets = new Map<string, string>();
  readonly subscriptions = new Map<string, string>();

  /** The local value of `Ref X` / `GetAtt X.attribute` for a resource created here, else undefined. */
  resolve(logicalId: string, attribute?: string): string | undefined {
    const queue = this.queues.get(logicalId);
    if (queue) {
      if (attribute === undefined || attribute === 'QueueUrl') return queue.url;
      if (attribute === 'Arn') return queue.arn;
      if (attribute === 'QueueName') return queue.name;
      return undefined;
    }
    const topic = this.topics.get(logicalId);
    if (topic) {
      if (attribute === undefined || attribute === 'TopicArn') return topic.arn;
      if (attribute === 'TopicName') return topic.name;
      return undefined;
    }
    const bucket = this.buckets.get(logicalId);
    if (bucket) {
      if (attribute === undefined) return bucket;
      if (attribute === 'Arn') return `arn:aws:s3:::${bucket}`;
      if (attribute === 'DomainName' || attribute === 'RegionalDomainName') return `127.0.0.1/${bucket}`;
      return undefined;
    }
    if (attribute === undefined) return this.subscriptions.get(logicalId);
    return undefined;
  }

  /** Creates them in dependency order: dead-letter queues, the other queues, topics, subscriptions, buckets. */
  async create(template: LocalTemplate, sdk: FauxqsClients, log: (line: string) => void): Promise<void> {
    const ofType = (type: string) =>
      Object.entries(template.resources).filter(([, resource]) => resource.Type === type);
    // Placeholders of resources created by then (`local:X.Arn`) become their values.
    const propsOf = (resource: RawResource) =>
      (replacePlaceholders(template.resolve(resource.Properties ?? {}), (id, attribute) =>
        this.resolve(id, attribute),
      ) ?? {}) as Record<string, unknown>;

    // Dead-letter queues first: a RedrivePolicy names its DLQ's ARN.
    const queues = ofType('AWS::SQS::Queue');
    const redriven = (resource: RawResource) => resource.Properties?.RedrivePolicy !== undefined;
    for (const [logicalId, resource] of [
      ...queues.filter(([, r]) => !redriven(r)),
      ...queues.filter(([, r]) => redriven(r)),
    ]) {
      await this.#createQueue(template, sdk.sqs, logicalId, propsOf(resource));
    }
    for (const [logicalId, resource] of ofType('AWS::SNS::Topic')) {
      await this.#createTopic(template, sdk.sns, logicalId, propsOf(resource), log);
    }
    for (const [logicalId, resource] of ofType('AWS::SNS::Subscription')) {
      const arn = await subscribe(sdk.sns, logicalId, propsOf(resource), log);
      if (arn) this.subscriptions.set(logicalId, arn);
    }
    for (const [logicalId, resource] of ofType('AWS::S3::Bucket')) {
      const props = propsOf(resource);
      const name =
        props.BucketName === undefined
          ? bucketNameOf(stackResourceName(template.stackName, logicalId))
          : String(props.BucketName);
      await sdk.s3.send(new CreateBucketCommand({ Bucket: name }));
      this.buckets.set(logicalId, name);
    }
  }

  /** `3 queue(s), 1 topic(s), 2 bucket(s)`. */
  summary(): string {
    return `${this.queues.size} queue(s), ${this.topics.size} topic(s), ${this.buckets.size} bucket(s)`;
  }

  /** Their entries in /health's `resources`: `<queue>Url`, `<topic>Arn`, `<bucket>`. */
  forHealth(): Record<string, string> {
    return Object.fromEntries([
      ...[...this.queues].map(([logicalId, queue]) => [`${healthResourceName(logicalId)}Url`, queue.url]),
      ...[...this.topics].map(([logicalId, topic]) => [`${healthResourceName(logicalId)}Arn`, topic.arn]),
      ...[...this.buckets].map(([logicalId, bucket]) => [healthResourceName(logicalId), bucket]),
    ]);
  }

  async #createQueue(
    template: LocalTemplate,
    sqs: SQSClient,
    logicalId: string,
    props: Record<string, unknown>,
  ): Promise<void> {
    const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
    const name =
      props.QueueName === undefined
        ? `${stackResourceName(template.stackName, logicalId)}${fifo ? '.fifo' : ''}`
        : String(props.QueueName);
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: stringAttributes(props, QUEUE_ATTRIBUTES) }),
    );
    this.queues.set(logicalId, {
      name,
      url: created.QueueUrl ?? '',
      arn: localArn('sqs', name, template.region),
    });
  }

  /** The topic and its inline `Subscription`s. */
  async #createTopic(
    template: LocalTemplate,
    sns: SNSClient,
    logicalId: string,
    props: Record<string, unknown>,
    log: (line: string) => void,
  ): Promise<void> {
    const name =
      props.TopicName === undefined
        ? stackResourceName(template.stackName, logicalId)
        : String(props.TopicName);
    const created = await sns.send(new CreateTopicCommand({ Name: name }));
    this.topics.set(logicalId, { name, arn: created.TopicArn ?? '' });
    const inline = (props.Subscription ?? []) as Array<{ Protocol?: unknown; Endpoint?: unknown }>;
    for (const [index, subscription] of inline.entries()) {
      await subscribe(
        sns,
        `${logicalId}.Subscription.${index}`,
        { TopicArn: created.TopicArn, Protocol: subscription.Protocol, Endpoint: subscription.Endpoint },
        log,
      );
    }
  }
}

/** An SQS subscription (the only protocol emulated locally); its ARN, or undefined for another protocol. */
async function subscribe(
  sns: SNSClient,
  where: string,
  props: Record<string, unknown>,
  log: (line: string) => void,
): Promise<string | undefined> {
  if (String(props.Protocol) !== 'sqs') {
    log(`fauxqs: ${where}: protocol ${String(props.Protocol)} is not emulated locally (only sqs)`);
    return undefined;
  }
  const result = await sns.send(
    new SubscribeCommand({
      TopicArn: String(props.TopicArn),
      Protocol: 'sqs',
      Endpoint: String(props.Endpoint),
      Attributes: stringAttributes(props, SUBSCRIPTION_ATTRIBUTES),
      ReturnSubscriptionArn: true,
    }),
  );
  return result.SubscriptionArn;
}

/** The `names` that `props` sets, as the string attributes SQS and SNS take (objects as JSON). */
function stringAttributes(props: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = props[name];
    if (value === undefined) continue;
    attributes[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return attributes;
}

/**
 * fauxqs' own stores, so queue URLs use the address clients reach (http://127.0.0.1:<port>/…):
 * its default store host `localhost` gives `sqs.<region>.localhost` URLs that Node cannot resolve,
 * and the SQS client sends to a queue URL's host when the endpoint comes from the environment.
 * The stores are not in fauxqs' export map, so they are loaded beside its entry point (1.9.2).
 */
async function createStores(): Promise<FauxqsStores> {
  const entry = import.meta.resolve('fauxqs');
  const load = async <T>(path: string, name: string) =>
    ((await import(new URL(path, entry).href)) as Record<string, new () => T>)[name] as new () => T;
  const SqsStore = await load<FauxqsStores['sqsStore'] & { host: string }>('./sqs/sqsStore.js', 'SqsStore');
  const SnsStore = await load<FauxqsStores['snsStore']>('./sns/snsStore.js', 'SnsStore');
  const S3Store = await load<FauxqsStores['s3Store']>('./s3/s3Store.js', 'S3Store');
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

/** What the S3 hooks read of a fastify request. */
interface ServedRequest {
  method: string;
  routeOptions: { url?: string };
  params: unknown;
  query: unknown;
  headers: Record<string, unknown>;
}

/**
 * Emulates S3 conditional writes, which fauxqs 1.9.2 ignores on PutObject: `If-Match: <etag>`
 * (412 PreconditionFailed when the object changed, 404 NoSuchKey when it is gone) and
 * `If-None-Match: *` (412 when the object exists). It runs as a synchronous preHandler, so no other
 * request's write can land between the check and fauxqs' own handler storing the object.
 */
function conditionalPutRefusal(
  request: ServedRequest,
  store: FauxqsS3Store,
): { status: number; xml: string } | undefined {
  if (request.method !== 'PUT' || request.routeOptions.url !== '/:bucket/*') return undefined;
  const ifMatch = request.headers['if-match'];
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifMatch !== 'string' && typeof ifNoneMatch !== 'string') return undefined;
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (query.uploadId !== undefined || query.partNumber !== undefined) return undefined;
  const params = request.params as { bucket?: string; '*'?: string };
  if (!params.bucket || !params['*']) return undefined;
  let etag: string | undefined;
  try {
    etag = store.headObject(params.bucket, params['*']).etag;
  } catch {
    etag = undefined;
  }
  const error = (status: number, code: string, message: string) => ({
    status,
    xml: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  });
  if (typeof ifMatch === 'string') {
    if (etag === undefined) return error(404, 'NoSuchKey', 'The specified key does not exist.');
    if (ifMatch.replaceAll('"', '') !== etag.replaceAll('"', '')) {
      return error(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
  }
  if (ifNoneMatch === '*' && etag !== undefined) {
    return error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  return undefined;
}

/** The object creation a served request made (PutObject, CopyObject, CompleteMultipartUpload), if any. */
function objectCreatedBy(
  request: ServedRequest,
  status: number,
): Omit<ObjectCreated, 'size' | 'eTag'> | undefined {
  if (status !== 200 || request.routeOptions.url !== '/:bucket/*') return undefined;
  const params = request.params as { bucket?: string; '*'?: string };
  const bucket = params.bucket;
  const key = params['*'];
  if (!bucket || !key) return undefined;
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (request.method === 'PUT' && query.uploadId === undefined && query.partNumber === undefined) {
    const copy = request.headers['x-amz-copy-source'] !== undefined;
    return { bucket, key, eventName: copy ? 'ObjectCreated:Copy' : 'ObjectCreated:Put' };
  }
  if (request.method === 'POST' && typeof query.uploadId === 'string') {
    return { bucket, key, eventName: 'ObjectCreated:CompleteMultipartUpload' };
  }
  return undefined;
}

function replacePlaceholders(
  value: unknown,
  resolve: (logicalId: string, attribute?: string) => string | undefined,
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /local:([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?/g,
      (match, id: string, attribute?: string) => resolve(id, attribute) ?? match,
    );
  }
  if (Array.isArray(value)) return value.map((inner) => replacePlaceholders(inner, resolve));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, replacePlaceholders(inner, resolve)]),
    );
  }
  return value;
}

/** S3 bucket names: 3–63 characters, lower-case letters, digits, dots and hyphens. */
function bucketNameOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 63)
    .replace(/[-.]+$/, '');
}
