// The status-bar text as a pure function of the sync state (SPEC §8): Offline, Syncing, Conflict,
// Up-to-Date, Error. The VS Code glue only copies these strings into the status bar item.
import { countStates, divergedCount, type DriftReport } from './model';

export type SyncState = 'up-to-date' | 'drifted' | 'conflict' | 'syncing' | 'error' | 'offline' | 'idle';

export interface StatusInput {
  reports: readonly Pick<DriftReport, 'artifacts' | 'errors' | 'collections'>[];
  syncing?: boolean;
  /** Set when the last check failed outright. */
  error?: string;
}

export interface StatusView {
  state: SyncState;
  text: string;
  tooltip: string;
  /** 'error' | 'warning' | undefined — mapped to statusBarItem.*Background by the glue. */
  severity?: 'error' | 'warning';
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

/** Derives the status bar's state, text and tooltip from the latest drift reports. */
export function statusView(input: StatusInput): StatusView {
  if (input.syncing) return { state: 'syncing', text: '$(sync~spin) SkillMeat: syncing', tooltip: 'SkillMeat Sync is syncing artifacts…' };
  const errors = input.reports.flatMap((r) => r.errors);
  if (input.error || errors.length) {
    const msg = input.error ?? errors.map((e) => e.message).join('\n');
    return { state: 'error', text: '$(error) SkillMeat: error', tooltip: `SkillMeat Sync could not check drift:\n${msg}\nClick to open the drift view; fix the file, then Refresh.`, severity: 'error' };
  }
  if (input.reports.length === 0) return { state: 'idle', text: '$(circle-slash) SkillMeat', tooltip: 'No workspace folder with Claude Code artifacts.' };
  const all = { artifacts: input.reports.flatMap((r) => r.artifacts) };
  const counts = countStates(all);
  const diverged = divergedCount(all);
  const unreachable = input.reports.flatMap((r) => r.collections).filter((c) => !c.reachable);
  const detail = (['conflict', 'modified', 'outdated', 'deleted', 'removed', 'invalid', 'converged', 'added', 'untracked', 'in-sync'] as const)
    .filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ');
  if (unreachable.length) {
    return {
      state: 'offline', text: `$(debug-disconnect) SkillMeat: offline${diverged ? ` · ${diverged} drifted` : ''}`,
      tooltip: `Collection unreachable: ${unreachable.map((c) => c.path).join(', ')}.\nLocal changes are still tracked. ${detail}`, severity: 'warning',
    };
  }
  if (counts.conflict > 0) {
    return { state: 'conflict', text: `$(git-merge) SkillMeat: ${plural(counts.conflict, 'conflict')}${diverged > counts.conflict ? ` · ${diverged} drifted` : ''}`, tooltip: `Artifacts changed on both sides need a merge. ${detail}`, severity: 'error' };
  }
  if (diverged > 0) return { state: 'drifted', text: `$(warning) SkillMeat: ${diverged} drifted`, tooltip: `Artifacts differ from what was deployed. ${detail}`, severity: 'warning' };
  return { state: 'up-to-date', text: '$(check) SkillMeat: in sync', tooltip: `All deployed artifacts match the collection. ${detail}`.trim() };
}
