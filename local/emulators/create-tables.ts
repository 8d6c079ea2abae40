import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableModel } from '#local/template/model.ts';

const ACTIVE_TIMEOUT_MS = 30_000;
const ACTIVE_POLL_MS = 50;

/**
 * Creates the template's tables (on-demand billing, GSIs and LSIs, stream, TTL) and waits until each is ACTIVE.
 *
 * Idempotent: an existing table is left as it is (no diff against the model), but its TTL is still
 * enabled when the model asks for one, so a database kept on disk picks up a TTL added later.
 *
 * @throws the SDK error when a table cannot be created or TTL cannot be enabled (for instance TTL
 *   already enabled on another attribute), or Error when a table is not ACTIVE within 30 s.
 */
export async function createTables(client: DynamoDBClient, tables: TableModel[]): Promise<void> {
  await Promise.all(tables.map((table) => ensureTable(client, table)));
}

async function ensureTable(client: DynamoDBClient, table: TableModel): Promise<void> {
  if (!(await tableExists(client, table.tableName))) {
    try {
      await client.send(new CreateTableCommand(toCreateTableInput(table)));
    } catch (error) {
      // Someone else created it between DescribeTable and CreateTable: the goal is reached.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  await waitUntilActive(client, table.tableName);
  if (table.ttlAttribute !== undefined) await ensureTimeToLive(client, table.tableName, table.ttlAttribute);
}

/** The CreateTable request for a table of the template. */
function toCreateTableInput(table: TableModel): CreateTableCommandInput {
  const input: CreateTableCommandInput = {
    TableName: table.tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: table.attributeDefinitions,
    KeySchema: table.keySchema,
  };
  // DynamoDB rejects an empty GlobalSecondaryIndexes list.
  if (table.globalSecondaryIndexes.length > 0) {
    input.GlobalSecondaryIndexes = table.globalSecondaryIndexes.map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    }));
  }
  if (table.localSecondaryIndexes.length > 0) {
    input.LocalSecondaryIndexes = table.localSecondaryIndexes.map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
      Projection: index.Projection,
    }));
  }
  if (table.streamViewType !== undefined) {
    input.StreamSpecification = { StreamEnabled: true, StreamViewType: table.streamViewType };
  }
  return input;
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Table ${tableName} not ACTIVE after ${ACTIVE_TIMEOUT_MS} ms (status ${Table?.TableStatus})`,
      );
    }
    await new Promise((done) => setTimeout(done, ACTIVE_POLL_MS));
  }
}

async function ensureTimeToLive(
  client: DynamoDBClient,
  tableName: string,
  attributeName: string,
): Promise<void> {
  const { TimeToLiveDescription: current } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = current?.TimeToLiveStatus;
  if ((status === 'ENABLED' || status === 'ENABLING') && current?.AttributeName === attributeName) return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attributeName },
    }),
  );
}
