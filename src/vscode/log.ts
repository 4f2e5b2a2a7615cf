import * as vscode from 'vscode';

/** The product's log channel; created first so everything after it can report. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('SkillMeat Sync', { log: true });
}

/** Shows an error with a "Show Log" action; the full detail goes to the log. */
export async function reportFailure(log: vscode.LogOutputChannel, what: string, e: unknown): Promise<void> {
  const msg = e instanceof Error ? e.message : String(e);
  log.error(`${what}: ${e instanceof Error && e.stack ? e.stack : msg}`);
  const show = vscode.l10n.t('Show Log');
  const pick = await vscode.window.showErrorMessage(vscode.l10n.t('SkillMeat Sync: {0} failed: {1}', what, msg), show);
  if (pick === show) log.show();
}
