import { z } from 'zod';

/** The local runtime's settings, from the environment; every one has a default that works on a fresh machine. */
export const LocalEnvSchema = z.object({
  RTP_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  RTP_WS_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  RTP_DYNAMODB_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  /** Keep DynamoDB Local's data here between runs; in memory when unset. */
  RTP_DATA_DIR: z.string().min(1).optional(),
  RTP_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  RTP_STACK_NAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,100}$/)
    .default('rtp-local'),
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
