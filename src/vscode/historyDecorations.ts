// Dims History view rows that are activity, not versions you can open: rate-limited changes (content not
// stored), duplicates of the version before, and captures still waiting for their quiet window.
import * as vscode from 'vscode';
import { HISTORY_DECORATION_SCHEME } from './ids';

const DIMMED: Record<string, string> = {
  rate_limited: 'Rate-limited: the change was recorded, its content was not stored',
  'skipped-duplicate': 'Same content as the version before',
  pending: 'Waiting for the quiet window to end',
};

/** The decoration URI of a history row with this status. */
export function historyDecorationUri(status: string, id: string | number): vscode.Uri {
  return vscode.Uri.from({ scheme: HISTORY_DECORATION_SCHEME, path: `/${status}/${id}` });
}

export class HistoryDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== HISTORY_DECORATION_SCHEME) return undefined;
    const tip = DIMMED[uri.path.split('/')[1]];
    return tip ? new vscode.FileDecoration(undefined, vscode.l10n.t(tip), new vscode.ThemeColor('disabledForeground')) : undefined;
  }
}
