import * as z from 'zod';
import { LOCAL_JWT_SECRET } from '#local/auth/local-auth.ts';
import { DEFAULT_STACK_NAME } from '#local/template/local-identity.ts';
import { CommaListSchema } from '#runtime/config.ts';

/** The local runtime's settings, from the environment; every one has a default that works on a fresh machine. */
const LocalEnvSchema = z.object({
  RTP_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  RTP_WS_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  RTP_DYNAMODB_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  RTP_KINESIS_PORT: z.coerce.number().int().min(0).max(65_535).default(4567),
  RTP_MQTT_PORT: z.coerce.number().int().min(0).max(65_535).default(1883),
  /** SQS, SNS and S3 (fauxqs) share this port. */
  RTP_SQS_PORT: z.coerce.number().int().min(0).max(65_535).default(4566),
  /** Keep DynamoDB Local's data here between runs; in memory when unset. */
  RTP_DATA_DIR: z.string().min(1).optional(),
  /**
   * `off`: the history writer does not read the stream (no history, every `sync` with `after`
   * answers `reset`); the bench compares ingest → frame latency with and without it.
   */
  RTP_HISTORY: z.enum(['on', 'off']).default('on'),
  RTP_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  RTP_STACK_NAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)
    .default(DEFAULT_STACK_NAME),
  /** `none` (default): the WebSocket API is open locally; `jwt`: `$connect` needs a token (`rtp token`). */
  RTP_AUTH_MODE: z.enum(['none', 'jwt']).default('none'),
  /** The HS256 secret of local tokens (`rtp start` verifies with it, `rtp token` signs with it). */
  RTP_JWT_SECRET: z.string().min(32).default(LOCAL_JWT_SECRET),
  /**
   * The ingest API key: `rtp start` requires it on POST /readings, `rtp publish/simulate` send it.
   * Unset: `rtp start` requires the well-known local key with RTP_AUTH_MODE=jwt and no key with
   * `none`; publish/simulate send the well-known key.
   */
  RTP_API_KEY: z.string().min(1).optional(),
  /** A token `rtp subscribe` connects with (with RTP_AUTH_MODE=jwt). */
  RTP_TOKEN: z.string().min(1).optional(),
  /**
   * Browser origins allowed besides the platform's own (comma separated, e.g. the Vite dev server's
   * `http://127.0.0.1:5173`; `*` allows all): others get 403 on the WebSocket and no CORS headers.
   */
  RTP_ALLOWED_ORIGINS: CommaListSchema,
  /** Where `rtp subscribe/publish/simulate` find the platform. */
  RTP_URL: z.url().default('http://127.0.0.1:3000'),
});
export type LocalEnv = z.output<typeof LocalEnvSchema>;

/** @throws Error naming every bad variable. */
export function readLocalEnv(env: NodeJS.ProcessEnv = process.env): LocalEnv {
  const result = LocalEnvSchema.safeParse(env);
  if (result.success) return result.data;
  throw new Error(
    `bad settings: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}
