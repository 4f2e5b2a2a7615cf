// Read-only virtual documents of stored versions (scheme `skillmeat-sync-version`), the left (or both) sides
// of the History view's diffs. Content comes from the version store; nothing is written to disk to show it.
import * as vscode from 'vscode';
import type { CaptureController } from './captureController';
import { VERSION_SCHEME } from '../platform/ids';

interface VersionQuery {
  /** Workspace folder uri: whose service (and store) to read from. */
  folder: string;
  /** Tree hash of the version; empty for "no such file/version" documents. */
  tree: string;
  /** File inside the artifact ('' for a single-file artifact). */
  rel: string;
  /** What the document stands for, e.g. `#12` or `deployed baseline` (shown when the file is missing). */
  label: string;
}

/** The virtual URI of one file of a stored version. The path ends in the file name so the editor picks a language. */
export function versionFileUri(folder: vscode.WorkspaceFolder, tree: string, rel: string, label: string, fileName: string): vscode.Uri {
  const q: VersionQuery = { folder: folder.uri.toString(), tree, rel, label };
  return vscode.Uri.from({ scheme: VERSION_SCHEME, path: `/${label.replace(/[/\\]/g, '_')}/${fileName}`, query: JSON.stringify(q) });
}

export class VersionFileContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly capture: CaptureController) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    let q: VersionQuery;
    try { q = JSON.parse(uri.query) as VersionQuery; } catch { return vscode.l10n.t('(not a SkillMeat Sync version document)'); }
    if (!q.tree) return '';
    const hit = this.capture.folderByUri(q.folder);
    if (!hit) return vscode.l10n.t('(version history is not available: capture is turned off for this folder)');
    const store = await hit.service.versionStore();
    // The tree exists when the version was listed; a missing file means it did not exist in that version.
    const buf = store.readFile(q.tree, q.rel);
    return buf ? buf.toString('utf8') : '';
  }
}
