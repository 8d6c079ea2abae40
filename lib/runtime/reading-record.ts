import { itemIdOf } from '#core/ingest-readings.ts';
import { createKeyedQueue } from '#core/keyed-queue.ts';
import { createLimiter } from '#core/limiter.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ItemStore } from '#core/ports.ts';
import { toPlatformError } from './errors.ts';
import type { Powertools } from './powertools.ts';

/** Options of {@link readingRecordHandler}. */
export interface ReadingRecordOptions<R> {
  tools: Powertools;
  items: ItemStore;
  /** Decodes and validates one record; throws a permanent error (ValidationError) for bad input. */
  read: (record: R) => NormalisedReading;
  /** Ids that find the record again in the source (sequence number, message id), for the logs. */
  ids: (record: R) => Record<string, string>;
  /**
   * Conditional writes in flight across the batch (BatchProcessor starts every record at once). They
   * start in record order, those of one item one after another. Default 16.
   */
  writeConcurrency?: number;
}

/**
 * The per-record step of an ingestor that writes one reading per record, for Powertools'
 * BatchProcessor. Only retryable failures (DynamoDB unavailable, throttled) are thrown, so the record
 * becomes a batch item failure and is retried; bad input is permanent — logged with the record's ids
 * and counted as `RecordsRejected`, never retried (on an ordered source a retry would only block it).
 */
export function readingRecordHandler<R>(options: ReadingRecordOptions<R>): (record: R) => Promise<void> {
  const { tools, items, read, ids } = options;
  const limit = createLimiter(options.writeConcurrency ?? 16);
  // BatchProcessor starts every record at once, in record order: one item's records are written in it.
  const inOrder = createKeyedQueue();
  return async (record) => {
    let reading: NormalisedReading | undefined;
    try {
      const current = read(record);
      reading = current;
      const result = await inOrder(itemIdOf(current), () => limit(() => items.applyReading(current)));
      tools.metrics.addMetric(result.applied ? 'ReadingsIngested' : 'ReadingsStale', 'Count', 1);
    } catch (error) {
      const platformError = toPlatformError(error);
      const context = {
        ...ids(record),
        ...(reading ? { itemKey: reading.itemKey } : {}),
        error: platformError,
      };
      if (platformError.retryable) {
        tools.logger.warn('record will be retried', context);
        throw platformError;
      }
      tools.logger.error('record rejected', context);
      tools.metrics.addMetric('RecordsRejected', 'Count', 1);
    }
  };
}
