import * as z from './zod.ts';

/**
 * Paged reads of a key's items (`GET /items/{key}`, the WebSocket `sync`, job statistics): one read
 * returns at most `limit` items in channel order and, when more remain, an opaque cursor `next` to
 * ask for the following page with. No key, however many items it holds, grows one answer past a
 * page: every item's frame is under 32 KB (ingest refuses bigger ones), so a full page of
 * MAX_PAGE_LIMIT items stays under 3.2 MB — below Lambda's 6 MB response and API Gateway's 10 MB.
 */
export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 100;

/** How many items one page may hold. */
export const PageLimitSchema = z
  .number()
  .check(
    z.int('must be an integer'),
    z.gte(1, 'must be at least 1'),
    z.lte(MAX_PAGE_LIMIT, `must be at most ${MAX_PAGE_LIMIT}`),
  );

/** An opaque continuation token: pass back `next` unchanged. */
export const PageCursorSchema = z
  .string()
  .check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(512, 'must be at most 512 characters'),
    z.regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor returned as `next`'),
  );

/** The query string of `GET /items/{key}`: `?limit=<1..100>&cursor=<next>`, both optional. */
export const ItemPageQuerySchema = z.strictObject({
  limit: z.optional(z.pipe(z.coerce.number('must be a number'), PageLimitSchema)),
  cursor: z.optional(PageCursorSchema),
});
export type ItemPageQuery = z.output<typeof ItemPageQuerySchema>;
