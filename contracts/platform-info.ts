import * as z from './zod.ts';

/**
 * What `GET /health` tells clients (the web app) about the platform: where its APIs are and the
 * name of the key attribute. Both the local runtime and items-api answer it; other fields vary.
 */
export const PlatformInfoSchema = z.looseObject({
  status: z.string(),
  endpoints: z.looseObject({ http: z.string(), websocket: z.string() }),
  resources: z.optional(z.looseObject({ realTimeItemKey: z.optional(z.string()) })),
});
export type PlatformInfo = z.output<typeof PlatformInfoSchema>;
