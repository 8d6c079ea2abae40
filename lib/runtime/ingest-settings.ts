import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { SqsDeadLetterQueue } from '#adapters/sqs-dead-letter-queue.ts';
import { systemClock } from '#adapters/system-clock.ts';
import type { RejectDestination } from '#core/ingest-ports.ts';
import type { ItemStore } from '#core/ports.ts';

/** What an ingestor normalises its readings with: the key attribute, the clock, the skew it allows. */
export interface IngestSettings {
  keyAttribute: string;
  now: () => number;
  maxClockSkewMs: number;
}

/** The {@link IngestSettings} of a function's config (BaseEnvSchema), on the machine's clock. */
export function ingestSettingsOf(config: {
  REAL_TIME_ITEM_KEY: string;
  MAX_CLOCK_SKEW_MS: number;
}): IngestSettings {
  return {
    keyAttribute: config.REAL_TIME_ITEM_KEY,
    now: systemClock.now,
    maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
  };
}

/**
 * Where an ingestor that rejects to a queue (RejectQueueEnvSchema) writes: the RealTimeData item
 * store and its reject queue.
 */
export function readingTargetsOf(config: { ITEMS_TABLE: string; REJECT_QUEUE_URL: string }): {
  items: ItemStore;
  rejects: RejectDestination;
} {
  return {
    items: new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE),
    rejects: new SqsDeadLetterQueue(new SQSClient({}), config.REJECT_QUEUE_URL),
  };
}
