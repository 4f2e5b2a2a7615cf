// Encryption at rest of the version store (SPEC §8). A store is plain until a manifest, `encryption.json`, says
// otherwise: which cipher (Fernet), the id of the key (a fingerprint, never the key), where the key is kept, and for
// a passphrase the scrypt parameters and salt. The manifest also decides the names of the store's files: a plain
// store has `index.sqlite`, `index.log`, `blobs/`; an encrypted one `index.<id>.sqlite`, `index.<id>.log`,
// `blobs.<id>/`. A conversion (encrypt, decrypt, rotate) writes the new files beside the old ones, and replacing the
// manifest is its commit: a kill at any point leaves the old key's store or the new key's store, both whole.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fernet, InvalidToken } from '../privacy/fernet';
import { KeyError, type KdfParams } from '../privacy/keys';

export const MANIFEST_FILE = 'encryption.json';
const FORMAT = 'skillmeat-sync-store-encryption';

/** Where the key of an encrypted store is kept: the OS keychain (VS Code), a key the user holds, or a passphrase. */
export type KeySource = 'keychain' | 'key' | 'passphrase';

/** The plain manifest of an encrypted store. Never holds a key or a passphrase. */
export interface StoreManifest {
  format: typeof FORMAT;
  version: 1;
  cipher: 'fernet';
  /** {@link keyId} of the key. */
  keyId: string;
  source: KeySource;
  /** The key derivation, for `source: 'passphrase'`. */
  kdf?: KdfParams;
  created: string;
}

/** The file names of a store's index and blobs. */
export interface StoreLayout { index: string; log: string; blobs: string }

const PLAIN_LAYOUT: StoreLayout = { index: 'index.sqlite', log: 'index.log', blobs: 'blobs' };

/** The layout a manifest gives (plain without one). */
export function layoutOf(m: StoreManifest | undefined): StoreLayout {
  return m ? { index: `index.${m.keyId}.sqlite`, log: `index.${m.keyId}.log`, blobs: `blobs.${m.keyId}` } : PLAIN_LAYOUT;
}

/** Names in a store folder that belong to some layout (anything else there is left alone by conversions). */
export function isLayoutName(name: string): boolean {
  return name === 'index.sqlite' || name === 'index.log' || name === 'blobs' || /^index\.[0-9a-f]{16}\.(sqlite|log)$/.test(name) || /^blobs\.[0-9a-f]{16}$/.test(name);
}

/** A fingerprint of a key: names it in the manifest, in file names and in the keychain, and tells a wrong key at once. */
export function keyId(key: string): string {
  return crypto.createHmac('sha256', Buffer.from(key.trim(), 'base64url')).update('skillmeat-sync store key id').digest('hex').slice(0, 16);
}

/** Reads the manifest of the store in `dir`; undefined for a plain store. A damaged manifest is an error, never "plain". */
export function readManifest(dir: string): StoreManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  return parseManifest(text, file);
}

/** A manifest's text checked; errors name `file` (the store's manifest, or a state database's header). */
export function parseManifest(text: string, file: string): StoreManifest {
  let m: StoreManifest;
  try { m = JSON.parse(text) as StoreManifest; } catch (e) {
    throw new KeyError(`${file}: the encryption manifest is damaged (${(e as Error).message}); the store was left untouched. Restore it from a backup: without it the encrypted store cannot be read.`);
  }
  const ok = m && m.format === FORMAT && m.version === 1 && m.cipher === 'fernet' && /^[0-9a-f]{16}$/.test(String(m.keyId))
    && ['keychain', 'key', 'passphrase'].includes(m.source) && (m.source !== 'passphrase' || (!!m.kdf && typeof m.kdf.salt === 'string'));
  if (!ok) throw new KeyError(`${file}: not an encryption manifest this version understands (format ${FORMAT} 1, cipher fernet); the store was left untouched`);
  return m;
}

/** The manifest's text (written by the conversion, atomically). */
export function manifestText(m: StoreManifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

export function newManifest(key: string, source: KeySource, kdf?: KdfParams, now = new Date()): StoreManifest {
  return { format: FORMAT, version: 1, cipher: 'fernet', keyId: keyId(key), source, ...(kdf ? { kdf } : {}), created: now.toISOString() };
}

/**
 * Gives the key of an encrypted store (the keychain, a key file, the environment, a passphrase). Throws
 * {@link KeyError} naming what is missing. The store checks the key's id against the manifest.
 */
export type StoreKeyProvider = (manifest: StoreManifest, dir: string) => Promise<string>;

/** Data that cannot be decrypted: another key, or changed since it was written. */
export class DecryptError extends Error {}

/** Fernet over the bytes of one store: blobs, the index image, each log line. */
export class StoreCodec {
  private readonly f: Fernet;
  constructor(key: string, readonly manifest: StoreManifest) {
    if (keyId(key) !== manifest.keyId) throw new KeyError(`wrong key: the store was encrypted with key ${manifest.keyId}, this one is ${keyId(key)}${manifest.source === 'passphrase' ? ' (wrong passphrase?)' : ''}`);
    this.f = new Fernet(key);
  }

  encode(plain: Uint8Array): Buffer {
    return Buffer.from(this.f.encrypt(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength)), 'ascii');
  }

  decode(stored: Uint8Array): Buffer {
    try {
      // No ttl, and no "dated in the future" check either (a clock set back must not make the store unreadable).
      return this.f.decrypt(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).toString('ascii'), { now: Number.MAX_SAFE_INTEGER });
    } catch (e) {
      if (e instanceof InvalidToken) throw new DecryptError(e.message);
      throw e;
    }
  }
}
