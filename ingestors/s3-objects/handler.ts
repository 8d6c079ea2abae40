import { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { S3ObjectStore } from '#adapters/s3-object-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { decodeEventKey, ingestObject } from '#core/ingest-object.ts';
import { BaseEnvSchema, loadConfig, ObjectLimitsEnvSchema } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { countReadings } from '#runtime/outcomes.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * An object created under `ingest/` (JSON, NDJSON or CSV readings), read as a stream: good lines
 * ingested, bad lines (and an object refused or stopped part way) reported in `rejected/<key>.json`.
 * Failures throw, so S3's asynchronous invocation retries the event, then sends it to the on-failure queue.
 */
const config = loadConfig(z.extend(BaseEnvSchema, ObjectLimitsEnvSchema.shape));
const tools = powertoolsFor('s3-objects');
const deps = {
  items: new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE),
  objects: new S3ObjectStore(new S3Client({})),
};

export const handler = observedHandler<S3Event, void>(async (event) => {
  for (const record of event.Records) {
    const location = { bucket: record.s3.bucket.name, key: decodeEventKey(record.s3.object.key) };
    const outcome = await ingestObject(location, deps, {
      keyAttribute: config.REAL_TIME_ITEM_KEY,
      source: 's3',
      now: systemClock.now(),
      maxObjectBytes: config.OBJECT_MAX_BYTES,
      // Readings without ts take the event's time: a redelivered event is a duplicate, a new upload newer.
      sourceTime: Date.parse(record.eventTime),
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    });
    if (outcome.kind === 'gone') {
      tools.logger.warn('object is gone', location);
      continue;
    }
    countReadings(tools, { accepted: outcome.accepted, stale: outcome.accepted - outcome.applied });
    if (outcome.kind === 'refused') {
      tools.metrics.addMetric('ObjectsRefused', 'Count', 1);
      tools.logger.warn('object refused', { ...location, reason: outcome.reason });
    }
    if (outcome.rejected > 0) {
      tools.metrics.addMetric('LinesRejected', 'Count', outcome.rejected);
      tools.logger.warn('object has bad lines', { ...location, rejected: outcome.rejected });
    }
  }
}, tools);
