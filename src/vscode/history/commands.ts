// The History view's commands as one typed table: compare a version with the current content, the version
// before it or the deployed baseline (read-only virtual documents), restore, pin, capture now, prune.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StoredTree } from '../../core/store/versionStore';
import type { CaptureController } from './captureController';
import type { DriftService } from '../drift/driftService';
import type { Operations } from '../platform/operations';
import type { DriftNode } from '../drift/driftTree';
import { versionFileUri } from './content';
import { localDateTime } from '../platform/dates';
import { shortTime, type HistoryNode, type HistoryTarget, type HistoryView } from './view';
import { HISTORY_COMMANDS, HISTORY_VIEW, type HistoryCommandId } from '../platform/ids';
import { registerCommandTable, reportFailure } from '../platform/log';

type Handler = (...args: unknown[]) => unknown;
type VersionNode = Extract<HistoryNode, { kind: 'version' }>;

/** Options tests (and other callers) pass instead of answering dialogs. */
interface RestoreOptions { confirm?: boolean }

function asVersion(arg: unknown): VersionNode | undefined {
  const n = arg as HistoryNode | undefined;
  return n && typeof n === 'object' && n.kind === 'version' ? n : undefined;
}

/** Files that differ between two file lists (by normalised hash), in path order. */
function differingFiles(a: readonly { rel: string; norm: string }[], b: readonly { rel: string; norm: string }[]): string[] {
  const x = new Map(a.map((f) => [f.rel, f.norm]));
  const y = new Map(b.map((f) => [f.rel, f.norm]));
  const all = new Set([...x.keys(), ...y.keys()]);
  return [...all].filter((rel) => x.get(rel) !== y.get(rel)).sort();
}

export function registerHistoryCommands(capture: CaptureController, history: HistoryView, drift: DriftService, operations: Operations, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const serviceOf = (t: HistoryTarget) => {
    const s = capture.forFolder(t.folder);
    if (!s) throw new Error(vscode.l10n.t('version capture is turned off for {0} (skillmeatSync.capture.enabled)', t.folder.name));
    return s;
  };

  const treeOf = async (t: HistoryTarget, treeHash: string): Promise<StoredTree> => {
    const store = await serviceOf(t).versionStore();
    const tree = store.getTree(treeHash);
    if (!tree) throw new Error(vscode.l10n.t('version {0} of {1} is no longer in the version store (pruned?)', treeHash.slice(0, 12), t.artifact.name));
    return tree;
  };

  /** Which file of a skill to compare: the one that differs, or the user's choice among several. */
  const chooseFile = async (t: HistoryTarget, candidates: string[], all: string[]): Promise<string | undefined> => {
    if (t.artifact.type !== 'skill') return '';
    if (candidates.length === 1) return candidates[0];
    const list = candidates.length ? candidates : all;
    if (list.length === 0) return 'SKILL.md';
    if (list.length === 1) return list[0];
    const sorted = [...list].sort((a, b) => (a === 'SKILL.md' ? -1 : b === 'SKILL.md' ? 1 : a.localeCompare(b)));
    return vscode.window.showQuickPick(sorted, { placeHolder: candidates.length ? vscode.l10n.t('Files that differ in {0}', t.artifact.name) : vscode.l10n.t('Which file of {0}?', t.artifact.name) });
  };

  const fileName = (t: HistoryTarget, rel: string) => rel ? path.posix.basename(rel) : path.basename(t.artifact.absPath);
  const label = (t: HistoryTarget, rel: string) => t.artifact.name + (rel ? `/${rel}` : '');

  const compareWithCurrent = async (node: VersionNode): Promise<void> => {
    const t = node.target;
    const tree = await treeOf(t, node.entry.treeHash);
    const current = serviceOf(t).currentHash(t.artifact.key);
    const rel = await chooseFile(t, differingFiles(tree.files, current?.files ?? []), tree.files.map((f) => f.rel));
    if (rel === undefined) return;
    const left = versionFileUri(t.folder, tree.treeHash, rel, `#${node.entry.id}`, fileName(t, rel));
    const onDisk = rel ? path.join(t.artifact.absPath, ...rel.split('/')) : t.artifact.absPath;
    const right = fs.existsSync(onDisk) ? vscode.Uri.file(onDisk) : versionFileUri(t.folder, '', rel, vscode.l10n.t('deleted'), fileName(t, rel));
    const title = vscode.l10n.t('{0} (#{1}, {2}) ↔ Current', label(t, rel), node.entry.id, shortTime(node.entry.at));
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
  };

  const compareTrees = async (t: HistoryTarget, older: { tree: StoredTree; name: string }, newer: { tree: StoredTree; name: string }, title: (rel: string) => string): Promise<void> => {
    const rel = await chooseFile(t, differingFiles(older.tree.files, newer.tree.files), newer.tree.files.map((f) => f.rel));
    if (rel === undefined) return;
    const left = versionFileUri(t.folder, older.tree.files.some((f) => f.rel === rel) ? older.tree.treeHash : '', rel, older.name, fileName(t, rel));
    const right = versionFileUri(t.folder, newer.tree.files.some((f) => f.rel === rel) ? newer.tree.treeHash : '', rel, newer.name, fileName(t, rel));
    await vscode.commands.executeCommand('vscode.diff', left, right, title(rel), { preview: true });
  };

  const compareWithPrevious = async (node: VersionNode): Promise<void> => {
    const t = node.target;
    if (!node.previous) {
      void vscode.window.showInformationMessage(vscode.l10n.t('#{0} is the first stored version of {1}: there is nothing before it to compare with.', node.entry.id, t.artifact.name));
      return;
    }
    const prev = node.previous;
    await compareTrees(t, { tree: await treeOf(t, prev.treeHash), name: `#${prev.id}` }, { tree: await treeOf(t, node.entry.treeHash), name: `#${node.entry.id}` },
      (rel) => vscode.l10n.t('{0} (#{1} ↔ #{2})', label(t, rel), prev.id, node.entry.id));
  };

  const compareWithBaseline = async (node: VersionNode): Promise<void> => {
    const t = node.target;
    const a = drift.current.find((r) => r.folder.uri.toString() === t.folder.uri.toString())?.report.artifacts
      .find((x) => x.root === t.artifact.root && x.type === t.artifact.type && x.name === t.artifact.name);
    const store = await serviceOf(t).versionStore();
    const base = a && (a.baselineHash || a.recordContentHash) ? store.baselineFiles({ treeHash: a.baselineHash ?? undefined, contentHash: a.recordContentHash }) : undefined;
    if (!base) {
      void vscode.window.showInformationMessage(a?.baselineHash || a?.recordContentHash
        ? vscode.l10n.t('The deployed baseline of {0} is not in the version store (it was deployed by SkillMeat or on another machine).', t.artifact.name)
        : vscode.l10n.t('{0} has no deployment record, so it has no deployed baseline to compare with.', t.artifact.name));
      return;
    }
    await compareTrees(t, { tree: await treeOf(t, base.tree), name: vscode.l10n.t('deployed baseline') }, { tree: await treeOf(t, node.entry.treeHash), name: `#${node.entry.id}` },
      (rel) => vscode.l10n.t('{0} (deployed baseline ↔ #{1})', label(t, rel), node.entry.id));
  };

  // The capture service marks a restore's own writes itself; the operation serialises it and re-checks drift.
  const restoreVersion = (t: HistoryTarget, id: number) => operations.run('restore', [t.artifact.absPath], () => serviceOf(t).restore(t.artifact.key, id),
    { title: vscode.l10n.t('Restoring {0} to #{1}', t.artifact.name, id) });

  const restore = async (node: VersionNode, opts: RestoreOptions = {}): Promise<unknown> => {
    const t = node.target;
    const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty && d.uri.scheme === 'file' && (d.uri.fsPath === t.artifact.absPath || d.uri.fsPath.startsWith(t.artifact.absPath + path.sep)));
    if (dirty.length) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} has unsaved changes in {1}. Save or revert them first, then restore.', t.artifact.name, dirty.map((d) => path.basename(d.uri.fsPath)).join(', ')));
      return undefined;
    }
    if (opts.confirm !== false) {
      const ok = vscode.l10n.t('Restore');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('Restore {0} to version #{1} from {2}?', t.artifact.name, node.entry.id, localDateTime(node.entry.at)),
        { modal: true, detail: vscode.l10n.t('The current content is kept in its history first, so you can undo this by restoring that version.') }, ok);
      if (pick !== ok) return undefined;
    }
    const r = await restoreVersion(t, node.entry.id);
    log.info(`restored ${t.artifact.key} in ${t.folder.name} to #${node.entry.id}${r.previousVersion !== undefined ? ` (previous content: #${r.previousVersion})` : ''}${r.unchanged ? ' (already that content)' : ''}`);
    await history.reload();
    if (r.unchanged) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} already has the content of #{1}.', t.artifact.name, node.entry.id));
    } else if (opts.confirm !== false && r.previousVersion !== undefined) {
      const undo = vscode.l10n.t('Undo');
      void vscode.window.showInformationMessage(vscode.l10n.t('Restored {0} to #{1}. The content it replaced is #{2}.', t.artifact.name, node.entry.id, r.previousVersion), undo).then(async (pick) => {
        if (pick !== undo) return;
        try { await restoreVersion(t, r.previousVersion!); } catch (e) { await reportFailure(log, vscode.l10n.t('undo restore'), e); }
      });
    }
    return r;
  };

  const setPinned = async (node: VersionNode, pinned: boolean): Promise<void> => {
    await operations.run('pin', [], () => serviceOf(node.target).setPinned(node.entry.id, pinned),
      { title: pinned ? vscode.l10n.t('Pinning #{0}', node.entry.id) : vscode.l10n.t('Unpinning #{0}', node.entry.id), progress: false });
    await history.reload();
  };

  const showHistory = async (arg: unknown): Promise<boolean> => {
    let shown = false;
    const n = arg as DriftNode | undefined;
    if (arg instanceof vscode.Uri) shown = await history.showPath(arg);
    else if (n && typeof n === 'object' && 'kind' in n && (n.kind === 'artifact' || n.kind === 'file')) shown = await history.showArtifact(n.folder.folder, n.artifact);
    else {
      const active = vscode.window.activeTextEditor?.document.uri;
      shown = active ? await history.showPath(active) : false;
      if (!shown) {
        const items = drift.current.flatMap((f) => f.report.artifacts.filter((a) => a.projectHash).map((a) => ({ label: a.name, description: `${a.type} · ${a.root}`, detail: drift.current.length > 1 ? f.folder.name : undefined, f, a })));
        const pick = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Artifact whose history to show') });
        if (pick) shown = await history.showArtifact(pick.f.folder, pick.a);
      }
    }
    if (shown) await vscode.commands.executeCommand(`${HISTORY_VIEW}.focus`);
    return shown;
  };

  const withVersion = (fn: (n: VersionNode, ...rest: unknown[]) => Promise<unknown>): Handler => async (arg: unknown, ...rest: unknown[]) => {
    const n = asVersion(arg) ?? asVersion(history.view.selection[0]);
    if (!n) { void vscode.window.showInformationMessage(vscode.l10n.t('Select a version in the History view first.')); return undefined; }
    return fn(n, ...rest);
  };

  const handlers: Record<HistoryCommandId, Handler> = {
    [HISTORY_COMMANDS.showHistory]: showHistory,
    [HISTORY_COMMANDS.refresh]: () => history.reload(),
    [HISTORY_COMMANDS.captureNow]: async () => {
      const t = history.current;
      const targets = t ? [{ service: serviceOf(t), keys: [t.artifact.key] }] : capture.all().map(({ service }) => ({ service, keys: [] as string[] }));
      const n = await operations.run('capture', [], async () => {
        let captured = 0;
        for (const x of targets) captured += (await x.service.captureNow(x.keys)).filter((r) => r.entry.status === 'captured').length;
        return captured;
      }, { title: vscode.l10n.t('Capturing versions') });
      await history.reload();
      void vscode.window.setStatusBarMessage(n ? vscode.l10n.t('SkillMeat Sync: {0} new version(s) captured', n) : vscode.l10n.t('SkillMeat Sync: nothing new to capture'), 4000);
      return n;
    },
    [HISTORY_COMMANDS.compareWithCurrent]: withVersion((n) => compareWithCurrent(n)),
    [HISTORY_COMMANDS.compareWithPrevious]: withVersion((n) => compareWithPrevious(n)),
    [HISTORY_COMMANDS.compareWithBaseline]: withVersion((n) => compareWithBaseline(n)),
    [HISTORY_COMMANDS.restore]: withVersion((n, opts) => restore(n, opts && typeof opts === 'object' && !Array.isArray(opts) ? opts as RestoreOptions : {})),
    [HISTORY_COMMANDS.pin]: withVersion((n) => setPinned(n, true)),
    [HISTORY_COMMANDS.unpin]: withVersion((n) => setPinned(n, false)),
    [HISTORY_COMMANDS.prune]: async () => {
      const { versions, bytes } = await operations.run('prune', [], async () => {
        const total = { versions: 0, bytes: 0 };
        for (const { service } of capture.all()) {
          const r = await service.prune();
          total.versions += r.deleted?.versions ?? 0;
          total.bytes += r.deleted?.blobBytes ?? 0;
        }
        return total;
      }, { title: vscode.l10n.t('Pruning old history') });
      await history.reload();
      void vscode.window.showInformationMessage(versions
        ? vscode.l10n.t('SkillMeat Sync pruned {0} old history entries ({1} KB of stored content no longer used).', versions, Math.round(bytes / 1024))
        : vscode.l10n.t('SkillMeat Sync: nothing to prune. Baselines, sync snapshots, pinned and recent versions are always kept.'));
      return versions;
    },
  };
  return registerCommandTable(log, handlers, (e) => operations.failureOf(e));
}
