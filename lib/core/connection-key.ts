import { ItemKeySchema } from '#contracts/item-key.ts';
import { ValidationError } from './errors.ts';
import { parseOrThrow } from './issues.ts';

export interface ConnectRequest {
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
}

export interface ConnectKeyOptions {
  keyAttribute: string;
  /** true: `?vehicleId=3`; false: a header named like the attribute (matched case-insensitively). */
  isQueryParam: boolean;
}

/**
 * The item key a new connection subscribes to, from its query string or header.
 * @throws ValidationError when it is missing or malformed (the connection is refused with 400).
 */
export function resolveConnectKey(request: ConnectRequest, options: ConnectKeyOptions): string {
  const where = options.isQueryParam ? 'query' : 'header';
  const raw = options.isQueryParam
    ? request.queryStringParameters?.[options.keyAttribute]
    : findHeader(request.headers, options.keyAttribute);
  if (raw === undefined || raw === '') {
    throw new ValidationError(`missing ${where} parameter "${options.keyAttribute}"`, [
      { path: `${where}.${options.keyAttribute}`, message: 'is required' },
    ]);
  }
  return parseOrThrow(ItemKeySchema, raw, `${where}.${options.keyAttribute}`);
}

function findHeader(headers: ConnectRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [header, value] of Object.entries(headers)) {
    if (header.toLowerCase() === wanted) return value;
  }
  return undefined;
}
