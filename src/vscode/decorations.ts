// Colours tree items by drift state through a FileDecorationProvider on a private URI scheme; the colours
// are contributed (contributes.colors) so themes can override them.
import * as vscode from 'vscode';
import type { DriftState } from '../core/model';
import { DECORATION_SCHEME } from './ids';

const DECORATIONS: Partial<Record<DriftState, { badge: string; color: string; tooltip: string }>> = {
  conflict: { badge: 'C', color: 'skillmeatSync.conflictForeground', tooltip: 'Conflict' },
  modified: { badge: 'M', color: 'skillmeatSync.modifiedForeground', tooltip: 'Modified locally' },
  outdated: { badge: 'O', color: 'skillmeatSync.outdatedForeground', tooltip: 'Outdated' },
  deleted: { badge: 'D', color: 'skillmeatSync.deletedForeground', tooltip: 'Deleted locally' },
  removed: { badge: 'R', color: 'skillmeatSync.removedForeground', tooltip: 'Removed from collection' },
  converged: { badge: '=', color: 'skillmeatSync.convergedForeground', tooltip: 'Converged' },
  untracked: { badge: 'U', color: 'skillmeatSync.untrackedForeground', tooltip: 'Untracked' },
  invalid: { badge: '!', color: 'skillmeatSync.invalidForeground', tooltip: 'Invalid record' },
};

export class DriftDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME) return undefined;
    const state = uri.path.split('/')[1] as DriftState;
    const d = DECORATIONS[state];
    if (!d) return undefined;
    const isGroup = uri.path.endsWith('/group');
    return new vscode.FileDecoration(isGroup ? undefined : d.badge, vscode.l10n.t(d.tooltip), new vscode.ThemeColor(d.color));
  }
}
