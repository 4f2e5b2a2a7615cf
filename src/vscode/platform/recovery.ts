// At start-up, finish what an interrupted write left in each folder's profile roots, its collection and the
// version store (a killed window, a crashed CLI): see core/store/recovery. Runs as an operation, so it never
// overlaps a write of this window.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { recoverProjectWrites } from '../../core/store/recovery';
import { collectionResolver } from '../../core/store/skillmeatHome';
import { defaultStoreDir, type VersionStore } from '../../core/store/versionStore';
import { describeRecovery, recoverInterruptedOperations, type InterruptedOperation } from '../../core/sync/recover';
import type { Operations } from './operations';
import { folderSettings } from './settings';

export async function recoverAtStartup(operations: Operations, log: vscode.LogOutputChannel, openStore: () => Promise<VersionStore>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) return;
  const collections = new Set(folders.map((f) => collectionResolver({ env, collection: folderSettings(f).collectionPath }).resolve(undefined).path));
  const storeDir = defaultStoreDir(collectionResolver({ env }).home);
  const { report, operations: interrupted } = await operations.run('recover', [], async (op) => {
    const files = recoverProjectWrites({ projects: folders.map((f) => f.uri.fsPath), collections: [...collections], storeDir });
    // Then operations whose journal says they never finished are rolled forward or back (core/sync/recover).
    const ops: InterruptedOperation[] = [];
    if (fs.existsSync(storeDir)) {
      const store = await openStore();
      for (const f of folders) ops.push(...await recoverInterruptedOperations({ project: f.uri.fsPath, store }));
      for (const o of ops) op.wrote(o.result?.restored.map((r) => r.path) ?? []);
    }
    return { report: files, operations: ops };
  }, { title: vscode.l10n.t('Finishing interrupted writes'), progress: false });
  for (const o of interrupted) (o.outcome === 'failed' ? log.warn : log.info).call(log, describeRecovery(o));
  const rolledBack = interrupted.filter((o) => o.outcome === 'rolled-back');
  if (rolledBack.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('SkillMeat Sync put back what {0} interrupted operation(s) had written: {1}. Run them again to finish them.', rolledBack.length, rolledBack.map((o) => o.journal.operation).join(', ')));
  }
  for (const p of report.restored) log.warn(`recovered: ${p} put back as it was before an interrupted write`);
  if (report.removed.length) log.info(`recovered: removed ${report.removed.length} leftover(s) of an interrupted write: ${report.removed.join(', ')}`);
  for (const p of report.problems) log.warn(p);
  if (report.restored.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('SkillMeat Sync put back {0} artifact(s) an interrupted write had left half-done: {1}', report.restored.length, report.restored.map((p) => path.basename(p)).join(', ')));
  }
}
