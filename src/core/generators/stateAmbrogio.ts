// Read-only access to an existing ambrogio runtime/state.db, which ambrogio keeps in WAL mode and may be
// writing while we read. We never write it and never take SQLite's locks (sql.js has no shared memory):
// we copy the main file and the -wal file, replay the committed frames, and re-read when a writer changed
// either file during the copy.
import * as fs from 'node:fs';
import type { Database, SqlJsStatic } from 'sql.js';
import { loadSqlJs } from '../store/sqlite';
import { StateError } from './state';
import type { StateEntry, StateSource } from './state';
import { getRow, hasRuntimeKv, listRows } from './stateSql';
import { applyWal } from './stateWal';

/** Options of {@link AmbrogioStateSource.open}. */
export interface AmbrogioReadOptions {
  /** Attempts before giving up on a database that keeps changing under the reader (default 6). */
  attempts?: number;
  /** Test hook: runs between copying the main file and re-checking the WAL, to simulate a writer. */
  duringRead?: (attempt: number) => void;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signature(file: string): string {
  const part = (p: string): string => {
    try {
      const st = fs.statSync(p, { bigint: true });
      return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '-';
      throw e;
    }
  };
  return `${part(file)}|${part(`${file}-wal`)}`;
}

function readOptional(p: string, bytes?: number): Buffer | undefined {
  try {
    if (bytes === undefined) return fs.readFileSync(p);
    const fd = fs.openSync(p, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const n = fs.readSync(fd, buf, 0, bytes, 0);
      return buf.subarray(0, n);
    } finally { fs.closeSync(fd); }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A consistent copy of a WAL-mode database: main file + committed WAL frames. */
export interface WalSnapshot {
  image: Uint8Array;
  /** Pages taken from the WAL; > 0 means some rows were visible only there. */
  walPages: number;
  signature: string;
}

/**
 * Copies `file` and `file-wal` into one consistent image. A copy is retried when either file changed
 * while it was taken (a WAL reset shows as new salts in the WAL header); a checkpoint running during
 * the copy is harmless because the frames it copies are replayed on top.
 */
export function readWalSnapshot(file: string, opts: AmbrogioReadOptions = {}): WalSnapshot {
  const attempts = opts.attempts ?? 6;
  for (let attempt = 0; attempt < attempts; attempt++) {
    let before: string;
    try {
      before = signature(file);
    } catch (e) {
      throw new StateError('unreadable', file, `cannot read ${file}: ${(e as Error).message}`, 'check the permissions of the database and its -wal file');
    }
    if (before.startsWith('-|')) {
      throw new StateError('missing', file, `the ambrogio state database ${file} does not exist`, 'point the state database setting (or --state-db) at ambrogio\'s runtime/state.db');
    }
    const walHeadBefore = readOptional(`${file}-wal`, 32);
    const db = readOptional(file);
    const wal = readOptional(`${file}-wal`);
    opts.duringRead?.(attempt);
    const walHeadAfter = readOptional(`${file}-wal`, 32);
    const after = signature(file);
    const sameHead = (walHeadBefore === undefined && walHeadAfter === undefined)
      || (walHeadBefore !== undefined && walHeadAfter !== undefined && walHeadBefore.equals(walHeadAfter));
    if (db !== undefined && before === after && sameHead) {
      const replay = applyWal(db, wal);
      return { image: replay.image, walPages: replay.pagesApplied, signature: after };
    }
    sleepSync(Math.min(2 ** attempt, 50));
  }
  throw new StateError('busy', file, `${file} kept changing while it was read (${attempts} attempts)`, 'try again in a moment; ambrogio is writing a lot of state right now');
}

/** ambrogio's runtime/state.db, read-only, WAL-aware; re-read whenever the files change. */
export class AmbrogioStateSource implements StateSource {
  readonly kind = 'ambrogio' as const;
  private db: Database | undefined;
  private loadedSignature: string | undefined;
  /** Pages of the last snapshot that came from the -wal file. */
  walPages = 0;

  private constructor(readonly path: string, private readonly sql: SqlJsStatic, private readonly opts: AmbrogioReadOptions) {}

  /** Opens the database at `file` (it must exist) and takes a first snapshot. */
  static async open(file: string, opts: AmbrogioReadOptions = {}): Promise<AmbrogioStateSource> {
    const source = new AmbrogioStateSource(file, await loadSqlJs(), opts);
    source.refresh();
    return source;
  }

  /** Rows matching any pattern, sorted by key, including rows committed only to the WAL. */
  list(patterns: readonly string[]): StateEntry[] {
    return this.query((db) => listRows(db, patterns));
  }

  /** The row with exactly this key, if any. */
  get(key: string): StateEntry | undefined {
    return this.query((db) => getRow(db, key));
  }

  private query<T>(fn: (db: Database) => T): T {
    this.refresh();
    try {
      return fn(this.db as Database);
    } catch (e) {
      throw this.malformed(e);
    }
  }

  private malformed(e: unknown): StateError {
    return new StateError('malformed', this.path, `${this.path} cannot be read as a SQLite database (${(e as Error).message})`, 'check that the state database setting (or --state-db) names ambrogio\'s runtime/state.db; nothing was written to it');
  }

  private refresh(): void {
    if (this.db && signature(this.path) === this.loadedSignature) return;
    const snap = readWalSnapshot(this.path, this.opts);
    const db = new this.sql.Database(snap.image.length > 0 ? snap.image : undefined);
    try {
      hasRuntimeKv(db); // sql.js reports a non-database only on the first query
    } catch (e) {
      db.close();
      throw this.malformed(e);
    }
    this.db?.close();
    this.db = db;
    this.loadedSignature = snap.signature;
    this.walPages = snap.walPages;
  }
}
