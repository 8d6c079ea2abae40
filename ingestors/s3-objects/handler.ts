import { S3Client } from '@aws-sdk/client-s3';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { S3ObjectStore } from '#adapters/s3-object-store.ts';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig, ObjectLimitsEnvSchema } from '#runtime/config.ts';
import { ingestSettingsOf } from '#runtime/ingest-settings.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { objectEventHandler } from '#runtime/object-event.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * An object created under `ingest/` (JSON, NDJSON or CSV readings), read as a stream: good lines
 * ingested, bad lines (and an object refused or stopped part way) reported in `rejected/<key>.json`.
 * Failures throw, so S3's asynchronous invocation retries the event, then sends it to the on-failure queue.
 */
const config = loadConfig(z.extend(BaseEnvSchema, ObjectLimitsEnvSchema.shape));
const tools = powertoolsFor('s3-objects');
const handleEvent = objectEventHandler(
  {
    items: new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE),
    objects: new S3ObjectStore(new S3Client({})),
  },
  tools,
  { ...ingestSettingsOf(config), maxObjectBytes: config.OBJECT_MAX_BYTES },
);

export const handler = observedHandler(handleEvent, tools);
