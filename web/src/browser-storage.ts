/*
 * localStorage access that never throws: storage may be disabled (privacy modes, sandboxed frames),
 * and a page must still work then, holding its choices for the visit only.
 */

/** The stored value of `name`, or null when there is none or storage is unavailable. */
export function stored(name: string): string | null {
  try {
    return localStorage.getItem(name);
  } catch {
    return null;
  }
}

/** Stores `value` under `name` when storage is available. */
export function remember(name: string, value: string): void {
  try {
    localStorage.setItem(name, value);
  } catch {
    // Storage may be disabled; the value holds for this visit only.
  }
}

/** Removes `name` from storage when storage is available. */
export function forget(name: string): void {
  try {
    localStorage.removeItem(name);
  } catch {
    // Nothing stored then.
  }
}
