import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import {
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Platform } from '#local/platform.ts';

/** Real SDK clients pointed at the addresses the platform's /health gives, as a user would configure them. */
export function awsClientsFor(platform: Platform) {
  const base = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const endpoints = platform.health().endpoints as Record<string, string>;
  return {
    sqs: new SQSClient({ ...base, endpoint: endpoints.sqs }),
    sns: new SNSClient({ ...base, endpoint: endpoints.sns }),
    s3: new S3Client({ ...base, endpoint: endpoints.s3 }),
  };
}

/** An MQTT 3.1.1 device connected to the platform's IoT Core broker, as a vehicle connects (no reconnects). */
export function connectDevice(platform: Platform, clientId: string): Promise<MqttClient> {
  return connectAsync(platform.endpoints.mqtt ?? '', { protocolVersion: 4, clientId, reconnectPeriod: 0 });
}

/** Messages on the queue, visible or in flight (SQS' approximate counts; exact in fauxqs). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

/** Drains every visible message of a queue (e.g. a DLQ a test inspects). */
export async function drainQueue(sqs: SQSClient, queueUrl: string) {
  const messages = [];
  for (;;) {
    const { Messages: page = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (page.length === 0) return messages;
    messages.push(...page);
  }
}

/** The bytes a reject keeps: its body, decoded from base64 when `BodyEncoding=base64` says the bytes were not text. */
export function rejectBytes(message: Message): Buffer {
  const base64 = message.MessageAttributes?.BodyEncoding?.StringValue === 'base64';
  return Buffer.from(message.Body ?? '', base64 ? 'base64' : 'utf8');
}
