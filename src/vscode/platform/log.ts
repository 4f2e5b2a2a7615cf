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

/**
 * Registers a table of command handlers; a handler that throws is reported to the user with "Show Log"
 * (and resolves to undefined) instead of failing silently.
 */
export function registerCommandTable(log: vscode.LogOutputChannel, handlers: Record<string, (...args: never[]) => unknown>): vscode.Disposable[] {
  return Object.entries(handlers).map(([id, fn]) => vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      await reportFailure(log, id.replace('skillmeatSync.', ''), e);
      return undefined;
    }
  }));
}
