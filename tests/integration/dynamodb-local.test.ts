import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '#local/emulators/create-tables.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/emulators/dynamodb-local.ts';
import type { TableModel } from '#local/template/model.ts';
import { templateTable } from '../helpers/template-tables.ts';

const run = randomUUID().slice(0, 8);

/** The two tables of template.yaml, as the template loader models them, with names unique to this run. */
const realTimeData = templateTable('RealTimeDataTable', `test-${run}`);
const connections = templateTable('ConnectionsTable', `test-${run}`);

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Local addresses of the listening sockets on `port`, from `ss -ltn`. */
function listeningAddresses(port: number): string[] {
  const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.trim().split(/\s+/)[3] ?? '');
}

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

describe('startDynamoDbLocal', () => {
  let ddb: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    client = clientFor(ddb.endpoint);
  });

  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it('answers the SDK on a free port of 127.0.0.1', async () => {
    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);
    expect(ddb.port).toBeGreaterThan(0);
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toBeInstanceOf(Array);
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(listeningAddresses(ddb.port)).toEqual([`127.0.0.1:${ddb.port}`]);
    const otherAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      .map((address) => address!.address);
    for (const address of otherAddresses) {
      expect(await tryConnect(address, ddb.port)).not.toBe('connected');
    }
  });

  it('shares one database across access keys (-sharedDb)', async () => {
    // DynamoDB Local rejects access key ids with anything but letters and digits.
    const other = new DynamoDBClient({
      endpoint: ddb.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'someoneElse', secretAccessKey: 'x' },
    });
    const tableName = `test-${run}-shared`;
    await createTables(client, [{ ...connections, tableName }]);
    const { TableNames } = await other.send(new ListTablesCommand({}));
    other.destroy();
    expect(TableNames).toContain(tableName);
  });

  describe('createTables', () => {
    it('creates on-demand tables with stream, TTL and GSI, all ACTIVE', async () => {
      await createTables(client, [realTimeData, connections]);

      const { Table: data } = await client.send(
        new DescribeTableCommand({ TableName: realTimeData.tableName }),
      );
      expect(data?.TableStatus).toBe('ACTIVE');
      expect(data?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(data?.KeySchema).toEqual(realTimeData.keySchema);
      expect(data?.StreamSpecification).toEqual({
        StreamEnabled: true,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      });
      expect(data?.LatestStreamArn).toMatch(/stream/);
      expect(data?.GlobalSecondaryIndexes).toBeUndefined();

      const { Table: conns } = await client.send(
        new DescribeTableCommand({ TableName: connections.tableName }),
      );
      expect(conns?.StreamSpecification).toBeUndefined();
      const indexes = [...(conns?.GlobalSecondaryIndexes ?? [])].sort((a, b) =>
        String(a.IndexName).localeCompare(String(b.IndexName)),
      );
      expect(indexes).toHaveLength(2);
      expect(indexes[0]).toMatchObject({
        IndexName: 'byExpiry',
        IndexStatus: 'ACTIVE',
        KeySchema: connections.globalSecondaryIndexes[1]?.KeySchema,
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['expiresAt'] },
      });
      expect(indexes[1]).toMatchObject({
        IndexName: 'byItemKey',
        IndexStatus: 'ACTIVE',
        KeySchema: connections.globalSecondaryIndexes[0]?.KeySchema,
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['singleFrames'] },
      });

      for (const table of [realTimeData, connections]) {
        const { TimeToLiveDescription } = await client.send(
          new DescribeTimeToLiveCommand({ TableName: table.tableName }),
        );
        expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      }
    });

    it('leaves existing tables and their items alone when run again', async () => {
      await createTables(client, [realTimeData]);
      await client.send(
        new PutItemCommand({
          TableName: realTimeData.tableName,
          Item: { itemKey: { S: '3' }, channel: { S: 'telemetry' } },
        }),
      );
      await createTables(client, [realTimeData, connections]);
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: realTimeData.tableName,
          Key: { itemKey: { S: '3' }, channel: { S: 'telemetry' } },
        }),
      );
      expect(Item).toBeDefined();
    });

    it('enables TTL on a table that exists without it', async () => {
      const table: TableModel = {
        ...connections,
        tableName: `test-${run}-noTtl`,
        globalSecondaryIndexes: [],
      };
      await client.send(
        new CreateTableCommand({
          TableName: table.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: table.attributeDefinitions.slice(0, 2),
          KeySchema: table.keySchema,
        }),
      );
      await createTables(client, [table]);
      const { TimeToLiveDescription } = await client.send(
        new DescribeTimeToLiveCommand({ TableName: table.tableName }),
      );
      expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    });
  });

  it('stop() ends the JVM and frees the port', async () => {
    await ddb.stop();
    expect(isRunning(ddb.pid)).toBe(false);
    expect(listeningAddresses(ddb.port)).toEqual([]);
    await ddb.stop();
  });
});

describe('startDynamoDbLocal with dataDir', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ddb-local-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps tables and items across a restart', async () => {
    const key = { itemKey: { S: '7' }, channel: { S: 'telemetry' } };
    const first = await startDynamoDbLocal({ dataDir });
    try {
      const client = clientFor(first.endpoint);
      await createTables(client, [realTimeData]);
      await client.send(
        new PutItemCommand({ TableName: realTimeData.tableName, Item: { ...key, ts: { N: '1' } } }),
      );
      client.destroy();
    } finally {
      await first.stop();
    }
    expect(isRunning(first.pid)).toBe(false);

    const second = await startDynamoDbLocal({ dataDir });
    try {
      const client = clientFor(second.endpoint);
      const { Item } = await client.send(new GetItemCommand({ TableName: realTimeData.tableName, Key: key }));
      client.destroy();
      expect(Item?.ts).toEqual({ N: '1' });
    } finally {
      await second.stop();
    }
  });
});
