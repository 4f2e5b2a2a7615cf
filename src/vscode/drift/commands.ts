// The palette and tree commands as one typed table: id → handler. Every handler's failure is shown to
// the user with a "Show Log" action.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { deployArtifact, undeployArtifact, SyncError } from '../../core/sync/deploy';
import { discoverArtifacts } from '../../core/drift/discovery';
import { collectionResolver } from '../../core/store/skillmeatHome';
import { DEFAULT_ROOT, isContextType, type ArtifactDrift, type ArtifactType } from '../../core/model';
import { RECORDS_FILE } from '../../core/store/deploymentRecords';
import type { DriftService, FolderReport } from './driftService';
import type { DriftNode } from './driftTree';
import { versionUri, type Side } from './versionContent';
import { COMMANDS, SETTINGS, type CommandId } from '../platform/ids';
import { registerCommandTable } from '../platform/log';
import type { Operations } from '../platform/operations';

type ArtifactRef = { folder: FolderReport; artifact: ArtifactDrift; file?: string };
type Handler = (...args: unknown[]) => unknown;

/** Deploy and undeploy of SkillMeat's context entities stay with SkillMeat (its API server deploys them). */
function contextOnly(a: { type: string; name: string }, what: string): string {
  return vscode.l10n.t('{0} "{1}" is a SkillMeat context entity: {2} it in SkillMeat (its web UI or API). SkillMeat Sync checks it and updates it from the collection.', a.type, a.name, what === 'deploy' ? vscode.l10n.t('deploy') : vscode.l10n.t('remove'));
}

function asRef(arg: unknown): ArtifactRef | undefined {
  const n = arg as DriftNode | undefined;
  if (!n || typeof n !== 'object' || !('kind' in n)) return undefined;
  if (n.kind === 'artifact') return { folder: n.folder, artifact: n.artifact };
  if (n.kind === 'file') return { folder: n.folder, artifact: n.artifact, file: n.file.path };
  return undefined;
}

async function pickArtifact(service: DriftService, placeHolder: string, filter: (a: ArtifactDrift) => boolean): Promise<ArtifactRef | undefined> {
  const items = service.current.flatMap((folder) => folder.report.artifacts.filter(filter).map((artifact) => ({
    label: artifact.name, description: `${artifact.type} · ${artifact.root} · ${artifact.state}`, detail: (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? folder.folder.name : undefined, ref: { folder, artifact },
  })));
  if (items.length === 0) { void vscode.window.showInformationMessage(vscode.l10n.t('SkillMeat Sync: nothing to choose from.')); return undefined; }
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.ref;
}

async function chooseFile(ref: ArtifactRef): Promise<string | undefined> {
  if (ref.artifact.type !== 'skill') return '';
  if (ref.file !== undefined) return ref.file;
  const changed = (ref.artifact.files ?? []).filter((f) => f.change !== 'deleted').map((f) => f.path);
  if (changed.length === 1) return changed[0];
  if (changed.length === 0) return 'SKILL.md';
  return vscode.window.showQuickPick(changed, { placeHolder: vscode.l10n.t('Which file of {0}?', ref.artifact.name) });
}

/**
 * Opens baseline ↔ project (or collection ↔ project) for one file of an artifact. A side without the file shows
 * a read-only note saying so: the project side of a locally deleted file says "not in the project", never that
 * the collection lacks it.
 */
export async function openDiff(ref: ArtifactRef, side: Side): Promise<void> {
  const file = await chooseFile(ref);
  if (file === undefined) return;
  const left = versionUri(side, ref.artifact, file);
  const projectFile = file ? path.join(ref.artifact.projectPath, ...file.split('/')) : ref.artifact.projectPath;
  const right = fs.existsSync(projectFile) ? vscode.Uri.file(projectFile) : versionUri('project', ref.artifact, file);
  const title = vscode.l10n.t('{0}: {1} ↔ project', ref.artifact.name + (file ? `/${file}` : ''), side === 'baseline' ? vscode.l10n.t('deployed baseline') : vscode.l10n.t('collection'));
  await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
}

/** Opens the collection's copy of one file of an artifact, read-only (an artifact not deployed, or deleted locally). */
export async function openCollectionCopy(ref: ArtifactRef): Promise<void> {
  const file = await chooseFile(ref);
  if (file === undefined) return;
  await vscode.window.showTextDocument(versionUri('collection', ref.artifact, file), { preview: true });
}

/** Opens the records file of an invalid artifact at its record (the `[[deployed]]` table that names it). */
export async function openRecordsFile(ref: ArtifactRef): Promise<void> {
  const a = ref.artifact;
  const file = path.join(ref.folder.folder.uri.fsPath, a.root, RECORDS_FILE);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const lines = doc.getText().split(/\r?\n/);
  const quoted = (v: string) => new RegExp(`^\\s*(artifact_name|artifact_path)\\s*=\\s*["']${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.md)?["']`);
  const at = Math.max(0, lines.findIndex((l) => quoted(a.name).test(l) || (!!a.relPath && quoted(a.relPath).test(l))));
  let header = at;
  while (header > 0 && !/^\s*\[\[\s*deployed\s*\]\]/.test(lines[header])) header--;
  const range = new vscode.Range(header, 0, header, lines[header]?.length ?? 0);
  await vscode.window.showTextDocument(doc, { selection: range, preview: true });
}

export function registerCommands(service: DriftService, log: vscode.LogOutputChannel, operations: Operations): vscode.Disposable[] {
  const withRef = (placeHolder: string, filter: (a: ArtifactDrift) => boolean, fn: (ref: ArtifactRef) => Promise<unknown>): Handler =>
    async (arg: unknown) => {
      const ref = asRef(arg) ?? await pickArtifact(service, placeHolder, filter);
      return ref ? fn(ref) : undefined;
    };

  const deployOne = async (ref: ArtifactRef): Promise<unknown> => {
    const retry = () => deployOne(ref);
    const a = ref.artifact;
    if (isContextType(a.type)) throw new Error(contextOnly(a, 'deploy'));
    const settings = ref.folder.settings;
    const coll = collectionResolver({ env: process.env, collection: settings.collectionPath }).resolve(a.collectionName ?? undefined);
    const store = await service.versionStore();
    // Local changes are a question for the user, not a failed operation: the write returns them instead of throwing.
    const run = (force: boolean) => operations.run('deploy', [a.projectPath], async () => {
      try {
        return await deployArtifact({ project: ref.folder.folder.uri.fsPath, root: a.root || DEFAULT_ROOT, collectionPath: coll.path, collectionName: coll.name, type: a.type as ArtifactType, name: a.name, force, store });
      } catch (e) {
        if (!force && e instanceof SyncError && e.code === 'local-changes') return 'local-changes' as const;
        throw e;
      }
    }, { title: vscode.l10n.t('Deploying {0}', a.name), retry });
    const r = await run(false);
    if (r !== 'local-changes') {
      log.info(`${r.action} ${a.type} ${a.name} → ${r.projectPath}`);
      if (r.warning) log.warn(r.warning);
      return r;
    }
    const replace = vscode.l10n.t('Replace Local Copy');
    const pick = await vscode.window.showWarningMessage(vscode.l10n.t('{0} has local changes. Replace it with the collection version? The local copy is kept in the version store.', a.name), { modal: true }, replace);
    if (pick !== replace) return undefined;
    const forced = await run(true);
    if (forced !== 'local-changes') log.info(`${forced.action} ${a.type} ${a.name} (forced) → ${forced.projectPath}`);
    return forced;
  };

  // Asked once before the first attempt; "Retry" does not ask again.
  const undeployOne = async (ref: ArtifactRef): Promise<unknown> => {
    const type = ref.artifact.type;
    if (isContextType(type)) throw new Error(contextOnly(ref.artifact, 'undeploy'));
    const store = await service.versionStore();
    const r = await operations.run('undeploy', [ref.artifact.projectPath], () => undeployArtifact({ project: ref.folder.folder.uri.fsPath, root: ref.artifact.root, type, name: ref.artifact.name, store }),
      { title: vscode.l10n.t('Undeploying {0}', ref.artifact.name), retry: () => undeployOne(ref) });
    log.info(`undeployed ${r.type} ${ref.artifact.name}`);
    return r;
  };

  // focusView is VS Code's own `<view>.focus` command: listed in COMMANDS for the status bar, not registered.
  const handlers: Record<Exclude<CommandId, typeof COMMANDS.focusView>, Handler> = {
    [COMMANDS.refresh]: () => service.refresh(),
    [COMMANDS.checkDrift]: async () => {
      const reports = await service.refresh();
      return reports.map((r) => r.report);
    },
    [COMMANDS.deploy]: async (arg: unknown) => {
      const ref = asRef(arg);
      if (ref) return deployOne(ref);
      // From the palette: everything in the collection(s) of the open folders.
      const items: (vscode.QuickPickItem & { ref: ArtifactRef })[] = [];
      for (const folder of service.current) {
        const coll = collectionResolver({ env: process.env, collection: folder.settings.collectionPath }).resolve(undefined);
        const states = new Map(folder.report.artifacts.filter((x) => x.root === DEFAULT_ROOT).map((x) => [`${x.type}:${x.name}`, x]));
        for (const f of discoverArtifacts(coll.path)) {
          const existing = states.get(`${f.type}:${f.name}`);
          const artifact: ArtifactDrift = existing ?? {
            type: f.type, name: f.name, root: DEFAULT_ROOT, state: 'added', collectionHash: null, projectHash: null, baselineHash: null,
            recommendation: 'deploy', relPath: f.relPath, projectPath: path.join(folder.folder.uri.fsPath, DEFAULT_ROOT, ...f.relPath.split('/')), collectionPath: f.absPath, collectionName: coll.name,
          };
          items.push({ label: f.name, description: `${f.type} · ${existing ? existing.state : vscode.l10n.t('not deployed')}`, detail: service.current.length > 1 ? folder.folder.name : undefined, ref: { folder, artifact } });
        }
      }
      if (items.length === 0) { void vscode.window.showInformationMessage(vscode.l10n.t('SkillMeat Sync: the collection is empty or unreachable. Select a collection first.')); return undefined; }
      const picks = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: vscode.l10n.t('Artifacts to deploy from the collection') });
      const results = [];
      for (const p of picks ?? []) results.push(await deployOne(p.ref));
      return results;
    },
    [COMMANDS.undeploy]: withRef(vscode.l10n.t('Artifact to undeploy'), (a) => !!a.deployedAt, async (ref) => {
      const ok = vscode.l10n.t('Undeploy');
      const pick = await vscode.window.showWarningMessage(vscode.l10n.t('Remove {0} from this project? Its content is kept in the version store.', ref.artifact.name), { modal: true }, ok);
      if (pick !== ok) return undefined;
      return undeployOne(ref);
    }),
    [COMMANDS.openDiff]: withRef(vscode.l10n.t('Artifact to compare with its deployed baseline'), (a) => !!a.baselineHash && a.state !== 'in-sync' && a.state !== 'invalid', (ref) => openDiff(ref, 'baseline')),
    [COMMANDS.openDiffWithCollection]: withRef(vscode.l10n.t('Artifact to compare with the collection'), (a) => (!!a.collectionPath || !!a.contextRow) && !!a.projectHash, (ref) => openDiff(ref, 'collection')),
    [COMMANDS.openCollectionCopy]: withRef(vscode.l10n.t('Artifact whose collection version to open'), (a) => !!a.collectionPath || !!a.contextRow, openCollectionCopy),
    [COMMANDS.openRecordsFile]: withRef(vscode.l10n.t('Artifact whose deployment record to open'), (a) => a.state === 'invalid', openRecordsFile),
    [COMMANDS.selectCollection]: async () => {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: vscode.l10n.t('Use as Collection'), title: vscode.l10n.t('Select your SkillMeat collection folder') });
      if (!picked?.[0]) return undefined;
      const target = (vscode.workspace.workspaceFolders?.length ?? 0) > 0 ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await vscode.workspace.getConfiguration(SETTINGS.section).update(SETTINGS.collectionPath, picked[0].fsPath, target);
      return service.refresh();
    },
    [COMMANDS.showLog]: () => log.show(),
    [COMMANDS.retry]: () => operations.retry(),
    [COMMANDS.revealInExplorer]: withRef(vscode.l10n.t('Artifact to reveal'), (a) => fs.existsSync(a.projectPath), async (ref) =>
      vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(ref.file ? path.join(ref.artifact.projectPath, ref.file) : ref.artifact.projectPath))),
    [COMMANDS.copyPath]: withRef(vscode.l10n.t('Artifact whose path to copy'), () => true, async (ref) => {
      const p = ref.file ? path.join(ref.artifact.projectPath, ref.file) : ref.artifact.projectPath;
      await vscode.env.clipboard.writeText(p);
      return p;
    }),
  };
  return registerCommandTable(log, handlers, (e) => operations.failureOf(e));
}
