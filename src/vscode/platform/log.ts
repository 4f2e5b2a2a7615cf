import * as vscode from 'vscode';

/** The product's log channel; created first so everything after it can report. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('SkillMeat Sync', { log: true });
}

/** A failed write as the operations service describes it: the words for the user, and how to run it again. */
export interface RetryableFailure { message: string; retry(): Promise<unknown> }

/**
 * Shows an error with "Show Log" (and "Retry" for a failed write); the full detail goes to the log. Resolves
 * when the user answered or dismissed it.
 */
export async function reportFailure(log: vscode.LogOutputChannel, what: string, e: unknown, failure?: RetryableFailure): Promise<void> {
  const msg = failure?.message ?? (e instanceof Error ? e.message : String(e));
  log.error(`${what}: ${e instanceof Error && e.stack ? e.stack : msg}`);
  const show = vscode.l10n.t('Show Log');
  const retry = vscode.l10n.t('Retry');
  const pick = await vscode.window.showErrorMessage(vscode.l10n.t('SkillMeat Sync: {0} failed: {1}', what, msg), ...(failure ? [retry] : []), show);
  if (pick === show) log.show();
  if (pick === retry) await failure?.retry();
}

/**
 * Registers a table of command handlers; a handler that throws is reported to the user with "Show Log" (and
 * "Retry" when `failureOf` knows the error as a failed write) instead of failing silently. The command
 * resolves to undefined at once: callers do not wait for the notification to be dismissed.
 */
export function registerCommandTable(
  log: vscode.LogOutputChannel, handlers: Record<string, (...args: never[]) => unknown>, failureOf?: (e: unknown) => RetryableFailure | undefined,
): vscode.Disposable[] {
  return Object.entries(handlers).map(([id, fn]) => vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      void reportFailure(log, id.replace('skillmeatSync.', ''), e, failureOf?.(e));
      return undefined;
    }
  }));
}
