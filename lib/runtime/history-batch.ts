import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { type HistoryStore, recordHistory } from '#core/history.ts';
import type { Powertools } from './powertools.ts';

/**
 * The step of history-writer: every applied change of a stream batch written to its key's history
 * (lib/core/history.ts `recordHistory`), counted and logged. A record that can never be written is
 * logged and counted, not retried; on a write failure the batch is retried from the first record
 * not written (the one batch item failure), so nothing after it is skipped.
 */
export function historyBatchHandler(
  history: HistoryStore,
  tools: Powertools,
  retentionHours: number,
): (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse> {
  return async (event) => {
    const records = event.Records.map((record) => ({
      id: record.dynamodb?.SequenceNumber ?? '',
      record: readStreamRecord(record),
    }));
    const report = await recordHistory(records, history, retentionHours);
    tools.metrics.addMetric('HistoryRowsWritten', 'Count', report.written);
    const writtenAt = Date.now();
    for (const at of report.appliedAt)
      tools.metrics.addMetric('HistoryWriteLag', 'Milliseconds', writtenAt - at);
    if (report.skipped > 0) tools.metrics.addMetric('ExpiriesSkipped', 'Count', report.skipped);
    for (const { id, error } of report.rejected)
      tools.logger.error('record rejected', { sequenceNumber: id, error });
    if (report.rejected.length > 0)
      tools.metrics.addMetric('RecordsRejected', 'Count', report.rejected.length);
    if (report.failedFrom === undefined) return { batchItemFailures: [] };
    tools.logger.warn('history write failed; retrying from', {
      sequenceNumber: report.failedFrom,
      error: report.failure,
    });
    return { batchItemFailures: [{ itemIdentifier: report.failedFrom }] };
  };
}
