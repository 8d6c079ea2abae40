/**
 * The client side of RealTimeData's ordering rule (lib/core/versioning.ts, `isNewerVersion`): the
 * web may import contracts only, so this is its tiny equivalent. Fan-out is at-least-once and
 * snapshots overlap live frames, so a frame is applied only when its version is above the one held.
 */
export function isNewerVersion(heldVersion: number | undefined, frameVersion: number): boolean {
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

  forget(key: string): void {
    this.#versions.delete(key);
  }
}
