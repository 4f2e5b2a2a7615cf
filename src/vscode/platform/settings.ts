import * as path from 'node:path';
import * as vscode from 'vscode';
import { PROFILE_ROOTS } from '../../core/model';
import { SETTINGS } from './ids';

export interface FolderSettings {
  collectionPath?: string;
  profileRoots: string[];
  exclude: string[];
  autoRefresh: boolean;
}

/** Reads the product's settings for one workspace folder (resource scope). */
export function folderSettings(folder: vscode.WorkspaceFolder): FolderSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS.section, folder.uri);
  const raw = c.get<string>(SETTINGS.collectionPath)?.trim();
  let collectionPath: string | undefined;
  if (raw) {
    const expanded = raw.replace(/^~(?=$|\/)/, process.env.HOME ?? '~').replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
    collectionPath = path.resolve(folder.uri.fsPath, expanded);
  }
  const roots = c.get<string[]>(SETTINGS.profileRoots) ?? [...PROFILE_ROOTS];
  return {
    collectionPath,
    profileRoots: roots.length ? roots : [...PROFILE_ROOTS],
    exclude: c.get<string[]>(SETTINGS.exclude) ?? [],
    autoRefresh: c.get<boolean>(SETTINGS.autoRefresh) ?? true,
  };
}
