import { compareSeq, type Seq } from '#contracts/seq.ts';

/**
 * The client side of RealTimeData's ordering rule (lib/core/ports.ts, `ItemStore.applyReading`):
 * every applied write gets the next version. Fan-out is at-least-once and
 * snapshots overlap live frames, so a frame is applied only when its version is above the one held.
 */
function isNewerVersion(heldVersion: number | undefined, frameVersion: number): boolean {
  return heldVersion === undefined || frameVersion > heldVersion;
}

/** Versions held per item (key, channel). */
export class VersionBook {
  readonly #versions = new Map<string, Map<string, number>>();

  /** Records `version` when it is news and says whether it was. */
  accept(key: string, channel: string, version: number): boolean {
    let channels = this.#versions.get(key);
    if (!isNewerVersion(channels?.get(channel), version)) return false;
    if (!channels) {
      channels = new Map();
      this.#versions.set(key, channels);
    }
    channels.set(channel, version);
    return true;
  }

  /**
   * Says whether a removal of the item at `version` (the last version it had) is news: the item is
   * held at that version or below. The item is then forgotten, because an item written again after
   * its deletion starts over at version 1.
   */
  acceptRemoval(key: string, channel: string, version: number): boolean {
    const held = this.#versions.get(key)?.get(channel);
    if (held !== undefined && held > version) return false;
    this.#versions.get(key)?.delete(channel);
    return true;
  }

  forget(key: string): void {
    this.#versions.delete(key);
  }
}

/**
 * Per key, the highest `seq` the page holds (from live frames, replayed changes and a snapshot's
 * resume point): where a `sync` with `after` resumes after a reconnect. Seqs are compared by value
 * (`compareSeq`), never as strings.
 */
export class SeqBook {
  readonly #seqs = new Map<string, Seq>();

  /** Keeps `seq` when it is above the one held for `key`. */
  see(key: string, seq: Seq | undefined): void {
    if (seq === undefined) return;
    const held = this.#seqs.get(key);
    if (held === undefined || compareSeq(seq, held) > 0) this.#seqs.set(key, seq);
  }

  get(key: string): Seq | undefined {
    return this.#seqs.get(key);
  }

  forget(key: string): void {
    this.#seqs.delete(key);
  }
}
