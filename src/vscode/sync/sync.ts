// The sync feature (SPEC §5, issue 4) as one part of the container: the in-memory documents of the merge
// editor, the merge sessions, the runner with progress and the Syncing status, the commands, and the
// `sync` API for other extensions and tests. Built in order, disposed in reverse.
import * as vscode from 'vscode';
import { CollectionConsent } from './consent';
import type { ChooseFn, SyncDirection, SyncResult, SyncStrategy, UndoResult } from '../../core/sync';
import type { ArtifactType } from '../../core/model';
import type { DriftService } from '../drift/driftService';
import type { Operations } from '../platform/operations';
import type { OfflineController } from '../offline/offlineController';
import { MergeResultFileSystem, MergeSideDocuments } from './mergeEditorDocuments';
import { MergeSessions, type AcceptOutcome, type PendingMergeInfo } from './mergeEditor';
import { ELIGIBLE, registerSyncCommands, SyncRunner, type SyncTarget } from './commands';
import { MERGE_RESULT_SCHEME, MERGE_SIDE_SCHEME } from '../platform/ids';
import { CollectionGit, type GitAnswers } from './git';

export type { AcceptOutcome, PendingMergeInfo } from './mergeEditor';

/** `api.sync`: run update / pull, undo, and follow the merges waiting in the merge editor. */
export interface SyncApi {
  /**
   * Runs `update` or `pull` without asking which artifacts or which strategy (a destructive overwrite is
   * not confirmed either). `names` default: every eligible artifact; `folder` default: every folder.
   * Artifacts left in conflict open in the merge editor, as from the commands.
   */
  run(o: { direction: SyncDirection; strategy: SyncStrategy; names?: string[]; type?: ArtifactType; folder?: vscode.Uri; choose?: ChooseFn }): Promise<SyncResult[]>;
  /** Undoes the last sync of a folder (default: the first). */
  undo(o?: { folder?: vscode.Uri; force?: boolean }): Promise<UndoResult | undefined>;
  /** Collections the user consented to write into (SPEC §8); `allow` is what the "Allow" answer does. */
  consent: { allowed(): string[]; allow(dir: string): Promise<void>; revoke(dir: string): Promise<boolean> };
  /** "Accept Merge" on the merge editor showing `resultUri` (default: the active one). */
  acceptMerge(resultUri?: vscode.Uri): Promise<AcceptOutcome>;
  /** Merges waiting for the user, the one in the merge editor first. */
  pendingMerges(): PendingMergeInfo[];
  /** Fires when a merge starts, a file is accepted, or a merge completes or is abandoned. */
  readonly onDidChangeMerges: vscode.Event<void>;
  /**
   * Answers to the questions about a collection on git, given in advance (undefined: ask): "Fast-forward
   * first?" before an update, "Commit and push?" after a pull. `run` asks them too.
   */
  readonly git: GitAnswers;
}

export class SyncFeature implements vscode.Disposable {
  private readonly parts: vscode.Disposable[] = [];
  readonly merges: MergeSessions;
  readonly runner: SyncRunner;
  readonly git: CollectionGit;

  /** Every write (a sync, an undo, an accepted merge) runs through `operations`. */
  constructor(private readonly service: DriftService, log: vscode.LogOutputChannel, operations: Operations, memento: vscode.Memento, offline?: OfflineController) {
    const sides = this.add(new MergeSideDocuments());
    const results = this.add(new MergeResultFileSystem());
    this.add(vscode.workspace.registerTextDocumentContentProvider(MERGE_SIDE_SCHEME, sides));
    this.add(vscode.workspace.registerFileSystemProvider(MERGE_RESULT_SCHEME, results, { isCaseSensitive: true }));
    this.merges = this.add(new MergeSessions(service, log, sides, results, operations));
    this.runner = new SyncRunner(service, log, this.merges, operations, new CollectionConsent(memento), offline);
    this.git = new CollectionGit(log, operations);
    for (const d of registerSyncCommands(service, log, this.runner, this.merges, operations, this.git)) this.add(d);
  }

  private add<T extends vscode.Disposable>(d: T): T { this.parts.push(d); return d; }

  api(): SyncApi {
    const service = this.service;
    const folderOf = (uri?: vscode.Uri) => (uri ? service.current.find((f) => f.folder.uri.toString() === uri.toString()) : undefined);
    return {
      run: async (o) => {
        let folders = o.folder ? [folderOf(o.folder)].filter((f) => !!f) : service.current;
        if (o.direction === 'update') {
          if (!(await this.git.offerFastForward(folders.map((f) => f!)))) return [];
          folders = o.folder ? [folderOf(o.folder)].filter((f) => !!f) : service.current;
        }
        const names = o.names && new Set(o.names);
        const targets: SyncTarget[] = folders.flatMap((folder) => folder!.report.artifacts
          .filter((a) => (names ? names.has(a.name) : ELIGIBLE[o.direction].has(a.state)) && (!o.type || a.type === o.type))
          .map((artifact) => ({ folder: folder!, artifact })));
        const results = await this.runner.run({ direction: o.direction, strategy: o.strategy, targets, ...(o.choose ? { choose: o.choose } : {}) });
        if (o.direction === 'pull') await this.git.offerCommit(results);
        return results;
      },
      undo: (o) => this.runner.undo(folderOf(o?.folder) ?? service.current[0], o?.force),
      acceptMerge: (uri) => this.merges.accept(uri),
      consent: {
        allowed: () => this.runner.consent.allowed(),
        allow: (dir) => this.runner.consent.allow(dir),
        revoke: (dir) => this.runner.consent.revoke(dir),
      },
      pendingMerges: () => this.merges.list(),
      onDidChangeMerges: this.merges.onDidChange,
      git: this.git.answers,
    };
  }

  dispose(): void {
    for (const d of this.parts.reverse()) { try { d.dispose(); } catch { /* keep disposing the rest */ } }
  }
}
