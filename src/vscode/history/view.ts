// The History view: the versions of one artifact, newest first, with time, origin and size of change.
// It follows the artifact selected in the drift tree and the artifact of the active editor, like VS Code's
// own Timeline follows the active file. A view of its own rather than nodes in the drift tree: the drift
// tree is grouped by state and rebuilt on every check, while a history can hold hundreds of rows that must
// stay put while the user compares them.
import * as vscode from 'vscode';
import type { ArtifactLocation } from '../../core/history/capture';
import type { PendingCapture } from '../../core/history/capturePolicy';
import type { HistoryEntry } from '../../core/history/history';
import type { ArtifactDrift } from '../../core/model';
import type { CaptureController, OwnWrites } from './captureController';
import type { DriftNode } from '../drift/driftTree';
import { historyDecorationUri } from './decorations';
import { HISTORY_COMMANDS, HISTORY_CONTEXT, HISTORY_VIEW } from '../platform/ids';
import { localDateTime } from '../platform/dates';

/** The artifact the view shows. */
export interface HistoryTarget {
  folder: vscode.WorkspaceFolder;
  artifact: ArtifactLocation;
}

export type HistoryNode =
  | { kind: 'version'; target: HistoryTarget; entry: HistoryEntry; /** the stored version before it, for Compare with Previous */ previous?: HistoryEntry }
  | { kind: 'pending'; target: HistoryTarget; pending: PendingCapture };

const ORIGIN_ICONS: Record<string, string> = {
  edit: 'edit', rescan: 'search', deploy: 'cloud-download', undeploy: 'trash', sync: 'sync', 'pre-sync': 'history',
  restore: 'discard', generator: 'gear', import: 'cloud-upload',
};

/** Why a version was recorded, in the user's words; an origin this version does not know is shown as stored. */
function originLabel(origin: string): string {
  switch (origin) {
    case 'edit': return vscode.l10n.t('edit');
    case 'rescan': return vscode.l10n.t('found by re-scan');
    case 'deploy': return vscode.l10n.t('deploy');
    case 'undeploy': return vscode.l10n.t('before undeploy');
    case 'sync': return vscode.l10n.t('sync');
    case 'pre-sync': return vscode.l10n.t('before sync');
    case 'restore': return vscode.l10n.t('restore');
    case 'generator': return vscode.l10n.t('generator');
    case 'import': return vscode.l10n.t('import');
    default: return origin;
  }
}

/** What became of a capture, for the tooltip. */
function statusLabel(status: string): string {
  switch (status) {
    case 'captured': return vscode.l10n.t('captured');
    case 'skipped-duplicate': return vscode.l10n.t('same as the version before');
    case 'rate_limited': return vscode.l10n.t('rate-limited');
    default: return status;
  }
}

/** "+3 −1", "±120 bytes", "1 file added"… through l10n. */
export function describeChange(e: HistoryEntry): string {
  if (e.status === 'rate_limited') return vscode.l10n.t('rate-limited, not stored');
  if (e.status === 'skipped-duplicate') return vscode.l10n.t('unchanged');
  const c = e.change;
  if (!c) return e.previousId === undefined ? vscode.l10n.t('first version') : '';
  const parts: string[] = [];
  if (c.linesAdded || c.linesRemoved) parts.push(vscode.l10n.t('+{0} −{1}', c.linesAdded, c.linesRemoved));
  if (c.binaryBytes) parts.push(vscode.l10n.t('±{0} bytes', c.binaryBytes));
  if (c.filesAdded) parts.push(c.filesAdded === 1 ? vscode.l10n.t('1 file added') : vscode.l10n.t('{0} files added', c.filesAdded));
  if (c.filesRemoved) parts.push(c.filesRemoved === 1 ? vscode.l10n.t('1 file removed') : vscode.l10n.t('{0} files removed', c.filesRemoved));
  return parts.length ? parts.join(', ') : vscode.l10n.t('no change');
}

/** A short local time: `10:42:05` today, `Jan 5, 10:42` otherwise. */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const lang = vscode.env.language;
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toLocaleString(lang, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export class HistoryView implements vscode.TreeDataProvider<HistoryNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<HistoryNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly _onDidChangeEntries = new vscode.EventEmitter<void>();
  /** Fires after the rows were reloaded (tests wait on it). */
  readonly onDidChangeEntries = this._onDidChangeEntries.event;
  readonly view: vscode.TreeView<HistoryNode>;
  private target: HistoryTarget | undefined;
  private nodes: HistoryNode[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly capture: CaptureController, driftView: vscode.TreeView<unknown>) {
    this.view = vscode.window.createTreeView(HISTORY_VIEW, { treeDataProvider: this, showCollapseAll: false });
    this.disposables.push(
      this.view, this._onDidChangeTreeData, this._onDidChangeEntries,
      driftView.onDidChangeSelection((e) => {
        const n = e.selection[0] as DriftNode | undefined;
        if (n && (n.kind === 'artifact' || n.kind === 'file')) void this.showArtifact(n.folder.folder, n.artifact);
      }),
      vscode.window.onDidChangeActiveTextEditor((ed) => { if (ed) void this.showPath(ed.document.uri); }),
      // Capture starts right after activation, and follows settings: the empty state must follow it too.
      capture.onDidChangeFolders(() => void this.reload()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.update()),
      capture.onDidChangeHistory((c) => {
        if (this.target && c.folder.uri.toString() === this.target.folder.uri.toString() && c.keys.includes(this.target.artifact.key)) this.scheduleReload();
      }),
    );
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active) void this.showPath(active);
    else this.update();
  }

  /** The artifact shown, if any. */
  get current(): HistoryTarget | undefined { return this.target; }

  /** The capture service of the target's folder. */
  serviceOf(t: HistoryTarget) { return this.capture.forFolder(t.folder); }

  /** The rows shown (versions newest first, a pending capture on top). */
  get rows(): readonly HistoryNode[] { return this.nodes; }

  /** Shows the history of the artifact a file belongs to; false when it belongs to none (the view keeps its artifact). */
  async showPath(uri: vscode.Uri): Promise<boolean> {
    if (uri.scheme !== 'file') return false;
    const hit = this.capture.locate(uri.fsPath);
    if (!hit) return false;
    await this.show({ folder: hit.folder, artifact: hit.artifact });
    return true;
  }

  /** Shows the history of an artifact of the drift report. */
  async showArtifact(folder: vscode.WorkspaceFolder, a: ArtifactDrift): Promise<boolean> {
    const service = this.capture.forFolder(folder);
    const artifact = service?.locate(`${a.root}:${a.type}:${a.name}`);
    if (!artifact) return false;
    await this.show({ folder, artifact });
    return true;
  }

  async show(target: HistoryTarget): Promise<void> {
    const same = this.target && this.target.folder.uri.toString() === target.folder.uri.toString() && this.target.artifact.key === target.artifact.key;
    this.target = target;
    if (!same) { this.nodes = []; this.update(); }
    await this.reload();
  }

  private scheduleReload(): void {
    // A save produces several watcher events in a row: one reload for all of them.
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => { this.reloadTimer = undefined; void this.reload(); }, 100);
  }

  /** Reads the target's history again. */
  async reload(): Promise<void> {
    const target = this.target;
    const gen = ++this.generation;
    if (!target) { this.update(); return; }
    const service = this.capture.forFolder(target.folder);
    let nodes: HistoryNode[] = [];
    if (service) {
      const entries = await service.history(target.artifact.key);
      if (gen !== this.generation) return; // a newer reload (or another artifact) won
      const byId = new Map(entries.map((e) => [e.id, e]));
      nodes = entries.map((entry) => ({ kind: 'version' as const, target, entry, previous: entry.previousId !== undefined ? byId.get(entry.previousId) : undefined }));
      // Only the user's changes: the echo of the product's own write settling is not a capture to wait for.
      const pending = service.pending(target.artifact.key);
      if (pending && (pending.origin === 'edit' || pending.origin === 'rescan')) nodes.unshift({ kind: 'pending', target, pending });
    }
    this.nodes = nodes;
    this.update();
    this._onDidChangeEntries.fire();
  }

  private update(): void {
    const t = this.target;
    void vscode.commands.executeCommand('setContext', HISTORY_CONTEXT.hasArtifact, !!t);
    this.view.message = this.emptyMessage();
    if (!t) this.view.description = undefined;
    else {
      const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
      this.view.description = [t.artifact.name, t.artifact.type, t.artifact.root !== '.claude' ? t.artifact.root : '', multi ? t.folder.name : ''].filter(Boolean).join(' · ');
    }
    this._onDidChangeTreeData.fire(undefined);
  }

  /** The view's message when it has no rows: why, in the situation the user is in. */
  private emptyMessage(): string | undefined {
    const t = this.target;
    if (t && this.nodes.length) return undefined;
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (!folders.length) return vscode.l10n.t('Open a folder to keep the versions of its skills, commands and agents.');
    if (!this.capture.ready) return undefined; // capture starts right after activation: no verdict yet
    if (t && !this.capture.forFolder(t.folder)) return vscode.l10n.t('Version capture is turned off for {0} (setting skillmeatSync.capture.enabled).', t.folder.name);
    if (t) return vscode.l10n.t('Nothing captured for {0} yet. A version is captured a little while after you save a change.', t.artifact.name);
    if (!this.capture.all().length) return vscode.l10n.t('Version capture is turned off (setting skillmeatSync.capture.enabled). Turn it on to keep a version of every change to your skills, commands and agents.');
    return vscode.l10n.t('Select an artifact in the Drift view, or open one of its files, to see its versions.');
  }

  getChildren(node?: HistoryNode): HistoryNode[] {
    return node ? [] : this.nodes;
  }

  /** Every row is at the top level (this is what lets `view.reveal` scroll to a version). */
  getParent(): undefined { return undefined; }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    if (node.kind === 'pending') {
      // After a rate-limited change the pending capture is the retry once the hour frees, not a quiet window.
      const retry = this.nodes.find((n) => n.kind === 'version')?.kind === 'version' && (this.nodes.find((n) => n.kind === 'version') as { entry: HistoryEntry }).entry.status === 'rate_limited';
      const item = new vscode.TreeItem(retry ? vscode.l10n.t('Waiting for the hourly limit') : vscode.l10n.t('Capture pending'), vscode.TreeItemCollapsibleState.None);
      item.id = `pending:${node.target.artifact.key}`;
      item.description = vscode.l10n.t('due {0}', shortTime(new Date(node.pending.dueAt).toISOString()));
      item.iconPath = new vscode.ThemeIcon('clock', new vscode.ThemeColor('disabledForeground'));
      item.resourceUri = historyDecorationUri('pending', node.target.artifact.key);
      item.contextValue = 'version.pending';
      item.tooltip = retry
        ? vscode.l10n.t('More changes than skillmeatSync.capture.maxPerHour allows were made within an hour; the content is captured when the hour frees.')
        : vscode.l10n.t('A change was seen; it is captured once no further change arrives for the quiet window (skillmeatSync.capture.quietWindowSeconds).');
      return item;
    }
    const e = node.entry;
    const item = new vscode.TreeItem(shortTime(e.at), vscode.TreeItemCollapsibleState.None);
    item.id = `version:${node.target.folder.uri.toString()}:${e.id}`;
    const origin = originLabel(e.origin);
    const restoredFrom = e.origin === 'restore' ? /^restored from #(\d+)$/.exec(e.note ?? '')?.[1] : undefined;
    item.description = [restoredFrom ? vscode.l10n.t('restore of #{0}', restoredFrom) : origin, describeChange(e), `#${e.id}`].filter(Boolean).join(' · ');
    const dimmed = e.status === 'rate_limited' || e.status === 'skipped-duplicate' || !e.stored;
    item.iconPath = e.pinned ? new vscode.ThemeIcon('pinned') : new vscode.ThemeIcon(dimmed ? (e.status === 'rate_limited' ? 'watch' : 'circle-slash') : ORIGIN_ICONS[e.origin] ?? 'circle-outline',
      dimmed ? new vscode.ThemeColor('disabledForeground') : undefined);
    item.resourceUri = historyDecorationUri(dimmed ? (e.stored ? e.status : 'rate_limited') : 'stored', e.id);
    item.contextValue = e.stored ? `version.stored${e.pinned ? '.pinned' : ''}${e.status === 'captured' ? '' : '.dup'}` : 'version.notStored';
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`${e.pinned ? vscode.l10n.t('**#{0}** — {1}, {2}, pinned', e.id, origin, statusLabel(e.status)) : vscode.l10n.t('**#{0}** — {1}, {2}', e.id, origin, statusLabel(e.status))}\n\n`);
    tip.appendMarkdown(`${localDateTime(e.at)}\n\n`);
    if (e.note) tip.appendMarkdown(`${e.note}\n\n`);
    if (e.supersedes) tip.appendMarkdown(vscode.l10n.t('Also holds the change rate-limited as #{0}.', e.supersedes) + '\n\n');
    if (!e.stored) tip.appendMarkdown(vscode.l10n.t('Its content was not stored (too many captures within the hour); the next capture includes it.') + '\n\n');
    tip.appendMarkdown(`\`${e.treeHash.slice(0, 12)}\``);
    item.tooltip = tip;
    if (e.stored) item.command = { command: HISTORY_COMMANDS.compareWithCurrent, title: vscode.l10n.t('Compare with Current'), arguments: [node] };
    return item;
  }

  dispose(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const d of this.disposables) d.dispose();
  }
}

/** What the extension's API exposes of capture and history (other extensions, integration tests). */
export interface HistoryApi {
  /** The History view. */
  readonly view: vscode.TreeView<unknown>;
  /** The artifact shown: its key, name and folder path. */
  current(): { key: string; name: string; type: string; folder: string; path: string } | undefined;
  /** The rows shown, newest first (a pending capture first, if any). */
  rows(): readonly HistoryNode[];
  /** Fires after the rows were reloaded. */
  readonly onDidChangeRows: vscode.Event<void>;
  /** Shows the history of the artifact a file belongs to. */
  showPath(uri: vscode.Uri): Promise<boolean>;
  /** True while a write of the product to the shown artifact is settling (its change events are not edits). */
  ownWriteActive(): boolean;
  /** The hook other features call around their writes to project artifacts. */
  readonly ownWrites: OwnWrites;
}

/** Builds the {@link HistoryApi} of a view. */
export function historyApi(view: HistoryView, ownWrites: OwnWrites): HistoryApi {
  return {
    view: view.view as vscode.TreeView<unknown>,
    current: () => {
      const t = view.current;
      return t && { key: t.artifact.key, name: t.artifact.name, type: t.artifact.type, folder: t.folder.uri.fsPath, path: t.artifact.absPath };
    },
    rows: () => view.rows,
    onDidChangeRows: view.onDidChangeEntries,
    showPath: (uri) => view.showPath(uri),
    ownWriteActive: () => {
      const t = view.current;
      return !!t && !!view.serviceOf(t)?.ownWriteActive(t.artifact.key);
    },
    ownWrites,
  };
}
