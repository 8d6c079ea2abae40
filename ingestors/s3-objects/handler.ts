import { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { S3ObjectStore } from '#adapters/s3-object-store.ts';
import { decodeEventKey, ingestObject } from '#core/ingest-object.ts';
import { systemClock } from '#core/ports.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * An object created under `ingest/` (JSON, NDJSON or CSV readings): good lines ingested, bad lines
 * reported in `rejected/<key>.json`. Failures throw, so S3's asynchronous invocation retries the event.
 */
const config = loadConfig(BaseEnvSchema);
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
      // Readings without ts take the event's time: a redelivered event is a duplicate, a new upload newer.
      sourceTime: Date.parse(record.eventTime),
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    });
    if (outcome.kind === 'gone') {
      tools.logger.warn('object is gone', location);
      continue;
    }
    tools.metrics.addMetric('ReadingsIngested', 'Count', outcome.accepted - outcome.stale);
    if (outcome.stale > 0) tools.metrics.addMetric('ReadingsStale', 'Count', outcome.stale);
    if (outcome.rejected > 0) {
      tools.metrics.addMetric('LinesRejected', 'Count', outcome.rejected);
      tools.logger.warn('object has bad lines', { ...location, rejected: outcome.rejected });
    }
  }
}, tools);
