// The documents a merge editor of a pending sync shows, all held in memory:
// - the three sides (baseline, collection, project) as read-only virtual documents (scheme
//   `skillmeat-sync-merge`, a content provider, so VS Code never offers to edit or save them);
// - the result as a writable in-memory file (scheme `skillmeat-sync-merge-result`). VS Code's merge
//   editor only accepts a result backed by a file system provider (it resolves it through the text file
//   service), so a content provider or an untitled document cannot be the result. Keeping it in memory
//   instead of opening the real target means the project or collection file is untouched until
//   "Accept Merge" hands the text to the sync engine, which writes it atomically; closing the editor
//   without accepting leaves nothing behind on disk, not even a temporary file.
import * as vscode from 'vscode';
import { MERGE_RESULT_SCHEME, MERGE_SIDE_SCHEME } from '../platform/ids';

export type MergeSide = 'base' | 'incoming' | 'current';

/** Read-only sides of pending merges, by URI. */
export class MergeSideDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly _onDidChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this._onDidChange.event;

  /** The URI of one side of one conflicting file; `fileName` keeps the extension for the language mode. */
  static uri(session: string, side: MergeSide, fileName: string): vscode.Uri {
    return vscode.Uri.from({ scheme: MERGE_SIDE_SCHEME, path: `/${session}/${side}/${fileName}` });
  }

  set(uri: vscode.Uri, text: string): void {
    const had = this.texts.has(uri.toString());
    this.texts.set(uri.toString(), text);
    if (had) this._onDidChange.fire(uri);
  }

  delete(uri: vscode.Uri): void { this.texts.delete(uri.toString()); }

  provideTextDocumentContent(uri: vscode.Uri): string {
    // A side asked for after its merge finished (a restored editor after a reload): say so instead of failing.
    return this.texts.get(uri.toString()) ?? vscode.l10n.t('(this merge is no longer pending: run "SkillMeat: Merge…" again)');
  }

  dispose(): void { this._onDidChange.dispose(); this.texts.clear(); }
}

/** Writable in-memory files for merge results. Saving a result only updates the buffer here. */
export class MergeResultFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  /** By path and query (see `key`). */
  private readonly files = new Map<string, { data: Uint8Array; mtime: number }>();
  private readonly _onDidChangeFile = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this._onDidChangeFile.event;

  /**
   * The result URI of one conflicting file. The path is where the file will be written (the merge editor
   * shows it above the Result pane); the session in the query keeps URIs of successive merges apart.
   */
  static uri(session: string, targetPath: string): vscode.Uri {
    return vscode.Uri.from({ scheme: MERGE_RESULT_SCHEME, path: `/${targetPath.replace(/^\/+/, '')}`, query: `merge=${session}` });
  }

  private key(uri: vscode.Uri): string { return `${uri.path}?${uri.query}`; }

  /** Puts (or resets) a result's starting text. */
  set(uri: vscode.Uri, text: string): void {
    const had = this.files.has(this.key(uri));
    this.files.set(this.key(uri), { data: Buffer.from(text, 'utf8'), mtime: Date.now() });
    if (had) this._onDidChangeFile.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  /** The last saved text of a result (the open document may hold newer, unsaved text). */
  text(uri: vscode.Uri): string | undefined {
    const f = this.files.get(this.key(uri));
    return f ? Buffer.from(f.data).toString('utf8') : undefined;
  }

  remove(uri: vscode.Uri): void { this.files.delete(this.key(uri)); }

  watch(): vscode.Disposable { return new vscode.Disposable(() => undefined); }

  stat(uri: vscode.Uri): vscode.FileStat {
    const f = this.files.get(this.key(uri));
    if (f) return { type: vscode.FileType.File, ctime: f.mtime, mtime: f.mtime, size: f.data.byteLength };
    // Parent "directories" exist implicitly, so the workbench's save (which stats the parent) works.
    const dir = uri.path.endsWith('/') ? uri.path : `${uri.path}/`;
    if ([...this.files.keys()].some((k) => k.startsWith(dir))) {
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    }
    throw vscode.FileSystemError.FileNotFound(uri);
  }

  readDirectory(): [string, vscode.FileType][] { return []; }

  createDirectory(): void { /* directories are implicit */ }

  readFile(uri: vscode.Uri): Uint8Array {
    const f = this.files.get(this.key(uri));
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    return f.data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    // Only results of pending merges exist; a "Save As" into this scheme would create a file nobody reads.
    if (!this.files.has(this.key(uri))) throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('{0} is not a pending merge result.', uri.path));
    this.files.set(this.key(uri), { data: content, mtime: Date.now() });
    this._onDidChangeFile.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(oldUri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(oldUri);
  }

  dispose(): void { this._onDidChangeFile.dispose(); this.files.clear(); }
}
