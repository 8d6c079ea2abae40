import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalService, ServiceStarted } from '#local/services/local-service.ts';

/** What the functions asked DynamoDB for, counted at the wire. */
interface DynamoRequestCounts {
  /** Requests by operation (`Query`, `Scan`, `UpdateItem`, `TransactWriteItems`, …), pages included. */
  operations: Record<string, number>;
  /** Query requests on a secondary index, by `<index> <first key value>`; continuation pages included. */
  indexQueries: Record<string, number>;
  /** Query requests that continued a previous page (`ExclusiveStartKey` set). */
  continuationPages: number;
  /** Scan requests on any table. */
  scans: number;
}

const emptyCounts = (): DynamoRequestCounts => ({
  operations: {},
  indexQueries: {},
  continuationPages: 0,
  scans: 0,
});

/**
 * A local service that puts a counting proxy between the functions and DynamoDB Local: it takes over
 * `AWS_ENDPOINT_URL_DYNAMODB` (the platform sets it to DynamoDB Local before services start, and hands
 * the service's value to the functions), reads each request's `X-Amz-Target` and JSON body, and
 * forwards it unchanged. For tests and the bench, which assert how much AWS work a batch costs;
 * `npm start` never includes it.
 */
export class DynamoRequestCounter implements LocalService {
  readonly name = 'dynamodb-request-counter';
  #server: Server | undefined;
  #counts = emptyCounts();

  async start(): Promise<ServiceStarted> {
    const target = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    if (!target) throw new Error('dynamodb-request-counter: AWS_ENDPOINT_URL_DYNAMODB is not set yet');
    const upstream = new URL(target);
    this.#server = createServer((req, res) => {
      void readAll(req).then((body) => {
        this.#count(String(req.headers['x-amz-target'] ?? ''), body);
        const forward = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        forward.end(body);
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return { endpoints: { dynamodbCounter: url }, sdkEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: url } };
  }

  /** Counts since start or the last reset. */
  counts(): DynamoRequestCounts {
    return structuredClone(this.#counts);
  }

  reset(): void {
    this.#counts = emptyCounts();
  }

  stats(): Record<string, unknown> {
    return { ...this.#counts };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #count(target: string, body: Buffer): void {
    const operation = target.split('.').at(-1) ?? 'unknown';
    this.#counts.operations[operation] = (this.#counts.operations[operation] ?? 0) + 1;
    if (operation === 'Scan') this.#counts.scans += 1;
    if (operation !== 'Query') return;
    let input: {
      IndexName?: string;
      ExclusiveStartKey?: unknown;
      ExpressionAttributeValues?: Record<string, { S?: string; N?: string }>;
    };
    try {
      input = JSON.parse(body.toString()) as typeof input;
    } catch {
      return;
    }
    if (input.ExclusiveStartKey !== undefined) this.#counts.continuationPages += 1;
    if (input.IndexName === undefined) return;
    const firstValue = Object.values(input.ExpressionAttributeValues ?? {})[0];
    const label = `${input.IndexName} ${firstValue?.S ?? firstValue?.N ?? '?'}`;
    this.#counts.indexQueries[label] = (this.#counts.indexQueries[label] ?? 0) + 1;
  }
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
