import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { S3CatalogueStore } from '#adapters/s3-catalogue-store.ts';
import { loadSqlJs } from '#adapters/sqljs-engine.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { observedHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { applySalesUpdatesBatch } from '#runtime/sales-updates-batch.ts';

/**
 * Reads SalesUpdatesQueue and applies each batch of accepted bids to sales.db
 * (lib/runtime/sales-updates-batch.ts).
 */
const config = loadConfig(
  z.extend(BaseEnvSchema, {
    SALES_BUCKET: z.string().check(z.minLength(3)),
    SALES_CATALOGUE_KEY: z.string().check(z.minLength(1)),
    DEAD_LETTER_QUEUE_URL: z.url(),
  }),
);
const tools = powertoolsFor('sales-catalogue-updater');
const catalogue = new S3CatalogueStore(new S3Client({}), config.SALES_BUCKET, config.SALES_CATALOGUE_KEY);
const deadLetters = new SqsDeadLetterQueue(new SQSClient({}), config.DEAD_LETTER_QUEUE_URL);

export const handler = observedHandler<SQSEvent, SQSBatchResponse>(
  (event) => applySalesUpdatesBatch(event.Records, { catalogue, deadLetters, sql: loadSqlJs }, tools),
  tools,
);
