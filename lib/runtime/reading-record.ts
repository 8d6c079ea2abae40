import type { RejectDestination, RejectedInput } from '#core/ingest-ports.ts';
import { itemIdOf } from '#core/ingest-readings.ts';
import { createKeyedQueue } from '#core/keyed-queue.ts';
import { createLimiter } from '#core/limiter.ts';
import type { NormalisedReading } from '#core/normalise-reading.ts';
import type { ItemStore } from '#core/ports.ts';
import { countReadings, retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/** Options of {@link readingRecordHandler}. */
interface ReadingRecordOptions<R> {
  tools: Powertools;
  items: ItemStore;
  /** Decodes and validates one record; throws a permanent error (ValidationError) for bad input. */
  read: (record: R) => NormalisedReading;
  /** Where bad input goes, as {@link ReadingRecordOptions.rejected} says. */
  rejects: RejectDestination;
  /**
   * The record as its reject keeps it: source, original bytes, and the ids that find and replay it
   * at the source (sequence number, partition key), which the logs carry too.
   */
  rejected: (record: R) => RejectedInput;
  /**
   * Conditional writes in flight across the batch (BatchProcessor starts every record at once). They
   * start in record order, those of one item one after another. Default 16.
   */
  writeConcurrency?: number;
}

/**
 * The per-record step of an ingestor that writes one reading per record, for Powertools'
 * BatchProcessor. Only retryable failures (DynamoDB unavailable, throttled) are thrown, so the record
 * becomes a batch item failure and is retried; bad input is permanent — logged with the record's ids,
 * counted as `RecordsRejected` and sent to the reject destination with its bytes, never retried (on
 * an ordered source a retry would only block it). A reject that cannot be sent is thrown: the record
 * is retried rather than lost.
 */
export function readingRecordHandler<R>(options: ReadingRecordOptions<R>): (record: R) => Promise<void> {
  const { tools, items, read, rejects, rejected } = options;
  const limit = createLimiter(options.writeConcurrency ?? 16);
  // BatchProcessor starts every record at once, in record order: one item's records are written in it.
  const inOrder = createKeyedQueue();
  return async (record) => {
    let reading: NormalisedReading | undefined;
    try {
      const current = read(record);
      reading = current;
      const result = await inOrder(itemIdOf(current), () => limit(() => items.applyReading(current)));
      countReadings(tools, { accepted: 1, stale: result.applied ? 0 : 1 });
    } catch (error) {
      const input = rejected(record);
      const context = {
        // Logs name ids in camelCase (sequenceNumber), message attributes in PascalCase (SequenceNumber).
        ...Object.fromEntries(
          Object.entries(input.ids).map(([name, value]) => [
            name.charAt(0).toLowerCase() + name.slice(1),
            value,
          ]),
        ),
        ...(reading ? { itemKey: reading.itemKey } : {}),
      };
      await retryOrReject(error, tools, {
        what: 'record',
        context,
        metric: 'RecordsRejected',
        level: 'error',
        reject: { to: rejects, input },
      });
    }
  };
}
