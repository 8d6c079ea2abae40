import * as z from './zod.ts';

/**
 * `seq`: a change's position in its key's stream, the same on every channel of the key. It is the
 * DynamoDB Streams sequence number of the change's stream record (decimal digits, no leading zeros;
 * a string because it outgrows a JSON number's 2^53). Why it increases per key in apply order:
 * - every item of a key shares the partition key `itemKey`, so all of a key's changes are recorded in
 *   the shard of that partition, and a shard keeps them in the order they were applied;
 * - when a partition splits, its shard closes and a child continues it: the stream consumers
 *   (Lambda's event source mapping, locally the shard poller) finish a parent before its children,
 *   and a child's sequence numbers start above its parent's range;
 * - the numbers belong to the stream, not to a process: a restarted consumer, or locally a restarted
 *   platform with `RTP_DATA_DIR` (DynamoDB Local keeps its stream in the data dir), continues them.
 * Compare two with `compareSeq` (by value), never as plain strings.
 */
export const SeqSchema = z
  .string('must be a seq string from a frame')
  .check(z.regex(/^[1-9][0-9]{0,39}$/, 'must be a seq from a frame (decimal digits)'));
export type Seq = z.output<typeof SeqSchema>;

/** Orders two seqs by value: negative when `a` came first, 0 when equal, positive when `a` came later. */
export function compareSeq(a: Seq, b: Seq): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
