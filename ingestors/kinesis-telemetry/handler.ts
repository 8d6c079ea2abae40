import { EventType } from '@aws-lambda-powertools/batch';
import * as z from '#contracts/zod.ts';
import { BaseEnvSchema, loadConfig, RejectQueueEnvSchema } from '#runtime/config.ts';
import { ingestSettingsOf, readingTargetsOf } from '#runtime/ingest-settings.ts';
import { kinesisRecordHandler } from '#runtime/kinesis-record.ts';
import { batchHandler } from '#runtime/middy-stacks.ts';
import { powertoolsFor } from '#runtime/powertools.ts';

/**
 * Reads telemetry from a Kinesis stream (producers, the IoT rule) and conditionally writes each
 * reading; a record that can never apply goes to the reject queue with its bytes and partition key.
 */
const config = loadConfig(z.extend(BaseEnvSchema, RejectQueueEnvSchema.shape));
const tools = powertoolsFor('kinesis-telemetry');
const handleRecord = kinesisRecordHandler(readingTargetsOf(config), tools, ingestSettingsOf(config));

// Records are processed in parallel: readings of one key may be written out of order within a batch,
// which the conditional writer makes harmless (only a reading later in (ts, position) overwrites).
export const handler = batchHandler(EventType.KinesisDataStreams, () => handleRecord, tools);
