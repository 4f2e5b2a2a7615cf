// Update from Collection…, Pull into Collection…, Merge…, Fork…, Undo Last Sync and Accept Merge: the
// VS Code side of the sync engine (src/core/sync). Tree actions pass the clicked node and the selection;
// from the palette a multi-select quick pick asks which artifacts. Every failure is shown with "Show Log".
import * as path from 'node:path';
import * as vscode from 'vscode';
import { askAboutSecrets } from './secrets';
import type { CollectionConsent } from './consent';
import { ArtifactHasher, ExclusionMatcher } from '../../core/drift/hashing';
import {
  runSync, undoLastSync, type ArtifactSyncResult, type ChooseFn, type PromptChoice, type SyncDirection, type SyncProgress,
  type SyncOptions, type SyncResult, type SyncStrategy, type UndoResult,
} from '../../core/sync';
import type { ArtifactDrift, DriftState } from '../../core/model';
import type { DriftService, FolderReport } from '../drift/driftService';
import type { DriftNode } from '../drift/driftTree';
import type { AcceptOutcome, MergeSessions } from './mergeEditor';
import type { Operations } from '../platform/operations';
import type { OfflineController } from '../offline/offlineController';
import { registerCommandTable } from '../platform/log';
import { SYNC_COMMANDS, type SyncCommandId } from '../platform/ids';
import type { CollectionGit } from './git';

/** What every sync of a workspace folder takes from the folder and its settings: project, collection, roots, exclusions. */
export function folderSyncOptions(f: FolderReport): Pick<SyncOptions, 'project' | 'collection' | 'roots' | 'hasher'> {
  return {
    project: f.folder.uri.fsPath, ...(f.settings.collectionPath ? { collection: f.settings.collectionPath } : {}), roots: f.settings.profileRoots,
    hasher: new ArtifactHasher(new ExclusionMatcher(f.settings.exclude)),
  };
}

/** An artifact of a workspace folder, as the tree shows it. */
export interface SyncTarget { folder: FolderReport; artifact: ArtifactDrift }

/** What the `sync` API and the commands run. */
export interface SyncRequest {
  direction: SyncDirection;
  strategy: SyncStrategy;
  targets: SyncTarget[];
  /** Answers for the `prompt` strategy; default: a quick pick per artifact. */
  choose?: ChooseFn;
  /** Merge: write the result to both sides (the Merge… command); update and pull write only their target. */
  bothSides?: boolean;
  /** Write into the collection even when the secret scan finds something (asked per run otherwise). */
  allowSecrets?: boolean;
}

/** States each direction acts on (as the engine's eligibility). */
export const ELIGIBLE: Record<SyncDirection, ReadonlySet<DriftState>> = {
  update: new Set(['outdated', 'conflict', 'converged']),
  pull: new Set(['modified', 'conflict', 'converged']),
};

const MERGEABLE: ReadonlySet<DriftState> = new Set(['conflict', 'modified', 'outdated', 'converged']);

type Handler = (...args: unknown[]) => unknown;


function isNode(arg: unknown): arg is DriftNode {
  return !!arg && typeof arg === 'object' && 'kind' in arg;
}

/**
 * The artifacts a tree action applies to: the selection when the clicked row is part of it, else the
 * clicked row. Nodes are looked up again in the latest report, so a stale node (or one built by hand
 * by another extension or a test) acts on the artifact as it is now.
 */
function targetsOf(service: DriftService, node: unknown, nodes: unknown): SyncTarget[] | undefined {
  const picked = (Array.isArray(nodes) && nodes.length ? nodes : [node]).filter(isNode);
  // Group rows, and records SkillMeat Sync does not sync (hook, mcp), are never sync targets.
  const isTarget = (n: DriftNode): n is Extract<DriftNode, { kind: 'artifact' | 'file' }> => n.kind === 'artifact' || n.kind === 'file';
  if (!picked.some(isTarget)) return undefined;
  const out: SyncTarget[] = [];
  for (const n of picked) {
    if (!isTarget(n)) continue;
    const folder = service.current.find((f) => f.folder.uri.toString() === n.folder.folder.uri.toString()) ?? n.folder;
    const artifact = folder.report.artifacts.find((a) => a.root === n.artifact.root && a.type === n.artifact.type && a.name === n.artifact.name) ?? n.artifact;
    if (!out.some((t) => t.folder === folder && t.artifact === artifact)) out.push({ folder, artifact });
  }
  return out;
}

function label(t: SyncTarget): string {
  return t.artifact.name;
}

/** Multi-select quick pick of the artifacts in the given states (all preselected). */
async function pickTargets(service: DriftService, states: ReadonlySet<DriftState>, placeHolder: string, empty: string): Promise<SyncTarget[] | undefined> {
  const multiRoot = service.current.length > 1;
  const items = service.current.flatMap((folder) => folder.report.artifacts.filter((a) => states.has(a.state)).map((artifact) => ({
    label: artifact.name, description: `${artifact.type} · ${artifact.root} · ${artifact.state}`, detail: multiRoot ? folder.folder.name : undefined,
    picked: true, target: { folder, artifact },
  })));
  if (items.length === 0) { void vscode.window.showInformationMessage(empty); return undefined; }
  const picks = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder, matchOnDescription: true });
  return picks?.length ? picks.map((p) => p.target) : undefined;
}

async function pickStrategy(direction: SyncDirection, targets: SyncTarget[]): Promise<SyncStrategy | undefined> {
  const update = direction === 'update';
  const one = targets.length === 1 ? targets[0].artifact.name : undefined;
  const fork = `${one ?? '<name>'}-fork`;
  const items: (vscode.QuickPickItem & { strategy: SyncStrategy })[] = [
    {
      strategy: 'merge', label: `$(git-merge) ${vscode.l10n.t('Merge')}`,
      description: vscode.l10n.t('both sides win where they do not overlap'),
      detail: update
        ? vscode.l10n.t('Three-way merge against the deployed baseline, written into the project only; conflicts open in the merge editor.')
        : vscode.l10n.t('Three-way merge against the deployed baseline, written into the collection only; conflicts open in the merge editor.'),
    },
    {
      strategy: 'overwrite', label: `$(replace-all) ${vscode.l10n.t('Overwrite')}`,
      description: update ? vscode.l10n.t('the collection wins') : vscode.l10n.t('the project wins'),
      detail: update
        ? vscode.l10n.t("The project's copy is replaced; the old one stays in the version store.")
        : vscode.l10n.t("The collection's copy is replaced; the old one stays in the version store."),
    },
    {
      strategy: 'fork', label: `$(repo-forked) ${vscode.l10n.t('Fork')}`,
      description: vscode.l10n.t('keep both'),
      detail: update
        ? vscode.l10n.t("The collection's version is deployed beside yours as {0}.", fork)
        : vscode.l10n.t("The project's version is added to the collection as {0}.", fork),
    },
    {
      strategy: 'prompt', label: `$(question) ${vscode.l10n.t('Prompt')}`,
      description: vscode.l10n.t('ask for each artifact'),
      detail: vscode.l10n.t('Merge, keep mine, take theirs, fork or skip, artifact by artifact.'),
    },
  ];
  const what = one ?? vscode.l10n.t('{0} artifacts', targets.length);
  const pick = await vscode.window.showQuickPick(items, {
    title: update ? vscode.l10n.t('Update {0} from the collection', what) : vscode.l10n.t('Pull {0} into the collection', what),
    placeHolder: vscode.l10n.t('How should the two versions be brought together?'),
  });
  return pick?.strategy;
}

/** The `prompt` strategy's question for one artifact: a quick pick (Escape skips the artifact). */
export function quickPickChooser(direction: SyncDirection): ChooseFn {
  return async (a, preview) => {
    const m = preview.merge;
    const mergeNote = m.clean
      ? vscode.l10n.t('a merge would be clean')
      : vscode.l10n.t('a merge leaves {0} conflicting file(s) for the merge editor{1}', m.conflictFiles.length, m.baseUnknown ? vscode.l10n.t(' (baseline unknown)') : '');
    const mergeDetail = m.baseOrigin ? vscode.l10n.t('base found in {0}', m.baseOrigin) : undefined;
    const update = direction === 'update';
    const items: (vscode.QuickPickItem & { choice: PromptChoice })[] = [
      { choice: 'merge', label: `$(git-merge) ${vscode.l10n.t('Merge')}`, description: mergeNote, ...(mergeDetail ? { detail: mergeDetail } : {}) },
      {
        choice: 'keep-mine', label: `$(account) ${vscode.l10n.t('Keep mine')}`,
        description: update ? vscode.l10n.t("leave the project as it is; the collection's version becomes the baseline") : vscode.l10n.t("put the project's version into the collection"),
      },
      {
        choice: 'take-theirs', label: `$(cloud-download) ${vscode.l10n.t('Take theirs')}`,
        description: update ? vscode.l10n.t("replace the project's copy with the collection's version") : vscode.l10n.t("leave the collection as it is; the project's version becomes the baseline"),
      },
      { choice: 'fork', label: `$(repo-forked) ${vscode.l10n.t('Fork')}`, description: vscode.l10n.t('keep both, as {0}-fork', a.name) },
      { choice: 'skip', label: `$(debug-step-over) ${vscode.l10n.t('Skip')}`, description: vscode.l10n.t('leave {0} as it is for now', a.name) },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('{0} {1} ({2}) is {3}', a.type, a.name, a.root, a.state),
      placeHolder: update ? vscode.l10n.t('Update from the collection: mine = the project, theirs = the collection') : vscode.l10n.t('Pull into the collection: mine = the project, theirs = the collection'),
      ignoreFocusOut: true,
    });
    return pick?.choice ?? 'skip';
  };
}

function progressText(direction: SyncDirection, p: SyncProgress): string {
  const name = p.artifact?.name ?? '';
  switch (p.phase) {
    case 'plan': return vscode.l10n.t('Reading {0} ({1}/{2})', name, p.index + 1, p.total);
    case 'write': return direction === 'update' ? vscode.l10n.t('Writing {0} into the project', name) : vscode.l10n.t('Writing {0} into the collection', name);
    case 'records': return vscode.l10n.t('Updating the deployment records');
    case 'done': return '';
  }
}

function describe(a: ArtifactSyncResult): string {
  const what = `${a.type} ${a.name} (${a.root})`;
  if (a.status === 'conflict') return `conflict ${what}: ${a.conflicts?.map((c) => c.targetPath).join(', ')}`;
  if (a.status === 'skipped' || a.status === 'failed') return `${a.status} ${what}: ${a.reason ?? ''}`;
  const writes = a.writes.map((w) => `${w.side} ${w.path}`).join('; ');
  return `${a.action} ${what}${a.forkName ? ` → ${a.forkName}` : ''}${writes ? `: ${writes}` : ''}${a.choice ? ` (chose ${a.choice})` : ''}${a.baseOrigin ? `; base found in ${a.baseOrigin}` : ''}`;
}

/** Runs syncs with progress, the Syncing status, and the merge editor for whatever is left in conflict. */
export class SyncRunner {
  private running = false;

  constructor(
    private readonly service: DriftService,
    private readonly log: vscode.LogOutputChannel,
    private readonly merges: MergeSessions,
    private readonly operations: Operations,
    readonly consent: CollectionConsent,
    readonly offline?: OfflineController,
  ) {}

  /** One `runSync` per workspace folder (per type and root when names alone would be ambiguous). */
  async run(req: SyncRequest): Promise<SyncResult[]> {
    if (this.running) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A SkillMeat sync is already running; try again when it has finished.'));
      return [];
    }
    // An artifact already waiting in the merge editor is shown again instead of being merged twice.
    const waiting = req.strategy === 'merge' ? req.targets.filter((t) => this.merges.has(t.folder.folder.uri.fsPath, t.artifact)) : [];
    const targets = req.targets.filter((t) => !waiting.includes(t));
    if (targets.length === 0) {
      if (waiting[0]) await this.merges.reveal(waiting[0].folder.folder.uri.fsPath, waiting[0].artifact);
      return [];
    }
    // Writing into a shared collection needs the user's consent, once per collection (SPEC §8): a pull, Merge…
    // (both sides) and fork ask first; an update with Prompt asks only if the answer is Fork (below).
    const writesCollection = req.direction === 'pull' || req.bothSides || req.strategy === 'fork';
    if (writesCollection && !(await this.consent.ensure(targets.map(collectionDirOf)))) {
      this.log.info(`${req.direction}: not run; no consent to write into the collection`);
      return [];
    }
    const reachable = await this.queueOffline(req, targets);
    if (reachable.length === 0) return [];
    return this.runReachable(req, reachable, waiting);
  }

  /**
   * Offline-first (issue 14): artifacts whose collection is unreachable are queued, to run when it is back
   * (re-planned then); returns the targets that can run now.
   */
  private async queueOffline(req: SyncRequest, targets: SyncTarget[]): Promise<SyncTarget[]> {
    const offline = this.offline ? targets.filter((t) => t.artifact.state === 'unreachable') : [];
    if (offline.length === 0) return targets;
    if (req.strategy === 'prompt' || req.bothSides) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The collection of {0} is unreachable. Only Merge, Overwrite or Fork can be queued to run when it is back; Prompt and Merge… need you there.', offline.map(label).join(', ')));
    } else {
      for (const t of offline) await this.offline!.enqueue(t.folder, req.direction, req.strategy as Exclude<SyncStrategy, 'prompt'>, t.artifact);
      void vscode.window.showInformationMessage(vscode.l10n.t('Queued: will run when the collection is reachable ({0} of {1}).', req.direction, offline.map(label).join(', ')));
    }
    return targets.filter((t) => !offline.includes(t));
  }

  private async runReachable(req: SyncRequest, targets: SyncTarget[], waiting: SyncTarget[]): Promise<SyncResult[]> {
    this.running = true;
    const results: SyncResult[] = [];
    try {
      const title = req.direction === 'update' ? vscode.l10n.t('Updating from the collection') : vscode.l10n.t('Pulling into the collection');
      const paths = targets.flatMap((t) => [t.artifact.projectPath, ...(t.artifact.collectionPath ? [t.artifact.collectionPath] : [])]);
      await this.operations.run(req.direction, paths, async (op) => {
        for (const batch of batches(targets)) {
          const f = batch.folder;
          const store = await this.service.versionStore();
          const asked = req.strategy === 'prompt' ? (req.choose ?? quickPickChooser(req.direction)) : undefined;
          // An update's fork lands in the collection too: that answer needs consent, else the artifact is skipped.
          const choose: ChooseFn | undefined = asked && req.direction === 'update' ? async (a, preview) => {
            const c = await asked(a, preview);
            const t = batch.targets.find((x) => x.artifact.name === a.name && x.artifact.type === a.type && x.artifact.root === a.root);
            return c === 'fork' && t && !(await this.consent.ensure([collectionDirOf(t)])) ? 'skip' : c;
          } : asked;
          const sync = (allowSecrets: boolean) => runSync({
            ...folderSyncOptions(f), direction: req.direction, strategy: req.strategy, store,
            names: batch.names, ...(batch.type ? { type: batch.type } : {}), ...(batch.root ? { root: batch.root } : {}),
            ...(choose ? { choose } : {}),
            ...(req.bothSides ? { bothSides: true } : {}),
            ...(allowSecrets ? { allowSecrets: true } : {}),
            onProgress: (p) => op.report(progressText(req.direction, p)),
          });
          let r = await sync(!!req.allowSecrets);
          // The secret scan found something in files bound for the collection: the user decides, per run.
          if (r.error?.code === 'secrets-found' && await askAboutSecrets(r.secretFindings ?? [], sourceInProject(batch.targets))) r = await sync(true);
          // Forks land at paths nobody knew before the sync.
          op.wrote(r.artifacts.flatMap((a) => a.writes.map((w) => w.path)));
          results.push(r);
          this.logResult(r);
        }
        return results;
      }, {
        title, retry: () => this.run(req),
        failure: (rs) => { const f = rs.find((r) => r.status === 'failed'); return f && (f.error?.message ?? vscode.l10n.t('the sync failed')); },
      });
    } finally {
      this.running = false;
    }
    // What the user ran now replaces what was queued for the same artifacts while offline.
    for (const f of new Set(targets.map((t) => t.folder))) await this.offline?.settled(f, req.direction, targets.filter((t) => t.folder === f).map((t) => t.artifact));
    this.report(req.direction, results);
    const pendings = results.flatMap((r) => r.artifacts.flatMap((a) => (a.pendingMerge ? [a.pendingMerge] : [])));
    if (pendings.length) await this.merges.start(pendings);
    if (waiting[0] && pendings.length === 0) await this.merges.reveal(waiting[0].folder.folder.uri.fsPath, waiting[0].artifact);
    return results;
  }

  private logResult(r: SyncResult): void {
    this.log.info(`${r.direction} --strategy ${r.strategy} in ${r.project}: ${r.status}${r.journalId ? ` (journal ${r.journalId})` : ''}`);
    for (const a of r.artifacts) this.log.info(`  ${describe(a)}`);
    for (const w of r.warnings) this.log.warn(`${w.message}${w.file ? ` (${w.file})` : ''}`);
    if (r.error) this.log.error(`${r.error.code}: ${r.error.message}`);
    for (const p of r.rollbackProblems ?? []) this.log.error(`could not restore: ${p}`);
  }

  /** One notification for the whole run (not awaited: the command must not wait for it to be dismissed). */
  private report(direction: SyncDirection, results: SyncResult[]): void {
    const failed = results.find((r) => r.status === 'failed');
    if (failed) {
      void this.showWithLog('error', vscode.l10n.t('SkillMeat Sync: nothing was changed: {0}', failed.error?.message ?? vscode.l10n.t('the sync failed')));
      return;
    }
    const all = results.flatMap((r) => r.artifacts);
    const synced = all.filter((a) => a.status === 'synced');
    const conflicts = all.filter((a) => a.status === 'conflict');
    const skipped = all.filter((a) => a.status === 'skipped');
    const parts: string[] = [];
    if (synced.length) {
      parts.push(direction === 'update'
        ? vscode.l10n.t('Updated {0} from the collection.', synced.map((a) => a.forkName ?? a.name).join(', '))
        : vscode.l10n.t('Pulled {0} into the collection.', synced.map((a) => a.forkName ?? a.name).join(', ')));
    }
    if (conflicts.length) parts.push(vscode.l10n.t('{0} has conflicts: resolve them in the merge editor, then Accept Merge.', conflicts.map((a) => a.name).join(', ')));
    if (skipped.length) parts.push(vscode.l10n.t('Skipped {0}.', skipped.map((a) => `${a.name} (${a.reason ?? ''})`).join(', ')));
    if (parts.length === 0) parts.push(vscode.l10n.t('Nothing to sync.'));
    const unknownBase = all.filter((a) => a.baseUnknown);
    if (unknownBase.length) parts.push(vscode.l10n.t('The deployed baseline of {0} is unknown, so every difference is a conflict.', unknownBase.map((a) => a.name).join(', ')));
    for (const a of all) if (a.baseOrigin) parts.push(vscode.l10n.t('The merge base of {0} was found in {1}.', a.name, a.baseOrigin));
    void this.showWithLog(conflicts.length || skipped.length ? 'warning' : 'info', parts.join(' '));
  }

  private async showWithLog(kind: 'info' | 'warning' | 'error', message: string): Promise<void> {
    const show = kind === 'info' ? vscode.window.showInformationMessage : kind === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    const log = vscode.l10n.t('Show Log');
    if ((await show(message, log)) === log) this.log.show();
  }

  /** Restores the last sync of a folder; asks before discarding changes made after it. */
  async undo(folder: FolderReport | undefined, force = false): Promise<UndoResult | undefined> {
    const f = folder ?? await pickFolder(this.service);
    if (!f) return undefined;
    const project = f.folder.uri.fsPath;
    const store = await this.service.versionStore();
    const u = await this.operations.run('undo', [], async (op) => {
      const r = await undoLastSync({ project, store, force });
      op.wrote(r.restored.filter((x) => x.action !== 'unchanged').map((x) => x.path));
      return r;
    }, { title: vscode.l10n.t('Undoing the last sync'), retry: () => this.undo(f, force), failure: (r) => (r.status === 'failed' ? r.error?.message ?? '' : undefined) });
    for (const w of u.warnings) this.log.warn(w.message);
    const what = u.operation ? `${u.operation} ${u.syncedAt ?? ''}`.trim() : '';
    switch (u.status) {
      case 'nothing':
        void vscode.window.showInformationMessage(vscode.l10n.t('Nothing to undo: no sync of {0} is recorded (or it was already undone).', f.folder.name));
        return u;
      case 'undone':
        this.log.info(`undid ${what}: ${u.restored.map((r) => `${r.action} ${r.side} ${r.path}`).join('; ')}`);
        void vscode.window.showInformationMessage(vscode.l10n.t('Undid the {0} of {1}: {2} restored as they were before.', u.operation ?? 'sync', u.syncedAt ?? '', u.artifacts.map((a) => a.name).join(', ')));
        return u;
      case 'refused': {
        const anyway = vscode.l10n.t('Undo Anyway');
        const pick = await vscode.window.showWarningMessage(
          vscode.l10n.t('These changed after the {0}, and undoing it would replace them:', u.operation ?? 'sync'),
          { modal: true, detail: `${u.changedSince.map((c) => `${c.side}: ${c.path}`).join('\n')}\n\n${vscode.l10n.t('Their current versions are kept in the version store.')}` },
          anyway,
        );
        return pick === anyway ? this.undo(f, true) : u;
      }
      case 'failed':
        this.log.error(`undo failed: ${u.error?.message ?? ''}`);
        void this.showWithLog('error', vscode.l10n.t('SkillMeat Sync: could not undo the last sync: {0}', u.error?.message ?? ''));
        return u;
    }
  }
}

async function pickFolder(service: DriftService): Promise<FolderReport | undefined> {
  if (service.current.length <= 1) return service.current[0];
  const pick = await vscode.window.showQuickPick(service.current.map((f) => ({ label: f.folder.name, description: f.folder.uri.fsPath, f })), { placeHolder: vscode.l10n.t('Undo the last sync of which folder?') });
  return pick?.f;
}

/**
 * Groups targets into `runSync` calls: one per folder, so a single journal covers the whole selection and
 * "Undo Last Sync" undoes all of it. Names alone select every artifact of that name; when another
 * eligible artifact shares a name with a selected one (a skill and a command "review"), the folder's
 * targets are run per type and root instead, so nothing outside the selection is synced.
 */
interface Batch { folder: FolderReport; targets: SyncTarget[]; names: string[]; type?: ArtifactDrift['type']; root?: string }

function batches(targets: SyncTarget[]): Batch[] {
  const byFolder = new Map<FolderReport, SyncTarget[]>();
  for (const t of targets) byFolder.set(t.folder, [...(byFolder.get(t.folder) ?? []), t]);
  const out: Batch[] = [];
  for (const [folder, ts] of byFolder) {
    const names = new Set(ts.map((t) => t.artifact.name));
    const ambiguous = folder.report.artifacts.some((a) => names.has(a.name) && !ts.some((t) => t.artifact.type === a.type && t.artifact.root === a.root && t.artifact.name === a.name));
    if (!ambiguous) { out.push({ folder, targets: ts, names: [...names] }); continue; }
    const groups = new Map<string, SyncTarget[]>();
    for (const t of ts) { const k = `${t.artifact.type}|${t.artifact.root}`; groups.set(k, [...(groups.get(k) ?? []), t]); }
    for (const g of groups.values()) out.push({ folder, targets: g, names: g.map((t) => t.artifact.name), type: g[0].artifact.type, root: g[0].artifact.root });
  }
  return out;
}

/** Before an overwrite that replaces changes of the target side (kept in the version store): a modal question. */
async function confirmOverwrite(direction: SyncDirection, targets: SyncTarget[]): Promise<boolean> {
  // update replaces project edits when the project changed (conflict); pull replaces collection edits likewise.
  const losing = targets.filter((t) => t.artifact.state === 'conflict' || (direction === 'update' ? t.artifact.state === 'modified' : t.artifact.state === 'outdated'));
  if (losing.length === 0) return true;
  const names = losing.map(label).join(', ');
  const ok = direction === 'update' ? vscode.l10n.t('Replace Project Copy') : vscode.l10n.t('Replace Collection Copy');
  const pick = await vscode.window.showWarningMessage(
    direction === 'update'
      ? vscode.l10n.t("Replace the project's copy of {0} with the collection's version? Your local changes will be overwritten.", names)
      : vscode.l10n.t("Replace the collection's copy of {0} with the project's version? The collection's changes will be overwritten.", names),
    { modal: true, detail: vscode.l10n.t('The replaced versions are kept in the version store; "SkillMeat: Undo Last Sync" restores them.') },
    ok,
  );
  return pick === ok;
}

/** Maps a file about to be written into the collection to the same file in the project copy (where to redact it). */
function sourceInProject(targets: SyncTarget[]): (file: string) => string {
  return (file) => {
    const t = targets.find((x) => x.artifact.collectionPath && (file === x.artifact.collectionPath || file.startsWith(x.artifact.collectionPath + path.sep)));
    return t ? t.artifact.projectPath + file.slice(t.artifact.collectionPath!.length) : file;
  };
}

/** The collection an artifact belongs to (the consulted collection whose folder holds its collection copy). */
function collectionDirOf(t: SyncTarget): string {
  const p = t.artifact.collectionPath ?? '';
  const c = t.folder.report.collections.find((x) => p === x.path || p.startsWith(x.path + path.sep));
  return c?.path ?? path.dirname(path.dirname(p));
}


/** Merge and fork act in the direction the artifact's state calls for; a conflict can go either way. */
function directionFor(state: DriftState): SyncDirection {
  return state === 'modified' ? 'pull' : 'update';
}

async function pickForkDirection(names: string): Promise<SyncDirection | undefined> {
  const pick = await vscode.window.showQuickPick([
    { label: vscode.l10n.t("Fork the collection's version into the project"), description: vscode.l10n.t('update'), direction: 'update' as const, detail: vscode.l10n.t('deployed beside your copy as <name>-fork') },
    { label: vscode.l10n.t("Fork the project's version into the collection"), description: vscode.l10n.t('pull'), direction: 'pull' as const, detail: vscode.l10n.t("added to the collection as <name>-fork; the collection's original stays") },
  ], { placeHolder: vscode.l10n.t('{0} changed on both sides. Which version becomes the fork?', names) });
  return pick?.direction;
}

export function registerSyncCommands(service: DriftService, log: vscode.LogOutputChannel, runner: SyncRunner, merges: MergeSessions, operations: Operations, git: CollectionGit): vscode.Disposable[] {
  const directional = (direction: SyncDirection) => async (node?: unknown, nodes?: unknown): Promise<SyncResult[] | undefined> => {
    const update = direction === 'update';
    // A collection on git that is behind its upstream: offer to fast-forward it first (never merge or rebase).
    if (update && !(await git.offerFastForward(service.current))) return undefined;
    // Unreachable artifacts are offered too: their update or pull is queued until the collection is back.
    const targets = targetsOf(service, node, nodes) ?? await pickTargets(service, new Set([...ELIGIBLE[direction], 'unreachable']),
      update ? vscode.l10n.t('Artifacts to update from the collection') : vscode.l10n.t('Artifacts to pull into the collection'),
      update ? vscode.l10n.t('Nothing to update: no artifact is outdated, in conflict or converged.') : vscode.l10n.t('Nothing to pull: no artifact is modified, in conflict or converged.'));
    if (!targets) return undefined;
    const strategy = await pickStrategy(direction, targets);
    if (!strategy) return undefined;
    if (strategy === 'overwrite' && !(await confirmOverwrite(direction, targets))) return undefined;
    const results = await runner.run({ direction, strategy, targets });
    // A pull into a collection on git: offer to commit exactly what it wrote (and push).
    if (!update) await git.offerCommit(results);
    return results;
  };

  const handlers: Record<SyncCommandId, Handler> = {
    [SYNC_COMMANDS.update]: directional('update'),
    [SYNC_COMMANDS.pull]: directional('pull'),
    [SYNC_COMMANDS.merge]: async (node?: unknown, nodes?: unknown) => {
      const targets = targetsOf(service, node, nodes) ?? await pickTargets(service, MERGEABLE, vscode.l10n.t('Artifacts to merge'), vscode.l10n.t('Nothing to merge: no artifact is in conflict, modified or outdated.'));
      if (!targets) return undefined;
      const results: SyncResult[] = [];
      for (const direction of ['update', 'pull'] as const) {
        const group = targets.filter((t) => directionFor(t.artifact.state) === direction);
        if (group.length) results.push(...await runner.run({ direction, strategy: 'merge', targets: group, bothSides: true }));
      }
      return results;
    },
    [SYNC_COMMANDS.fork]: async (node?: unknown, nodes?: unknown) => {
      const targets = targetsOf(service, node, nodes) ?? await pickTargets(service, new Set(['conflict', 'modified', 'outdated']), vscode.l10n.t('Artifacts to fork'), vscode.l10n.t('Nothing to fork: no artifact is in conflict, modified or outdated.'));
      if (!targets) return undefined;
      const conflicts = targets.filter((t) => t.artifact.state === 'conflict');
      const conflictDirection = conflicts.length ? await pickForkDirection(conflicts.map(label).join(', ')) : undefined;
      if (conflicts.length && !conflictDirection) return undefined;
      const results: SyncResult[] = [];
      for (const direction of ['update', 'pull'] as const) {
        const group = targets.filter((t) => (t.artifact.state === 'conflict' ? conflictDirection : directionFor(t.artifact.state)) === direction);
        if (group.length) results.push(...await runner.run({ direction, strategy: 'fork', targets: group }));
      }
      return results;
    },
    [SYNC_COMMANDS.undo]: async (node?: unknown) => {
      const t = targetsOf(service, node, undefined)?.[0];
      return runner.undo(t?.folder);
    },
    [SYNC_COMMANDS.revokeConsent]: async (dir?: unknown) => {
      const allowed = runner.consent.allowed();
      if (allowed.length === 0) { void vscode.window.showInformationMessage(vscode.l10n.t('No collection has your consent yet: SkillMeat Sync asks before it first writes into one.')); return undefined; }
      const pick = typeof dir === 'string' ? dir : await vscode.window.showQuickPick(allowed, { placeHolder: vscode.l10n.t('Collection to stop writing into without asking') });
      if (!pick) return undefined;
      const revoked = await runner.consent.revoke(pick);
      if (revoked) void vscode.window.showInformationMessage(vscode.l10n.t('SkillMeat Sync will ask again before writing into {0}.', pick));
      return revoked;
    },
    [SYNC_COMMANDS.discardQueued]: async () => {
      const entries = runner.offline?.entries() ?? [];
      if (entries.length === 0) { void vscode.window.showInformationMessage(vscode.l10n.t('Nothing is queued: updates and pulls are queued only while the collection is unreachable.')); return 0; }
      const picks = await vscode.window.showQuickPick(entries.map((e) => ({
        label: e.op.direction === 'update' ? vscode.l10n.t('Update {0}', e.op.artifact.name) : vscode.l10n.t('Pull {0}', e.op.artifact.name),
        description: `${e.op.artifact.type} · ${e.op.artifact.root} · ${e.op.strategy} · ${e.op.status}`,
        detail: e.op.reason, picked: e.op.status === 'conflict', entry: e,
      })), { canPickMany: true, placeHolder: vscode.l10n.t('Queued operations to discard (nothing is written; the artifacts stay as they are)') });
      if (!picks?.length) return 0;
      await runner.offline!.discard(picks.map((p) => p.entry));
      return picks.length;
    },
    [SYNC_COMMANDS.acceptMerge]: async (arg?: unknown): Promise<AcceptOutcome> =>
      // From the editor title VS Code passes the editor's resource (the result); from the palette nothing.
      merges.accept(arg instanceof vscode.Uri ? arg : undefined),
  };
  return registerCommandTable(log, handlers, (e) => operations.failureOf(e));
}
