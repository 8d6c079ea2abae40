import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '#contracts/error-body.ts';
import type { Platform } from '#local/platform.ts';
import { postJson, startTestPlatform } from '../helpers/platform.ts';

let platform: Platform;

beforeAll(async () => {
  platform = await startTestPlatform({ parameters: { AuthMode: 'none', IngestApiKeys: 'open-stage-key' } });
});

afterAll(async () => {
  await platform?.stop();
});

describe('REST ingest with AuthMode=none and IngestApiKeys set', () => {
  it('still needs one of the keys: 401 with the error body without, 202 with', async () => {
    const reading = { vehicleId: 'n1', data: { speed: 1 } };
    const without = await postJson(platform.endpoints.http, '/readings', reading, { 'x-api-key': '' });
    expect(without.status).toBe(401);
    expect(ErrorBodySchema.parse(without.body).error.code).toBe('Unauthorized');
    const wrong = await postJson(platform.endpoints.http, '/readings', reading, { 'x-api-key': 'guess' });
    expect(wrong.status).toBe(401);
    const accepted = await postJson(platform.endpoints.http, '/readings', reading, {
      'x-api-key': 'open-stage-key',
    });
    expect(accepted.status).toBe(202);
  });
});
