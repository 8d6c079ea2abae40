import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import * as z from '#contracts/zod.ts';
import { ApiKeysEnvSchema, AuthModeEnvSchema, BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { ingestSettingsOf } from '#runtime/ingest-settings.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';
import { readingsRequestHandler } from '#runtime/readings-request.ts';

/**
 * POST /readings: one reading, flat telemetry, `{"readings":[…]}` or an array → 202 `{accepted, stale}`; invalid → 400 naming the
 * fields; no accepted `x-api-key` → 401 (with AuthMode=jwt always, with none whenever keys are set);
 * a reading outside the key's patterns → 403, nothing written.
 */
const config = loadConfig(z.extend(BaseEnvSchema, { ...ApiKeysEnvSchema.shape, ...AuthModeEnvSchema.shape }));
const tools = powertoolsFor('rest-readings');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);

const checkKeys = config.AUTH_MODE === 'jwt' || config.INGEST_API_KEYS.length > 0;

export const handler = httpHandler(readingsRequestHandler(items, tools, ingestSettingsOf(config)), tools, {
  jsonBody: true,
  ...(checkKeys ? { apiKeys: config.INGEST_API_KEYS } : {}),
});
