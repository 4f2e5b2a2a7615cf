// The sync's writes to project artifacts, reported to the History capture (SPEC §6: the product's own
// writes are never captured as user edits).
import type { OwnWrites } from './captureController';

/**
 * Runs `fn` as the product's own write of these project paths, so the History capture does not record the
 * sync's changes as user edits (the sync stores its own versions). Paths only known afterwards (a fork, an
 * undo) are reported once written: the capture waits a quiet window, so a report right after is in time.
 */
export async function asOwnWrite<T>(own: OwnWrites | undefined, paths: readonly string[], fn: () => Promise<T>): Promise<T> {
  if (!own) return fn();
  const wrapped = [...new Set(paths)].reduce<() => Promise<T>>((inner, p) => () => own.ownWrite(p, 'sync', inner), fn);
  return wrapped();
}
