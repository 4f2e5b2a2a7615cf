// The drift tree: groups by state, then artifacts, then (for skills) the files that differ.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DRIFT_STATES, isDiverged, type ArtifactDrift, type DriftState, type FileChange, type SyncedType, type UnmanagedRecord } from '../../core/model';
import type { DriftService, FolderReport } from './driftService';
import { COMMANDS, DECORATION_SCHEME } from '../platform/ids';
import { localDateTime } from '../platform/dates';

// Each label is its own literal vscode.l10n.t call, so a string extractor (`@vscode/l10n-dev export`) finds it.

/** The drift tree's group heading of a state: "Conflicts", "Available in collection"… */
export function groupLabel(state: DriftState): string {
  switch (state) {
    case 'merging': return vscode.l10n.t('Merging');
    case 'conflict': return vscode.l10n.t('Conflicts');
    case 'modified': return vscode.l10n.t('Modified');
    case 'outdated': return vscode.l10n.t('Outdated');
    case 'deleted': return vscode.l10n.t('Deleted');
    case 'removed': return vscode.l10n.t('Removed');
    case 'converged': return vscode.l10n.t('Converged');
    case 'added': return vscode.l10n.t('Available in collection');
    case 'untracked': return vscode.l10n.t('Untracked');
    case 'invalid': return vscode.l10n.t('Invalid');
    case 'in-sync': return vscode.l10n.t('In sync');
    case 'unreachable': return vscode.l10n.t('Collection unreachable');
  }
}

/** The short description after an artifact's name: what the state means ("edited locally"). */
function stateDescription(state: DriftState): string {
  switch (state) {
    case 'merging': return vscode.l10n.t('merge in progress: conflict markers in the project copy');
    case 'conflict': return vscode.l10n.t('changed on both sides');
    case 'modified': return vscode.l10n.t('edited locally');
    case 'outdated': return vscode.l10n.t('collection has a newer version');
    case 'deleted': return vscode.l10n.t('deleted locally');
    case 'removed': return vscode.l10n.t('gone from collection');
    case 'converged': return vscode.l10n.t('same change on both sides');
    case 'added': return vscode.l10n.t('not deployed');
    case 'untracked': return vscode.l10n.t('not in a deployment record');
    case 'invalid': return vscode.l10n.t('bad record');
    case 'in-sync': return '';
    case 'unreachable': return vscode.l10n.t('not checked: collection unreachable');
  }
}

/** The state's name in the tooltip. */
function stateName(state: DriftState): string {
  switch (state) {
    case 'merging': return vscode.l10n.t('merging');
    case 'conflict': return vscode.l10n.t('conflict');
    case 'modified': return vscode.l10n.t('modified');
    case 'outdated': return vscode.l10n.t('outdated');
    case 'deleted': return vscode.l10n.t('deleted');
    case 'removed': return vscode.l10n.t('removed');
    case 'converged': return vscode.l10n.t('converged');
    case 'added': return vscode.l10n.t('added');
    case 'untracked': return vscode.l10n.t('untracked');
    case 'invalid': return vscode.l10n.t('invalid');
    case 'in-sync': return vscode.l10n.t('in-sync');
    case 'unreachable': return vscode.l10n.t('unreachable');
  }
}

/**
 * What to do about an artifact, in the user's language. The core's `recommendation` carries the same advice
 * in English for the CLI and the JSON report; the tree renders its own from the state.
 */
export function recommendationText(a: Pick<ArtifactDrift, 'state' | 'baselineUnknown' | 'upstream'>): string {
  if (a.baselineUnknown && a.state !== 'merging') return vscode.l10n.t('two-way merge (the baseline is unknown)');
  // Newer upstream of a collection on git (as of the last fetch): Update offers to fast-forward it first.
  if (a.state === 'outdated' && a.upstream) return vscode.l10n.t('update: it offers to fast-forward the collection to {0} first', a.upstream.ref);
  switch (a.state) {
    case 'merging': return vscode.l10n.t('remove the conflict markers from the project copy, then run "skillmeat-sync resolve NAME" (or "skillmeat-sync resolve NAME --abort")');
    case 'conflict': return vscode.l10n.t('three-way merge');
    case 'modified': return vscode.l10n.t('pull into the collection, or keep the local version');
    case 'outdated': return vscode.l10n.t('update the project from the collection');
    case 'deleted': return vscode.l10n.t('restore from the collection, or undeploy');
    case 'removed': return vscode.l10n.t('remove from the project, or push back into the collection');
    case 'converged': return vscode.l10n.t('re-baseline only (both sides made the same change)');
    case 'added': return vscode.l10n.t('deploy');
    case 'untracked': return vscode.l10n.t('add to the collection');
    case 'invalid': return vscode.l10n.t('fix the record');
    case 'in-sync': return '';
    case 'unreachable': return vscode.l10n.t('make the collection reachable (mount or create it), or choose another one');
  }
}

/** How a file of a skill differs ("modified", "added", "deleted"). */
function fileChangeLabel(change: FileChange['change']): string {
  switch (change) {
    case 'modified': return vscode.l10n.t('modified');
    case 'added': return vscode.l10n.t('added');
    case 'deleted': return vscode.l10n.t('deleted');
  }
}

const TYPE_ICONS: Record<SyncedType, string> = {
  skill: 'symbol-class', command: 'terminal', agent: 'person',
  // SkillMeat's context entities: single files whose collection copy lives in SkillMeat's database.
  spec_file: 'book', rule_file: 'law', context_file: 'note', project_config: 'gear', progress_template: 'checklist',
};

/**
 * The context value of an artifact row, `artifact.<state>.<type>` (`artifact.conflict.skill`): the drift view's
 * menus and inline actions (package.json) match on it, so each row offers only what applies to its state.
 */
export function artifactContextValue(a: Pick<ArtifactDrift, 'state' | 'type'>): string {
  return `artifact.${a.state}.${a.type}`;
}

/** The context value of a file row of a skill, `file.<artifact state>.<change>` (`file.outdated.added`). */
export function fileContextValue(a: Pick<ArtifactDrift, 'state'>, f: Pick<FileChange, 'change'>): string {
  return `file.${a.state}.${f.change}`;
}

/**
 * What a click on an artifact row opens: the diff that shows its drift, else the copy there is to look at
 * (the collection's for a row not in the project, the project's for one that matches or has no record).
 */
export function clickCommand(a: Pick<ArtifactDrift, 'state' | 'type' | 'projectPath'>, node: unknown): vscode.Command {
  switch (a.state) {
    case 'modified': case 'conflict': case 'converged': case 'removed': case 'unreachable':
      return { command: COMMANDS.openDiff, title: vscode.l10n.t('Open Diff'), arguments: [node] };
    case 'outdated': return { command: COMMANDS.openDiffWithCollection, title: vscode.l10n.t('Open Diff'), arguments: [node] };
    case 'added': case 'deleted': return { command: COMMANDS.openCollectionCopy, title: vscode.l10n.t('Open Collection Version'), arguments: [node] };
    case 'invalid': return { command: COMMANDS.openRecordsFile, title: vscode.l10n.t('Open Deployment Record'), arguments: [node] };
    case 'untracked': case 'in-sync': case 'merging': {
      const file = a.type === 'skill' ? path.join(a.projectPath, 'SKILL.md') : a.projectPath;
      return { command: 'vscode.open', title: vscode.l10n.t('Open'), arguments: [vscode.Uri.file(file)] };
    }
  }
}

export type DriftNode =
  | { kind: 'group'; state: DriftState; items: { folder: FolderReport; artifact: ArtifactDrift }[] }
  | { kind: 'artifact'; folder: FolderReport; artifact: ArtifactDrift }
  | { kind: 'file'; folder: FolderReport; artifact: ArtifactDrift; file: FileChange }
  /** Records of types SkillMeat Sync does not sync (`hook`, `mcp`): listed, kept byte for byte, no actions. */
  | { kind: 'notSynced'; items: { folder: FolderReport; record: UnmanagedRecord }[] }
  | { kind: 'record'; folder: FolderReport; record: UnmanagedRecord };

/** The context value of a row of a record SkillMeat Sync does not sync: `record.notSynced.hook`. No menu matches it. */
export function notSyncedContextValue(r: Pick<UnmanagedRecord, 'type'>): string {
  return `record.notSynced.${r.type}`;
}

/** A stable id for an artifact node: folder + root + type + name. */
export function artifactNodeId(folder: FolderReport, a: ArtifactDrift): string {
  return `${folder.folder.uri.toString()}|${a.root}|${a.type}|${a.name}`;
}

function shortHash(h: string | null | undefined): string {
  return h ? h.slice(0, 10) : '—';
}

/** The id of a group row: a state's, or (no state) the records SkillMeat Sync does not sync. */
function groupId(state?: DriftState): string {
  return state ? `group:${state}` : 'group:not-synced';
}

/** The id of a changed file's row under its artifact. */
function fileNodeId(folder: FolderReport, a: ArtifactDrift, file: FileChange): string {
  return `${artifactNodeId(folder, a)}|${file.path}`;
}

/** The id of a row of a record SkillMeat Sync does not sync. */
function recordNodeId(folder: FolderReport, r: UnmanagedRecord): string {
  return `${folder.folder.uri.toString()}|${r.root}|${r.type}|${r.name}|not-synced`;
}

/** An artifact row's tooltip: where it is, its state and advice, the three hashes, the deployment, the core's note. */
function artifactTooltip(folder: FolderReport, a: ArtifactDrift): vscode.MarkdownString {
  const tip = new vscode.MarkdownString(undefined, true);
  tip.appendMarkdown(`${vscode.l10n.t('**{0}** — {1} in `{2}` ({3})', a.name, a.type, a.root, folder.folder.name)}\n\n`);
  const advice = recommendationText(a);
  tip.appendMarkdown(`${advice ? vscode.l10n.t('State: **{0}** — {1}', stateName(a.state), advice) : vscode.l10n.t('State: **{0}**', stateName(a.state))}\n\n`);
  const hashRow = (side: string, h: string | null) => `| ${side} | \`${shortHash(h)}\` |\n`;
  tip.appendMarkdown(`| | ${vscode.l10n.t('hash')} |\n|---|---|\n${hashRow(vscode.l10n.t('collection'), a.collectionHash)}${hashRow(vscode.l10n.t('project'), a.projectHash)}${hashRow(vscode.l10n.t('baseline'), a.baselineHash)}\n`);
  if (a.deployedAt) tip.appendMarkdown(`${vscode.l10n.t('Deployed {0} from collection "{1}"', localDateTime(a.deployedAt), a.collectionName ?? '?')}\n\n`);
  // `detail` is the core's note (an invalid record's parse error, an unreachable collection's path); it names files.
  if (a.detail) tip.appendMarkdown(`${a.detail}\n\n`);
  tip.appendMarkdown(`\`${path.relative(folder.folder.uri.fsPath, a.projectPath) || a.projectPath}\``);
  return tip;
}

/** What an artifact row shows (label, description, icon, menus, click), its tooltip aside; files included. */
function rowKey(folder: FolderReport, a: ArtifactDrift): unknown[] {
  return [artifactNodeId(folder, a), a.state, a.type, a.root, a.name, folder.folder.name, a.relPath, a.projectPath, (a.files ?? []).map((f) => [f.path, f.change])];
}

export class DriftTreeProvider implements vscode.TreeDataProvider<DriftNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<DriftNode | DriftNode[] | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private groups: DriftNode[] = [];
  /**
   * Every node by its tree id. VS Code keeps the objects getChildren gave it (a click or a menu passes them back),
   * so a report updates them in place: a redraw is needed only when what the rows show changes.
   */
  private readonly nodes = new Map<string, DriftNode>();
  /** Ids of the nodes getChildren gave VS Code: only those can be refreshed one by one. */
  private readonly given = new Set<string>();
  /** Each artifact row's data (what its tooltip is made of), to refresh only the rows whose tooltip changed. */
  private data = new Map<string, string>();
  /** What the rows show, as of the last redraw. */
  private shown: string | undefined;
  /** Whole-tree redraws since activation (the integration tests read it through the API). */
  redraws = 0;
  private readonly sub: vscode.Disposable;
  private readonly partialSub: vscode.Disposable;

  constructor(private readonly service: DriftService) {
    // Until the first full report, the artifacts known so far (a large first check shows them as they are hashed).
    this.partialSub = service.onDidPartialReport((reports) => {
      if (service.firstReportAt !== undefined) return;
      this.rebuild(reports);
      this.shown = undefined;
      this.redraw();
    });
    this.sub = service.onDidChangeReport((reports) => {
      const before = this.data;
      const shown = this.rebuild(reports);
      // A check that found what the last one found (the periodic re-scan, the Offline poll every few seconds), or
      // that changed only what tooltips say (a baseline hash known in our form once capture knows the version),
      // does not redraw the tree: a redraw under the user's pointer loses a click or a context menu, and shows as
      // flicker. The rows whose tooltip changed are refreshed one by one (VS Code may hold a resolved one).
      if (shown !== this.shown) { this.shown = shown; this.redraw(); return; }
      const changed = [...this.data].filter(([id, d]) => before.get(id) !== d && this.given.has(id)).map(([id]) => this.nodes.get(id)!);
      if (changed.length) this._onDidChangeTreeData.fire(changed);
    });
  }

  private redraw(): void {
    this.redraws++;
    this._onDidChangeTreeData.fire(undefined);
  }

  /** Rebuilds the groups from `reports`, updating the nodes VS Code holds in place; returns what the rows show. */
  private rebuild(reports: readonly FolderReport[]): string {
    const seen = new Set<string>();
    const node = <T extends DriftNode>(id: string, fresh: T): T => {
      seen.add(id);
      const held = this.nodes.get(id);
      if (held && held.kind === fresh.kind) return Object.assign(held, fresh) as T;
      this.nodes.set(id, fresh);
      return fresh;
    };
    const by = new Map<DriftState, { folder: FolderReport; artifact: ArtifactDrift }[]>();
    const data = new Map<string, string>();
    const rows: unknown[] = [];
    for (const folder of reports) for (const artifact of folder.report.artifacts) {
      if (!by.has(artifact.state)) by.set(artifact.state, []);
      by.get(artifact.state)!.push({ folder, artifact });
      const id = artifactNodeId(folder, artifact);
      node(id, { kind: 'artifact', folder, artifact });
      for (const file of artifact.files ?? []) node(fileNodeId(folder, artifact, file), { kind: 'file', folder, artifact, file });
      data.set(id, JSON.stringify([artifact, folder.folder.name]));
    }
    this.groups = DRIFT_STATES.filter((s) => by.has(s)).map((state) => {
      const items = by.get(state)!.sort((a, b) => a.artifact.type.localeCompare(b.artifact.type) || a.artifact.name.localeCompare(b.artifact.name));
      rows.push(state, items.map((i) => rowKey(i.folder, i.artifact)));
      return node(groupId(state), { kind: 'group' as const, state, items });
    });
    const notSynced = reports.flatMap((folder) => folder.report.unmanaged.map((record) => ({ folder, record })));
    if (notSynced.length) {
      const items = notSynced.sort((a, b) => a.record.type.localeCompare(b.record.type) || a.record.name.localeCompare(b.record.name));
      for (const { folder, record } of items) node(recordNodeId(folder, record), { kind: 'record', folder, record });
      rows.push('not-synced', items.map(({ folder, record }) => [recordNodeId(folder, record), record]));
      this.groups.push(node(groupId(), { kind: 'notSynced', items }));
    }
    for (const id of this.nodes.keys()) if (!seen.has(id)) { this.nodes.delete(id); this.given.delete(id); }
    this.data = data;
    return JSON.stringify([rows, (vscode.workspace.workspaceFolders?.length ?? 0) > 1]);
  }

  /** The nodes VS Code is given: the ones {@link rebuild} keeps up to date. */
  private give<T extends DriftNode>(id: string): T {
    this.given.add(id);
    return this.nodes.get(id) as T;
  }

  /** Number of artifacts needing attention (divergence), for the view badge. */
  attentionCount(): number {
    return this.groups.reduce((n, g) => n + (g.kind === 'group' && isDiverged(g.state) ? g.items.length : 0), 0);
  }

  getChildren(node?: DriftNode): DriftNode[] {
    if (!node) {
      for (const g of this.groups) this.given.add(groupId(g.kind === 'group' ? g.state : undefined));
      return this.groups;
    }
    if (node.kind === 'group') return node.items.map(({ folder, artifact }) => this.give(artifactNodeId(folder, artifact)));
    if (node.kind === 'artifact') return (node.artifact.files ?? []).map((file) => this.give(fileNodeId(node.folder, node.artifact, file)));
    if (node.kind === 'notSynced') return node.items.map(({ folder, record }) => this.give(recordNodeId(folder, record)));
    return [];
  }

  getParent(node: DriftNode): DriftNode | undefined {
    if (node.kind === 'group' || node.kind === 'notSynced') return undefined;
    if (node.kind === 'record') return this.nodes.get(groupId());
    if (node.kind === 'artifact') return this.nodes.get(groupId(node.artifact.state));
    return this.nodes.get(artifactNodeId(node.folder, node.artifact));
  }

  /** An artifact row's tooltip, made when the pointer rests on the row, from the artifact as the last report has it. */
  resolveTreeItem(item: vscode.TreeItem, node: DriftNode): vscode.TreeItem {
    if (node.kind === 'artifact' && item.tooltip === undefined) item.tooltip = artifactTooltip(node.folder, node.artifact);
    return item;
  }

  getTreeItem(node: DriftNode): vscode.TreeItem {
    if (node.kind === 'notSynced') {
      const item = new vscode.TreeItem(vscode.l10n.t('Not Synced (kept as they are)'), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = groupId();
      item.description = String(node.items.length);
      item.contextValue = 'group.notSynced';
      item.tooltip = vscode.l10n.t('Records of hooks and MCP servers that SkillMeat deployed. SkillMeat Sync does not sync these types: it lists them and keeps their records byte for byte.');
      return item;
    }
    if (node.kind === 'record') {
      const r = node.record;
      const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
      item.id = recordNodeId(node.folder, r);
      item.description = [r.type, r.root !== '.claude' ? r.root : '', vscode.l10n.t('not synced')].filter(Boolean).join(' · ');
      item.iconPath = new vscode.ThemeIcon(r.type === 'mcp' ? 'server' : r.type === 'hook' ? 'zap' : 'circle-slash');
      item.contextValue = notSyncedContextValue(r);
      item.tooltip = vscode.l10n.t('{0} "{1}" in {2}: SkillMeat Sync does not sync {0} records; it keeps this one as it is.', r.type, r.name, r.recordFile);
      item.command = { command: 'vscode.open', title: vscode.l10n.t('Open Deployment Record'), arguments: [vscode.Uri.file(r.recordFile)] };
      return item;
    }
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(groupLabel(node.state),
        node.state === 'added' || node.state === 'in-sync' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = groupId(node.state);
      item.description = String(node.items.length);
      item.contextValue = `group.${node.state}`;
      item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${node.state}/group` });
      return item;
    }
    const a = node.artifact;
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    if (node.kind === 'file') {
      const item = new vscode.TreeItem(node.file.path, vscode.TreeItemCollapsibleState.None);
      item.id = fileNodeId(node.folder, a, node.file);
      item.description = fileChangeLabel(node.file.change);
      item.iconPath = new vscode.ThemeIcon(node.file.change === 'added' ? 'diff-added' : node.file.change === 'deleted' ? 'diff-removed' : 'diff-modified');
      item.contextValue = fileContextValue(a, node.file);
      item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${a.state}/${a.relPath}/${node.file.path}` });
      // An outdated skill lists what the collection changed: its files compare with the collection.
      const diff = a.state === 'outdated' ? COMMANDS.openDiffWithCollection : COMMANDS.openDiff;
      item.command = { command: diff, title: vscode.l10n.t('Open Diff'), arguments: [node] };
      return item;
    }
    const hasFiles = (a.files?.length ?? 0) > 0;
    const item = new vscode.TreeItem(a.name, hasFiles ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = artifactNodeId(node.folder, a);
    const desc = [a.type, a.root !== '.claude' ? a.root : '', multiRoot ? node.folder.folder.name : '', stateDescription(a.state)].filter(Boolean);
    item.description = desc.join(' · ');
    // A merge in progress shows the merge icon: the row needs the user's hand in the project copy.
    item.iconPath = new vscode.ThemeIcon(a.state === 'merging' ? 'git-merge' : TYPE_ICONS[a.type]);
    item.contextValue = artifactContextValue(a);
    item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${a.state}/${a.root}/${a.relPath}` });
    // The tooltip comes from resolveTreeItem, when the pointer rests on the row.
    // A click does what the row is about; a skill with changed files expands instead.
    if (!hasFiles) item.command = clickCommand(a, node);
    return item;
  }

  dispose(): void { this.sub.dispose(); this.partialSub.dispose(); this._onDidChangeTreeData.dispose(); }
}
