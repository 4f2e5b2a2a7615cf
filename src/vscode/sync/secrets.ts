// What to do about possible secrets in files about to be written into a shared collection (SPEC §8): allow them for
// this write, or open the first finding in the project copy to redact it (then nothing is written).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SecretFinding } from '../../core/privacy/secrets';

/** Asks; true when the user allowed the findings for this write. `source` maps a finding's file to the file to edit. */
export async function askAboutSecrets(findings: SecretFinding[], source: (file: string) => string): Promise<boolean> {
  const list = findings.slice(0, 5).map((f) => `${path.basename(source(f.file))}:${f.line} ${f.kind}`).join(', ') + (findings.length > 5 ? ', …' : '');
  const allow = vscode.l10n.t('Allow Once');
  const open = vscode.l10n.t('Open Finding');
  const pick = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} possible secret(s) in files about to be written into the shared collection: {1}. Nothing has been written.', findings.length, list),
    { modal: true, detail: vscode.l10n.t('Found by secretlint\'s recommended rules. Redact them in the project and sync again, or allow them for this sync only.') }, allow, open);
  if (pick === open && findings[0]) {
    const f = findings[0];
    const pos = new vscode.Position(Math.max(0, f.line - 1), Math.max(0, f.column - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(source(f.file)), { selection: new vscode.Range(pos, pos) });
  }
  return pick === allow;
}
