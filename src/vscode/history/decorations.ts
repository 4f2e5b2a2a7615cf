// Dims History view rows that are activity, not versions you can open: rate-limited changes (content not
// stored), duplicates of the version before, and captures still waiting for their quiet window.
import * as vscode from 'vscode';
import { HISTORY_DECORATION_SCHEME } from '../platform/ids';

/** Why a row of this status is dimmed; undefined for rows shown normally. */
function dimmedTooltip(status: string): string | undefined {
  switch (status) {
    case 'rate_limited': return vscode.l10n.t('Rate-limited: the change was recorded, its content was not stored');
    case 'skipped-duplicate': return vscode.l10n.t('Same content as the version before');
    case 'pending': return vscode.l10n.t('Waiting for the quiet window to end');
    default: return undefined;
  }
}

/** The decoration URI of a history row with this status. */
export function historyDecorationUri(status: string, id: string | number): vscode.Uri {
  return vscode.Uri.from({ scheme: HISTORY_DECORATION_SCHEME, path: `/${status}/${id}` });
}

export class HistoryDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== HISTORY_DECORATION_SCHEME) return undefined;
    const tip = dimmedTooltip(uri.path.split('/')[1]);
    return tip ? new vscode.FileDecoration(undefined, tip, new vscode.ThemeColor('disabledForeground')) : undefined;
  }
}
