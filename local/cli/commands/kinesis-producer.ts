import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createLocalKinesisClient } from '#local/emulators/kinesalite.ts';
import type { Health } from './platform-client.ts';

/** PutRecords takes at most 500 entries per call. */
const MAX_ENTRIES_PER_CALL = 500;
const MAX_ATTEMPTS = 8;

/** Sends readings to the platform's telemetry stream; `close()` releases the client. */
interface KinesisProducer {
  /** Puts every reading (partition key = its item key, so one key stays in order on one shard). */
  send(readings: Array<Record<string, unknown>>): Promise<void>;
  close(): void;
}

/**
 * A producer for the `telemetryStream` of a running platform, found through its /health.
 * @throws Error when the platform runs without Kinesis.
 */
export function kinesisProducer(health: Health, keyAttribute: string): KinesisProducer {
  const endpoint = health.endpoints.kinesis;
  const streamName = health.resources.telemetryStream;
  if (endpoint === undefined || streamName === undefined) {
    throw new Error(
      'the platform has no Kinesis telemetry stream (no `kinesis` endpoint in /health; with AuthMode=jwt set RTP_TOKEN)',
    );
  }
  const client = createLocalKinesisClient(endpoint);
  return {
    send: async (readings) => {
      const entries = readings.map((reading) => ({
        Data: Buffer.from(JSON.stringify(reading)),
        PartitionKey: String(reading[keyAttribute]),
      }));
      for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_CALL) {
        await putAll(client, streamName, entries.slice(start, start + MAX_ENTRIES_PER_CALL));
      }
    },
    close: () => client.destroy(),
  };
}

/**
 * PutRecords with the entries that failed (`FailedRecordCount`, throttling) sent again, in their
 * order, until all are in; never drops one silently.
 * @throws Error when entries still fail after the last attempt.
 */
async function putAll(
  client: KinesisClient,
  streamName: string,
  entries: PutRecordsRequestEntry[],
): Promise<void> {
  let pending = entries;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const output = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
    if (!output.FailedRecordCount) return;
    const results = output.Records ?? [];
    const failed = pending.filter((_entry, index) => results[index]?.ErrorCode !== undefined);
    if (attempt >= MAX_ATTEMPTS) {
      const reason = results.find((result) => result.ErrorCode !== undefined);
      throw new Error(
        `${failed.length} record(s) not accepted by ${streamName} after ${attempt} attempts: ` +
          `${reason?.ErrorCode} ${reason?.ErrorMessage ?? ''}`,
      );
    }
    pending = failed;
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 2_000)));
  }
}
