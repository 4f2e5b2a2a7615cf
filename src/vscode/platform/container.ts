// Builds the extension's parts in order and disposes them in reverse.
import * as vscode from 'vscode';
import { DriftService } from '../drift/driftService';
import { DriftTreeProvider } from '../drift/driftTree';
import { gitHeader } from '../drift/gitState';
import { DriftDecorations } from '../drift/decorations';
import { SyncStatusBar } from '../drift/statusBar';
import { OfflineController } from '../offline/offlineController';
import { VersionContentProvider } from '../drift/versionContent';
import { registerCommands } from '../drift/commands';
import { GeneratorsFeature, type GeneratorsApi } from '../generators/generators';
import { SyncFeature, type SyncApi } from '../sync/sync';
import { createLog } from './log';
import { CaptureController } from '../history/captureController';
import { Operations, type OperationKind } from './operations';
import { ArtifactWatcher } from './watcher';
import { recoverAtStartup } from './recovery';
import { HistoryView, historyApi, type HistoryApi } from '../history/view';
import { VersionFileContentProvider } from '../history/content';
import { HistoryDecorations } from '../history/decorations';
import { registerHistoryCommands } from '../history/commands';
import { CONTENT_SCHEME, VERSION_SCHEME, VIEWS } from './ids';
import { StoreEncryptionFeature } from '../privacy/storeEncryption';
import type { DriftReport } from '../../core/model';

/** What `activate()` returns: for other extensions and for the integration tests. */
export interface SkillMeatSyncApi {
  readonly version: string;
  /** The latest drift report of each workspace folder. */
  getReports(): DriftReport[];
  /** Fires after every check with the reports of all folders. */
  readonly onDidChangeReport: vscode.Event<DriftReport[]>;
  /** Runs a check now and resolves with the reports. */
  refresh(): Promise<DriftReport[]>;
  /** The drift tree view (tests inspect it). */
  readonly treeView: vscode.TreeView<unknown>;
  /** SYNC.json generators: list, generate, and the Generators view. */
  readonly generators: GeneratorsApi;
  /** Update / pull / undo, and the merges waiting in the merge editor. */
  readonly sync: SyncApi;
  /** How long activate() took, in ms (for the benchmark). */
  readonly activationMs: number;
  /** Milliseconds from activation to the first drift report (undefined until it arrived): the bench reads it. */
  firstReportMs(): number | undefined;
  /** Milliseconds from activation to the first partial report (rows in the tree before the first full report), if any. */
  firstPartialMs(): number | undefined;
  /** What the first partial report showed: artifacts known of the total, artifact rows in the tree, the view's message. */
  firstPartial(): { known: number; total: number; rows: number; message: string } | undefined;
  /** Whole-tree redraws of the Drift view since activation (a report that changes only tooltips redraws none). */
  treeRedraws(): number;
  /** Captured versions: the History view, and the own-write hook for the product's other writers. */
  readonly history: HistoryApi;
  /** The product's writes: what runs now, and the last one that failed (the status bar's Syncing and Error). */
  readonly operations: OperationsApi;
  /** The sync state machine of each folder and the operations queued while the collection was unreachable. */
  readonly offline: OfflineApi;
}

export interface OfflineApi {
  /** Each folder's state: offline, syncing, conflict, up-to-date or error. */
  states(): { folder: string; state: string; nextRetryAt?: number }[];
  /** Operations waiting (or retrying, or left as conflicts), over every folder. */
  queued(): { direction: string; strategy: string; name: string; status: string; reason?: string }[];
  readonly onDidChange: vscode.Event<void>;
}

export interface OperationsApi {
  running(): { kind: OperationKind; title: string; paths: readonly string[]; waitingFor?: string }[];
  lastFailure(): { kind: OperationKind; title: string; message: string } | undefined;
  readonly onDidChangeOperations: vscode.Event<void>;
}

export class Container implements vscode.Disposable {
  private readonly parts: vscode.Disposable[] = [];
  readonly log: vscode.LogOutputChannel;
  /** The one watcher of the profile roots and collections; drift, capture and generators subscribe. */
  readonly watcher: ArtifactWatcher;
  readonly service: DriftService;
  readonly tree: DriftTreeProvider;
  readonly treeView: vscode.TreeView<unknown>;
  readonly generators: GeneratorsFeature;
  readonly sync: SyncFeature;
  /** Version capture per folder (the operations service marks the product's own writes through it). */
  readonly capture: CaptureController;
  /** Every product write runs through it; the status bar's Syncing and Error derive from it. */
  readonly operations: Operations;
  readonly history: HistoryView;
  /** The offline-first loop per folder: Offline / Syncing / Conflict / Up-to-Date / Error, and the queue. */
  readonly offline: OfflineController;

  constructor(readonly context: vscode.ExtensionContext) {
    const t: [string, number][] = [['start', performance.now()]];
    this.log = this.add(createLog());
    t.push(['log', performance.now()]);
    // The store's lock tells the operations service when a write waits for another process (progress).
    let operations: Operations | undefined;
    // The key of an encrypted version store (SecretStorage or a passphrase asked once), set below: it needs the service.
    const encryption: { feature?: StoreEncryptionFeature } = {};
    this.watcher = this.add(new ArtifactWatcher());
    this.service = this.add(new DriftService(this.log, this.watcher, process.env, { onWait: (holder) => operations?.noteLockWait(holder) }, (m, dir) => encryption.feature!.keys(m, dir)));
    t.push(['service', performance.now()]);
    this.tree = this.add(new DriftTreeProvider(this.service));
    t.push(['tree', performance.now()]);
    const view = vscode.window.createTreeView(VIEWS.drift, { treeDataProvider: this.tree, showCollapseAll: true, canSelectMany: true });
    this.treeView = this.add(view) as vscode.TreeView<unknown>;
    t.push(['treeView', performance.now()]);
    // While a large first check hashes, the view says how far it is (the tree lists what is known so far).
    this.add(this.service.onDidPartialReport((reports) => {
      if (this.service.firstReportAt !== undefined) return;
      const known = reports.reduce((n, r) => n + r.report.artifacts.length, 0);
      const total = reports.reduce((n, r) => n + (r.report.partial?.total ?? r.report.artifacts.length), 0);
      view.message = vscode.l10n.t('Checking drift… {0} of {1} artifacts known so far', known, total);
      const rows = this.tree.getChildren().reduce((n, g) => n + (g.kind === 'group' ? g.items.length : 0), 0);
      this.firstPartial ??= { known, total, rows, message: view.message };
    }));
    this.add(this.service.onDidChangeReport(() => {
      view.message = undefined;
      const n = this.tree.attentionCount();
      view.badge = n > 0 ? { value: n, tooltip: vscode.l10n.t('{0} artifacts need attention', n) } : undefined;
      view.description = gitHeader(this.service.current);
    }));
    this.add(vscode.window.registerFileDecorationProvider(new DriftDecorations()));
    this.add(vscode.workspace.registerTextDocumentContentProvider(CONTENT_SCHEME, new VersionContentProvider(this.service)));
    this.capture = this.add(new CaptureController(this.service, this.watcher, this.log));
    t.push(['capture', performance.now()]);
    this.operations = operations = this.add(new Operations(this.service, this.capture));
    this.offline = this.add(new OfflineController(this.service, this.operations, this.log));
    this.add(new SyncStatusBar(this.service, this.operations, this.offline));
    encryption.feature = this.add(new StoreEncryptionFeature(context.secrets, this.service, this.operations, this.log));
    t.push(['SyncStatusBar', performance.now()]);
    this.history = this.add(new HistoryView(this.capture, this.treeView));
    t.push(['history', performance.now()]);
    this.add(vscode.workspace.registerTextDocumentContentProvider(VERSION_SCHEME, new VersionFileContentProvider(this.capture)));
    this.add(vscode.window.registerFileDecorationProvider(new HistoryDecorations()));
    for (const d of registerHistoryCommands(this.capture, this.history, this.service, this.operations, this.log)) this.add(d);
    t.push(['registerHistoryCommands', performance.now()]);
    for (const d of registerCommands(this.service, this.log, this.operations)) this.add(d);
    t.push(['registerCommands', performance.now()]);
    this.sync = this.add(new SyncFeature(this.service, this.log, this.operations, context.globalState, this.offline));
    t.push(['sync', performance.now()]);
    // File watchers start right after activation returns, and what an interrupted write left is finished.
    const watch = setImmediate(() => {
      this.service.rewatch();
      void recoverAtStartup(this.operations, this.log, () => this.service.versionStore()).catch((e) => this.log.error(`recovery at start-up: ${(e as Error).stack ?? e}`));
    });
    this.add({ dispose: () => clearImmediate(watch) });
    this.generators = this.add(new GeneratorsFeature(context, this.log, this.watcher, this.operations, (m, dir) => encryption.feature!.keys(m, dir), this.service.firstReport));
    encryption.feature.stateFiles = () => this.generators.service.ownStateFiles();
    this.add(encryption.feature.onDidConvert(() => this.generators.service.reopenStates()));
    t.push(['generators', performance.now()]);
    // Where activation time goes, for whoever tunes it (debug level: Output → SkillMeat Sync → Trace/Debug).
    this.log.debug(`activation: ${t.slice(1).map(([name, at], i) => `${name} ${(at - t[i][1]).toFixed(1)} ms`).join(', ')}`);
  }

  /** What the first partial report showed (counts, artifact rows in the tree, the view's message), for the tests. */
  private firstPartial: { known: number; total: number; rows: number; message: string } | undefined;

  add<T extends vscode.Disposable>(d: T): T { this.parts.push(d); return d; }

  api(activationMs = 0, activatedAt = performance.now()): SkillMeatSyncApi {
    const reports = () => this.service.current.map((r) => r.report);
    const emitter = this.add(new vscode.EventEmitter<DriftReport[]>());
    this.add(this.service.onDidChangeReport(() => emitter.fire(reports())));
    return {
      version: String(this.context.extension.packageJSON.version),
      getReports: reports,
      onDidChangeReport: emitter.event,
      refresh: async () => { await this.service.refresh(); return reports(); },
      treeView: this.treeView,
      generators: this.generators.api(),
      sync: this.sync.api(),
      activationMs,
      firstReportMs: () => (this.service.firstReportAt === undefined ? undefined : this.service.firstReportAt - activatedAt),
      firstPartialMs: () => (this.service.firstPartialAt === undefined ? undefined : this.service.firstPartialAt - activatedAt),
      firstPartial: () => this.firstPartial,
      treeRedraws: () => this.tree.redraws,
      history: historyApi(this.history, this.capture),
      operations: {
        running: () => this.operations.running.map(({ kind, title, paths, waitingFor }) => ({ kind, title, paths, ...(waitingFor ? { waitingFor } : {}) })),
        lastFailure: () => { const f = this.operations.lastFailure; return f && { kind: f.kind, title: f.title, message: f.message }; },
        onDidChangeOperations: this.operations.onDidChangeOperations,
      },
      offline: {
        states: () => [...this.offline.snapshots()].map(([folder, s]) => ({ folder, state: s.state, ...(s.error ? { nextRetryAt: s.error.nextRetryAt } : {}) })),
        queued: () => { const o = this.offline.summary(); return [...o.queued, ...o.conflicts].map((q) => ({ direction: q.direction, strategy: q.strategy, name: q.artifact.name, status: q.status, ...(q.reason ? { reason: q.reason } : {}) })); },
        onDidChange: this.offline.onDidChange,
      },
    };
  }

  dispose(): void {
    for (const d of this.parts.reverse()) { try { d.dispose(); } catch { /* keep disposing the rest */ } }
  }
}
