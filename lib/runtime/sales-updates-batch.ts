import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { SqlJsStatic } from 'sql.js';
import { toPlatformError } from '#core/errors.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import { type CatalogueObjectStore, parseSalesUpdates, writeSalesUpdates } from '#core/sales-catalogue.ts';
import { queueMessageFailure, retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/**
 * One SalesUpdatesQueue batch: the accepted bids applied to sales.db in one conditional put (re-read
 * and re-applied on a lost race). Bad messages go to the DLQ at once with their reason; when the
 * write fails, every good message of the batch is reported failed and comes back.
 */
export async function applySalesUpdatesBatch(
  records: readonly SQSRecord[],
  deps: { catalogue: CatalogueObjectStore; deadLetters: RejectDestination; sql: () => Promise<SqlJsStatic> },
  tools: Powertools,
): Promise<SQSBatchResponse> {
  const { updates, rejected } = parseSalesUpdates(
    records.map((record) => ({ id: record.messageId, body: record.body })),
  );
  for (const reject of rejected) {
    await retryOrReject(reject.error, tools, {
      what: 'sales update',
      metric: 'SalesUpdatesRejected',
      ...queueMessageFailure('sales-updates', deps.deadLetters, { messageId: reject.id, body: reject.body }),
    });
  }
  if (updates.length === 0) return { batchItemFailures: [] };
  try {
    const result = await writeSalesUpdates(
      updates.map((update) => update.update),
      deps.catalogue,
      await deps.sql(),
    );
    tools.metrics.addMetric('CatalogueRowsUpdated', 'Count', result.changed);
    if (result.attempts > 1) tools.metrics.addMetric('CatalogueWriteConflicts', 'Count', result.attempts - 1);
    return { batchItemFailures: [] };
  } catch (error) {
    tools.logger.warn('catalogue write failed; the batch will be retried', { error: toPlatformError(error) });
    return { batchItemFailures: updates.map((update) => ({ itemIdentifier: update.id })) };
  }
}
