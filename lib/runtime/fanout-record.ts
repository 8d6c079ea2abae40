import type { DynamoDBRecord } from 'aws-lambda';
import type { FanoutBatch } from '#core/fanout-batch.ts';
import { type ItemChange, type StreamRecordInput, toItemChange } from '#core/stream-change.ts';
import { retryOrReject } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/**
 * Per-stage latency of an item change: source time → stored (`SourceToStoredLatency`), stored →
 * read from the stream (`StoredToStreamedLatency`), streamed → posted to every subscriber
 * (`StreamedToPostedLatency`). Clocks of sources may be off: the first stage says so when negative.
 */
function recordStageLatencies(tools: Powertools, change: ItemChange, streamedAt: number): void {
  if (change.frame.type !== 'item' || change.receivedAt === undefined) return;
  tools.metrics.addMetric('SourceToStoredLatency', 'Milliseconds', change.receivedAt - change.frame.ts);
  tools.metrics.addMetric('StoredToStreamedLatency', 'Milliseconds', streamedAt - change.receivedAt);
  tools.metrics.addMetric('StreamedToPostedLatency', 'Milliseconds', Date.now() - streamedAt);
}

/**
 * The per-record step of stream-fanout, for Powertools' BatchProcessor. Only retryable failures are
 * thrown (the record is reported as a batch item failure and retried); a permanent fault — an image
 * that is not a RealTimeData item, a frame API Gateway refuses — is logged and counted as a reject.
 */
export function fanoutRecordHandler(
  batch: FanoutBatch,
  tools: Powertools,
  read: (record: DynamoDBRecord) => StreamRecordInput,
): (record: DynamoDBRecord) => Promise<void> {
  return async (record) => {
    try {
      const change = toItemChange(read(record));
      if (!change) {
        tools.metrics.addMetric('ExpiriesSkipped', 'Count', 1);
        return;
      }
      const streamedAt = Date.now();
      const report = await batch.deliver(change);
      tools.metrics.addMetric('FramesDelivered', 'Count', report.delivered);
      if (report.conflated > 0) tools.metrics.addMetric('FramesConflated', 'Count', report.conflated);
      recordStageLatencies(tools, change, streamedAt);
      if (report.toStale > 0) tools.metrics.addMetric('StaleConnectionsRemoved', 'Count', report.toStale);
      if (report.slow > 0) tools.metrics.addMetric('FramesDroppedForSlowConnections', 'Count', report.slow);
      if (report.retried > 0)
        tools.metrics.addMetric('FramesRetriedForSlowConnections', 'Count', report.retried);
      if (report.disconnected > 0) {
        tools.logger.warn('slow connections disconnected', {
          itemKey: change.key,
          count: report.disconnected,
        });
        tools.metrics.addMetric('SlowConnectionsDisconnected', 'Count', report.disconnected);
      }
      for (const failure of report.failed) {
        tools.logger.warn('frame refused', {
          itemKey: change.key,
          code: failure.code,
          reason: failure.message,
        });
        tools.metrics.addMetric('FramesRejected', 'Count', 1);
      }
    } catch (error) {
      await retryOrReject(error, tools, {
        what: 'record',
        context: { eventID: record.eventID },
        metric: 'RecordsRejected',
        level: 'error',
      });
    }
  };
}
