import { describe, expect, it } from 'vitest';
import { REJECT_SOURCES } from '#contracts/rejects.ts';
import { readTemplate } from '#local/template/load-template.ts';

interface RawTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
}

const template = readTemplate('template.yaml') as RawTemplate;
/** `iotTelemetryRejectQueueUrl` (the /health resource) → `IotTelemetryRejectQueue` and its Output. */
const queueSources = Object.entries(REJECT_SOURCES).filter(([, destination]) => destination.kind === 'queue');

describe('reject destinations in template.yaml', () => {
  it.each(queueSources)(
    '%s: an encrypted queue keeping rejects 14 days, named in Outputs',
    (_source, destination) => {
      const output = destination.resource.charAt(0).toUpperCase() + destination.resource.slice(1);
      const logicalId = output.replace(/Url$/, '');
      expect(template.Resources[logicalId]).toMatchObject({
        Type: 'AWS::SQS::Queue',
        Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
      });
      expect(template.Outputs[output]?.Value).toEqual({ Ref: logicalId });
    },
  );

  it('every function with a reject queue may send to it', () => {
    const withQueue = Object.entries(template.Resources).filter(
      ([, resource]) =>
        (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.REJECT_QUEUE_URL !== undefined,
    );
    expect(withQueue.map(([id]) => id).sort()).toEqual(['IotTelemetryFunction', 'KinesisTelemetryFunction']);
    for (const [, resource] of withQueue) {
      const properties = resource.Properties as {
        Environment: { Variables: { REJECT_QUEUE_URL: { Ref: string } } };
      };
      const queue = properties.Environment.Variables.REJECT_QUEUE_URL.Ref;
      expect(resource.Properties?.Policies).toContainEqual({
        SQSSendMessagePolicy: { QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } },
      });
    }
  });

  it('the S3 reject reports live in the ingest bucket the Outputs name', () => {
    expect(template.Outputs.IngestBucketName?.Value).toEqual({ Ref: 'IngestBucket' });
  });
});
