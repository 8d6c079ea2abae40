import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer the proxy gives instead of forwarding: a status with API Gateway's error type header. */
export interface InjectedFault {
  status: number;
  errorType: string;
  message: string;
}

/**
 * Decides, per request, whether to fail it; undefined forwards it to the gateway. A promise holds the
 * request until it settles (a stuck post: the fan-out invocation waits, records pile up behind it).
 */
export type FaultRule = (
  method: string,
  body: Buffer,
) => InjectedFault | undefined | Promise<InjectedFault | undefined>;

export interface ConnectionsProxy {
  /** Port on 127.0.0.1: point WS_CALLBACK_URL at `http://127.0.0.1:<port>/<stage>`. */
  port: number;
  /** Where forwarded requests go (the local gateway's origin), once the platform is up. */
  forwardTo(origin: string): void;
  stop(): Promise<void>;
}

/**
 * A fault-injecting HTTP proxy in front of the local `@connections` endpoint: a real HTTP hop, like
 * a flaky network, API Gateway 5xx or its throttling, that the functions' SDK calls go through.
 */
export async function startConnectionsProxy(rule: FaultRule): Promise<ConnectionsProxy> {
  let origin = '';
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = await rule(req.method ?? 'GET', body);
    if (fault) {
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': fault.errorType,
      });
      res.end(JSON.stringify({ message: fault.message }));
      return;
    }
    const response = await fetch(`${origin}${req.url}`, {
      method: req.method ?? 'GET',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
      ...(req.method === 'POST' ? { body } : {}),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
    });
    res.writeHead(response.status, headers);
    res.end(Buffer.from(await response.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    forward(req, res).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    forwardTo: (target) => {
      origin = target;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
