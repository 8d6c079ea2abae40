import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { S3CatalogueStore } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { parseSalesUpdates, writeSalesUpdates } from '#core/sales-catalogue.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { toPlatformError } from '#runtime/errors.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { retryOrReject } from '#runtime/outcomes.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Reads SalesUpdatesQueue and applies a batch of accepted bids to sales.db in one conditional put
 * (re-read and re-applied on a lost race). Bad messages go to the DLQ at once with their reason; when
 * the write fails, every good message of the batch is reported failed and comes back.
 */
const config = loadConfig(
  BaseEnvSchema.extend({
    SALES_BUCKET: z.string().min(3),
    SALES_CATALOGUE_KEY: z.string().min(1),
    DEAD_LETTER_QUEUE_URL: z.url(),
  }),
);
const tools = powertoolsFor('sales-catalogue-updater');
const catalogue = new S3CatalogueStore(new S3Client({}), config.SALES_BUCKET, config.SALES_CATALOGUE_KEY);
const deadLetters = new SqsDeadLetterQueue(new SQSClient({}), config.DEAD_LETTER_QUEUE_URL);

export const handler = observedHandler<SQSEvent, SQSBatchResponse>(async (event) => {
  const { updates, rejected } = parseSalesUpdates(
    event.Records.map((record) => ({ id: record.messageId, body: record.body })),
  );
  for (const reject of rejected) {
    await retryOrReject(reject.error, tools, {
      what: 'sales update',
      context: { messageId: reject.id },
      metric: 'SalesUpdatesRejected',
      reject: {
        to: deadLetters,
        input: { source: 'sales-updates', payload: reject.body, ids: { SourceMessageId: reject.id } },
      },
    });
  }
  if (updates.length === 0) return { batchItemFailures: [] };
  try {
    const result = await writeSalesUpdates(
      updates.map((update) => update.update),
      catalogue,
      await loadSqlJs(),
    );
    tools.metrics.addMetric('CatalogueRowsUpdated', 'Count', result.changed);
    if (result.attempts > 1) tools.metrics.addMetric('CatalogueWriteConflicts', 'Count', result.attempts - 1);
    return { batchItemFailures: [] };
  } catch (error) {
    tools.logger.warn('catalogue write failed; the batch will be retried', { error: toPlatformError(error) });
    return { batchItemFailures: updates.map((update) => ({ itemIdentifier: update.id })) };
  }
}, tools);
