import { MAX_FRAME_BYTES } from '#contracts/ws-limits.ts';
import type { ServerFrame, SnapshotFrame } from '#contracts/ws-protocol.ts';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Splits a frame for sending: a snapshot whose JSON exceeds `maxBytes` (API Gateway's 32 KB frame)
 * becomes several snapshot frames of the same key, each with a run of its items in order and each
 * within the limit. An item too big to share a frame goes alone (ingest keeps every item's own frame
 * under the limit). Every other frame, and an empty snapshot, stays one frame. Clients merge
 * snapshot frames by item version, as they merge live item frames. Only the last part keeps the
 * page's `next` and `seq`, so a client continues (or resumes) once the whole page has arrived.
 */
export function splitFrame(frame: ServerFrame, maxBytes = MAX_FRAME_BYTES): ServerFrame[] {
  if (frame.type !== 'snapshot' || frame.items.length <= 1 || bytes(frame) <= maxBytes) return [frame];
  const { next, seq, ...page } = frame;
  const envelope = bytes({ ...frame, items: [] });
  const parts: SnapshotFrame[] = [];
  let items: SnapshotFrame['items'] = [];
  let size = envelope;
  for (const item of frame.items) {
    // +1: the comma between items.
    const itemSize = bytes(item) + 1;
    if (items.length > 0 && size + itemSize > maxBytes) {
      parts.push({ ...page, items });
      items = [];
      size = envelope;
    }
    items.push(item);
    size += itemSize;
  }
  parts.push({ ...frame, items });
  return parts;
}
