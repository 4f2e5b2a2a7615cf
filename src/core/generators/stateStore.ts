// The product's own state store: one SQLite file handled by sql.js. sql.js works on an in-memory image,
// so every write re-reads the file under the lock, applies the change and replaces the whole file
// atomically — the extension and the CLI (the generator's `ambrogioctl state set`) never lose each other's rows.
import * as fs from 'node:fs';
import type { Database, SqlJsStatic } from 'sql.js';
import { loadSqlJs } from '../store/sqlite';
import { withFileLockSync, writeFileAtomic } from '../store/fsutil';
import { StateError } from './state';
import type { StateEntry, WritableStateSource } from './state';
import { RUNTIME_KV_DDL, getRow, hasRuntimeKv, listRows } from './stateSql';

/** Transforms the bytes at rest (the encrypted store of SPEC §8 plugs in here). */
export interface StateCodec {
  encode(plain: Uint8Array): Uint8Array;
  decode(stored: Uint8Array): Uint8Array;
  /** What a child process (the ambrogioctl shim) needs in its environment to read the same file. */
  env?(): NodeJS.ProcessEnv;
}

/** Options of {@link OwnStateStore.open}. */
export interface OwnStateStoreOptions {
  codec?: StateCodec;
  /** Clock for `updated_at`; tests pin it. */
  now?: () => Date;
}

interface FileSignature { ino: bigint; size: bigint; mtimeNs: bigint }

function signatureOf(file: string): FileSignature | undefined {
  try {
    const st = fs.statSync(file, { bigint: true });
    return { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function sameSignature(a: FileSignature | undefined, b: FileSignature | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/** The product's writable state store (table runtime_kv) in one SQLite file. */
export class OwnStateStore implements WritableStateSource {
  readonly kind = 'own' as const;
  private db: Database | undefined;
  private loadedFrom: FileSignature | undefined;
  private loaded = false;

  private constructor(readonly path: string, private readonly sql: SqlJsStatic, private readonly opts: OwnStateStoreOptions) {}

  /** Opens (without creating) the store at `file`; the file is created by the first write. */
  static async open(file: string, opts: OwnStateStoreOptions = {}): Promise<OwnStateStore> {
    const store = new OwnStateStore(file, await loadSqlJs(), opts);
    store.refresh();
    return store;
  }

  /** The environment a child process needs to open this store as it is opened here (the key of an encrypted one). */
  get childEnv(): NodeJS.ProcessEnv { return this.opts.codec?.env?.() ?? {}; }

  /** Rows matching any pattern, sorted by key. */
  list(patterns: readonly string[]): StateEntry[] {
    this.refresh();
    return this.db ? this.guard(() => listRows(this.db as Database, patterns)) : [];
  }

  /** The row with exactly this key, if any. */
  get(key: string): StateEntry | undefined {
    this.refresh();
    return this.db ? this.guard(() => getRow(this.db as Database, key)) : undefined;
  }

  /** Inserts or replaces a row; `updated_at` is now (ISO 8601, UTC). */
  set(key: string, value: string): StateEntry {
    const updatedAt = (this.opts.now?.() ?? new Date()).toISOString();
    this.write((db) => {
      db.run('INSERT INTO runtime_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [key, value, updatedAt]);
    });
    return { key, value, updatedAt };
  }

  /**
   * Inserts or replaces many rows in one atomic write (imports, seeding); returns how many were written. A row's
   * own `updatedAt` is kept (a backup's entry keeps the time it was changed); without one, now.
   */
  setMany(entries: readonly { key: string; value: string; updatedAt?: string }[]): number {
    const updatedAt = (this.opts.now?.() ?? new Date()).toISOString();
    this.write((db) => {
      const stmt = db.prepare('INSERT INTO runtime_kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
      db.run('BEGIN');
      try {
        for (const e of entries) stmt.run([e.key, e.value, e.updatedAt ?? updatedAt]);
        db.run('COMMIT');
      } catch (err) {
        db.run('ROLLBACK');
        throw err;
      } finally {
        stmt.free();
      }
    });
    return entries.length;
  }

  /** Deletes a row; false when it did not exist (the file is then left untouched). */
  delete(key: string): boolean {
    let existed = false;
    this.write((db) => {
      existed = getRow(db, key) !== undefined;
      if (!existed) return false;
      db.run('DELETE FROM runtime_kv WHERE key = ?', [key]);
      return true;
    });
    return existed;
  }

  /** Re-reads the file when another process replaced it since the last read. */
  private refresh(): void {
    const sig = signatureOf(this.path);
    if (this.loaded && sameSignature(sig, this.loadedFrom)) return;
    this.db?.close();
    this.db = sig ? this.openImage(fs.readFileSync(this.path)) : undefined;
    this.loadedFrom = sig;
    this.loaded = true;
  }

  private openImage(stored: Uint8Array): Database {
    let plain: Uint8Array;
    try {
      plain = this.opts.codec ? this.opts.codec.decode(stored) : stored;
    } catch (e) {
      throw new StateError('malformed', this.path, `cannot decode the state database ${this.path}: ${(e as Error).message}`, 'check the key of the encrypted store; the file was left untouched');
    }
    const db = new this.sql.Database(plain.length > 0 ? plain : undefined);
    // sql.js only notices a non-SQLite file on the first query
    this.guard(() => hasRuntimeKv(db), db);
    return db;
  }

  private guard<T>(fn: () => T, db?: Database): T {
    try {
      return fn();
    } catch (e) {
      db?.close();
      throw new StateError('malformed', this.path, `${this.path} is not a readable SQLite state database (${(e as Error).message})`, 'point the state database setting (or --state-db) at a valid file, or move this one aside; it was not modified');
    }
  }

  private write(change: (db: Database) => boolean | void): void {
    withFileLockSync(this.path, () => {
      // re-read under the lock: another writer may have replaced the file since our last read
      this.loaded = false;
      this.refresh();
      const db = this.db ?? new this.sql.Database();
      db.run(RUNTIME_KV_DDL);
      if (change(db) === false) { this.db = db; return; }
      const bytes = db.export();
      writeFileAtomic(this.path, this.opts.codec ? this.opts.codec.encode(bytes) : bytes, {}, 0o600);
      this.db = db;
      this.loadedFrom = signatureOf(this.path);
    });
  }
}
