// Runs one CaptureService per workspace folder (SPEC §6): its own file watcher on the profile roots feeds the
// service, settings are read per folder (they may differ between folders) and validated, and the product's
// other writers (deploy, undeploy, sync, generators) report their writes here so they are never captured as
// user edits.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CaptureService, type ArtifactLocation } from '../../core/history/capture';
import { validateCaptureSettings, type CaptureSettings, type OwnWriteOrigin, type RawCaptureSettings } from '../../core/history/capturePolicy';
import { ArtifactHasher, ExclusionMatcher } from '../../core/drift/hashing';
import type { DriftService } from '../drift/driftService';
import { folderSettings } from '../platform/settings';
import { CAPTURE_SETTINGS, SETTINGS } from '../platform/ids';
import type { ArtifactWatcher } from '../platform/watcher';

/** The hook other features call around their writes to project artifacts. */
export interface OwnWrites {
  /**
   * Runs a write of the product to the artifact containing `absPath`, so its change events are not captured
   * as user edits. `stored` (default true): the writer keeps its own version in the store (deploy, sync);
   * false: the result is captured with the writer's origin (generators).
   */
  ownWrite<T>(absPath: string, origin: OwnWriteOrigin, fn: () => T | Promise<T>, opts?: { stored?: boolean }): Promise<T>;
  /** For writers that cannot wrap their work: call before writing (and it is safe to call again after). */
  noteOwnWrite(absPath: string, origin: OwnWriteOrigin): void;
}

/** A history change of one folder: captures, restores, pins, prunes, or a capture now pending. */
export interface HistoryChange {
  folder: vscode.WorkspaceFolder;
  keys: string[];
}

interface FolderCapture {
  folder: vscode.WorkspaceFolder;
  service: CaptureService;
  watcher: vscode.Disposable;
  /** Roots and exclusions the watcher and hasher were built for; a change rebuilds the service. */
  shape: string;
}

/** Reads the capture settings of a folder in user units (any scope: user, workspace, folder). */
function rawSettings(folder: vscode.WorkspaceFolder): { enabled: boolean; raw: RawCaptureSettings } {
  const c = vscode.workspace.getConfiguration(CAPTURE_SETTINGS.section, folder.uri);
  return {
    enabled: c.get<boolean>(CAPTURE_SETTINGS.enabled) ?? true,
    raw: {
      quietWindowSeconds: c.get(CAPTURE_SETTINGS.quietWindowSeconds),
      maxPerHour: c.get(CAPTURE_SETTINGS.maxPerHour),
      rescanMinutes: c.get(CAPTURE_SETTINGS.rescanMinutes),
      retentionDays: c.get(CAPTURE_SETTINGS.retentionDays),
    },
  };
}

const timers = {
  set: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clear: (h: unknown): void => clearTimeout(h as NodeJS.Timeout),
};

export class CaptureController implements OwnWrites, vscode.Disposable {
  private readonly _onDidChangeHistory = new vscode.EventEmitter<HistoryChange>();
  /** Fires when a folder's history changed, or a capture became pending. */
  readonly onDidChangeHistory = this._onDidChangeHistory.event;
  private readonly _onDidChangeFolders = new vscode.EventEmitter<void>();
  /** Fires after the folders where capture runs were (re)computed: at start-up, on settings and folder changes. */
  readonly onDidChangeFolders = this._onDidChangeFolders.event;
  private started = false;
  private readonly folders = new Map<string, FolderCapture>();
  private readonly disposables: vscode.Disposable[] = [];
  // Each distinct settings problem is shown once per window, not on every settings event.
  private readonly shownProblems = new Set<string>();

  constructor(private readonly drift: DriftService, private readonly watcher: ArtifactWatcher, private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this._onDidChangeHistory, this._onDidChangeFolders,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.sync()),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(SETTINGS.section)) this.sync(); }),
    );
    // Built after the first drift report (watchers, stores, its initial re-scan hashes every artifact): activation
    // stays cheap, and the report a user opened the view for does not wait for work nobody asked for.
    let disposed = false;
    void drift.firstReport.then(() => { if (!disposed) this.sync(); });
    this.disposables.push({ dispose: () => { disposed = true; } });
  }

  /** The services of every folder where capture is on. */
  all(): { folder: vscode.WorkspaceFolder; service: CaptureService }[] {
    return [...this.folders.values()].map(({ folder, service }) => ({ folder, service }));
  }

  /** The service of a folder (undefined when capture is off there). */
  forFolder(folder: vscode.WorkspaceFolder): CaptureService | undefined {
    return this.folders.get(folder.uri.toString())?.service;
  }

  /** The folder, service and artifact a path belongs to. */
  locate(absPath: string): { folder: vscode.WorkspaceFolder; service: CaptureService; artifact: ArtifactLocation } | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(absPath));
    const service = folder && this.forFolder(folder);
    const artifact = service?.locatePath(absPath);
    return folder && service && artifact ? { folder, service, artifact } : undefined;
  }

  noteOwnWrite(absPath: string, origin: OwnWriteOrigin): void {
    this.locate(absPath)?.service.noteOwnWrite(absPath, origin);
  }

  async ownWrite<T>(absPath: string, origin: OwnWriteOrigin, fn: () => T | Promise<T>, opts: { stored?: boolean } = {}): Promise<T> {
    const hit = this.locate(absPath);
    if (!hit) return fn();
    return hit.service.ownWrite([absPath], origin, fn, opts);
  }

  private sync(): void {
    const wanted = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const { enabled, raw } = rawSettings(folder);
      if (!enabled) continue;
      const id = folder.uri.toString();
      wanted.add(id);
      const settings = this.validated(folder, raw);
      const fset = folderSettings(folder);
      const shape = JSON.stringify([fset.profileRoots, fset.exclude]);
      const existing = this.folders.get(id);
      if (existing && existing.shape === shape) { existing.service.setSettings(settings); continue; }
      if (existing) this.drop(id);
      this.folders.set(id, this.create(folder, settings, fset.profileRoots, fset.exclude, shape));
    }
    for (const id of [...this.folders.keys()]) if (!wanted.has(id)) this.drop(id);
    this.started = true;
    this._onDidChangeFolders.fire();
  }

  /** False until the folders where capture runs are known (they are set up right after activation). */
  get ready(): boolean { return this.started; }

  private validated(folder: vscode.WorkspaceFolder, raw: RawCaptureSettings): CaptureSettings {
    const { settings, problems } = validateCaptureSettings(raw);
    for (const p of problems) {
      const key = `${folder.uri.toString()}|${p}`;
      if (this.shownProblems.has(key)) continue;
      this.shownProblems.add(key);
      this.log.warn(`capture settings of ${folder.name}: ${p}`);
      const open = vscode.l10n.t('Open Settings');
      void vscode.window.showWarningMessage(vscode.l10n.t('SkillMeat Sync ({0}): {1}', folder.name, p), open).then((pick) => {
        if (pick === open) void vscode.commands.executeCommand('workbench.action.openSettings', CAPTURE_SETTINGS.section);
      });
    }
    return settings;
  }

  private create(folder: vscode.WorkspaceFolder, settings: CaptureSettings, roots: string[], exclude: string[], shape: string): FolderCapture {
    const service = new CaptureService({
      project: folder.uri.fsPath,
      roots,
      store: () => this.drift.versionStore(),
      hasher: new ArtifactHasher(new ExclusionMatcher(exclude)),
      settings,
      scheduler: timers,
      onError: (e) => this.log.error(`capture in ${folder.name}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`),
      onProblem: (m) => this.log.warn(m),
    });
    service.onDidChange((keys) => {
      this.log.debug(`history changed in ${folder.name}: ${keys.join(', ')}`);
      this._onDidChangeHistory.fire({ folder, keys });
    });
    const id = folder.uri.toString();
    const watcher = this.watcher.onDidChange((c) => {
      if (c.folder?.uri.toString() !== id) return;
      const loc = service.noteFileChange(c.uri.fsPath);
      // The view shows the capture as pending right away.
      if (loc) this._onDidChangeHistory.fire({ folder, keys: [loc.key] });
    });
    service.start();
    this.log.info(`capturing artifact versions in ${folder.name} (${roots.join(', ')}; quiet window ${settings.quietWindowMs / 1000} s, at most ${settings.maxCapturesPerHour} per hour, re-scan every ${settings.rescanIntervalMs / 60_000} min, kept ${settings.retentionMs / 86_400_000} days)`);
    return { folder, service, watcher, shape };
  }

  private drop(id: string): void {
    const f = this.folders.get(id);
    if (!f) return;
    f.watcher.dispose();
    f.service.dispose();
    this.folders.delete(id);
  }

  /** The folder whose service owns `absPath`'s project root (for content lookups by folder uri). */
  folderByUri(uri: string): { folder: vscode.WorkspaceFolder; service: CaptureService } | undefined {
    const f = this.folders.get(uri);
    return f ? { folder: f.folder, service: f.service } : undefined;
  }

  /** Relative path of an artifact inside its folder, for messages. */
  static describe(folder: vscode.WorkspaceFolder, a: ArtifactLocation): string {
    return path.relative(folder.uri.fsPath, a.absPath) || a.absPath;
  }

  dispose(): void {
    for (const id of [...this.folders.keys()]) this.drop(id);
    for (const d of this.disposables) d.dispose();
  }
}
