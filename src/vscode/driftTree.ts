// The drift tree: groups by state, then artifacts, then (for skills) the files that differ.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DRIFT_STATES, isDiverged, type ArtifactDrift, type DriftState, type FileChange } from '../core/model';
import type { DriftService, FolderReport } from './driftService';
import { DECORATION_SCHEME } from './ids';

export const GROUP_LABELS: Record<DriftState, string> = {
  conflict: 'Conflicts', modified: 'Modified', outdated: 'Outdated', deleted: 'Deleted', removed: 'Removed',
  converged: 'Converged', added: 'Available in collection', untracked: 'Untracked', invalid: 'Invalid', 'in-sync': 'In sync',
};

const STATE_DESCRIPTIONS: Record<DriftState, string> = {
  conflict: 'changed on both sides', modified: 'edited locally', outdated: 'collection has a newer version',
  deleted: 'deleted locally', removed: 'gone from collection', converged: 'same change on both sides',
  added: 'not deployed', untracked: 'not in a deployment record', invalid: 'bad record', 'in-sync': '',
};

const TYPE_ICONS = { skill: 'symbol-class', command: 'terminal', agent: 'person' } as const;

export type DriftNode =
  | { kind: 'group'; state: DriftState; items: { folder: FolderReport; artifact: ArtifactDrift }[] }
  | { kind: 'artifact'; folder: FolderReport; artifact: ArtifactDrift }
  | { kind: 'file'; folder: FolderReport; artifact: ArtifactDrift; file: FileChange };

/** A stable id for an artifact node: folder + root + type + name. */
export function artifactNodeId(folder: FolderReport, a: ArtifactDrift): string {
  return `${folder.folder.uri.toString()}|${a.root}|${a.type}|${a.name}`;
}

function shortHash(h: string | null | undefined): string {
  return h ? h.slice(0, 10) : '—';
}

export class DriftTreeProvider implements vscode.TreeDataProvider<DriftNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<DriftNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private groups: DriftNode[] = [];
  private readonly sub: vscode.Disposable;

  constructor(private readonly service: DriftService) {
    this.sub = service.onDidChangeReport((reports) => { this.rebuild(reports); this._onDidChangeTreeData.fire(undefined); });
  }

  private rebuild(reports: readonly FolderReport[]): void {
    const by = new Map<DriftState, { folder: FolderReport; artifact: ArtifactDrift }[]>();
    for (const folder of reports) for (const artifact of folder.report.artifacts) {
      if (!by.has(artifact.state)) by.set(artifact.state, []);
      by.get(artifact.state)!.push({ folder, artifact });
    }
    this.groups = DRIFT_STATES.filter((s) => by.has(s)).map((state) => ({
      kind: 'group' as const, state,
      items: by.get(state)!.sort((a, b) => a.artifact.type.localeCompare(b.artifact.type) || a.artifact.name.localeCompare(b.artifact.name)),
    }));
  }

  /** Number of artifacts needing attention (divergence), for the view badge. */
  attentionCount(): number {
    return this.groups.reduce((n, g) => n + (g.kind === 'group' && isDiverged(g.state) ? g.items.length : 0), 0);
  }

  getChildren(node?: DriftNode): DriftNode[] {
    if (!node) return this.groups;
    if (node.kind === 'group') return node.items.map(({ folder, artifact }) => ({ kind: 'artifact' as const, folder, artifact }));
    if (node.kind === 'artifact') return (node.artifact.files ?? []).map((file) => ({ kind: 'file' as const, folder: node.folder, artifact: node.artifact, file }));
    return [];
  }

  getParent(node: DriftNode): DriftNode | undefined {
    if (node.kind === 'group') return undefined;
    const g = this.groups.find((x) => x.kind === 'group' && x.state === node.artifact.state);
    if (node.kind === 'artifact') return g;
    return { kind: 'artifact', folder: node.folder, artifact: node.artifact };
  }

  getTreeItem(node: DriftNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(vscode.l10n.t(GROUP_LABELS[node.state]),
        node.state === 'added' || node.state === 'in-sync' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.state}`;
      item.description = String(node.items.length);
      item.contextValue = `group.${node.state}`;
      item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${node.state}/group` });
      return item;
    }
    const a = node.artifact;
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    if (node.kind === 'file') {
      const item = new vscode.TreeItem(node.file.path, vscode.TreeItemCollapsibleState.None);
      item.id = `${artifactNodeId(node.folder, a)}|${node.file.path}`;
      item.description = vscode.l10n.t(node.file.change);
      item.iconPath = new vscode.ThemeIcon(node.file.change === 'added' ? 'diff-added' : node.file.change === 'deleted' ? 'diff-removed' : 'diff-modified');
      item.contextValue = `file.${node.file.change}`;
      item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${a.state}/${a.relPath}/${node.file.path}` });
      if (node.file.change !== 'deleted') {
        item.command = { command: 'skillmeatSync.openDiff', title: vscode.l10n.t('Open Diff'), arguments: [node] };
      }
      return item;
    }
    const hasFiles = (a.files?.length ?? 0) > 0;
    const item = new vscode.TreeItem(a.name, hasFiles ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = artifactNodeId(node.folder, a);
    const desc = [a.type, a.root !== '.claude' ? a.root : '', multiRoot ? node.folder.folder.name : '', STATE_DESCRIPTIONS[a.state]].filter(Boolean);
    item.description = desc.join(' · ');
    item.iconPath = new vscode.ThemeIcon(TYPE_ICONS[a.type]);
    item.contextValue = `artifact.${a.state}`;
    item.resourceUri = vscode.Uri.from({ scheme: DECORATION_SCHEME, path: `/${a.state}/${a.root}/${a.relPath}` });
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${a.name}** — ${a.type} in \`${a.root}\` (${node.folder.folder.name})\n\n`);
    tip.appendMarkdown(`State: **${a.state}**${a.recommendation ? ` — ${a.recommendation}` : ''}\n\n`);
    tip.appendMarkdown(`| | hash |\n|---|---|\n| collection | \`${shortHash(a.collectionHash)}\` |\n| project | \`${shortHash(a.projectHash)}\` |\n| baseline | \`${shortHash(a.baselineHash)}\` |\n\n`);
    if (a.deployedAt) tip.appendMarkdown(`Deployed ${a.deployedAt} from collection "${a.collectionName ?? '?'}"\n\n`);
    if (a.detail) tip.appendMarkdown(`${a.detail}\n\n`);
    tip.appendMarkdown(`\`${path.relative(node.folder.folder.uri.fsPath, a.projectPath) || a.projectPath}\``);
    item.tooltip = tip;
    if (a.state !== 'deleted' && a.state !== 'added' && a.state !== 'invalid' && a.type !== 'skill') {
      item.command = { command: 'skillmeatSync.openDiff', title: vscode.l10n.t('Open Diff'), arguments: [node] };
    }
    return item;
  }

  dispose(): void { this.sub.dispose(); this._onDidChangeTreeData.dispose(); }
}
