// The status bar item: the core's syncStatus() says which state and how many — from the drift reports and
// the operations service (Syncing while a write runs, Error after one failed) — and statusBarView() words it.
// A click focuses the drift view, or retries the failed operation.
import * as vscode from 'vscode';
import { isDiverged, type DriftState } from '../../core/model';
import { syncStatus, type SyncStatus } from '../../core/drift/status';
import type { DriftService } from './driftService';
import type { Operations } from '../platform/operations';
import type { OfflineController, OfflineSummary } from '../offline/offlineController';
import { COMMANDS } from '../platform/ids';
import { gitTooltipLines } from './gitState';

/** "3 modified" — one literal per state so each can be translated (and put in its own word order). */
function stateCount(state: DriftState, n: number): string {
  switch (state) {
    case 'merging': return vscode.l10n.t('{0} merging', n);
    case 'conflict': return vscode.l10n.t('{0} conflict', n);
    case 'modified': return vscode.l10n.t('{0} modified', n);
    case 'outdated': return vscode.l10n.t('{0} outdated', n);
    case 'deleted': return vscode.l10n.t('{0} deleted', n);
    case 'removed': return vscode.l10n.t('{0} removed', n);
    case 'invalid': return vscode.l10n.t('{0} invalid', n);
    case 'converged': return vscode.l10n.t('{0} converged', n);
    case 'added': return vscode.l10n.t('{0} added', n);
    case 'untracked': return vscode.l10n.t('{0} untracked', n);
    case 'in-sync': return vscode.l10n.t('{0} in sync', n);
    case 'unreachable': return vscode.l10n.t('{0} unreachable', n);
  }
}

/** The tooltip lists what could not be checked, then what needs attention, then the rest. */
const DETAIL_ORDER: readonly DriftState[] = ['unreachable', 'merging', 'conflict', 'modified', 'outdated', 'deleted', 'removed', 'invalid', 'converged', 'added', 'untracked', 'in-sync'];

const list = (s: SyncStatus, states: readonly DriftState[]): string =>
  states.filter((state) => s.counts[state] > 0).map((state) => stateCount(state, s.counts[state])).join(', ');

/**
 * The counts under the tooltip's sentence, each line counting exactly what it names: "5 drifted: 1 conflict,
 * 4 modified" (the drift, whose total is the status bar's number), then "Not drift: 2 in sync, 1 added".
 */
function detail(s: SyncStatus): string {
  const lines: string[] = [];
  if (s.counts.unreachable) lines.push(vscode.l10n.t('Not checked: {0}', list(s, ['unreachable'])));
  const drift = list(s, DETAIL_ORDER.filter((state) => isDiverged(state)));
  if (drift) lines.push(vscode.l10n.t('{0} drifted: {1}', s.diverged, drift));
  const rest = list(s, DETAIL_ORDER.filter((state) => !isDiverged(state) && state !== 'unreachable'));
  if (rest) lines.push(vscode.l10n.t('Not drift: {0}', rest));
  return lines.join('\n');
}

/** A sentence followed by the counts, when there are any. */
const withDetail = (sentence: string, s: SyncStatus): string => [sentence, detail(s)].filter(Boolean).join('\n');

function conflictLabel(s: SyncStatus): string {
  const n = s.counts.conflict;
  // Conflicts are part of the drift: "5 drifted (1 conflict)" counts five artifacts, never six.
  if (s.diverged > n) return n === 1 ? vscode.l10n.t('SkillMeat: {0} drifted (1 conflict)', s.diverged) : vscode.l10n.t('SkillMeat: {0} drifted ({1} conflicts)', s.diverged, n);
  return n === 1 ? vscode.l10n.t('SkillMeat: 1 conflict') : vscode.l10n.t('SkillMeat: {0} conflicts', n);
}

/** The status bar's text (a codicon, then words) and tooltip for a sync status. */
export function statusBarView(s: SyncStatus): { text: string; tooltip: string } {
  switch (s.state) {
    case 'syncing':
      return { text: `$(sync~spin) ${vscode.l10n.t('SkillMeat: syncing')}`, tooltip: vscode.l10n.t('SkillMeat Sync is syncing artifacts…') };
    case 'error':
      return {
        text: `$(error) ${vscode.l10n.t('SkillMeat: error')}`,
        tooltip: vscode.l10n.t('SkillMeat Sync could not check drift:\n{0}\nClick to open the drift view; fix the file, then Refresh.', s.error ?? ''),
      };
    case 'idle':
      return { text: '$(circle-slash) SkillMeat', tooltip: vscode.l10n.t('No workspace folder with Claude Code artifacts.') };
    case 'offline':
      return {
        text: `$(debug-disconnect) ${s.diverged ? vscode.l10n.t('SkillMeat: Offline · {0} drifted', s.diverged) : vscode.l10n.t('SkillMeat: Offline')}`,
        tooltip: withDetail(vscode.l10n.t('Collection unreachable: {0}.\nIts artifacts could not be checked; local edits are still captured. Mount or create the collection, or select another one.', s.unreachable.join(', ')), s),
      };
    case 'conflict':
      return { text: `$(git-merge) ${conflictLabel(s)}`, tooltip: withDetail(vscode.l10n.t('Artifacts changed on both sides need a merge.'), s) };
    case 'drifted':
      return { text: `$(warning) ${vscode.l10n.t('SkillMeat: {0} drifted', s.diverged)}`, tooltip: withDetail(vscode.l10n.t('Artifacts differ from what was deployed.'), s) };
    case 'up-to-date':
      return { text: `$(check) ${vscode.l10n.t('SkillMeat: in sync')}`, tooltip: withDetail(vscode.l10n.t('All deployed artifacts match the collection.'), s) };
  }
}

/** `12:34` in the display language: when the next retry runs. */
function retryTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(vscode.env.language, { hour: '2-digit', minute: '2-digit' });
}

/** The offline queue under the tooltip: what waits, what became a conflict, and when the next retry runs. */
function queueDetail(o: OfflineSummary): string {
  const lines: string[] = [];
  if (o.queued.length) {
    lines.push(vscode.l10n.t('Queued until the collection is reachable:'));
    for (const q of o.queued) lines.push(`  ${q.direction === 'update' ? vscode.l10n.t('update {0} ({1})', q.artifact.name, q.strategy) : vscode.l10n.t('pull {0} ({1})', q.artifact.name, q.strategy)}`);
  }
  if (o.conflicts.length) {
    lines.push(vscode.l10n.t('Queued operations not run (the other side changed):'));
    for (const q of o.conflicts) lines.push(`  ${q.reason ?? q.artifact.name}`);
  }
  if (o.nextRetryAt !== undefined) lines.push(vscode.l10n.t('Next retry at {0}.', retryTime(o.nextRetryAt)));
  return lines.join('\n');
}

/**
 * The offline loop's part of the status bar (issue 14): Offline · N queued, Conflict for queued operations
 * that met a change, Error with the next retry time. Undefined when the drift's own view says it all.
 */
export function offlineView(s: SyncStatus, o: OfflineSummary | undefined): { text: string; tooltip: string } | undefined {
  if (!o) return undefined;
  const detail = queueDetail(o);
  if (s.state === 'offline' && o.queued.length) {
    const base = statusBarView(s);
    return { text: `$(debug-disconnect) ${vscode.l10n.t('SkillMeat: Offline · {0} queued', o.queued.length)}`, tooltip: [base.tooltip, detail].join('\n') };
  }
  if (s.state === 'syncing' && (o.queued.length || o.conflicts.length)) {
    return { text: `$(sync~spin) ${vscode.l10n.t('SkillMeat: syncing')}`, tooltip: [vscode.l10n.t('SkillMeat Sync is syncing artifacts…'), detail].join('\n') };
  }
  if (o.state === 'error' && o.nextRetryAt !== undefined) {
    return {
      text: `$(error) ${vscode.l10n.t('SkillMeat: error — next retry {0}', retryTime(o.nextRetryAt))}`,
      tooltip: [vscode.l10n.t('SkillMeat Sync: the last sync failed:\n{0}', o.error ?? ''), detail].join('\n'),
    };
  }
  if (o.conflicts.length && s.state !== 'syncing' && s.state !== 'error' && s.state !== 'offline') {
    const base = statusBarView(s);
    const text = s.state === 'conflict' ? base.text : `$(git-merge) ${vscode.l10n.t('SkillMeat: conflict · {0} queued not run', o.conflicts.length)}`;
    return { text, tooltip: [base.tooltip, detail].join('\n') };
  }
  if (detail) { const base = statusBarView(s); return { text: base.text, tooltip: [base.tooltip, detail].join('\n') }; }
  return undefined;
}

export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('skillmeatSync.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly service: DriftService, private readonly operations: Operations, private readonly offline?: OfflineController) {
    this.item.name = vscode.l10n.t('SkillMeat Sync');
    this.subs = [service.onDidChangeReport(() => this.update()), operations.onDidChangeOperations(() => this.update())];
    if (offline) this.subs.push(offline.onDidChange(() => this.update()));
    this.update();
  }

  update(): void {
    const failure = this.operations.lastFailure;
    const s = syncStatus({
      reports: this.service.current.map((r) => r.report),
      syncing: this.operations.syncing,
      error: this.service.checkError ?? (failure && `${failure.title}: ${failure.message}`),
    });
    const queue = this.offline?.summary();
    const v = offlineView(s, queue) ?? statusBarView(s);
    const retry = s.state === 'error' && !this.service.checkError ? failure : undefined;
    const nextRetry = retry && queue?.nextRetryAt !== undefined ? retryTime(queue.nextRetryAt) : undefined;
    this.item.text = nextRetry ? `$(error) ${vscode.l10n.t('SkillMeat: error — next retry {0}', nextRetry)}` : v.text;
    const waiting = s.state === 'syncing' ? this.operations.running.find((o) => o.waitingFor) : undefined;
    const git = gitTooltipLines(this.service.current);
    this.item.tooltip = retry ? vscode.l10n.t('SkillMeat Sync: {0} failed:\n{1}\nClick to try again.', retry.title, retry.message)
      : waiting ? vscode.l10n.t('SkillMeat Sync: {0}, waiting for {1}…', waiting.title, waiting.waitingFor!) : [v.tooltip, ...git].join('\n');
    this.item.command = retry ? COMMANDS.retry : COMMANDS.focusView;
    this.item.backgroundColor = s.severity ? new vscode.ThemeColor(s.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    if (s.state === 'idle') this.item.hide(); else this.item.show();
  }

  dispose(): void { for (const s of this.subs) s.dispose(); this.item.dispose(); }
}
