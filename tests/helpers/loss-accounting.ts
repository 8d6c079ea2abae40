/**
 * Loss accounting of one subscriber's frames of one key, for load tests.
 *
 * The conditional writer gives every stored reading of an item the next `version` (1, 2, 3, …) and
 * refuses a reading older than (or as old as) the stored one. So the versions 1..`storedVersion` are
 * the exact ledger of what was stored: each must reach every subscriber once, in version order, and
 * versions must grow with the readings' sequence numbers. A sent reading that never got a version was
 * superseded (a newer one was stored first) and is owed to no one.
 */
export interface AccountedFrame {
  /** The per-key sequence number the reading carried in `data`. */
  seq: number;
  version: number;
  /**
   * It arrived inside a `batch` frame. Only there may the fan-out have left out older versions of
   * the item (latest-value conflation within one invocation), so only the versions just below a
   * batched frame count as conflated rather than lost.
   */
  batched?: boolean;
}

export interface KeyLedger {
  /** Sequence numbers of the readings sent for the key. */
  sent: readonly number[];
  /** The item's version after the run (GET /items): how many readings were stored. */
  storedVersion: number;
  /** The sequence number the stored item carries after the run. */
  storedSeq: number;
  /** The key's item frames one subscriber received, in arrival order. */
  frames: readonly AccountedFrame[];
}

export interface LossReport {
  /** Distinct stored versions received. */
  delivered: number;
  /** Stored versions never received, plus a final state that is not the last reading sent. */
  lost: number;
  /** Stored versions not received because a batch frame carried a newer one of the item instead. */
  conflated: number;
  /** Frames of a version already received. */
  duplicated: number;
  /** Frames arriving after a higher version, or whose seq does not grow with the version. */
  reordered: number;
  /** Readings sent but never stored (refused as older than the stored one). */
  superseded: number;
}

/** Accounts one subscriber's frames of one key against what was sent and stored. */
export function accountKey(ledger: KeyLedger): LossReport {
  const seen = new Map<number, number>();
  let duplicated = 0;
  let reordered = 0;
  const conflated = new Set<number>();
  let highestVersion = 0;
  let seqAtHighest = Number.NEGATIVE_INFINITY;
  for (const frame of ledger.frames) {
    if (seen.has(frame.version)) {
      duplicated++;
      continue;
    }
    seen.set(frame.version, frame.seq);
    if (frame.version < highestVersion || frame.seq <= seqAtHighest) reordered++;
    else {
      if (frame.batched)
        for (let skipped = highestVersion + 1; skipped < frame.version; skipped++) conflated.add(skipped);
      highestVersion = frame.version;
      seqAtHighest = frame.seq;
    }
  }
  let lost = 0;
  for (let version = 1; version <= ledger.storedVersion; version++) {
    if (!seen.has(version) && !conflated.has(version)) lost++;
  }
  const lastSent = ledger.sent.length === 0 ? undefined : Math.max(...ledger.sent);
  // The newest reading can be refused by no one: if the item does not hold it, it was lost on the way in.
  if (lastSent !== undefined && ledger.storedSeq !== lastSent) lost++;
  return {
    delivered: seen.size,
    lost,
    conflated: [...conflated].filter((version) => !seen.has(version)).length,
    duplicated,
    reordered,
    superseded: Math.max(0, ledger.sent.length - ledger.storedVersion),
  };
}

/** Adds reports up. */
export function sumReports(reports: Iterable<LossReport>): LossReport {
  const total: LossReport = {
    delivered: 0,
    lost: 0,
    conflated: 0,
    duplicated: 0,
    reordered: 0,
    superseded: 0,
  };
  for (const report of reports) {
    total.delivered += report.delivered;
    total.lost += report.lost;
    total.conflated += report.conflated;
    total.duplicated += report.duplicated;
    total.reordered += report.reordered;
    total.superseded += report.superseded;
  }
  return total;
}
