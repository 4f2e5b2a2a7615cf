// Colours tree items by drift state through a FileDecorationProvider on a private URI scheme; the colours
// are contributed (contributes.colors) so themes can override them.
import * as vscode from 'vscode';
import type { DriftState } from '../../core/model';
import { DECORATION_SCHEME } from '../platform/ids';

// Tooltips are thunks, each a literal vscode.l10n.t call: a string extractor finds them, and they are
// translated when shown (after VS Code has loaded the bundle), not when the module loads.
const DECORATIONS: Partial<Record<DriftState, { badge: string; color: string; tooltip: () => string }>> = {
  merging: { badge: '<>', color: 'skillmeatSync.conflictForeground', tooltip: () => vscode.l10n.t('Merge in progress: conflict markers in the project copy') },
  conflict: { badge: 'C', color: 'skillmeatSync.conflictForeground', tooltip: () => vscode.l10n.t('Conflict') },
  modified: { badge: 'M', color: 'skillmeatSync.modifiedForeground', tooltip: () => vscode.l10n.t('Modified locally') },
  outdated: { badge: 'O', color: 'skillmeatSync.outdatedForeground', tooltip: () => vscode.l10n.t('Outdated') },
  deleted: { badge: 'D', color: 'skillmeatSync.deletedForeground', tooltip: () => vscode.l10n.t('Deleted locally') },
  removed: { badge: 'R', color: 'skillmeatSync.removedForeground', tooltip: () => vscode.l10n.t('Removed from collection') },
  converged: { badge: '=', color: 'skillmeatSync.convergedForeground', tooltip: () => vscode.l10n.t('Converged') },
  untracked: { badge: 'U', color: 'skillmeatSync.untrackedForeground', tooltip: () => vscode.l10n.t('Untracked') },
  invalid: { badge: '!', color: 'skillmeatSync.invalidForeground', tooltip: () => vscode.l10n.t('Invalid record') },
  unreachable: { badge: '?', color: 'skillmeatSync.unreachableForeground', tooltip: () => vscode.l10n.t('Not checked: collection unreachable') },
};

export class DriftDecorations implements vscode.FileDecorationProvider {
  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (uri.scheme !== DECORATION_SCHEME) return undefined;
    const state = uri.path.split('/')[1] as DriftState;
    const d = DECORATIONS[state];
    if (!d) return undefined;
    const isGroup = uri.path.endsWith('/group');
    return new vscode.FileDecoration(isGroup ? undefined : d.badge, d.tooltip(), new vscode.ThemeColor(d.color));
  }
}
