// Encrypted backups of a folder's generator state from the palette (SPEC §8): Export State Backup… and Import
// State Backup…. An import is a sync per entry (core/privacy/backup.ts); the entries that need the user — every
// difference under `user-choice`, equal priorities, scalar conflicts of `merge` — are asked one by one in a quick
// pick that can show both values side by side in a diff editor. Nothing is written before every question is
// answered; Escape writes nothing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isWritable } from '../../core/generators/state';
import {
  IMPORT_STRATEGIES, answerConflict, decodeBackup, displayValue, encodeBackup, importCounts, importWrites, planImport, readBackupHeader,
  type EntryChoice, type ImportStep, type ImportStrategy,
} from '../../core/privacy/backup';
import { isFernetKey } from '../../core/privacy/fernet';
import { deriveKey, newKdfParams, readKeyFile, writeNewKeyFile, type KdfParams } from '../../core/privacy/keys';
import { writeFileAtomic } from '../../core/store/fsutil';
import { STATE_BACKUP_COMMANDS, STATE_BACKUP_SCHEME } from '../platform/ids';
import { registerCommandTable } from '../platform/log';
import type { GeneratorsService } from './service';

/** What a caller (a test, a keybinding) may pass instead of being asked. */
export interface BackupCommandArgs {
  folder?: string;
  file?: string;
  strategy?: ImportStrategy;
  /** A Fernet key, or the path of a key file (private to its owner). */
  key?: string;
  passphrase?: string;
  dryRun?: boolean;
}

/** What Import State Backup… did; undefined when the user cancelled (nothing written). */
export interface ImportOutcome {
  file: string;
  strategy: ImportStrategy;
  dryRun: boolean;
  steps: { key: string; action: ImportStep['action']; reason: string }[];
  written: number;
  conflicts: number;
}

const STRATEGY_TEXT: Record<ImportStrategy, () => { label: string; detail: string }> = {
  timestamp: () => ({ label: vscode.l10n.t('Newest wins'), detail: vscode.l10n.t('For each entry that differs, the value changed last is kept.') }),
  priority: () => ({ label: vscode.l10n.t('Higher priority wins'), detail: vscode.l10n.t('Values are JSON objects with a numeric "priority" field; ties are asked.') }),
  merge: () => ({ label: vscode.l10n.t('Merge'), detail: vscode.l10n.t('JSON objects are merged key by key; values that differ on both sides are asked.') }),
  'user-choice': () => ({ label: vscode.l10n.t('Ask for each difference'), detail: vscode.l10n.t('Every entry that differs is shown with both values; you choose.') }),
};

/** Values shown by the diff of one entry: `skillmeat-backup:/<n>/<side>/<key>`. */
class ValueDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private n = 0;
  uris(key: string, local: string, backup: string): { local: vscode.Uri; backup: vscode.Uri } {
    const id = ++this.n;
    const at = (side: string, text: string) => {
      const uri = vscode.Uri.from({ scheme: STATE_BACKUP_SCHEME, path: `/${id}/${side}/${key.replace(/[^\w.-]+/g, '_')}.json` });
      this.texts.set(uri.toString(), text);
      return uri;
    };
    return { local: at('workspace', local), backup: at('backup', backup) };
  }
  provideTextDocumentContent(uri: vscode.Uri): string { return this.texts.get(uri.toString()) ?? ''; }
}

function oneLine(value: string, max = 90): string {
  const s = value.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A key given as itself or as the path of a key file (private to its owner). */
function keyOrKeyFile(given: string): string {
  const v = given.trim();
  return isFernetKey(v) ? v : readKeyFile(v);
}

/** The key of a backup: a passphrase for one written with one, else a key (pasted, or the path of a key file). */
async function keyFor(kdf: KdfParams | undefined, args: BackupCommandArgs): Promise<string | undefined> {
  if (kdf) {
    const pass = args.passphrase ?? await vscode.window.showInputBox({ password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('The passphrase this backup was written with') });
    return pass === undefined ? undefined : deriveKey(pass, kdf);
  }
  const given = args.key ?? await vscode.window.showInputBox({
    password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('The backup\'s key, or the path of its key file'),
    validateInput: (v) => (!v || isFernetKey(v.trim()) || fs.existsSync(v.trim()) ? undefined : vscode.l10n.t('Neither a key (44 characters) nor an existing file')),
  });
  if (given === undefined) return undefined;
  return keyOrKeyFile(given);
}

async function folderOf(args: BackupCommandArgs, verb: string): Promise<string | undefined> {
  if (args.folder) return args.folder;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  if (folders.length === 0) throw new Error(vscode.l10n.t('Open a folder first: state belongs to a workspace folder.'));
  if (folders.length === 1) return folders[0].uri.fsPath;
  const pick = await vscode.window.showWorkspaceFolderPick({ placeHolder: verb });
  return pick?.uri.fsPath;
}

/**
 * Asks about each conflict in turn: keep this workspace's value, take the backup's, show both side by side (then
 * ask again), or skip. Undefined when the user pressed Escape: nothing is imported.
 */
async function answerConflicts(steps: ImportStep[], docs: ValueDocuments): Promise<ImportStep[] | undefined> {
  const total = steps.filter((x) => x.action === 'conflict').length;
  let n = 0;
  const out: ImportStep[] = [];
  for (const step of steps) {
    if (step.action !== 'conflict') { out.push(step); continue; }
    n++;
    let choice: EntryChoice | undefined;
    while (!choice) {
      type Item = vscode.QuickPickItem & { choice: EntryChoice | 'diff' };
      const items: Item[] = [
        { label: `$(arrow-left) ${vscode.l10n.t('Keep this workspace\'s value')}`, description: step.local!.updatedAt, detail: oneLine(step.local!.value), choice: 'local' },
        { label: `$(arrow-right) ${vscode.l10n.t('Take the backup\'s value')}`, description: step.backup!.updatedAt, detail: oneLine(step.backup!.value), choice: 'backup' },
        { label: `$(diff) ${vscode.l10n.t('Show both side by side')}`, choice: 'diff' },
        { label: `$(debug-step-over) ${vscode.l10n.t('Skip: leave it as it is here')}`, choice: 'skip' },
      ];
      const pick = await vscode.window.showQuickPick(items, {
        title: vscode.l10n.t('Import backup: {0} of {1} differences', n, total),
        placeHolder: vscode.l10n.t('"{0}": {1}', step.key, step.reason), ignoreFocusOut: true, matchOnDetail: true,
      });
      if (!pick) return undefined;
      if (pick.choice === 'diff') {
        const u = docs.uris(step.key, displayValue(step.local!.value), displayValue(step.backup!.value));
        await vscode.commands.executeCommand('vscode.diff', u.local, u.backup, vscode.l10n.t('{0} (this workspace ↔ backup)', step.key), { preview: true });
      } else choice = pick.choice;
    }
    out.push(answerConflict(step, choice));
  }
  return out;
}

export function registerBackupCommands(service: GeneratorsService, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const docs = new ValueDocuments();

  const importBackup = async (arg?: unknown): Promise<ImportOutcome | undefined> => {
    const args: BackupCommandArgs = arg instanceof vscode.Uri ? { file: arg.fsPath } : (arg as BackupCommandArgs | undefined) ?? {};
    const folder = await folderOf(args, vscode.l10n.t('Import a state backup into which folder?'));
    if (!folder) return undefined;
    const file = args.file ?? (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Import'), title: vscode.l10n.t('Import State Backup') }))?.[0]?.fsPath;
    if (!file) return undefined;
    const text = fs.readFileSync(file, 'utf8');
    const header = readBackupHeader(text, file);
    const key = await keyFor(header.kdf, args);
    if (!key) return undefined;
    const { entries } = decodeBackup(text, file, key);
    const strategy = args.strategy ?? (await vscode.window.showQuickPick(
      IMPORT_STRATEGIES.map((s) => ({ ...STRATEGY_TEXT[s](), strategy: s })),
      { placeHolder: vscode.l10n.t('{0} entries in the backup: how should entries that differ be resolved?', entries.length), ignoreFocusOut: true },
    ))?.strategy;
    if (!strategy) return undefined;
    const st = await service.stateOf(folder);
    if (!st.source) throw new Error(st.problem ?? vscode.l10n.t('{0} cannot be opened', st.path));
    const state = st.source;
    const planned = planImport(state.list(['*']), entries, strategy);
    const steps = args.dryRun ? planned : await answerConflicts(planned, docs);
    if (!steps) return undefined;
    const writes = importWrites(steps);
    if (!args.dryRun && writes.length) {
      if (!isWritable(state)) throw new Error(vscode.l10n.t('{0} is ambrogio\'s state database, which SkillMeat Sync only reads; import into the product\'s own store.', state.path));
      await service.writeState(state.path, vscode.l10n.t('Importing {0}', path.basename(file)), async () => { state.setMany(writes); });
    }
    const c = importCounts(steps);
    log.info(`import ${file} (${strategy}${args.dryRun ? ', dry run' : ''}): ${c.written} written, ${c.same} same, ${c.kept} kept, ${c.conflicts} left`);
    void vscode.window.showInformationMessage(args.dryRun
      ? vscode.l10n.t('Dry run of {0}: {1} would be written, {2} same, {3} kept, {4} left as they are.', path.basename(file), c.written, c.same, c.kept, c.conflicts)
      : vscode.l10n.t('Imported {0}: {1} written, {2} same, {3} kept, {4} left as they are.', path.basename(file), c.written, c.same, c.kept, c.conflicts));
    return { file, strategy, dryRun: !!args.dryRun, steps: steps.map((x) => ({ key: x.key, action: x.action, reason: x.reason })), written: c.written, conflicts: c.conflicts };
  };

  const exportBackup = async (arg?: unknown): Promise<string | undefined> => {
    const args: BackupCommandArgs = (arg as BackupCommandArgs | undefined) ?? {};
    const folder = await folderOf(args, vscode.l10n.t('Export the state of which folder?'));
    if (!folder) return undefined;
    const st = await service.stateOf(folder);
    if (!st.source) throw new Error(st.problem ?? vscode.l10n.t('{0} cannot be opened', st.path));
    const file = args.file ?? (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(folder, `skillmeat-state-${new Date().toISOString().slice(0, 10)}.smbackup`)), title: vscode.l10n.t('Export State Backup'),
    }))?.fsPath;
    if (!file) return undefined;
    if (fs.existsSync(file)) throw new Error(vscode.l10n.t('{0} exists; choose another file (a backup is never overwritten).', file));
    let key: string;
    let kdf: KdfParams | undefined;
    if (args.key) key = keyOrKeyFile(args.key);
    else {
      const pass = args.passphrase ?? await vscode.window.showInputBox({
        password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('A passphrase for the backup (leave empty to write a new key file next to it instead)'),
      });
      if (pass === undefined) return undefined;
      if (pass) { kdf = newKdfParams(); key = deriveKey(pass, kdf); } else {
        key = writeNewKeyFile(`${file}.key`);
        void vscode.window.showWarningMessage(vscode.l10n.t('A new key was written to {0} (readable by you only). Keep it safe: the backup cannot be read without it.', `${file}.key`));
      }
    }
    const entries = st.source.list(['*']);
    writeFileAtomic(file, encodeBackup(entries, key, kdf ? { kdf } : {}), {}, 0o600);
    log.info(`exported ${entries.length} entries of ${st.path} to ${file}`);
    return file;
  };

  return [
    vscode.workspace.registerTextDocumentContentProvider(STATE_BACKUP_SCHEME, docs),
    ...registerCommandTable(log, { [STATE_BACKUP_COMMANDS.importBackup]: importBackup, [STATE_BACKUP_COMMANDS.exportBackup]: exportBackup }),
  ];
}
