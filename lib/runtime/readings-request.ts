import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { assertApiKeyCovers } from '#core/authorise.ts';
import { ingestReadings } from '#core/ingest-readings.ts';
import { normaliseReadingsBody } from '#core/normalise-reading.ts';
import type { ItemStore } from '#core/ports.ts';
import type { ApiKeyCaller } from './api-key.ts';
import { type HttpResult, jsonResponse } from './http-responses.ts';
import type { IngestSettings } from './ingest-settings.ts';
import { countReadings } from './outcomes.ts';
import type { Powertools } from './powertools.ts';

/** A `POST /readings` request once its API key is checked and its JSON body parsed. */
type ReadingsRequest = APIGatewayProxyEventV2 & ApiKeyCaller & { body: unknown };

/**
 * The step of rest-readings: the body's readings normalised, checked against the API key's patterns
 * (403 before anything is written), written, and answered 202 `{accepted, stale}`.
 */
export function readingsRequestHandler(
  items: ItemStore,
  tools: Powertools,
  settings: IngestSettings,
): (event: ReadingsRequest) => Promise<HttpResult> {
  return async (event) => {
    const readings = normaliseReadingsBody(event.body, {
      keyAttribute: settings.keyAttribute,
      source: 'rest',
      now: settings.now(),
      sourceTime: event.requestContext.timeEpoch,
      maxClockSkewMs: settings.maxClockSkewMs,
    });
    assertApiKeyCovers(
      event.apiKey?.keyPatterns,
      readings.map((reading) => reading.itemKey),
    );
    const result = await ingestReadings(readings, items);
    countReadings(tools, result);
    return jsonResponse(202, result);
  };
}
