// The status bar item: its text comes from the pure statusView(); a click focuses the drift view.
import * as vscode from 'vscode';
import { statusView } from '../core/statusText';
import type { DriftService } from './driftService';
import { COMMANDS } from './ids';

export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('skillmeatSync.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly service: DriftService) {
    this.item.name = vscode.l10n.t('SkillMeat Sync');
    this.item.command = COMMANDS.focusView;
    this.subs = [service.onDidChangeReport(() => this.update()), service.onDidChangeBusy(() => this.update())];
    this.update();
  }

  update(): void {
    const v = statusView({ reports: this.service.current.map((r) => r.report), syncing: this.service.syncing, error: this.service.lastError });
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.severity ? new vscode.ThemeColor(v.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    if (v.state === 'idle') this.item.hide(); else this.item.show();
  }

  dispose(): void { for (const s of this.subs) s.dispose(); this.item.dispose(); }
}
