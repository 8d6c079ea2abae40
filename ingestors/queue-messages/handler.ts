import { EventType } from '@aws-lambda-powertools/batch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { DynamoWidgetStore } from '#adapters/dynamo-widget-store.ts';
import { S3ObjectStore } from '#adapters/s3-object-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { ingestSettingsOf } from '#runtime/ingest-settings.ts';
import { batchHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { queueRecordHandler } from '#runtime/queue-record.ts';

/** Reads the ingest queue: readings, widget requests and claim checks, raw or in SNS envelopes. */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    REQUESTS_TABLE: z.string().check(z.minLength(3)),
    DEAD_LETTER_QUEUE_URL: z.url(),
    REQUEST_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(60), z.lte(2_592_000)), 86_400),
  }),
);
const tools = powertoolsFor('queue-messages');
const documents = createDocumentClient();
const handleRecord = queueRecordHandler(
  {
    items: new DynamoItemStore(documents, config.ITEMS_TABLE),
    widgets: new DynamoWidgetStore(
      documents,
      { items: config.ITEMS_TABLE, requests: config.REQUESTS_TABLE },
      config.REQUEST_TTL_SECONDS,
    ),
    objects: new S3ObjectStore(new S3Client({})),
    deadLetters: new SqsDeadLetterQueue(new SQSClient({}), config.DEAD_LETTER_QUEUE_URL),
  },
  tools,
  ingestSettingsOf(config),
);

// In order: a widget's create and update in one batch must not race (the update would find no widget).
export const handler = batchHandler(EventType.SQS, () => handleRecord, tools, { inOrder: true });
