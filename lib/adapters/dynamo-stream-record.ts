import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StreamRecordInput } from '#core/stream-change.ts';

/** Unmarshalls a DynamoDB stream record's images for the core. */
export function readStreamRecord(record: DynamoDBRecord): StreamRecordInput {
  const image = (value: unknown) =>
    value ? unmarshall(value as Record<string, AttributeValue>, { wrapNumbers: false }) : undefined;
  return {
    eventName: record.eventName ?? 'UNKNOWN',
    newImage: image(record.dynamodb?.NewImage),
    oldImage: image(record.dynamodb?.OldImage),
    userIdentity: record.userIdentity as StreamRecordInput['userIdentity'],
    sequenceNumber: record.dynamodb?.SequenceNumber,
    approximateCreatedAt:
      record.dynamodb?.ApproximateCreationDateTime === undefined
        ? undefined
        : record.dynamodb.ApproximateCreationDateTime * 1000,
  };
}
