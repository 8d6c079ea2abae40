import type { S3Event } from 'aws-lambda';
import { decodeEventKey, ingestObject } from '#core/ingest-object.ts';
import type { ObjectStore } from '#core/ingest-ports.ts';
import type { ItemStore } from '#core/ports.ts';
import type { IngestSettings } from './ingest-settings.ts';
import { countReadings } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/**
 * The step of s3-objects: each object an S3 event names, read as a stream (lib/core/ingest-object.ts),
 * then counted and logged: readings written, an object gone or refused, bad lines. Failures throw, so
 * S3's asynchronous invocation retries the event, then sends it to the on-failure queue.
 */
export function objectEventHandler(
  deps: { items: ItemStore; objects: ObjectStore },
  tools: Powertools,
  settings: IngestSettings & { maxObjectBytes: number },
): (event: S3Event) => Promise<void> {
  return async (event) => {
    for (const record of event.Records) {
      const location = { bucket: record.s3.bucket.name, key: decodeEventKey(record.s3.object.key) };
      const outcome = await ingestObject(location, deps, {
        keyAttribute: settings.keyAttribute,
        source: 's3',
        now: settings.now(),
        maxObjectBytes: settings.maxObjectBytes,
        // Readings without ts take the event's time: a redelivered event is a duplicate, a new upload newer.
        sourceTime: Date.parse(record.eventTime),
        maxClockSkewMs: settings.maxClockSkewMs,
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
  };
}
