// Merges left in progress in a project copy (`update|pull --strategy merge --markers`): which artifact, in which
// direction, what the project held before the conflict markers were written, and everything `resolve` needs to
// finish it. Kept in the version store's meta table, per project, keyed by artifact key, so a new process (the
// CLI's `resolve`, the extension's drift check) finds it. The merge itself is serialised by core/sync/markers.
const KEY = (project: string) => `sync.merging:${project}`;

/** One merge in progress. */
export interface StoredPendingMerge {
  version: 1;
  /** `artifactKey(root, type, name)`. */
  key: string;
  project: string;
  direction: 'update' | 'pull';
  /** When the markers were written (ISO). */
  at: string;
  /** The journal of the sync that wrote the markers (an undo of it forgets this merge). */
  journalId?: string;
  /** The project copy's tree before the markers were written (its content is in the version store). */
  beforeTree: string;
  /** The project copy's tree as written with markers. */
  markersTree: string;
  /** Paths inside the artifact of the conflicting files ('' for a command or agent). */
  files: string[];
  /** The pending merge, serialised (see core/sync/markers). */
  pending: unknown;
}

/** The part of the version store this needs. */
export interface MetaReader { getMeta(key: string): string | undefined }
export interface MetaWriter extends MetaReader { setMeta(key: string, value: string): void }

/** Every merge in progress of a project, by artifact key. */
export function pendingMerges(store: MetaReader, project: string): Record<string, StoredPendingMerge> {
  try {
    const all = JSON.parse(store.getMeta(KEY(project)) || '{}') as Record<string, StoredPendingMerge>;
    if (!all || typeof all !== 'object' || Array.isArray(all)) return {};
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v && v.version === 1));
  } catch { return {}; }
}

/** Remembers a merge in progress (call inside a store transaction). */
export function setPendingMerge(store: MetaWriter, entry: StoredPendingMerge): void {
  store.setMeta(KEY(entry.project), JSON.stringify({ ...pendingMerges(store, entry.project), [entry.key]: entry }));
}

/** Forgets merges in progress: one artifact's, or those a journal wrote (call inside a store transaction). */
export function dropPendingMerges(store: MetaWriter, project: string, which: { key?: string; journalId?: string }): void {
  const all = pendingMerges(store, project);
  const keep = Object.fromEntries(Object.entries(all).filter(([k, v]) => !(which.key !== undefined && k === which.key) && !(which.journalId !== undefined && v.journalId === which.journalId)));
  if (Object.keys(keep).length !== Object.keys(all).length) store.setMeta(KEY(project), JSON.stringify(keep));
}
