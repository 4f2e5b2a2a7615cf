// The status bar's sync state as a pure function of the drift reports (SPEC §8): Offline, Syncing, Conflict,
// Up-to-Date, Error, with the counts behind it. Structured data only: src/vscode/drift/statusBar.ts words it
// (through vscode.l10n.t), so the core holds no display text.
import { countStates, divergedCount, type DriftReport, type DriftState } from '../model';

export type SyncState = 'up-to-date' | 'drifted' | 'conflict' | 'syncing' | 'error' | 'offline' | 'idle';

export interface StatusInput {
  reports: readonly Pick<DriftReport, 'artifacts' | 'errors' | 'collections'>[];
  syncing?: boolean;
  /** Set when the last check failed outright. */
  error?: string;
}

export interface SyncStatus {
  state: SyncState;
  /** Artifacts per drift state, summed over every workspace folder. */
  counts: Record<DriftState, number>;
  /** Artifacts needing attention (SPEC §4), summed over every workspace folder. */
  diverged: number;
  /**
   * Paths of the collections the check needed and could not read (a record points at them, or the setting
   * names them); their artifacts are counted under `counts.unreachable`.
   */
  unreachable: string[];
  /** With state `error`: the failed check's message, or the records errors (each names its file), one per line. */
  error?: string;
  /** 'error' | 'warning' | undefined — mapped to statusBarItem.*Background by the glue. */
  severity?: 'error' | 'warning';
}

/** Derives the status bar's state, counts and severity from the latest drift reports. */
export function syncStatus(input: StatusInput): SyncStatus {
  const all = { artifacts: input.reports.flatMap((r) => r.artifacts) };
  const counts = countStates(all);
  const diverged = divergedCount(all);
  // A default collection consulted only to list what could be deployed is not a reason to be Offline.
  const unreachable = [...new Set(input.reports.flatMap((r) => r.collections).filter((c) => !c.reachable && c.required).map((c) => c.path))];
  const base = { counts, diverged, unreachable };
  if (input.syncing) return { ...base, state: 'syncing' };
  const errors = input.reports.flatMap((r) => r.errors);
  if (input.error || errors.length) return { ...base, state: 'error', error: input.error ?? errors.map((e) => e.message).join('\n'), severity: 'error' };
  if (input.reports.length === 0) return { ...base, state: 'idle' };
  if (unreachable.length) return { ...base, state: 'offline', severity: 'warning' };
  if (counts.conflict > 0) return { ...base, state: 'conflict', severity: 'error' };
  if (diverged > 0) return { ...base, state: 'drifted', severity: 'warning' };
  return { ...base, state: 'up-to-date' };
}
