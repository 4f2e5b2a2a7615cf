// Keeps one drift report per workspace folder up to date: checks on demand, on file changes (debounced,
// coalescing bursts), and on settings changes. The tree, the status bar and the API all read from here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkDriftPrepared } from '../../core/drift/drift';
import { startHashPool } from '../../core/drift/hashPool';
import { ArtifactHasher, ExclusionMatcher } from '../../core/drift/hashing';
import { collectionResolver } from '../../core/store/skillmeatHome';
import { defaultStoreDir, openStoreForCheck, VersionStore } from '../../core/store/versionStore';
import { loadSqlJs } from '../../core/store/sqlite';
import { addCollectionGit, CollectionGitCache } from '../../core/git/collectionGit';
import { isInside, type LockOptions } from '../../core/store/fsutil';
import type { StoreKeyProvider } from '../../core/store/storeEncryption';
import type { DriftReport } from '../../core/model';
import { folderSettings, type FolderSettings } from '../platform/settings';
import { CONTEXT } from '../platform/ids';
import type { ArtifactWatcher, WatchedChange } from '../platform/watcher';

export interface FolderReport {
  folder: vscode.WorkspaceFolder;
  report: DriftReport;
  settings: FolderSettings;
}

/** Debounce for watcher bursts: a `git checkout` of 1 000 files becomes one re-check. */
export const REFRESH_DEBOUNCE_MS = 50;
/** How often the watcher-trusted cache is re-verified by stats. */
export const RESCAN_INTERVAL_MS = 5 * 60_000;
/** Debounce after an editor save (a save is one event; only "Save All" bursts). */
export const SAVE_DEBOUNCE_MS = 10;

export class DriftService implements vscode.Disposable {
  private readonly _onDidChangeReport = new vscode.EventEmitter<readonly FolderReport[]>();
  /** Fires after every completed check with the reports of all folders. */
  readonly onDidChangeReport = this._onDidChangeReport.event;
  private readonly _onDidPartialReport = new vscode.EventEmitter<readonly FolderReport[]>();
  /**
   * Fires while a folder's first check is still hashing (a large tree), with what is known so far: the reports of the
   * folders done, then the one in progress with `report.partial` set. For the tree and the view's message only:
   * a partial report is never a conclusion (the status bar, the badge and the API wait for onDidChangeReport).
   */
  readonly onDidPartialReport = this._onDidPartialReport.event;
  /** When the first partial report was fired (performance.now()), for the bench. */
  firstPartialAt: number | undefined;

  private reports: FolderReport[] = [];
  private readonly hashers = new Map<string, { key: string; hasher: ArtifactHasher }>();
  /** Hashers that have been through one check (their memory holds the folder's hashes). */
  private readonly checked = new WeakSet<ArtifactHasher>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Profile-root prefixes (with a trailing separator) of each folder whose changes refresh the drift live. */
  private readonly live = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<readonly FolderReport[]> | undefined;
  private again = false;
  private store: VersionStore | undefined;
  private storeChecked = false;
  private error: string | undefined;
  /**
   * Git states of the collections, reused by checks that follow a change in the project only (a save), so a save
   * never waits for `git status`; re-read on Refresh, window focus, the periodic rescan and any change in a collection.
   */
  private gitCache = new CollectionGitCache();
  private resolveFirst!: () => void;
  /** Settles when the first check has reported: what nobody asked for (capture re-scan, generator discovery) waits for it. */
  readonly firstReport = new Promise<void>((resolve) => { this.resolveFirst = resolve; });
  /** When the first report was fired (performance.now()), for the bench. */
  firstReportAt: number | undefined;

  /**
   * `storeLock`: lock options of the version store the product's writers share (the operations service
   * hears through `onWait` when a write has to wait for another process). `storeKeys`: the key of an encrypted store.
   */
  constructor(
    private readonly log: vscode.LogOutputChannel, private readonly watcher: ArtifactWatcher,
    private readonly env: NodeJS.ProcessEnv = process.env, private readonly storeLock: LockOptions = {}, private readonly storeKeys?: StoreKeyProvider,
  ) {
    // Safety net behind the watcher (network drives, changes it missed): verify everything by stats
    // every few minutes and whenever the window regains focus.
    const rescan = setInterval(() => void this.refresh(), RESCAN_INTERVAL_MS);
    this.disposables.push(
      { dispose: () => clearInterval(rescan) },
      vscode.window.onDidChangeWindowState((w) => { if (w.focused && this.reports.length) void this.refresh(); }),
      this._onDidChangeReport,
      this._onDidPartialReport,
      watcher.onDidChange((c) => this.onWatched(c)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.rewatch(); this.schedule(); }),
      // A save in the editor is known at once; waiting for the file watcher would add its latency.
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.scheme !== 'file' || !this.isWatchedPath(doc.uri.fsPath)) return;
        this.invalidate(doc.uri.fsPath);
        this.schedule(SAVE_DEBOUNCE_MS);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('skillmeatSync')) { this.hashers.clear(); this.gitCache = new CollectionGitCache(); this.rewatch(); this.schedule(); }
      }),
    );
  }

  /**
   * How often a first check in progress gives the tree what it knows (PARTIAL_EVERY_MS unless
   * SKILLMEAT_SYNC_PARTIAL_EVERY_MS says otherwise: the `progressive` test session sets 0, a partial report per batch).
   */
  private get partialEveryMs(): number | undefined {
    const v = Number(this.env.SKILLMEAT_SYNC_PARTIAL_EVERY_MS);
    return this.env.SKILLMEAT_SYNC_PARTIAL_EVERY_MS !== undefined && Number.isFinite(v) && v >= 0 ? v : undefined;
  }

  get current(): readonly FolderReport[] { return this.reports; }

  /** Why the last check failed outright (undefined when it completed). */
  get checkError(): string | undefined { return this.error; }

  /** SkillMeat home used by this window (SKILLMEAT_HOME or ~/.skillmeat). */
  get home(): string { return collectionResolver({ env: this.env }).home; }

  /** The version store, opened lazily (sql.js loads only when something needs it). */
  async versionStore(): Promise<VersionStore> {
    if (!this.store) this.store = await VersionStore.open(defaultStoreDir(this.home), { lock: this.storeLock, keys: this.storeKeys });
    return this.store;
  }

  private hasherFor(folder: vscode.WorkspaceFolder, s: FolderSettings): ArtifactHasher {
    const key = JSON.stringify(s.exclude);
    let h = this.hashers.get(folder.uri.toString());
    if (!h || h.key !== key) {
      // With live refresh the watcher reports every change, so unchanged artifacts need not even be stat'ed.
      h = { key, hasher: new ArtifactHasher(new ExclusionMatcher(s.exclude), { trustWatcher: s.autoRefresh }) };
      this.hashers.set(folder.uri.toString(), h);
    }
    return h.hasher;
  }

  /** Drops cached hashes for a changed path so only what changed is re-hashed. */
  invalidate(fsPath: string): void {
    for (const { hasher } of this.hashers.values()) hasher.invalidate(fsPath);
    // A change in (or of) a collection may change its git status: read it again.
    if (this.reports.some((f) => f.report.collections.some((c) => isInside(fsPath, c.path) || isInside(c.path, fsPath)))) this.gitCache.invalidate();
  }

  /**
   * Follows the profile roots of every folder with live refresh on, and every collection in use, through the shared
   * watcher; `renewCollections` after a collection came back (see {@link ArtifactWatcher.watchCollections}).
   */
  rewatch(renewCollections = false): void {
    this.watcher.watchFolders();
    this.live.clear();
    const collections = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const s = folderSettings(folder);
      if (!s.autoRefresh) continue;
      this.live.set(folder.uri.toString(), s.profileRoots.map((r) => path.join(folder.uri.fsPath, r) + path.sep));
      const r = collectionResolver({ env: this.env, collection: s.collectionPath });
      collections.add(r.resolve(undefined).path);
    }
    this.watcher.watchCollections(collections, renewCollections);
  }

  private onWatched(c: WatchedChange): void {
    if (c.folder) {
      const roots = this.live.get(c.folder.uri.toString());
      if (!roots?.some((r) => c.uri.fsPath.startsWith(r))) return;
    }
    this.invalidate(c.uri.fsPath); // stats catch most changes; this also covers same-size, same-mtime saves
    this.schedule();
  }

  /** True for a path inside a profile root of a workspace folder or inside a collection in use. */
  private isWatchedPath(fsPath: string): boolean {
    for (const f of this.reports) {
      if (f.settings.profileRoots.some((r) => fsPath.startsWith(path.join(f.folder.uri.fsPath, r) + path.sep))) return true;
      if (f.report.collections.some((c) => fsPath.startsWith(c.path + path.sep))) return true;
    }
    return false;
  }

  /** Schedules a debounced re-check. */
  schedule(delay = REFRESH_DEBOUNCE_MS): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.run(); }, delay);
  }

  /**
   * Checks every workspace folder now, verifying every artifact by stats (not trusting the watcher):
   * what callers use after their own writes and on "Refresh".
   */
  refresh(): Promise<readonly FolderReport[]> {
    for (const { hasher } of this.hashers.values()) hasher.distrustAll();
    this.gitCache.invalidate();
    return this.run();
  }

  /** Checks now, re-hashing only what was invalidated (or changed by stats): what an operation runs after its writes. */
  check(): Promise<readonly FolderReport[]> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    return this.run();
  }

  /** Runs a check; concurrent calls share one run, and a call during a run queues one more. */
  private run(): Promise<readonly FolderReport[]> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          this.reports = await this.checkAll();
          this.error = undefined;
        } while (this.again);
      } catch (e) {
        this.error = (e as Error).message;
        this.log.error(`drift check failed: ${(e as Error).stack ?? e}`);
      } finally {
        this.running = undefined;
      }
      this._onDidChangeReport.fire(this.reports);
      if (this.firstReportAt === undefined) { this.firstReportAt = performance.now(); this.resolveFirst(); }
      return this.reports;
    })();
    return this.running;
  }

  private async checkAll(): Promise<FolderReport[]> {
    const out: FolderReport[] = [];
    let hasRoots = false;
    let hasCollection = false;
    if (!this.storeChecked) {
      // Drift checks use the store only to list changed files against the true baseline and to show merges in
      // progress; never required. The first report does not wait for it (loading sql.js and the database took
      // most of the first second): the store opens alongside, and a check runs again once it is there. A store
      // already opened (start-up recovery, a write) is used as it is, not loaded a second time.
      this.storeChecked = true;
      if (!this.store) {
        void openStoreForCheck(defaultStoreDir(this.home), { lock: this.storeLock, keys: this.storeKeys }).then(({ store, problem }) => {
          if (problem) this.log.warn(problem);
          this.store ??= store;
          if (this.store !== store) store?.close();
          else if (store) this.schedule(0);
        });
      }
    }
    // Merges in progress (`--markers`) are started and finished by the CLI: read what another process wrote.
    try { await this.store?.reload(); } catch (e) { this.log.warn(`the version store could not be re-read: ${(e as Error).message}`); }
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const settings = folderSettings(folder);
      const started = Date.now();
      // sql.js only when a records file names a context entity. The first check of a folder (nothing in memory yet)
      // runs dry first, so a large tree is hashed on a worker pool, off this thread; later ones go straight.
      const hasher = this.hasherFor(folder, settings);
      const report = await checkDriftPrepared({
        project: folder.uri.fsPath, collection: settings.collectionPath, env: this.env, roots: settings.profileRoots,
        hasher, store: this.store, loadSqlJs, pool: startHashPool, prepare: !this.checked.has(hasher), partialEveryMs: this.partialEveryMs,
        // What is known as it arrives: the tree lists the artifacts hashed so far while the rest is hashed.
        onPartial: (partial) => {
          this.firstPartialAt ??= performance.now();
          this._onDidPartialReport.fire([...out, { folder, report: partial, settings }]);
        },
      });
      // A collection in a git work tree: branch, ahead/behind as of the last fetch (never fetched here), uncommitted
      // changes; what its upstream changed counts as outdated. Without git: a log line, the report stands.
      // Like VS Code's git extension, no git in an untrusted workspace (its settings may point the collection into it).
      if (vscode.workspace.isTrusted) await addCollectionGit(report, { env: this.env, exclusions: hasher.exclusions, log: (m) => this.log.info(m), cache: this.gitCache });
      this.checked.add(hasher);
      for (const w of report.warnings) this.log.warn(w.message);
      for (const e of report.errors) this.log.error(e.message);
      this.log.debug(`checked ${folder.name}: ${report.artifacts.length} artifacts in ${Date.now() - started} ms`);
      hasRoots ||= settings.profileRoots.some((r) => fs.existsSync(path.join(folder.uri.fsPath, r)));
      hasCollection ||= report.collections.some((c) => c.reachable);
      out.push({ folder, report, settings });
    }
    // Only what changed, and not awaited: each is a round trip to the workbench, which can be busy drawing the tree
    // this very report fills (on 1 000 artifacts, awaiting them held a report back for a minute).
    this.setContext(CONTEXT.hasRoots, hasRoots);
    this.setContext(CONTEXT.hasCollection, hasCollection);
    this.setContext(CONTEXT.checked, true);
    return out;
  }

  private readonly contexts = new Map<string, boolean>();

  private setContext(key: string, value: boolean): void {
    if (this.contexts.get(key) === value) return;
    this.contexts.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
    this.store?.close();
  }
}
