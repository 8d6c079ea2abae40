import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoHistoryStore } from '#adapters/dynamo-history-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import { DEFAULT_HISTORY_RETENTION_HOURS } from '#contracts/history.ts';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, HistoryEnvSchema, loadConfig } from '#runtime/config.ts';
import { historyBatchHandler } from '#runtime/history-batch.ts';
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

export const handler = observedHandler(
  historyBatchHandler(history, tools, config.HISTORY_RETENTION_HOURS),
  tools,
);
