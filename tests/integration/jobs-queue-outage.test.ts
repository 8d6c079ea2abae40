import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '#local/platform.ts';
import { LOCAL_ACCOUNT_ID } from '#local/template/local-identity.ts';
import { postJson, startTestPlatform } from '../helpers/platform.ts';

// A file of its own: functions load once per test process, so their environment is per file.
describe('a job whose message cannot be queued', () => {
  let broken: Platform;

  beforeAll(async () => {
    // A queue that does not exist: every SendMessage fails as in an SQS outage.
    broken = await startTestPlatform({
      parameters: { JobsInFlightPerCaller: '1' },
      functionEnvironment: { JOBS_QUEUE_URL: `http://127.0.0.1:1/${LOCAL_ACCOUNT_ID}/no-such-queue` },
    });
  });

  afterAll(async () => {
    await broken?.stop();
  });

  it('answers 5xx, leaves the job failed (never queued for good) and its slot free', async () => {
    const client = new DynamoDBClient({ endpoint: broken.endpoints.dynamodb });
    try {
      for (const jobId of [randomUUID(), randomUUID()]) {
        // Twice with a limit of 1: the first failure freed its slot, or the second would be a 429.
        const response = await postJson(broken.endpoints.http, '/jobs', { type: 'fail', input: {}, jobId });
        // 5xx bodies stay generic: no queue URLs or SDK errors for the client.
        expect(response).toMatchObject({ status: 503, body: { error: { code: 'InternalError' } } });
        const { Item } = await client.send(
          new GetItemCommand({
            TableName: broken.resources.realTimeDataTable,
            Key: { itemKey: { S: `job-${jobId}` }, channel: { S: 'status' } },
            ConsistentRead: true,
          }),
        );
        expect(Item?.data?.M?.status?.S).toBe('failed');
        expect(Item?.data?.M?.reason?.S).toMatch(/could not be queued/);
      }
    } finally {
      client.destroy();
    }
  });
});
