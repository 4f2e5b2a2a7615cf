// The Generators view: one row per skill with a SYNC.json — its output, its last run, and whether the output
// is stale or was edited by hand. Invalid manifests are rows too, showing their first error, so a typo in
// SYNC.json never makes a generator silently disappear.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { localDateTime } from '../platform/dates';
import type { ManifestError, StaleReason } from '../../core/generators';
import type { GeneratorEntry, GeneratorsService } from './service';
import { GENERATOR_COMMANDS } from '../platform/ids';

/** "just now", "5 min ago", … for a run time; `now` is injectable for tests. */
export function timeAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return iso;
  if (s < 10) return vscode.l10n.t('just now');
  if (s < 60) return vscode.l10n.t('{0} s ago', s);
  if (s < 3600) return vscode.l10n.t('{0} min ago', Math.floor(s / 60));
  if (s < 86_400) return vscode.l10n.t('{0} h ago', Math.floor(s / 3600));
  return vscode.l10n.t('{0} d ago', Math.floor(s / 86_400));
}

/** "320 ms", "4.2 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? vscode.l10n.t('{0} ms', ms) : vscode.l10n.t('{0} s', (ms / 1000).toFixed(1));
}

/** The output path as the user wrote it relative to the workspace folder (absolute when outside). */
export function outputLabel(e: GeneratorEntry): string | undefined {
  const p = e.gen.outputPath;
  if (!p) return e.gen.manifest?.outputFile;
  const rel = path.relative(e.folderPath, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}

/** One manifest error as one line: what is wrong (the core's messages name the field) and the fix. */
export function formatManifestError(err: ManifestError): string {
  return vscode.l10n.t('{0} — fix: {1}', err.message, err.fix);
}

/** The parts of a row's description after the output file: last run and markers. */
export function statusParts(e: GeneratorEntry, now = Date.now()): string[] {
  const parts: string[] = [];
  if (e.running) parts.push(vscode.l10n.t('running…'));
  const r = e.lastRun;
  if (r) {
    const result = r.ok ? vscode.l10n.t('ok') : vscode.l10n.t('failed ({0})', r.outcome);
    parts.push(vscode.l10n.t('{0} {1} {2}', timeAgo(r.at, now), result, formatDuration(r.durationMs)));
  } else if (e.gen.valid) {
    parts.push(vscode.l10n.t('never run'));
  }
  if (e.status?.stale && !e.status.staleReasons.includes('never-generated')) parts.push(vscode.l10n.t('stale'));
  if (e.status?.editedByHand) parts.push(vscode.l10n.t('edited by hand'));
  if (e.status?.foreignOutput) parts.push(vscode.l10n.t('output not generated here'));
  return parts;
}

function staleReasonText(r: StaleReason): string {
  switch (r) {
    case 'never-generated': return vscode.l10n.t('never generated');
    case 'state-changed': return vscode.l10n.t('the state rows changed');
    case 'manifest-changed': return vscode.l10n.t('SYNC.json changed');
    case 'generator-changed': return vscode.l10n.t('the generator script changed');
    case 'output-missing': return vscode.l10n.t('the output file is missing');
    default: return r;
  }
}

function tooltipOf(e: GeneratorEntry, trusted: boolean): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  const g = e.gen;
  md.appendMarkdown(`**${g.name}** — \`${g.id}\`\n\n`);
  if (g.manifest?.description) md.appendText(`${g.manifest.description}\n\n`);
  if (!g.valid) {
    md.appendMarkdown(`$(error) ${vscode.l10n.t('{0} is invalid:', 'SYNC.json')}\n\n`);
    for (const err of g.errors) {
      const where = err.line !== undefined ? ` (${vscode.l10n.t('line {0}', err.line)})` : '';
      md.appendMarkdown('- ');
      md.appendText(`${formatManifestError(err)}${where}`);
      md.appendMarkdown('\n');
    }
    md.appendMarkdown('\n');
  } else {
    md.appendText(vscode.l10n.t('Output: {0}', g.outputPath ?? '?'));
    md.appendMarkdown('  \n');
    md.appendText(vscode.l10n.t('Patterns: {0}', (g.manifest?.patterns ?? []).join(', ')));
    md.appendMarkdown('  \n');
    md.appendText(vscode.l10n.t('Generator: {0}', g.manifest?.generator ?? '?'));
    md.appendMarkdown('\n\n');
  }
  const s = e.status;
  if (s?.stale) {
    md.appendText(vscode.l10n.t('Stale: {0}.', s.staleReasons.map(staleReasonText).join(', ')));
    md.appendMarkdown('\n\n');
  } else if (s) {
    md.appendText(vscode.l10n.t('Up to date with the state.'));
    md.appendMarkdown('\n\n');
  }
  if (s?.editedByHand) {
    md.appendMarkdown('$(edit) ');
    md.appendText(vscode.l10n.t('The output was edited by hand since it was generated; generating asks before overwriting it.'));
    md.appendMarkdown('\n\n');
  }
  if (s?.foreignOutput) {
    md.appendMarkdown('$(warning) ');
    md.appendText(vscode.l10n.t('The output exists but was not generated by SkillMeat Sync; generating asks before overwriting it.'));
    md.appendMarkdown('\n\n');
  }
  if (e.statusError) {
    md.appendMarkdown('$(warning) ');
    md.appendText(vscode.l10n.t('Status unknown: {0}', e.statusError));
    md.appendMarkdown('\n\n');
  }
  const r = e.lastRun;
  if (r) {
    md.appendText(vscode.l10n.t('Last run: {0} ({1}), {2} in {3}', localDateTime(r.at), timeAgo(r.at), r.ok ? vscode.l10n.t('ok') : r.outcome, formatDuration(r.durationMs)));
    md.appendMarkdown('  \n');
    md.appendText(r.message);
    md.appendMarkdown('\n\n');
  }
  if (!trusted) {
    md.appendMarkdown('$(shield) ');
    md.appendText(vscode.l10n.t('Generators run only in trusted workspaces.'));
  }
  return md;
}

function iconOf(e: GeneratorEntry): vscode.ThemeIcon {
  if (e.running) return new vscode.ThemeIcon('sync~spin');
  if (!e.gen.valid) return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  if (e.lastRun && !e.lastRun.ok) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  if (e.status?.editedByHand || e.status?.foreignOutput) return new vscode.ThemeIcon('edit', new vscode.ThemeColor('list.warningForeground'));
  if (e.status?.stale) return new vscode.ThemeIcon('history', new vscode.ThemeColor('list.warningForeground'));
  if (e.status) return new vscode.ThemeIcon('check', new vscode.ThemeColor('testing.iconPassed'));
  return new vscode.ThemeIcon('file-code');
}

/** `generator` plus `:valid`, `:output`, `:log` flags, matched by the menus in package.json. */
export function contextValueOf(e: GeneratorEntry): string {
  const flags = ['generator'];
  if (e.gen.valid) flags.push('valid');
  if (e.status?.outputExists) flags.push('output');
  if (e.lastRun) flags.push('log');
  return flags.join(':');
}

export class GeneratorsTreeProvider implements vscode.TreeDataProvider<GeneratorEntry>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<GeneratorEntry | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly subs: vscode.Disposable[] = [];
  private readonly clock: NodeJS.Timeout;

  constructor(private readonly service: GeneratorsService) {
    this.subs.push(this._onDidChangeTreeData, service.onDidChange(() => this._onDidChangeTreeData.fire(undefined)));
    // "2 min ago" ages: redraw once a minute (rows are cheap; nothing is recomputed)
    this.clock = setInterval(() => { if (service.entries.some((e) => e.lastRun)) this._onDidChangeTreeData.fire(undefined); }, 60_000);
  }

  getChildren(element?: GeneratorEntry): GeneratorEntry[] {
    if (element) return [];
    return [...this.service.entries].sort((a, b) => a.folderPath.localeCompare(b.folderPath) || a.gen.name.localeCompare(b.gen.name) || a.gen.id.localeCompare(b.gen.id));
  }

  getTreeItem(e: GeneratorEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(e.gen.name, vscode.TreeItemCollapsibleState.None);
    item.id = e.gen.file;
    const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
    const prefix = multiRoot ? `${path.basename(e.folderPath)} · ` : '';
    if (!e.gen.valid) {
      const first = e.gen.errors[0];
      const more = e.gen.errors.length > 1 ? ` ${vscode.l10n.t('(+{0} more)', e.gen.errors.length - 1)}` : '';
      item.description = `${prefix}${vscode.l10n.t('invalid: {0}', first ? formatManifestError(first) : '?')}${more}`;
    } else {
      item.description = [`${prefix}${outputLabel(e) ?? '?'}`, ...statusParts(e)].join(' · ');
    }
    item.tooltip = tooltipOf(e, this.service.isTrusted());
    item.iconPath = iconOf(e);
    item.contextValue = contextValueOf(e);
    item.resourceUri = undefined;
    const open = e.status?.outputExists ? GENERATOR_COMMANDS.openOutput : GENERATOR_COMMANDS.openManifest;
    item.command = { command: open, title: vscode.l10n.t('Open'), arguments: [e] };
    return item;
  }

  dispose(): void {
    clearInterval(this.clock);
    for (const s of this.subs) s.dispose();
  }
}

/** Keeps the view's message in step with Workspace Trust and the state database. */
export function bindViewMessage(view: vscode.TreeView<GeneratorEntry>, service: GeneratorsService): vscode.Disposable {
  const update = (): void => {
    if (!service.isTrusted()) {
      view.message = vscode.l10n.t('Generators run only in trusted workspaces: they execute scripts from this workspace. Trust the workspace to generate; listing and validating still work.');
    } else {
      const problem = service.entries.find((e) => e.statusError)?.statusError;
      view.message = problem ? vscode.l10n.t('Status unknown: {0}', problem) : undefined;
    }
  };
  update();
  return vscode.Disposable.from(service.onDidChange(update), vscode.workspace.onDidGrantWorkspaceTrust(update));
}
