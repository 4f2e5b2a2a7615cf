// Conflicts left by a sync, resolved in VS Code's native merge editor. One session per artifact; its
// conflicting files are walked in sequence (text files in the merge editor, binary and added/deleted files
// through a quick pick), and when the last one is accepted the sync engine's completeMerge() writes the
// artifact atomically on both sides, updates the record and stores the versions. Until then nothing is
// written: closing a merge editor without accepting abandons the session and the artifact stays in Conflict.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { completeMerge, hasConflictMarkers, SyncFailure, type ConflictFile, type PendingMerge, type SyncResult } from '../../core/sync';
import { artifactKey } from '../../core/model';
import type { DriftService } from '../drift/driftService';
import type { Operations } from '../platform/operations';
import { MergeResultFileSystem, MergeSideDocuments } from './mergeEditorDocuments';
import { conflictsLeftAtBase } from '../../core/sync/mergeResolution';
import { askAboutSecrets } from './secrets';
import { MERGE_RESULT_SCHEME, SYNC_COMMANDS, SYNC_CONTEXT } from '../platform/ids';

/** What "Accept Merge" did. */
export type AcceptOutcome =
  | { status: 'not-pending' }
  | { status: 'markers-left' | 'unresolved'; file: string }
  /** The file is accepted and the next conflicting file of the artifact is open. */
  | { status: 'next'; file: string; next: string }
  | { status: 'completed'; file: string; result: SyncResult }
  | { status: 'failed'; file: string; message: string };

/** A pending merge as the API reports it. */
export interface PendingMergeInfo {
  project: string;
  type: string;
  name: string;
  root: string;
  direction: PendingMerge['direction'];
  /** Conflicting files (paths inside the artifact; the file name for a command or agent). */
  files: string[];
  /** Files accepted so far. */
  accepted: string[];
  /** The file open in the merge editor now, and its result document. */
  current?: string;
  resultUri?: string;
}

interface FileStep {
  conflict: ConflictFile;
  /** Path inside the artifact, or the file name of a command or agent. */
  name: string;
  resolved?: { value: Buffer | string | null };
  uris?: { base: vscode.Uri; incoming: vscode.Uri; current: vscode.Uri; result: vscode.Uri };
  /** `opening`: the merge editor has not yet replaced the markers with its own starting point. */
  phase?: 'opening' | 'ready';
  /** Set while the extension itself closes the editor, so the close is not taken for "abandoned". */
  closing?: boolean;
}

interface Session {
  id: string;
  key: string;
  pending: PendingMerge;
  steps: FileStep[];
  index: number;
}

let nextSessionId = 1;

/** How long the merge editor gets to recount conflicts after its inputs change (see closeEditor). */
const MERGE_EDITOR_RECOUNT_MS = 250;

const sameUri = (a: vscode.Uri, b: vscode.Uri) => a.toString() === b.toString();

/** A merge editor's tab input. */
interface TabInputTextMerge { readonly base: vscode.Uri; readonly input1: vscode.Uri; readonly input2: vscode.Uri; readonly result: vscode.Uri }

// `vscode.TabInputTextMerge` is a class of the runtime API, but its typing lives in a proposed .d.ts
// (tabInputTextMerge) that @types/vscode does not ship: it is looked up here, with a shape check as fallback.
const TabInputTextMergeClass = (vscode as unknown as { TabInputTextMerge?: abstract new (...args: never[]) => TabInputTextMerge }).TabInputTextMerge;

/** The tab's input when the tab is a merge editor. */
export function mergeInput(input: unknown): TabInputTextMerge | undefined {
  if (TabInputTextMergeClass) return input instanceof TabInputTextMergeClass ? input : undefined;
  const i = input as Partial<TabInputTextMerge> | undefined;
  return i && i.result instanceof vscode.Uri && i.input1 instanceof vscode.Uri && i.input2 instanceof vscode.Uri ? (i as TabInputTextMerge) : undefined;
}

function mergeTabs(uri: vscode.Uri): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => { const m = mergeInput(t.input); return !!m && sameUri(m.result, uri); });
}

export class MergeSessions implements vscode.Disposable {
  /** Active first; the others wait for it (one merge editor at a time keeps the walk easy to follow). */
  private readonly queue: Session[] = [];
  private readonly subs: vscode.Disposable[] = [];
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** Fires when a merge starts, a file is accepted, or a merge completes or is abandoned. */
  readonly onDidChange = this._onDidChange.event;
  private contextValue = false;

  constructor(
    private readonly service: DriftService,
    private readonly log: vscode.LogOutputChannel,
    private readonly sides: MergeSideDocuments,
    private readonly results: MergeResultFileSystem,
    private readonly operations: Operations,
  ) {
    this.subs.push(
      this._onDidChange,
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const t of e.closed) { const m = mergeInput(t.input); if (m?.result.scheme === MERGE_RESULT_SCHEME) this.onClosed(m.result); }
        for (const t of [...e.opened, ...e.changed]) { const m = mergeInput(t.input); if (m) this.settle(m.result); }
        this.updateContext();
      }),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.updateContext()),
      vscode.workspace.onDidOpenTextDocument((d) => this.settle(d.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => this.settle(e.document.uri)),
    );
  }

  /** True when an artifact of that project already has a merge waiting. */
  has(project: string, a: { root: string; type: PendingMerge['artifact']['type']; name: string }): boolean {
    return this.queue.some((s) => s.key === sessionKey(project, a));
  }

  /** Brings the merge editor of a waiting artifact back to the front. */
  async reveal(project: string, a: { root: string; type: PendingMerge['artifact']['type']; name: string }): Promise<void> {
    const s = this.queue.find((x) => x.key === sessionKey(project, a));
    if (!s) return;
    if (s !== this.queue[0]) { this.queue.splice(this.queue.indexOf(s), 1); this.queue.unshift(s); }
    await this.openCurrent(s);
  }

  /** Queues the artifacts a sync left in conflict and opens the first conflicting file. */
  async start(pendings: readonly PendingMerge[]): Promise<void> {
    const head = this.queue[0];
    for (const pending of pendings) {
      const key = sessionKey(pending.project, pending.artifact);
      const old = this.queue.find((s) => s.key === key);
      if (old) await this.discard(old); // a newer merge of the same artifact replaces the old one
      const steps = pending.conflicts.map((conflict) => ({ conflict, name: conflict.path || path.basename(conflict.targetPath) }));
      this.queue.push({ id: `m${nextSessionId++}`, key, pending, steps, index: 0 });
    }
    this._onDidChange.fire();
    // The merge in front keeps its editor; new ones wait their turn unless nothing was in front.
    if (this.queue[0] !== head) await this.advance();
  }

  /** Drops a session without a word, closing its editor (it is being replaced). */
  private async discard(session: Session): Promise<void> {
    const open = session.steps.flatMap((step) => (step.uris ? mergeTabs(step.uris.result).map((tab) => ({ step, tab })) : []));
    for (const { step } of open) step.closing = true;
    this.drop(session);
    if (open.length) await vscode.window.tabGroups.close(open.map((o) => o.tab));
  }

  /** The pending merges, the active one first. */
  list(): PendingMergeInfo[] {
    return this.queue.map((s) => {
      const step = s.steps[s.index];
      return {
        project: s.pending.project, type: s.pending.artifact.type, name: s.pending.artifact.name, root: s.pending.artifact.root,
        direction: s.pending.direction, files: s.steps.map((f) => f.name), accepted: s.steps.filter((f) => f.resolved).map((f) => f.name),
        ...(step ? { current: step.name } : {}), ...(step?.uris ? { resultUri: step.uris.result.toString() } : {}),
      };
    });
  }

  /**
   * "Accept Merge": takes the result of the merge editor showing `resultUri` (default: the active one),
   * checks it, and moves on to the artifact's next conflicting file or, after the last, writes the artifact.
   */
  async accept(resultUri?: vscode.Uri): Promise<AcceptOutcome> {
    const uri = resultUri ?? activeMergeResult();
    const found = uri && this.stepOf(uri);
    const uris = found ? found.step.uris : undefined;
    if (!found || !uris) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The active editor is not a pending SkillMeat merge. Open one with "SkillMeat: Merge…".'));
      return { status: 'not-pending' };
    }
    const { session, step } = found;
    const c = step.conflict;
    const doc = await vscode.workspace.openTextDocument(uris.result);
    const text = doc.getText();
    if (hasConflictMarkers(Buffer.from(text, 'utf8'))) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} still has conflict markers (<<<<<<< / >>>>>>>). Resolve them in the Result pane, then accept the merge again.', c.targetPath));
      return { status: 'markers-left', file: step.name };
    }
    const left = conflictsLeftAtBase({ base: c.base?.toString('utf8') ?? '', ours: c.ours?.toString('utf8') ?? '', theirs: c.theirs?.toString('utf8') ?? '', result: text });
    if (left.length > 0) {
      const anyway = vscode.l10n.t('Accept Anyway');
      const pick = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} conflict(s) in {1} still show the baseline text, with neither side\'s change. Accept anyway?', left.length, step.name),
        { modal: true, detail: vscode.l10n.t('Use "Accept Incoming", "Accept Current" or "Accept Combination" in the merge editor, or edit the Result pane. Both versions stay in the version store either way.') },
        anyway,
      );
      if (pick !== anyway) return { status: 'unresolved', file: step.name };
    }
    step.resolved = { value: text };
    this.log.info(`merge: accepted ${step.name} of ${session.pending.artifact.type} ${session.pending.artifact.name}`);
    return this.advanceAfter(session, step, text);
  }

  /**
   * After a file is resolved: its merge editor (if any, `text` being its accepted result) closes and the
   * next file opens; after the last file the artifact is written first, and the editor closes only when that
   * worked — if it did not, the user's resolution stays on screen.
   */
  private async advanceAfter(session: Session, step: FileStep, text?: string): Promise<AcceptOutcome> {
    if (session.index < session.steps.length - 1) {
      if (text !== undefined) await this.closeEditor(step, text);
      session.index++;
      this._onDidChange.fire();
      await this.openCurrent(session);
      return { status: 'next', file: step.name, next: session.steps[session.index].name };
    }
    step.closing = true; // closing the editor while the merge is written does not abandon it
    const outcome = await this.complete(session, step.name);
    if (outcome.status === 'completed' && text !== undefined) await this.closeEditor(step, text);
    this.drop(session);
    await this.advance();
    return outcome;
  }

  private async complete(session: Session, file: string): Promise<AcceptOutcome> {
    const pm = session.pending;
    const resolved: Record<string, Buffer | string | null> = {};
    for (const s of session.steps) resolved[s.conflict.path] = s.resolved!.value;
    let result: SyncResult;
    try {
      const store = await this.service.versionStore();
      // Files bound for the collection are scanned for secrets first; the user may allow them for this merge.
      const write = async (allowSecrets: boolean): Promise<SyncResult> => {
        const r = await completeMerge({ pending: pm, resolved, store, allowSecrets });
        const toProject = (f: string) => (f.startsWith(pm.collectionPath) ? pm.projectPath + f.slice(pm.collectionPath.length) : f);
        return r.error?.code === 'secrets-found' && !allowSecrets && await askAboutSecrets(r.secretFindings ?? [], toProject) ? write(true) : r;
      };
      result = await this.operations.run('merge', [pm.projectPath, pm.collectionPath], () => write(false), {
        title: vscode.l10n.t('Writing the merge of {0}', pm.artifact.name),
        failure: (r) => (r.status === 'failed' ? r.error?.message ?? vscode.l10n.t('unknown error') : undefined),
      });
    } catch (e) {
      const message = e instanceof SyncFailure ? e.message : (e as Error).message;
      this.log.error(`merge of ${pm.artifact.type} ${pm.artifact.name} not written: ${e instanceof Error && e.stack ? e.stack : message}`);
      void this.showMergeAgain(vscode.l10n.t('The merge of {0} was not written: {1}', pm.artifact.name, message), pm, 'error');
      return { status: 'failed', file, message };
    }
    if (result.status === 'failed') {
      const message = result.error?.message ?? vscode.l10n.t('unknown error');
      this.log.error(`merge of ${pm.artifact.type} ${pm.artifact.name} not written: ${message}${result.rollbackProblems?.length ? `; could not restore: ${result.rollbackProblems.join('; ')}` : ''}`);
      void this.showMergeAgain(vscode.l10n.t('The merge of {0} was not written: {1}', pm.artifact.name, message), pm, 'error');
      return { status: 'failed', file, message };
    }
    const sides = result.artifacts.flatMap((a) => a.writes.map((w) => w.side));
    this.log.info(`merge: wrote ${pm.artifact.type} ${pm.artifact.name} to ${sides.join(' and ') || 'the record only (both sides already held it)'}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Merged {0}: the result is now in the project and the collection, and is the new baseline.', pm.artifact.name));
    this._onDidChange.fire();
    return { status: 'completed', file, result };
  }

  /** Opens the next thing to resolve: the current file of the session at the head of the queue. */
  private async advance(): Promise<void> {
    const s = this.queue[0];
    if (s) await this.openCurrent(s);
  }

  private async openCurrent(s: Session): Promise<void> {
    const step = s.steps[s.index];
    if (!step) return;
    if (step.conflict.rendered === undefined) {
      // Binary files and files added or deleted on one side have no lines to merge: one side is chosen.
      const value = await this.pickSide(s, step);
      if (value === undefined) { this.abandon(s, step); return; }
      step.resolved = value;
      this.log.info(`merge: chose ${value.value === null ? 'deletion' : 'a side'} for ${step.name} of ${s.pending.artifact.name}`);
      await this.advanceAfter(s, step);
      return;
    }
    const existing = step.uris && mergeTabs(step.uris.result)[0];
    if (existing && step.uris) {
      // Already open: show it again rather than opening a second editor on the same result.
      await vscode.commands.executeCommand('_open.mergeEditor', this.editorArgs(s, step));
      return;
    }
    this.openEditorDocs(s, step);
    step.phase = 'opening';
    this._onDidChange.fire();
    await vscode.commands.executeCommand('_open.mergeEditor', this.editorArgs(s, step));
  }

  /** Puts the three sides and the result (prefilled with the conflict-marker rendering) in memory. */
  private openEditorDocs(s: Session, step: FileStep): void {
    const c = step.conflict;
    const uris = {
      base: MergeSideDocuments.uri(s.id, 'base', step.name),
      incoming: MergeSideDocuments.uri(s.id, 'incoming', step.name),
      current: MergeSideDocuments.uri(s.id, 'current', step.name),
      result: MergeResultFileSystem.uri(s.id, resultPath(s.pending, step)),
    };
    step.uris = uris;
    this.sides.set(uris.base, c.base?.toString('utf8') ?? '');
    this.sides.set(uris.incoming, c.theirs?.toString('utf8') ?? '');
    this.sides.set(uris.current, c.ours?.toString('utf8') ?? '');
    this.results.set(uris.result, c.rendered ?? '');
  }

  private editorArgs(s: Session, step: FileStep): unknown {
    const pm = s.pending;
    const update = pm.direction === 'update';
    const collection = vscode.l10n.t('Collection');
    const project = vscode.l10n.t('Project');
    const collectionDesc = vscode.l10n.t('"{0}"', pm.collectionName);
    const projectDesc = pm.artifact.root;
    const where = pm.artifact.type === 'skill' ? `${pm.artifact.relPath}/${step.name}` : pm.artifact.relPath;
    const input = (title: string, side: string, description: string, uri: vscode.Uri) => ({ uri, title: vscode.l10n.t('{0} ({1})', title, side), description, detail: where });
    return {
      base: step.uris!.base,
      // input1 is the incoming side, input2 the side being written to (the current one), as git does.
      input1: update
        ? input(collection, vscode.l10n.t('incoming'), collectionDesc, step.uris!.incoming)
        : input(project, vscode.l10n.t('incoming'), projectDesc, step.uris!.incoming),
      input2: update
        ? input(project, vscode.l10n.t('current'), projectDesc, step.uris!.current)
        : input(collection, vscode.l10n.t('current'), collectionDesc, step.uris!.current),
      output: step.uris!.result,
    };
  }

  private async pickSide(s: Session, step: FileStep): Promise<{ value: Buffer | null } | undefined> {
    const pm = s.pending;
    const c = step.conflict;
    const [target, incoming] = pm.direction === 'update' ? [vscode.l10n.t('project'), vscode.l10n.t('collection')] : [vscode.l10n.t('collection'), vscode.l10n.t('project')];
    const describe = (b: Buffer | null) => (b === null ? vscode.l10n.t('deleted') : c.binary ? vscode.l10n.t('{0} bytes', b.length) : vscode.l10n.t('{0} lines', b.toString('utf8').split('\n').length));
    type Item = vscode.QuickPickItem & { value: Buffer | null };
    const items: Item[] = [];
    // A command or agent is one file: it cannot be resolved by deleting it.
    const offer = (b: Buffer | null, keep: string, drop: string, side: string) => {
      if (b === null && pm.kind === 'file') return;
      items.push({ label: b === null ? drop : keep, description: vscode.l10n.t('{0}: {1}', side, describe(b)), value: b });
    };
    offer(c.ours, vscode.l10n.t('Keep the {0} version', target), vscode.l10n.t('Keep it deleted, as in the {0}', target), target);
    offer(c.theirs, vscode.l10n.t('Take the {0} version', incoming), vscode.l10n.t('Delete it, as in the {0}', incoming), incoming);
    const reason = c.binary ? vscode.l10n.t('binary file changed on both sides') : c.reason === 'modify-delete' ? vscode.l10n.t('changed in the {0}, deleted in the {1}', target, incoming) : vscode.l10n.t('deleted in the {0}, changed in the {1}', target, incoming);
    const pick = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Merge {0}: {1} ({2})', pm.artifact.name, step.name, reason),
      placeHolder: vscode.l10n.t('Which version of {0} should both sides get? (Escape: stop; nothing is written)', step.name),
      ignoreFocusOut: true,
    });
    return pick ? { value: pick.value } : undefined;
  }

  /**
   * Closes the merge editor of an accepted file. The sides are first set to the accepted text — what the
   * project, the collection and the baseline hold once the merge is written — so the merge editor counts no
   * conflicts left: otherwise VS Code asks whether to close "with unhandled conflicts" whenever they were
   * resolved by typing rather than with its accept buttons. The result is saved (to memory) so it does not
   * ask about unsaved changes either.
   */
  private async closeEditor(step: FileStep, text: string): Promise<void> {
    const uris = step.uris!;
    step.closing = true;
    const changed = [uris.base, uris.incoming, uris.current].filter((u) => vscode.workspace.textDocuments.some((d) => sameUri(d.uri, u) && d.getText() !== text));
    const seen = waitForChanges(changed, 2000);
    for (const u of [uris.base, uris.incoming, uris.current]) this.sides.set(u, text);
    await seen;
    const doc = vscode.workspace.textDocuments.find((d) => sameUri(d.uri, uris.result));
    // Saved whatever `isDirty` says (the extension host may not know yet); saving a clean document does nothing.
    await doc?.save();
    // The merge editor recounts conflicts in a diff worker after its inputs change, and no event says when it
    // is done; closing mid-way logs "Diff computation failed" and may still ask about conflicts. A short
    // pause lets it finish; if the machine is slower than that, the only cost is that one question.
    if (changed.length) await new Promise((r) => setTimeout(r, MERGE_EDITOR_RECOUNT_MS));
    const tabs = mergeTabs(uris.result);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
    this.forget(step);
  }

  /** Saves the merge editor's own starting point once it has replaced the markers (see mergeEditorResolution.ts). */
  private settle(uri: vscode.Uri): void {
    if (uri.scheme !== MERGE_RESULT_SCHEME) return;
    const step = this.stepOf(uri)?.step;
    if (!step || step.phase !== 'opening') return;
    const doc = vscode.workspace.textDocuments.find((d) => sameUri(d.uri, uri));
    if (!doc || hasConflictMarkers(Buffer.from(doc.getText(), 'utf8'))) return;
    step.phase = 'ready';
    // Saving goes to memory only. Without it, closing an untouched merge editor would ask whether to save
    // "changes" the user never made. Saved whatever `isDirty` says: the extension host learns of the
    // dirty state in a message that may arrive after the edit, and saving a clean document does nothing.
    void doc.save();
  }

  private onClosed(uri: vscode.Uri): void {
    const found = this.stepOf(uri);
    if (!found || found.step.closing) return;
    // Moving the editor to another group closes one tab and opens another: still open means not abandoned.
    if (mergeTabs(uri).length > 0) return;
    this.abandon(found.session, found.step);
  }

  /** The user closed the merge editor (or cancelled a choice): nothing is written for this artifact. */
  private abandon(session: Session, step: FileStep): void {
    this.drop(session);
    const pm = session.pending;
    this.log.info(`merge: ${pm.artifact.type} ${pm.artifact.name} closed without accepting (${step.name}); nothing written`);
    void this.showMergeAgain(vscode.l10n.t('The merge of {0} was closed without accepting: nothing was written, and it stays in Conflict.', pm.artifact.name), pm, 'info');
    void this.advance();
  }

  private async showMergeAgain(message: string, pm: PendingMerge, kind: 'info' | 'error'): Promise<void> {
    const again = vscode.l10n.t('Merge Again');
    const show = kind === 'info' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
    const pick = await show(message, again);
    if (pick !== again) return;
    const folder = this.service.current.find((f) => f.folder.uri.fsPath === pm.project);
    const artifact = folder?.report.artifacts.find((a) => a.root === pm.artifact.root && a.type === pm.artifact.type && a.name === pm.artifact.name);
    if (folder && artifact) await vscode.commands.executeCommand(SYNC_COMMANDS.merge, { kind: 'artifact', folder, artifact });
  }

  private drop(session: Session): void {
    const i = this.queue.indexOf(session);
    if (i >= 0) this.queue.splice(i, 1);
    for (const step of session.steps) this.forget(step);
    this._onDidChange.fire();
    this.updateContext();
  }

  /** Frees a file's in-memory documents (open editors keep their own copy until closed). */
  private forget(step: FileStep): void {
    if (!step.uris) return;
    this.results.remove(step.uris.result);
    for (const u of [step.uris.base, step.uris.incoming, step.uris.current]) this.sides.delete(u);
  }

  private stepOf(uri: vscode.Uri): { session: Session; step: FileStep } | undefined {
    for (const session of this.queue) {
      for (const step of session.steps) if (step.uris && sameUri(step.uris.result, uri)) return { session, step };
    }
    return undefined;
  }

  private updateContext(): void {
    const uri = activeMergeResult();
    const value = !!uri && !!this.stepOf(uri);
    if (value === this.contextValue) return;
    this.contextValue = value;
    void vscode.commands.executeCommand('setContext', SYNC_CONTEXT.mergeResultActive, value);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.queue.length = 0;
  }
}

/** Where the accepted file goes, as the Result pane's header shows it: project-relative, or in the collection. */
function resultPath(pm: PendingMerge, step: FileStep): string {
  const inArtifact = pm.kind === 'dir' ? `/${step.conflict.path}` : '';
  return pm.direction === 'update'
    ? `${path.basename(pm.project)}/${pm.artifact.root}/${pm.artifact.relPath}${inArtifact}`
    : `${pm.collectionName}/${pm.artifact.relPath}${inArtifact}`;
}

function sessionKey(project: string, a: { root: string; type: PendingMerge['artifact']['type']; name: string }): string {
  return `${project}|${artifactKey(a.root, a.type, a.name)}`;
}

/** The result document of the active merge editor, if the active editor is a merge editor. */
function activeMergeResult(): vscode.Uri | undefined {
  return mergeInput(vscode.window.tabGroups.activeTabGroup.activeTab?.input)?.result;
}

/** Resolves once each of the documents has changed, or after `timeoutMs` (the editor then merely asks one more question). */
function waitForChanges(uris: vscode.Uri[], timeoutMs: number): Promise<void> {
  if (uris.length === 0) return Promise.resolve();
  const waiting = new Set(uris.map((u) => u.toString()));
  return new Promise((resolve) => {
    const done = () => { sub.dispose(); clearTimeout(timer); resolve(); };
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      waiting.delete(e.document.uri.toString());
      if (waiting.size === 0) done();
    });
    const timer = setTimeout(done, timeoutMs);
  });
}
