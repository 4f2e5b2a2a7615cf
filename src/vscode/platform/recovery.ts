// At start-up, finish what an interrupted write left in each folder's profile roots, its collection and the
// version store (a killed window, a crashed CLI): see core/store/recovery. Runs as an operation, so it never
// overlaps a write of this window.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { recoverProjectWrites } from '../../core/store/recovery';
import { collectionResolver } from '../../core/store/skillmeatHome';
import { defaultStoreDir } from '../../core/store/versionStore';
import type { Operations } from './operations';
import { folderSettings } from './settings';

export async function recoverAtStartup(operations: Operations, log: vscode.LogOutputChannel, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) return;
  const collections = new Set(folders.map((f) => collectionResolver({ env, collection: folderSettings(f).collectionPath }).resolve(undefined).path));
  const report = await operations.run('recover', [], async () => recoverProjectWrites({
    projects: folders.map((f) => f.uri.fsPath), collections: [...collections], storeDir: defaultStoreDir(collectionResolver({ env }).home),
  }), { title: vscode.l10n.t('Finishing interrupted writes'), progress: false });
  for (const p of report.restored) log.warn(`recovered: ${p} put back as it was before an interrupted write`);
  if (report.removed.length) log.info(`recovered: removed ${report.removed.length} leftover(s) of an interrupted write: ${report.removed.join(', ')}`);
  for (const p of report.problems) log.warn(p);
  if (report.restored.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('SkillMeat Sync put back {0} artifact(s) an interrupted write had left half-done: {1}', report.restored.length, report.restored.map((p) => path.basename(p)).join(', ')));
  }
}
