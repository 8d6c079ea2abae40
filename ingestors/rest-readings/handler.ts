import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-document-client.ts';
import { DynamoItemStore } from '#adapters/dynamo-item-store.ts';
import { systemClock } from '#adapters/system-clock.ts';
import * as z from '#contracts/zod.ts';
import { assertApiKeyCovers } from '#core/authorise.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import { normaliseReadingsBody } from '#core/normalise-reading.ts';
import type { ApiKeyCaller } from '#runtime/api-key.ts';
import { ApiKeysEnvSchema, AuthModeEnvSchema, BaseEnvSchema, loadConfig } from '#runtime/config.ts';
import { jsonResponse } from '#runtime/http-responses.ts';
import { httpHandler } from '#runtime/middy-stacks.ts';
import { countReadings } from '#runtime/outcomes.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * POST /readings: one reading, flat telemetry, `{"readings":[…]}` or an array → 202 `{accepted, stale}`; invalid → 400 naming the
 * fields; no accepted `x-api-key` → 401 (with AuthMode=jwt always, with none whenever keys are set);
 * a reading outside the key's patterns → 403, nothing written.
 */
const config = loadConfig(z.extend(BaseEnvSchema, { ...ApiKeysEnvSchema.shape, ...AuthModeEnvSchema.shape }));
const tools = powertoolsFor('rest-readings');
const items = new DynamoItemStore(createDocumentClient(), config.ITEMS_TABLE);

const checkKeys = config.AUTH_MODE === 'jwt' || config.INGEST_API_KEYS.length > 0;

export const handler = httpHandler<
  APIGatewayProxyEventV2 & ApiKeyCaller & { body: unknown },
  APIGatewayProxyResultV2
>(
  async (event) => {
    const readings = normaliseReadingsBody(event.body, {
      keyAttribute: config.REAL_TIME_ITEM_KEY,
      source: 'rest',
      now: systemClock.now(),
      sourceTime: event.requestContext.timeEpoch,
      maxClockSkewMs: config.MAX_CLOCK_SKEW_MS,
    });
    assertApiKeyCovers(
      event.apiKey?.keyPatterns,
      readings.map((reading) => reading.itemKey),
    );
    const result = await ingestReadings(readings, items);
    countReadings(tools, result);
    return jsonResponse(202, result);
  },
  tools,
  { jsonBody: true, ...(checkKeys ? { apiKeys: config.INGEST_API_KEYS } : {}) },
);
