import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { readStreamRecord } from '#adapters/dynamo-stream-record.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { DEFAULT_HISTORY_RETENTION_HOURS } from '#contracts/history.ts';
import * as z from '#contracts/zod.ts';
import { recordHistory } from '#core/history.ts';
import { BaseEnvSchema, HistoryEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/** Reads the RealTimeData stream and writes every applied change to the key's history (BatchWriteItem). */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    ...HistoryEnvSchema.shape,
    HISTORY_RETENTION_HOURS: z._default(
      z.coerce.number().check(z.int(), z.gte(1), z.lte(8760)),
      DEFAULT_HISTORY_RETENTION_HOURS,
    ),
  }),
);
const tools = powertoolsFor('history-writer');
const history = new DynamoHistoryStore(createDocumentClient(), config.HISTORY_TABLE, systemClock);

export const handler = observedHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(async (event) => {
  const records = event.Records.map((record) => ({
    id: record.dynamodb?.SequenceNumber ?? '',
    record: readStreamRecord(record),
  }));
  const report = await recordHistory(records, history, config.HISTORY_RETENTION_HOURS);
  tools.metrics.addMetric('HistoryRowsWritten', 'Count', report.written);
  const writtenAt = Date.now();
  for (const at of report.appliedAt)
    tools.metrics.addMetric('HistoryWriteLag', 'Milliseconds', writtenAt - at);
  if (report.skipped > 0) tools.metrics.addMetric('ExpiriesSkipped', 'Count', report.skipped);
  for (const { id, error } of report.rejected)
    tools.logger.error('record rejected', { sequenceNumber: id, error });
  if (report.rejected.length > 0) tools.metrics.addMetric('RecordsRejected', 'Count', report.rejected.length);
  if (report.failedFrom === undefined) return { batchItemFailures: [] };
  tools.logger.warn('history write failed; retrying from', {
    sequenceNumber: report.failedFrom,
    error: report.failure,
  });
  return { batchItemFailures: [{ itemIdentifier: report.failedFrom }] };
}, tools);
