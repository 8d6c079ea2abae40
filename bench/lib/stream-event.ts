import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_REGION, localArn } from '#local/template/local-identity.ts';

/** One RealTimeData change as a stream record of `MODIFY` (new and old images), as Lambda delivers it. */
export interface ItemChangeInput {
  key: string;
  channel: string;
  version: number;
  ts: number;
  data: Record<string, unknown>;
  keyAttribute?: string;
}

/**
 * A DynamoDB stream event of RealTimeData changes, shaped like the event source mapping's, for
 * invoking stream-fanout directly (exact batches, no poller timing).
 */
export function streamEventOf(changes: readonly ItemChangeInput[], sequenceStart = 1): DynamoDBStreamEvent {
  return {
    Records: changes.map((change, index): DynamoDBRecord => {
      const item = (version: number) => ({
        itemKey: change.key,
        channel: change.channel,
        [change.keyAttribute ?? 'vehicleId']: change.key,
        ts: change.ts - (change.version - version),
        version,
        source: 'bench',
        receivedAt: change.ts,
        data: change.data,
      });
      const sequenceNumber = String(sequenceStart + index).padStart(21, '0');
      return {
        eventID: `bench-${sequenceNumber}`,
        eventName: 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: LOCAL_REGION,
        dynamodb: {
          Keys: marshall({ itemKey: change.key, channel: change.channel }) as never,
          NewImage: marshall(item(change.version)) as never,
          OldImage: marshall(item(Math.max(1, change.version - 1))) as never,
          SequenceNumber: sequenceNumber,
          SizeBytes: 256,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: localArn('dynamodb', 'table/RealTimeData/stream/bench'),
      };
    }),
  };
}
