import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The floor the Lambda scenario measures every function against: the same DynamoDB document client
 * the adapters create and the same conditional UpdateItem the item store makes, with nothing else
 * (no config schema, no Powertools, no middy, no validation). Bundled with the template's esbuild options.
 */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const tableName = process.env.ITEMS_TABLE;

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const ts = Date.now();
  const result = await documents.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { itemKey: 'bench-minimal', channel: 'telemetry' },
      UpdateExpression:
        'SET #keyAttr = :keyValue, #ts = :ts, #data = :data, #source = :source, #receivedAt = :receivedAt, ' +
        '#version = if_not_exists(#version, :zero) + :one',
      ConditionExpression: 'attribute_not_exists(itemKey) OR #ts < :ts',
      ExpressionAttributeNames: {
        '#keyAttr': 'vehicleId',
        '#ts': 'ts',
        '#data': 'data',
        '#source': 'source',
        '#receivedAt': 'receivedAt',
        '#version': 'version',
      },
      ExpressionAttributeValues: {
        ':keyValue': 'bench-minimal',
        ':ts': ts,
        ':data': { speed: 42 },
        ':source': 'rest',
        ':receivedAt': ts,
        ':zero': 0,
        ':one': 1,
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return { statusCode: 202, body: JSON.stringify({ version: result.Attributes?.version }) };
};
