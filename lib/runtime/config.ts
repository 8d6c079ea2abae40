import { DEFAULT_MAX_CLOCK_SKEW_MS } from '#contracts/timestamp.ts';
import * as z from '#contracts/zod.ts';
import { ConfigError } from '#core/errors.ts';
import type { ApiKeyGrant } from './api-key.ts';

/** Attributes of a RealTimeData item; the key attribute must not collide with them. */
const RESERVED_ITEM_ATTRIBUTES = new Set([
  'itemKey',
  'channel',
  'ts',
  'position',
  'version',
  'source',
  'data',
  'receivedAt',
  'expiresAt',
]);

/**
 * Environment of every function (template Globals). Each handler extends it with its own
 * variables and parses it once, at cold start, with `loadConfig`.
 */
export const BaseEnvSchema = z.object({
  STAGE: z._default(z.string().check(z.minLength(1)), 'develop'),
  ITEMS_TABLE: z.string().check(z.minLength(3)),
  CONNECTIONS_TABLE: z.string().check(z.minLength(3)),
  REAL_TIME_ITEM_KEY: z._default(
    z.string().check(
      z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be an attribute name like "vehicleId"'),
      z.refine(
        (name) => !RESERVED_ITEM_ATTRIBUTES.has(name),
        'is an attribute RealTimeData items already use',
      ),
    ),
    'vehicleId',
  ),
  IS_QUERY_PARAM: z.pipe(
    z._default(z.enum(['true', 'false']), 'true'),
    z.transform((value) => value === 'true'),
  ),
  /** How far ahead of the platform's clock a reading's `ts` may be (template `MaxClockSkewMs`). */
  MAX_CLOCK_SKEW_MS: z._default(
    z.coerce.number().check(z.int(), z.gte(0), z.lte(86_400_000)),
    DEFAULT_MAX_CLOCK_SKEW_MS,
  ),
});

/** Where frames are posted: the WebSocket API's `@connections` endpoint (https://…/{stage}). */
export const CallbackEnvSchema = z.object({
  WS_CALLBACK_URL: z.url(),
});

/** The source's reject queue (contracts/rejects.ts): inputs that can never apply, with their bytes. */
export const RejectQueueEnvSchema = z.object({ REJECT_QUEUE_URL: z.url() });

export const ConnectionTtlEnvSchema = z.object({
  CONNECTION_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(60), z.lte(86_400)), 7200),
});

/** ws-rooms: how long a message lives after it was posted (template parameter RoomMessageRetentionHours). */
export const RoomRetentionEnvSchema = z.object({
  ROOM_MESSAGE_RETENTION_HOURS: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(8760)), 168),
});

/** The history table (ItemHistoryTable): the history writer, items-api and ws-actions. */
export const HistoryEnvSchema = z.object({ HISTORY_TABLE: z.string().check(z.minLength(3)) });

/** s3-objects: objects above `OBJECT_MAX_BYTES` (template parameter `MaxObjectBytes`) are refused unread. */
export const ObjectLimitsEnvSchema = z.object({
  OBJECT_MAX_BYTES: z._default(z.coerce.number().check(z.int(), z.positive()), 268_435_456),
});

/**
 * Per-connection limits of the WebSocket API (template Globals, parameters
 * MaxSubscriptionsPerConnection and ActionRateLimit): subscriptions one connection may hold, and
 * client actions it may send per rate window (10 s; twice as many closes it).
 */
const ConnectionLimitsEnvSchema = z.object({
  WS_MAX_SUBSCRIPTIONS: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(10_000)), 100),
  WS_ACTION_RATE_LIMIT: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100_000)), 100),
});

/**
 * The AWS IoT data plane endpoint for `Publish` (template parameter `IotDataEndpoint`): the account's
 * `iot:Data-ATS` address. Empty means the SDK's own resolution (locally `AWS_ENDPOINT_URL_IOT_DATA_PLANE`).
 */
export const IotDataEnvSchema = z.object({
  IOT_DATA_ENDPOINT: z._default(z.union([z.literal(''), z.url()]), ''),
});

/**
 * Template parameter `AuthMode` (Globals): `jwt` — `$connect` runs the JWT authorizer and every
 * WebSocket action is checked against the connection's claims; `none` — everyone may do everything.
 */
export const AuthModeEnvSchema = z.object({ AUTH_MODE: z._default(z.enum(['jwt', 'none']), 'jwt') });

/** Environment of every WebSocket action route (`wsActionHandler`): each extends it with its own. */
export const WsActionEnvSchema = z.extend(BaseEnvSchema, {
  ...CallbackEnvSchema.shape,
  ...AuthModeEnvSchema.shape,
  ...ConnectionLimitsEnvSchema.shape,
});

/** Empty strings count as unset: the template declares these with `''` defaults. */
const optionalText = z.pipe(
  z.optional(z.string()),
  z.transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
);

/**
 * The JWT authorizer's settings: on AWS a JWKS with issuer and audience (RS256); locally an HS256
 * secret (the local runtime sets `JWT_SECRET`). With `AUTH_MODE=jwt` one of them must be complete.
 */
export const JwtEnvSchema = z
  .extend(AuthModeEnvSchema, {
    JWKS_URL: z.pipe(optionalText, z.optional(z.url())),
    JWT_ISSUER: optionalText,
    JWT_AUDIENCE: optionalText,
    JWT_SECRET: z.pipe(
      optionalText,
      z.optional(z.string().check(z.minLength(32, 'must be at least 32 characters'))),
    ),
  })
  .check(
    z.superRefine((env, ctx) => {
      if (env.AUTH_MODE !== 'jwt' || env.JWT_SECRET !== undefined) return;
      for (const name of ['JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
        if (env[name] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'is required with AUTH_MODE=jwt (or set JWT_SECRET locally)',
          });
      }
    }),
  );

/** A comma separated list in one variable: entries trimmed, empty ones dropped; unset is `[]`. */
export const CommaListSchema = z.pipe(
  z._default(z.string(), ''),
  z.transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  ),
);

/** An item key pattern of an API key's limits: the token `keys` syntax (exact, or `*` globs). */
const KEY_PATTERN = /^[A-Za-z0-9_.:@*-]{1,128}$/;

/**
 * API keys accepted by REST ingest (`x-api-key`), comma separated; a key may be limited to item key
 * patterns after a colon, separated by `|`: `fleet-key:vehicle-*|3,admin-key` (admin-key writes any
 * key). Empty: no keys (every reading refused with AuthMode=jwt, ingest open with none).
 */
export const ApiKeysEnvSchema = z.object({
  INGEST_API_KEYS: z.pipe(
    z._default(z.string(), ''),
    z.transform((value, ctx): ApiKeyGrant[] => {
      const grants: ApiKeyGrant[] = [];
      for (const entry of value.split(',').map((text) => text.trim())) {
        if (entry.length === 0) continue;
        const colon = entry.indexOf(':');
        if (colon < 0) {
          grants.push({ key: entry });
          continue;
        }
        const key = entry.slice(0, colon).trim();
        const keyPatterns = entry
          .slice(colon + 1)
          .split('|')
          .map((pattern) => pattern.trim());
        if (key.length === 0 || !keyPatterns.every((pattern) => KEY_PATTERN.test(pattern))) {
          // zod/mini hands a transform the parse payload itself (no `addIssue`): the issue goes on its list.
          ctx.issues.push({
            code: 'custom',
            input: value,
            message:
              'each entry is <key> or <key>:<pattern>|<pattern>… (patterns: letters, digits, _.:@-, *)',
          });
          return z.NEVER;
        }
        grants.push({ key, keyPatterns });
      }
      return grants;
    }),
  ),
});

/**
 * Parses `env` with `schema`, once.
 * @throws ConfigError naming every missing or bad variable, so a bad deploy fails at once and says why.
 */
export function loadConfig<S extends z.core.$ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/**
 * Powertools' own tracing switch, read here so the Tracer (and the X-Ray SDK's process-wide async
 * hook) is only loaded when tracing is on. On Lambda it is on unless set to "false".
 */
export const TracingEnvSchema = z.object({
  POWERTOOLS_TRACE_ENABLED: z.pipe(
    z._default(z.enum(['true', 'false', '1', '0']), 'true'),
    z.transform((value) => value === 'true' || value === '1'),
  ),
});
