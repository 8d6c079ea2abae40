import * as z from './zod.ts';

/** One problem with an input: where it is (`path`, dotted) and what is wrong. */
export const IssueSchema = z.strictObject({
  path: z.string(),
  message: z.string(),
});
export type Issue = z.output<typeof IssueSchema>;

/** Every HTTP error body the platform sends. 5xx bodies are generic and carry no issues. */
export const ErrorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    issues: z.optional(z.array(IssueSchema)),
  }),
});
export type ErrorBody = z.output<typeof ErrorBodySchema>;
