// A collection that is a git work tree, in words: the Drift view's header ("main · 2 behind origin/main ·
// 1 uncommitted") and a line of the status-bar tooltip. Ahead / behind are as of the last fetch: a drift check
// never fetches, and the tooltip says so.
import * as vscode from 'vscode';
import type { CollectionGitState } from '../../core/model';
import type { FolderReport } from './driftService';

/** The git collections of the reports, each once (several folders may share one collection). */
export function gitCollections(reports: readonly FolderReport[]): { name: string; path: string; git: CollectionGitState }[] {
  const seen = new Map<string, { name: string; path: string; git: CollectionGitState }>();
  for (const r of reports) for (const c of r.report.collections) if (c.git && !seen.has(c.path)) seen.set(c.path, { name: c.name, path: c.path, git: c.git });
  return [...seen.values()];
}

/** "main · 2 behind origin/main, 1 ahead · 3 uncommitted" */
export function gitSummary(g: CollectionGitState): string {
  const parts = [g.branch ?? vscode.l10n.t('detached HEAD')];
  if (!g.upstream) parts.push(vscode.l10n.t('no upstream'));
  else if (!g.upstreamKnown) parts.push(vscode.l10n.t('{0} not fetched', g.upstream));
  else if (g.behind === 0 && g.ahead === 0) parts.push(vscode.l10n.t('up to date with {0}', g.upstream));
  else {
    const ab: string[] = [];
    if (g.behind) ab.push(vscode.l10n.t('{0} behind {1}', g.behind, g.upstream));
    if (g.ahead) ab.push(g.behind ? vscode.l10n.t('{0} ahead', g.ahead) : vscode.l10n.t('{0} ahead of {1}', g.ahead, g.upstream));
    parts.push(ab.join(', '));
  }
  if (g.dirty.length) parts.push(vscode.l10n.t('{0} uncommitted', g.dirty.length));
  return parts.join(' · ');
}

/** The Drift view's description: the git state of the collection(s) in use; undefined when none is a git work tree. */
export function gitHeader(reports: readonly FolderReport[]): string | undefined {
  const all = gitCollections(reports);
  if (all.length === 0) return undefined;
  if (all.length === 1) return gitSummary(all[0].git);
  return all.map((c) => `${c.name}: ${gitSummary(c.git)}`).join(' | ');
}

/** Lines for the status-bar tooltip, one per git collection. */
export function gitTooltipLines(reports: readonly FolderReport[]): string[] {
  return gitCollections(reports).map((c) => vscode.l10n.t('Collection "{0}" (git): {1} — as of the last fetch', c.name, gitSummary(c.git)));
}
