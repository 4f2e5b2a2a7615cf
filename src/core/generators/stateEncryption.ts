// Encryption at rest of the generators' own state database (SPEC §8), with the version store's key: when the store
// is encrypted, the product's own state files are too. An encrypted state file describes itself in two plain lines —
// a magic line and the manifest (key id, where the key is kept, scrypt salt and parameters; never the key) — then
// one Fernet token of the SQLite image. One file, so turning encryption on or off or re-keying is one atomic write.
// An ambrogio-format database (runtime/state.db, shared with the real ambrogio) is never encrypted: ambrogio could
// not read it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withFileLockSync, writeFileAtomic } from '../store/fsutil';
import { KeyError } from '../privacy/keys';
import { DecryptError, keyId, parseManifest, readManifest, StoreCodec, type StoreKeyProvider, type StoreManifest } from '../store/storeEncryption';
import type { StoreTarget } from '../store/storeKeys';
import { detectStateKind } from './state';
import type { StateCodec } from './stateStore';

export const STATE_MAGIC = 'SKILLMEAT-SYNC-ENCRYPTED-STATE 1';
const MAGIC_BYTES = Buffer.from(STATE_MAGIC + '\n');

/** The manifest of an encrypted state file (its first bytes), or undefined for a plain or missing one. */
export function stateEncryptionOf(file: string): StoreManifest | undefined {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try { head = Buffer.alloc(4096); head = head.subarray(0, fs.readSync(fd, head, 0, head.length, 0)); } finally { fs.closeSync(fd); }
  } catch { return undefined; }
  if (!head.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) return undefined;
  const end = head.indexOf(0x0a, MAGIC_BYTES.length);
  if (end < 0) throw new KeyError(`${file}: the header of the encrypted state database is cut short`);
  return parseManifest(head.subarray(MAGIC_BYTES.length, end).toString('utf8'), file);
}

/** Reads and writes a state file encrypted with one key. A plain file (or none) is read as it is; the next write encrypts it. */
export class EncryptedStateCodec implements StateCodec {
  private readonly codec: StoreCodec;
  constructor(private readonly key: string, private readonly manifest: StoreManifest) { this.codec = new StoreCodec(key, manifest); }

  encode(plain: Uint8Array): Uint8Array {
    return Buffer.concat([MAGIC_BYTES, Buffer.from(JSON.stringify(this.manifest) + '\n'), this.codec.encode(plain), Buffer.from('\n')]);
  }

  decode(stored: Uint8Array): Uint8Array {
    const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    if (!buf.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) return buf;
    const end = buf.indexOf(0x0a, MAGIC_BYTES.length);
    const m = parseManifest(buf.subarray(MAGIC_BYTES.length, Math.max(end, MAGIC_BYTES.length)).toString('utf8'), 'the state database');
    if (m.keyId !== this.manifest.keyId) throw new KeyError(`it is encrypted with key ${m.keyId}, not with this key (${this.manifest.keyId})`);
    try { return this.codec.decode(buf.subarray(end + 1, buf.length - (buf[buf.length - 1] === 0x0a ? 1 : 0))); } catch (e) {
      if (e instanceof DecryptError) throw new KeyError(`it cannot be decrypted: ${e.message}`);
      throw e;
    }
  }

  /** What a child process (the ambrogioctl shim a generator calls) needs to read and write the same file. */
  env(): NodeJS.ProcessEnv { return { SKILLMEAT_SYNC_KEY: this.key }; }
}

/**
 * The codec of the product's own state file `file`: its own key when it is encrypted; the version store's key when
 * the store in `storeDir` is encrypted (so a plain or new state file is encrypted by its next write); else none.
 */
export async function stateCodecFor(file: string, o: { keys?: StoreKeyProvider; storeDir?: string }): Promise<StateCodec | undefined> {
  const m = stateEncryptionOf(file) ?? (o.storeDir ? readManifest(o.storeDir) : undefined);
  if (!m) return undefined;
  if (!o.keys) throw new KeyError(`${file}: the state database is encrypted (key ${m.keyId}, with the version store): give its key (--key-file F, SKILLMEAT_SYNC_KEY or SKILLMEAT_SYNC_PASSPHRASE)`);
  let key: string;
  try { key = await o.keys(m, path.dirname(file)); } catch (e) {
    if (e instanceof KeyError) throw new KeyError(`${file}: the state database is encrypted (key ${m.keyId}, with the version store): ${e.message}`);
    throw e;
  }
  if (keyId(key) !== m.keyId) throw new KeyError(`${file}: wrong key for the state database (it is encrypted with key ${m.keyId}, this one is ${keyId(key)})`);
  return new EncryptedStateCodec(key, m);
}

/**
 * Converts one own state file to `target` (undefined: plain), under the lock its writers take, in one atomic write.
 * Returns false when there was nothing to do (missing, ambrogio's, already so).
 */
export async function convertStateFile(file: string, target: StoreTarget | undefined, keys: StoreKeyProvider | undefined): Promise<boolean> {
  if (!fs.existsSync(file) || detectStateKind(file) === 'ambrogio') return false;
  const current = stateEncryptionOf(file);
  if (current?.keyId === target?.manifest.keyId) return false;
  const from = current ? await stateCodecFor(file, { keys }) : undefined;
  const to = target ? new EncryptedStateCodec(target.key, target.manifest) : undefined;
  return withFileLockSync(file, () => {
    const stored = fs.readFileSync(file);
    let plain: Uint8Array;
    try { plain = from ? from.decode(stored) : stored; } catch (e) {
      throw new KeyError(`${file}: ${(e as Error).message}; it was left as it is`);
    }
    writeFileAtomic(file, to ? to.encode(plain) : plain, {}, 0o600);
    return true;
  });
}

/** The own state files under the version store (`<store>/workspaces/<id>/state.db`, the default location). */
export function workspaceStateFiles(storeDir: string): string[] {
  const dir = path.join(storeDir, 'workspaces');
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  return names.map((n) => path.join(dir, n, 'state.db')).filter((f) => fs.existsSync(f));
}

/** Converts every own state file under the store; returns how many were rewritten. */
export async function convertWorkspaceStates(storeDir: string, target: StoreTarget | undefined, keys: StoreKeyProvider | undefined): Promise<number> {
  let n = 0;
  for (const f of workspaceStateFiles(storeDir)) if (await convertStateFile(f, target, keys)) n++;
  return n;
}
