// Keys the user holds (SPEC §8): a random Fernet key (kept by the user: VS Code SecretStorage, a key file, an
// environment variable), or one derived from a passphrase with scrypt and a salt of its own. Only the KDF's
// parameters and salt are ever written; never a key, never a passphrase.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { generateKey, isFernetKey } from './fernet';

/** scrypt parameters, written beside what they encrypt (e.g. a backup's header). */
export interface KdfParams { name: 'scrypt'; salt: string; N: number; r: number; p: number }

/** OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1) costs ~128 MiB and ~0.3 s here; derived once per run. */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/** New parameters with a random 16-byte salt. */
export function newKdfParams(): KdfParams {
  return { name: 'scrypt', salt: crypto.randomBytes(16).toString('base64'), ...DEFAULT_SCRYPT };
}

/** Thrown for a key that cannot be used; the message names where it came from and the fix. */
export class KeyError extends Error {}

/** Checks parameters read from a file before they reach scrypt (a crafted header must not exhaust memory). */
function checkedParams(k: KdfParams): KdfParams {
  const pow2 = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
  if (k.name !== 'scrypt' || !pow2(k.N) || k.N > 2 ** 20 || !Number.isInteger(k.r) || k.r < 1 || k.r > 32 || !Number.isInteger(k.p) || k.p < 1 || k.p > 16) {
    throw new KeyError(`unsupported key-derivation parameters (${JSON.stringify(k)})`);
  }
  const salt = Buffer.from(k.salt, 'base64');
  if (salt.length < 16) throw new KeyError('the key-derivation salt is shorter than 16 bytes');
  return k;
}

/** The Fernet key a passphrase gives with these parameters. */
export function deriveKey(passphrase: string, params: KdfParams): string {
  if (!passphrase) throw new KeyError('the passphrase is empty');
  const k = checkedParams(params);
  const raw = crypto.scryptSync(passphrase.normalize('NFC'), Buffer.from(k.salt, 'base64'), 32, { N: k.N, r: k.r, p: k.p, maxmem: 256 * k.N * k.r + 1024 * 1024 });
  return raw.toString('base64url') + '=';
}

/**
 * Reads a Fernet key from a file, refusing one that others can read (group or world permission bits): a key
 * anybody on the machine can read protects nothing.
 */
export function readKeyFile(file: string): string {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch (e) {
    throw new KeyError(`${file}: the key file cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new KeyError(`${file}: the key file can be read by others (mode ${(st.mode & 0o777).toString(8)}); make it private with "chmod 600 ${file}"`);
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (!isFernetKey(key)) throw new KeyError(`${file}: not a key (expected 44 characters of url-safe base64, as "skillmeat-sync state export --new-key" prints)`);
  return key;
}

/**
 * A new random key, written to `file` readable by its owner only; never over an existing file (a key file may be
 * the only way into a store or a backup). Returns the key.
 */
export function writeNewKeyFile(file: string): string {
  const key = generateKey();
  try { fs.writeFileSync(file, `${key}\n`, { flag: 'wx', mode: 0o600 }); } catch (e) {
    throw new KeyError(`${file}: the new key cannot be written (${(e as NodeJS.ErrnoException).code ?? e}); a key file is never overwritten, choose another name`);
  }
  return key;
}

/** Where a key comes from, as the CLI takes it (first that is set wins). */
export interface KeySources {
  keyFile?: string;
  env: NodeJS.ProcessEnv;
  /** Asks for a passphrase on a terminal; undefined when there is none. */
  prompt?: (question: string) => Promise<string>;
}

export const KEY_ENV = 'SKILLMEAT_SYNC_KEY';
export const PASSPHRASE_ENV = 'SKILLMEAT_SYNC_PASSPHRASE';

/**
 * Resolves the key for data protected with `kdf` (a passphrase was used) or without (a key was): a key file, then
 * `SKILLMEAT_SYNC_KEY`, then `SKILLMEAT_SYNC_PASSPHRASE`, then a prompt. Never logs or returns the passphrase.
 */
export async function resolveKey(src: KeySources, kdf: KdfParams | undefined): Promise<string> {
  if (src.keyFile) return readKeyFile(src.keyFile);
  const envKey = src.env[KEY_ENV]?.trim();
  if (envKey) {
    if (!isFernetKey(envKey)) throw new KeyError(`${KEY_ENV} is not a key (expected 44 characters of url-safe base64)`);
    return envKey;
  }
  if (!kdf) throw new KeyError(`this data was encrypted with a key, not a passphrase: give it with --key-file FILE or ${KEY_ENV}`);
  const pass = src.env[PASSPHRASE_ENV] ?? (src.prompt ? await src.prompt('Passphrase: ') : undefined);
  if (pass === undefined) throw new KeyError(`a passphrase is needed: run on a terminal to be asked, or set ${PASSPHRASE_ENV} (or give a key with --key-file / ${KEY_ENV})`);
  return deriveKey(pass, kdf);
}
