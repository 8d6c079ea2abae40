import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where the gateways report integration failures; one line per failure, with ids. */
export interface GatewayLogger {
  error(message: string, details: Record<string, unknown>): void;
}

/** Writes one JSON line per failure to stderr. */
export const consoleGatewayLogger: GatewayLogger = {
  error(message, details) {
    console.error(JSON.stringify({ level: 'ERROR', message, ...details }));
  },
};

/**
 * An id shaped like API Gateway's connection and request ids (`ZcX1AbCdIAMCJ2Q=`): 11 random bytes in
 * base64. `+` and `/` are swapped for `-` and `_` so the id can sit in a URL path segment unescaped
 * apart from the `=`, which still exercises the SDK's label encoding like real ids do.
 */
export function newGatewayId(): string {
  return randomBytes(11).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime` format: `09/Feb/2024:10:00:00 +0000`. */
export function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** The client address as API Gateway reports it in `identity.sourceIp` (no IPv4-mapped prefix). */
export function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Header pairs from `rawHeaders`, names as the client sent them. */
export function headerPairs(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  return pairs;
}

/** Reads a request body, resolving `undefined` as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        // Node drains the rest after the response ends; reading it here would buffer an unbounded body.
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (error) => {
      if (!done) reject(error);
    });
  });
}

/** Sends a JSON body with an explicit length so keep-alive connections stay usable. */
export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(payload.length),
  });
  res.end(payload);
}
