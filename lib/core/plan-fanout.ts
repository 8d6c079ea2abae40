import { isLatestValueChannel } from '#contracts/channels.ts';
import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import type { ServerFrame } from '#contracts/ws-protocol.ts';
import type { ItemChange } from './stream-change.ts';

/** A connection subscribed to a key, with the framing it asked for at `$connect`. */
export interface Subscriber {
  connectionId: string;
  /** False when it connected with `?batch=false`: one change per frame, no `batch` frames. */
  batch: boolean;
}

/**
 * One PostToConnection: a frame to a connection and the changes it carries (indexes into the
 * planned changes), so each change's record can be settled by the posts that carried it.
 */
export interface Post {
  connectionId: string;
  frame: ServerFrame;
  /** Changes whose frame is inside `frame`. */
  carries: number[];
  /** Earlier changes of a latest-value item that `frame` carries as that item's newer state. */
  conflated: number[];
}

/** The distinct keys a batch of changes touches, in first-seen order: one subscriber lookup each. */
export function distinctKeys(changes: readonly ItemChange[]): string[] {
  return [...new Set(changes.map((change) => change.key))];
}

const encoder = new TextEncoder();
const byteLength = (value: unknown) => encoder.encode(JSON.stringify(value)).length;
/** `{"type":"batch","frames":[` + `]}`: what wrapping adds besides one comma between inner frames. */
const BATCH_OVERHEAD = byteLength({ type: 'batch', frames: [] });

/**
 * For each change, the later change of the same latest-value item (key and channel) within
 * `changes`, if any: that one carries the item's newest state, so the earlier frame may be left out
 * (contracts/channels.ts). Every-item channels keep every change.
 */
function supersededBy(changes: readonly ItemChange[]): Map<number, number> {
  const newest = new Map<string, number>();
  const superseded = new Map<number, number>();
  changes.forEach((change, index) => {
    if (!isLatestValueChannel(change.frame.channel)) return;
    const item = JSON.stringify([change.key, change.frame.channel]);
    const earlier = newest.get(item);
    if (earlier !== undefined) superseded.set(earlier, index);
    newest.set(item, index);
  });
  // Follow chains (v1 → v2 → v3) to the newest, so every conflated change names its carrier.
  for (const [earlier, later] of superseded) {
    let carrier = later;
    for (let next = superseded.get(carrier); next !== undefined; next = superseded.get(carrier))
      carrier = next;
    superseded.set(earlier, carrier);
  }
  return superseded;
}

/**
 * Who gets what, and in how few posts. `changes` are in stream order; each goes to every
 * subscriber of its key (a connection listed twice gets it once). A connection that batches gets
 * its changes in `batch` frames of at most `maxFrameBytes` each, in change order (so per key, apply
 * order), latest-value items as their newest change only; a group of one goes as the plain frame
 * (unless it stands for conflated changes too), and so does a frame too large to share a post. A connection with `batch: false` gets one post per
 * change, every change, as before batching.
 */
export function planPosts(
  changes: readonly ItemChange[],
  subscribersByKey: ReadonlyMap<string, readonly Subscriber[]>,
  maxFrameBytes: number = MAX_FRAME_BYTES,
): Post[] {
  const received = new Map<string, { batch: boolean; changes: number[] }>();
  changes.forEach((change, index) => {
    const seen = new Set<string>();
    for (const subscriber of subscribersByKey.get(change.key) ?? []) {
      if (seen.has(subscriber.connectionId)) continue;
      seen.add(subscriber.connectionId);
      const entry = received.get(subscriber.connectionId) ?? { batch: subscriber.batch, changes: [] };
      entry.changes.push(index);
      received.set(subscriber.connectionId, entry);
    }
  });

  const superseded = supersededBy(changes);
  const sizes = new Map<number, number>();
  const sizeOf = (index: number) => {
    let size = sizes.get(index);
    if (size === undefined) {
      size = byteLength(changes[index]?.frame);
      sizes.set(index, size);
    }
    return size;
  };

  const posts: Post[] = [];
  for (const [connectionId, entry] of received) {
    if (!entry.batch) {
      for (const index of entry.changes) {
        posts.push({ connectionId, frame: frameOf(changes, [index]), carries: [index], conflated: [] });
      }
      continue;
    }
    const conflatedInto = new Map<number, number[]>();
    const kept: number[] = [];
    for (const index of entry.changes) {
      const carrier = superseded.get(index);
      if (carrier === undefined) kept.push(index);
      else conflatedInto.set(carrier, [...(conflatedInto.get(carrier) ?? []), index]);
    }
    let group: number[] = [];
    let groupBytes = BATCH_OVERHEAD;
    const close = () => {
      if (group.length === 0) return;
      const conflated = group.flatMap((index) => conflatedInto.get(index) ?? []);
      posts.push({
        connectionId,
        frame: frameOf(changes, group, conflated.length > 0),
        carries: group,
        conflated,
      });
      group = [];
      groupBytes = BATCH_OVERHEAD;
    };
    for (const index of kept) {
      const added = sizeOf(index) + (group.length > 0 ? 1 : 0);
      if (group.length > 0 && groupBytes + added > maxFrameBytes) close();
      group.push(index);
      groupBytes += sizeOf(index) + (group.length > 1 ? 1 : 0);
    }
    close();
  }
  return posts;
}

/**
 * The plain frame of a single change, or a `batch` frame of several, or of one standing for
 * conflated changes too (so a client can tell a conflated gap from a lost frame: only a `batch`
 * frame ever leaves versions out).
 */
function frameOf(changes: readonly ItemChange[], group: readonly number[], conflating = false): ServerFrame {
  const frames = group.flatMap((index) => {
    const change = changes[index];
    return change ? [change.frame] : [];
  });
  const [only] = frames;
  if (frames.length === 1 && only && !conflating) return only;
  return { type: 'batch', frames };
}
