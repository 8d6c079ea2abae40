import type { S3Event } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { S3Notifier } from '#local/event-sources/s3-notifications.ts';

const created = { bucket: 'b', size: 3, eTag: 'abc', eventName: 'ObjectCreated:Put' as const };

function notifier(
  invoke: (event: S3Event) => Promise<unknown>,
  log: string[] = [],
  failures?: Array<{ queue: string; record: unknown }>,
) {
  return new S3Notifier({
    invoker: { invoke: (_id, event) => invoke(event as S3Event) },
    targets: [
      {
        functionLogicalId: 'Fn',
        configurationId: 'Fn-Objects',
        bucketName: 'b',
        events: ['s3:ObjectCreated:*'],
        prefix: 'ingest/',
        ...(failures ? { maximumRetryAttempts: 1, onFailureQueueLogicalId: 'FailureQueue' } : {}),
      },
    ],
    ...(failures
      ? { sendToFailureQueue: async (queue: string, record: unknown) => failures.push({ queue, record }) > 0 }
      : {}),
    region: 'us-east-1',
    retryDelayMs: 1,
    log: (line) => log.push(line),
  });
}

describe('S3Notifier', () => {
  it('invokes with the S3 event shape for a matching key only', async () => {
    const events: S3Event[] = [];
    const n = notifier(async (event) => void events.push(event));
    n.objectCreated({ ...created, key: 'other/a.csv' });
    n.objectCreated({ ...created, bucket: 'c', key: 'ingest/a.csv' });
    n.objectCreated({ ...created, key: 'ingest/a b.csv' });
    await n.stop();
    expect(events).toHaveLength(1);
    expect(events[0]?.Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        configurationId: 'Fn-Objects',
        bucket: { name: 'b', arn: 'arn:aws:s3:::b' },
        object: { key: 'ingest/a+b.csv', size: 3, eTag: 'abc' },
      },
    });
  });

  it('retries a failed invocation twice, then gives up with a log line', async () => {
    let calls = 0;
    const log: string[] = [];
    const n = notifier(async () => {
      calls++;
      throw new Error('down');
    }, log);
    n.objectCreated({ ...created, key: 'ingest/x.json' });
    await n.settled();
    expect(calls).toBe(3);
    expect(n.stats).toMatchObject({ invocations: 3, retries: 2, dropped: 1 });
    expect(log).toEqual([
      expect.stringMatching(/s3:\/\/b\/ingest\/x\.json dropped after 3 attempt\(s\): down/),
    ]);
  });

  it('stops retrying once a retry succeeds', async () => {
    let calls = 0;
    const n = notifier(async () => {
      calls++;
      if (calls === 1) throw new Error('once');
    });
    n.objectCreated({ ...created, key: 'ingest/y.json' });
    await n.settled();
    expect(calls).toBe(2);
    expect(n.stats.dropped).toBe(0);
  });

  it("honours the function's EventInvokeConfig: its retries, then the event to its on-failure queue", async () => {
    let calls = 0;
    const failures: Array<{ queue: string; record: unknown }> = [];
    const log: string[] = [];
    const n = notifier(
      async () => {
        calls++;
        throw new Error('mid-object');
      },
      log,
      failures,
    );
    n.objectCreated({ ...created, key: 'ingest/z.ndjson' });
    await n.settled();
    expect(calls).toBe(2);
    expect(n.stats).toMatchObject({ sentToFailureQueue: 1, dropped: 0 });
    expect(log).toEqual([]);
    expect(failures).toEqual([
      {
        queue: 'FailureQueue',
        record: expect.objectContaining({
          requestContext: expect.objectContaining({
            condition: 'RetriesExhausted',
            approximateInvokeCount: 2,
          }),
          requestPayload: {
            Records: [
              expect.objectContaining({
                s3: expect.objectContaining({ object: expect.objectContaining({ key: 'ingest/z.ndjson' }) }),
              }),
            ],
          },
          responsePayload: { errorType: 'Error', errorMessage: 'mid-object' },
        }),
      },
    ]);
  });
});
