// Composition root: build the container, push one disposable, start the first check, return the API.
import * as vscode from 'vscode';
import { Container, type SkillMeatSyncApi } from './vscode/platform/container';

export type { SkillMeatSyncApi };

export function activate(context: vscode.ExtensionContext): SkillMeatSyncApi {
  const started = Date.now();
  const startedAt = performance.now();
  const container = new Container(context);
  context.subscriptions.push(container);
  const activationMs = Date.now() - started;
  const api = container.api(activationMs, startedAt);
  container.log.info(`activated in ${activationMs} ms`);
  // The first check runs after activation returns, so activation stays cheap.
  setImmediate(() => void container.service.refresh());
  return api;
}

export function deactivate(): void {
  /* everything is disposed through context.subscriptions */
}
