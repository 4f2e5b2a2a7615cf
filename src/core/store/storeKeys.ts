// Where the key of an encrypted version store comes from (SPEC §8), for the CLI and for a conversion's new key: a key
// file (refused when others can read it), SKILLMEAT_SYNC_KEY, SKILLMEAT_SYNC_PASSPHRASE, or a prompt. VS Code keeps
// its random keys in SecretStorage instead (src/vscode/privacy/storeEncryption.ts) and gives them the same way.
import { generateKey, isFernetKey } from '../privacy/fernet';
import { deriveKey, KEY_ENV, KeyError, newKdfParams, PASSPHRASE_ENV, readKeyFile, resolveKey, type KdfParams, type KeySources } from '../privacy/keys';
import { keyId, newManifest, type KeySource, type StoreKeyProvider, type StoreManifest } from './storeEncryption';

/** The key of a store as the CLI finds it (see {@link resolveKey}); a passphrase is stretched once per run. */
export function cliStoreKeys(src: KeySources): StoreKeyProvider {
  const known = new Map<string, string>();
  return async (m) => {
    const hit = known.get(m.keyId);
    if (hit) return hit;
    let key: string;
    try { key = await resolveKey(src, m.source === 'passphrase' ? m.kdf : undefined); } catch (e) {
      if (e instanceof KeyError && m.source === 'keychain') {
        throw new KeyError(`${e.message}. This store's key (${m.keyId}) was made by VS Code and is kept in its keychain: run "SkillMeat: Copy Store Key" there and save it in a file only you can read`);
      }
      throw e;
    }
    if (keyId(key) === m.keyId) known.set(m.keyId, key);
    return key;
  };
}

/** What a conversion encrypts with: the key and the manifest that describes it. */
export interface StoreTarget { key: string; manifest: StoreManifest }

/**
 * The new key of an encryption or a rotation. `keychain`: `key` (VS Code made it and keeps it). `key`: `key`, else the
 * key file, else SKILLMEAT_SYNC_KEY. `passphrase`: `passphrase`, else SKILLMEAT_SYNC_PASSPHRASE, else the prompt,
 * stretched with scrypt and a new salt (`kdf` for tests).
 */
export async function storeTarget(o: {
  mode: KeySource; env: NodeJS.ProcessEnv; key?: string; keyFile?: string; passphrase?: string;
  prompt?: (question: string) => Promise<string>; kdf?: KdfParams;
}): Promise<StoreTarget> {
  if (o.mode === 'passphrase') {
    const pass = o.passphrase ?? o.env[PASSPHRASE_ENV] ?? (o.prompt ? await o.prompt('New passphrase for the version store: ') : undefined);
    if (pass === undefined) throw new KeyError(`a passphrase is needed: run on a terminal to be asked, or set ${PASSPHRASE_ENV}`);
    const kdf = o.kdf ?? newKdfParams();
    const key = deriveKey(pass, kdf);
    return { key, manifest: newManifest(key, 'passphrase', kdf) };
  }
  const envKey = o.env[KEY_ENV]?.trim();
  const key = o.key ?? (o.keyFile ? readKeyFile(o.keyFile) : envKey);
  if (!key) throw new KeyError(`no key: give one with --key-file F (or --new-key F to make one), or set ${KEY_ENV}`);
  if (!isFernetKey(key)) throw new KeyError(`${o.key ? 'the key' : KEY_ENV} is not a key (expected 44 characters of url-safe base64)`);
  return { key, manifest: newManifest(key, o.mode) };
}

/** A new random key for the keychain. */
export function newKeychainTarget(env: NodeJS.ProcessEnv = {}): Promise<StoreTarget> {
  return storeTarget({ mode: 'keychain', env, key: generateKey() });
}
