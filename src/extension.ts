// Composition root: builds the app, pushes one disposable, returns the API. (UI arrives in src/vscode.)
import * as vscode from 'vscode';

export interface SkillMeatSyncApi {
  readonly version: string;
}

export function activate(context: vscode.ExtensionContext): SkillMeatSyncApi {
  const log = vscode.window.createOutputChannel('SkillMeat Sync', { log: true });
  context.subscriptions.push(log);
  log.info('SkillMeat Sync activated');
  return { version: String(context.extension.packageJSON.version) };
}

export function deactivate(): void {
  /* everything is disposed through context.subscriptions */
}
