// Encryption at rest of the version store in VS Code (SPEC §8), thin glue on core/store/storeEncryption: the setting
// `skillmeatSync.store.encryption` (off / keychain / passphrase) converts the store, as an operation with progress,
// when it changes; keychain keys live in SecretStorage (the OS keychain) under their key id; a passphrase is asked
// with an input box and its key kept in memory for this session only. Commands: Rotate Store Key, Copy Store Key.
import * as vscode from 'vscode';
import { convertStore, defaultStoreDir, type ConvertReport } from '../../core/store/versionStore';
import { keyId, readManifest, type StoreKeyProvider, type StoreManifest } from '../../core/store/storeEncryption';
import { newKeychainTarget, storeTarget, type StoreTarget } from '../../core/store/storeKeys';
import { deriveKey, KeyError } from '../../core/privacy/keys';
import { isFernetKey } from '../../core/privacy/fernet';
import type { DriftService } from '../drift/driftService';
import type { Operations } from '../platform/operations';
import { registerCommandTable } from '../platform/log';
import { convertStateFile, workspaceStateFiles } from '../../core/generators/stateEncryption';

export type EncryptionSetting = 'off' | 'keychain' | 'passphrase';

export const STORE_COMMANDS = {
  rotateKey: 'skillmeatSync.store.rotateKey',
  copyKey: 'skillmeatSync.store.copyKey',
} as const;

const SETTING = 'skillmeatSync.store.encryption';
const secretName = (id: string) => `skillmeatSync.storeKey.${id}`;

export function encryptionSetting(): EncryptionSetting {
  const v = vscode.workspace.getConfiguration('skillmeatSync').get<string>('store.encryption', 'off');
  return v === 'keychain' || v === 'passphrase' ? v : 'off';
}

/** Whether the store as `m` describes it is what the setting asks for (a key the CLI made counts as keychain's "not yet"). */
function matches(want: EncryptionSetting, m: StoreManifest | undefined): boolean {
  return want === 'off' ? !m : !!m && m.source === want;
}

export class StoreEncryptionFeature implements vscode.Disposable {
  /** Keys of this session, by key id: passphrase keys are never written anywhere. */
  private readonly known = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly _onDidConvert = new vscode.EventEmitter<void>();
  /** Fires after a conversion: state databases opened with the old key must be opened again. */
  readonly onDidConvert = this._onDidConvert.event;
  /** The own state databases of the open folders beyond those under the store (set by the generators feature). */
  stateFiles: () => readonly string[] = () => [];

  constructor(private readonly secrets: vscode.SecretStorage, private readonly drift: DriftService, private readonly operations: Operations, log: vscode.LogOutputChannel) {
    this.disposables.push(this._onDidConvert,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SETTING)) void this.apply().catch((err) => this.fail(err));
      }),
      ...registerCommandTable(log, {
        [STORE_COMMANDS.rotateKey]: () => this.rotate(),
        [STORE_COMMANDS.copyKey]: () => this.copyKey(),
      }, (e) => operations.failureOf(e)),
    );
    // A store whose encryption differs from the setting (changed by the CLI, or the setting synced from another
    // machine) is left as it is at start-up: converting is done only when the setting changes, or by a command.
    // (After activation returns: it reads a file.)
    const startup = setImmediate(() => {
      try {
        const m = readManifest(this.dir);
        if (!matches(encryptionSetting(), m)) log.info(`the version store is ${m ? `encrypted (${m.source}, key ${m.keyId})` : 'plain'}, while ${SETTING} is "${encryptionSetting()}"; it is converted when the setting changes`);
      } catch (e) { log.warn((e as Error).message); }
    });
    this.disposables.push({ dispose: () => clearImmediate(startup) });
  }

  private get dir(): string { return defaultStoreDir(this.drift.home); }

  /** The key of an encrypted store: this session's, the keychain's, or asked for (a passphrase, or a key the CLI made). */
  readonly keys: StoreKeyProvider = async (m) => {
    const hit = this.known.get(m.keyId);
    if (hit) return hit;
    let key: string | undefined;
    if (m.source === 'keychain') key = await this.secrets.get(secretName(m.keyId));
    if (key) { /* from the keychain */ } else if (m.source === 'passphrase' && m.kdf) {
      const pass = await vscode.window.showInputBox({
        title: vscode.l10n.t('SkillMeat Sync: Unlock the Version Store'), password: true, ignoreFocusOut: true,
        prompt: vscode.l10n.t('The version store is encrypted with a passphrase. Enter it (kept in memory for this session only).'),
      });
      if (pass) key = deriveKey(pass, m.kdf);
    } else {
      // A key the CLI made, or a keychain key this machine's keychain does not have (copied from another machine).
      const typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('SkillMeat Sync: Unlock the Version Store'), password: true, ignoreFocusOut: true,
        prompt: vscode.l10n.t('The version store is encrypted with key {0}, which VS Code does not hold. Paste the key.', m.keyId),
        validateInput: (v) => (isFernetKey(v) ? undefined : vscode.l10n.t('A key is 44 characters of url-safe base64.')),
      });
      key = typed?.trim();
      if (key && m.source === 'keychain' && keyId(key) === m.keyId) await this.secrets.store(secretName(m.keyId), key);
    }
    if (!key) {
      throw new KeyError(m.source === 'keychain'
        ? vscode.l10n.t('the key {0} of the version store is not in this machine\'s keychain. Copy it with "SkillMeat: Copy Store Key" where it is, and paste it when asked.', m.keyId)
        : vscode.l10n.t('no key was given for the version store (key {0})', m.keyId));
    }
    if (keyId(key) === m.keyId) this.known.set(m.keyId, key);
    return key;
  };

  /** Converts the store to what the setting says, unless it already is. */
  async apply(): Promise<ConvertReport | undefined> {
    const want = encryptionSetting();
    if (matches(want, readManifest(this.dir))) return undefined;
    return this.convert(want, (cur) => !matches(want, cur));
  }

  /** A new key (keychain) or a new passphrase for an encrypted store. */
  async rotate(): Promise<ConvertReport | undefined> {
    const m = readManifest(this.dir);
    if (!m) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The version store is not encrypted: set skillmeatSync.store.encryption to "keychain" or "passphrase" first.'));
      return undefined;
    }
    return this.convert(m.source === 'passphrase' ? 'passphrase' : 'keychain', (cur) => cur?.keyId === m.keyId);
  }

  /** Copies the store's key to the clipboard, for the CLI's --key-file or SKILLMEAT_SYNC_KEY. */
  async copyKey(): Promise<boolean> {
    const m = readManifest(this.dir);
    if (!m) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The version store is not encrypted: there is no key to copy.'));
      return false;
    }
    await vscode.env.clipboard.writeText(await this.keys(m, this.dir));
    void vscode.window.showInformationMessage(vscode.l10n.t('The key of the version store ({0}) is on the clipboard. Save it in a file only you can read (chmod 600) for the CLI\'s --key-file, then clear the clipboard.', m.keyId));
    return true;
  }

  private async newTarget(want: EncryptionSetting): Promise<StoreTarget | undefined> {
    if (want === 'off') return undefined;
    if (want === 'keychain') {
      const t = await newKeychainTarget();
      // In the keychain before the commit: a kill after it must not leave a store without its key.
      await this.secrets.store(secretName(t.manifest.keyId), t.key);
      return t;
    }
    const title = vscode.l10n.t('SkillMeat Sync: New Passphrase for the Version Store');
    const first = await vscode.window.showInputBox({
      title, password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('A passphrase for the version store. Without it the store cannot be read: nobody can recover it.'),
      validateInput: (v) => (v.length >= 8 ? undefined : vscode.l10n.t('At least 8 characters.')),
    });
    if (!first) return undefined;
    const again = await vscode.window.showInputBox({
      title, password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('The same passphrase again.'),
      validateInput: (v) => (v === first ? undefined : vscode.l10n.t('The two passphrases differ.')),
    });
    if (again !== first) return undefined;
    return storeTarget({ mode: 'passphrase', env: {}, passphrase: first });
  }

  private async convert(want: EncryptionSetting, when: (current: StoreManifest | undefined) => boolean): Promise<ConvertReport | undefined> {
    const before = readManifest(this.dir);
    const target = await this.newTarget(want);
    if (want !== 'off' && !target) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No passphrase was given: the version store was left as it is.'));
      return undefined;
    }
    const dropNewSecret = async () => { if (target?.manifest.source === 'keychain') await this.secrets.delete(secretName(target.manifest.keyId)); };
    let report: ConvertReport;
    try {
      report = await this.operations.run('store', [], async (op) => {
        let shown = -1;
        const r = await convertStore(this.dir, target, {
          keys: this.keys, when,
          onProgress: (done, total) => {
            const pct = Math.floor((done * 100) / Math.max(1, total));
            if (pct !== shown) { shown = pct; op.report(vscode.l10n.t('{0} of {1} stored files', done, total)); }
          },
        });
        // The generators' own state databases follow, each in one atomic write (the old key is dropped only after).
        if (!r.skipped) for (const f of new Set([...workspaceStateFiles(this.dir), ...this.stateFiles()])) await convertStateFile(f, target, this.keys);
        return r;
      }, { title: want === 'off' ? vscode.l10n.t('Decrypting the version store') : vscode.l10n.t('Encrypting the version store') });
    } catch (e) {
      // Not committed (the manifest does not name the new key): its keychain entry goes again.
      if (target && readManifest(this.dir)?.keyId !== target.manifest.keyId) await dropNewSecret();
      throw e;
    }
    if (report.skipped) { await dropNewSecret(); return report; }
    if (target) this.known.set(target.manifest.keyId, target.key);
    if (before) {
      this.known.delete(before.keyId);
      if (before.source === 'keychain') await this.secrets.delete(secretName(before.keyId));
    }
    // The open store follows at once (its reads do not wait for the next write to notice the new files).
    await (await this.drift.versionStore()).reload();
    this._onDidConvert.fire();
    void vscode.window.showInformationMessage(target
      ? vscode.l10n.t('The version store is encrypted ({0} versions, {1} stored files, key {2}).', report.versions, report.blobs, target.manifest.keyId)
      : vscode.l10n.t('The version store is no longer encrypted ({0} versions, {1} stored files).', report.versions, report.blobs));
    return report;
  }

  private fail(e: unknown): void {
    void vscode.window.showErrorMessage(vscode.l10n.t('The version store could not be converted: {0}', (e as Error)?.message ?? String(e)));
  }

  dispose(): void { for (const d of this.disposables) d.dispose(); }
}
