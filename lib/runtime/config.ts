import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Attributes of a RealTimeData item; the key attribute must not collide with them. */
const RESERVED_ITEM_ATTRIBUTES = new Set([
  'itemKey',
  'channel',
  'ts',
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
  STAGE: z.string().min(1).default('develop'),
  ITEMS_TABLE: z.string().min(3),
  CONNECTIONS_TABLE: z.string().min(3),
  REAL_TIME_ITEM_KEY: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be an attribute name like "vehicleId"')
    .refine((name) => !RESERVED_ITEM_ATTRIBUTES.has(name), 'is an attribute RealTimeData items already use')
    .default('vehicleId'),
  IS_QUERY_PARAM: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
});

/** Where frames are posted: the WebSocket API's `@connections` endpoint (https://…/{stage}). */
export const CallbackEnvSchema = z.object({ WS_CALLBACK_URL: z.url() });

export const ConnectionTtlEnvSchema = z.object({
  CONNECTION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(7200),
});

/**
 * Parses `env` with `schema`, once.
 * @throws ConfigError naming every missing or bad variable, so a bad deploy fails at once and says why.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}
