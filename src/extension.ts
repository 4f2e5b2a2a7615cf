// Composition root: build the container, push one disposable, start the first check, return the API.
import * as vscode from 'vscode';
import { Container, type SkillMeatSyncApi } from './vscode/container';

export type { SkillMeatSyncApi };

export function activate(context: vscode.ExtensionContext): SkillMeatSyncApi {
  const started = Date.now();
  const container = new Container(context);
  context.subscriptions.push(container);
  const api = container.api();
  container.log.info(`activated in ${Date.now() - started} ms`);
  // The first check runs after activation returns, so activation stays cheap.
  setImmediate(() => void container.service.refresh());
  return api;
}

export function deactivate(): void {
  /* everything is disposed through context.subscriptions */
}
