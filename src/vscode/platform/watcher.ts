// The one file watcher of each workspace folder's profile roots, and of each collection in use: drift, capture
// and generators subscribe to it instead of watching the same folders three times. The product's own staging
// files (temp files, staged trees, locks) are dropped here, with the one predicate that knows their names.
import * as vscode from 'vscode';
import { isStagingPath } from '../../core/store/fsutil';
import { PROFILE_ROOTS } from '../../core/model';

/** A change under a profile root of a workspace folder, or inside a collection. */
export interface WatchedChange {
  readonly uri: vscode.Uri;
  /** The workspace folder whose profile roots hold it; undefined for a collection's file. */
  readonly folder?: vscode.WorkspaceFolder;
  /** The collection directory holding it; undefined for a folder's file. */
  readonly collection?: string;
}

export class ArtifactWatcher implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<WatchedChange>();
  /** Fires for every create, change and delete that is not the product's own staging. */
  readonly onDidChange = this._onDidChange.event;
  private readonly folders = new Map<string, vscode.Disposable>();
  private readonly collections = new Map<string, vscode.Disposable>();
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.subs = [this._onDidChange, vscode.workspace.onDidChangeWorkspaceFolders(() => this.watchFolders())];
  }

  /** Watches every profile root a folder may have (consumers filter by their own settings). */
  watchFolders(): void {
    const wanted = new Map((vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => [f.uri.toString(), f]));
    for (const [id, w] of this.folders) if (!wanted.has(id)) { w.dispose(); this.folders.delete(id); }
    for (const [id, folder] of wanted) {
      if (this.folders.has(id)) continue;
      this.folders.set(id, this.watch(new vscode.RelativePattern(folder, `{${PROFILE_ROOTS.join(',')}}/**`), (uri) => ({ uri, folder })));
    }
  }

  /**
   * Watches exactly these collection directories (the ones the drift checks use). `renew`: watch them afresh — a
   * collection folder that was moved away and back (an unmounted drive) is not followed by its old watcher.
   */
  watchCollections(dirs: Iterable<string>, renew = false): void {
    const wanted = new Set(dirs);
    for (const [dir, w] of this.collections) if (renew || !wanted.has(dir)) { w.dispose(); this.collections.delete(dir); }
    for (const dir of wanted) {
      if (!this.collections.has(dir)) this.collections.set(dir, this.watch(new vscode.RelativePattern(vscode.Uri.file(dir), '**'), (uri) => ({ uri, collection: dir })));
    }
  }

  private watch(pattern: vscode.RelativePattern, change: (uri: vscode.Uri) => WatchedChange): vscode.Disposable {
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    const on = (uri: vscode.Uri) => { if (!isStagingPath(uri.fsPath)) this._onDidChange.fire(change(uri)); };
    w.onDidChange(on); w.onDidCreate(on); w.onDidDelete(on);
    return w;
  }

  dispose(): void {
    for (const w of [...this.folders.values(), ...this.collections.values()]) w.dispose();
    this.folders.clear();
    this.collections.clear();
    for (const s of this.subs) s.dispose();
  }
}
