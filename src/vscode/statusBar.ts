// The status bar item: its text comes from the pure statusView() over the drift reports and the operations
// service (Syncing while a write runs; Error with retry after one failed). A click focuses the drift view,
// or retries the failed operation.
import * as vscode from 'vscode';
import { statusView } from '../core/statusText';
import type { DriftService } from './driftService';
import type { Operations } from './operations';
import { COMMANDS } from './ids';

export class SyncStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('skillmeatSync.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subs: vscode.Disposable[];

  constructor(private readonly service: DriftService, private readonly operations: Operations) {
    this.item.name = vscode.l10n.t('SkillMeat Sync');
    this.subs = [service.onDidChangeReport(() => this.update()), operations.onDidChangeOperations(() => this.update())];
    this.update();
  }

  update(): void {
    const failure = this.operations.lastFailure;
    const v = statusView({
      reports: this.service.current.map((r) => r.report),
      syncing: this.operations.syncing,
      error: this.service.checkError ?? (failure && `${failure.title}: ${failure.message}`),
    });
    const retry = v.state === 'error' && !this.service.checkError && failure;
    this.item.text = v.text;
    this.item.tooltip = retry ? vscode.l10n.t('SkillMeat Sync: {0} failed:\n{1}\nClick to try again.', failure.title, failure.message) : v.tooltip;
    this.item.command = retry ? COMMANDS.retry : COMMANDS.focusView;
    this.item.backgroundColor = v.severity ? new vscode.ThemeColor(v.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    if (v.state === 'idle') this.item.hide(); else this.item.show();
  }

  dispose(): void { for (const s of this.subs) s.dispose(); this.item.dispose(); }
}
