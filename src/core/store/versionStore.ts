// The version store (SPEC §1): every artifact version this product has seen, content-addressed.
// Blobs are files keyed by the SHA-256 of their bytes (write-once, deduplicated, atomic); an index in
// SQLite (sql.js) maps tree hashes to file lists and records each version's history.
//
// On disk the index is a snapshot (`index.sqlite`) plus an append-only log (`index.log`) of the statements
// of every transaction since that snapshot. sql.js can only export the whole database, and capture commits
// a few hundred bytes every few seconds: rewriting a multi-megabyte snapshot each time wrote gigabytes a day.
// A transaction appends one line (fsync'ed) instead; the snapshot is rewritten when the log outgrows half the
// snapshot (at least `checkpointBytes`), a VACUUM asked for it, or the log cannot be trusted. Growing with the
// snapshot keeps both the bytes written (about three per byte logged) and the replay at open proportional. Each snapshot carries a generation
// that the log's first line repeats, so a crash between writing the snapshot and resetting the log leaves a
// log that is recognised as already folded in and ignored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { Database } from 'sql.js';
import { loadSqlJs } from './sqlite';
import { writeFileAtomic, withFileLock, writePoint, type LockOptions, ensureDir } from './fsutil';
import { DecryptError, isLayoutName, layoutOf, manifestText, MANIFEST_FILE, readManifest, StoreCodec, type StoreKeyProvider, type StoreLayout, type StoreManifest } from './storeEncryption';
import { KeyError } from '../privacy/keys';
import { recoverInterruptedWrites } from './recovery';
import { comparePathParts, walkArtifact, treeHashOf, skillmeatHashOf, hashNormalised, type ExclusionMatcher } from '../drift/hashing';
import type { BaselineLookup } from '../drift/drift';

/** One file of a stored tree. `rel` is '' for a single-file artifact. */
export interface StoredFile { rel: string; blob: string; norm: string; mode: number; size: number }

export interface StoredTree {
  treeHash: string;
  /** SkillMeat's content hash of the same content (as SkillMeat would compute it on the deployed copy). */
  contentHash: string;
  kind: 'dir' | 'file';
  files: StoredFile[];
}

export type VersionOrigin = 'deploy' | 'undeploy' | 'sync' | 'pre-sync' | 'edit' | 'rescan' | 'restore' | 'import';

export interface VersionEntry {
  id: number;
  artifactKey: string;
  treeHash: string;
  origin: VersionOrigin | string;
  status: string;
  at: string;
  pinned: boolean;
  supersedes?: number;
  note?: string;
  /** The project folder a capture came from; absent for versions shared by every project (deploy, sync). */
  project?: string;
  /** The capture policy's id of the entry (links rate-limited entries to the capture that superseded them). */
  captureId?: string;
}

/** A store that cannot be used (corrupt index, unreadable blob). Names the file and the way out. */
export class StoreError extends Error {
  readonly code = 'ESTORE';
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS trees (tree_hash TEXT PRIMARY KEY, content_hash TEXT NOT NULL, kind TEXT NOT NULL, files TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS trees_content ON trees(content_hash);
CREATE TABLE IF NOT EXISTS versions (id INTEGER PRIMARY KEY AUTOINCREMENT, artifact_key TEXT NOT NULL, tree_hash TEXT NOT NULL, origin TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'captured', at TEXT NOT NULL, pinned INTEGER NOT NULL DEFAULT 0, supersedes INTEGER, note TEXT);
CREATE INDEX IF NOT EXISTS versions_key ON versions(artifact_key, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

// Columns added after the first release: an index written by an older build gets them on open. Existing rows
// keep NULL, which readers treat as "shared by every project".
const ADDED_VERSION_COLUMNS: readonly [string, string][] = [['project', 'TEXT'], ['capture_id', 'TEXT']];

/** Adds missing columns; true when the schema changed (the next write then rewrites the snapshot). */
function migrate(db: Database): boolean {
  const have = new Set((db.exec('PRAGMA table_info(versions)')[0]?.values ?? []).map((r) => String(r[1])));
  let changed = false;
  for (const [name, type] of ADDED_VERSION_COLUMNS) {
    if (!have.has(name)) { db.exec(`ALTER TABLE versions ADD COLUMN ${name} ${type}`); changed = true; }
  }
  return changed;
}

const GENERATION_KEY = 'store.generation';
/** Default size past which the log is folded into a new snapshot (half the snapshot's size when that is more). */
export const DEFAULT_CHECKPOINT_BYTES = 1 << 20;

type SqlParam = string | number | null;
type Statement = [sql: string, params: SqlParam[]];

/** Identity of a snapshot file as loaded: a rename (atomic rewrite) changes the inode. */
function fileSignature(st: fs.Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function generationOf(db: Database): string | undefined {
  const res = db.exec('SELECT value FROM meta WHERE key = ?', [GENERATION_KEY]);
  return res[0] ? String(res[0].values[0][0]) : undefined;
}

/**
 * The state of an index loaded from disk: the database and how much of the log it holds, and the encryption it was
 * read with (`manifest`: the manifest file's signature, '' for a plain store; `codec` undefined when plain).
 */
interface LoadedIndex {
  db: Database; snapshot: string; logApplied: number; logIno: number; logValid: boolean; migrated: boolean;
  layout: StoreLayout; codec: StoreCodec | undefined; manifest: string;
}

/** Signature of the store's encryption manifest ('' when there is none: a plain store). */
function manifestSignature(dir: string): string {
  try { return fileSignature(fs.statSync(path.join(dir, MANIFEST_FILE))); } catch { return ''; }
}

/** Options of {@link VersionStore.open}. */
export interface VersionStoreOptions {
  lock?: LockOptions;
  checkpointBytes?: number;
  /** Gives the key of an encrypted store; without it, an encrypted store cannot be opened. */
  keys?: StoreKeyProvider;
}

/** The codec for a store encrypted as `manifest` says, with its key checked; errors name the store and the way out. */
async function codecFor(dir: string, manifest: StoreManifest, keys: StoreKeyProvider | undefined): Promise<StoreCodec> {
  const file = path.join(dir, MANIFEST_FILE);
  if (!keys) {
    throw new StoreError(file, `the version store is encrypted (key ${manifest.keyId}, kept ${manifest.source === 'passphrase' ? 'as a passphrase' : manifest.source === 'keychain' ? 'in the VS Code keychain' : 'by you'}) and no key was given. In the CLI give it with --key-file F, SKILLMEAT_SYNC_KEY or SKILLMEAT_SYNC_PASSPHRASE; in VS Code set skillmeatSync.store.encryption.`);
  }
  try { return new StoreCodec(await keys(manifest, dir), manifest); } catch (e) {
    if (e instanceof KeyError) throw new StoreError(file, `${e.message}; nothing was read or written`);
    throw e;
  }
}

const VERSION_COLUMNS = 'id, artifact_key, tree_hash, origin, status, at, pinned, supersedes, note, project, capture_id';

function rowToVersion(r: unknown[]): VersionEntry {
  return {
    id: Number(r[0]), artifactKey: String(r[1]), treeHash: String(r[2]), origin: String(r[3]), status: String(r[4]), at: String(r[5]),
    pinned: Number(r[6]) === 1, ...(r[7] !== null ? { supersedes: Number(r[7]) } : {}), ...(r[8] !== null ? { note: String(r[8]) } : {}),
    ...(r[9] !== null ? { project: String(r[9]) } : {}), ...(r[10] !== null ? { captureId: String(r[10]) } : {}),
  };
}

/** What {@link VersionStore.deleteVersions} removed. */
export interface DeletedVersions { versions: number; trees: number; blobs: number; blobBytes: number }

/** The lock every writer of the store in `dir` takes, whatever its encryption. */
function storeLockFile(dir: string): string {
  return path.join(dir, 'index.sqlite');
}

/** Default store location: `<SkillMeat home>/sync`. */
export function defaultStoreDir(home: string): string {
  return path.join(home, 'sync');
}

/**
 * The version store. Reads are served from the loaded index; every change runs in {@link transact},
 * which takes the store lock, reloads the index if another process changed it, and writes it atomically.
 */
export class VersionStore implements BaselineLookup {
  private db: Database;
  /** Signature of the snapshot the loaded index came from ('' when there is none yet). */
  private snapshot: string;
  /** Bytes of the log applied to the loaded index (header included). */
  private logApplied: number;
  private logIno: number;
  /** False when the log on disk belongs to another generation (or is missing): the next write checkpoints. */
  private logValid: boolean;
  private checkpointWanted: boolean;
  /** File removals of the running transaction, done once its index change is committed. */
  private afterCommit: (() => void)[] | undefined;
  /** Statements of the running transaction, appended to the log when it commits. */
  private tx: Statement[] | undefined;
  /** File names and codec of the loaded store (plain: the codec is undefined, and no byte is copied for it). */
  private layout: StoreLayout;
  private codec: StoreCodec | undefined;
  private manifestSig: string;

  private constructor(readonly dir: string, loaded: LoadedIndex, private readonly lock: LockOptions, private readonly logLimit: { bytes: number; grow: boolean }, private readonly keys: StoreKeyProvider | undefined) {
    this.db = loaded.db;
    this.snapshot = loaded.snapshot;
    this.logApplied = loaded.logApplied;
    this.logIno = loaded.logIno;
    this.logValid = loaded.logValid;
    this.checkpointWanted = loaded.migrated;
    this.layout = loaded.layout;
    this.codec = loaded.codec;
    this.manifestSig = loaded.manifest;
  }

  get indexFile(): string { return path.join(this.dir, this.layout.index); }
  get logFile(): string { return path.join(this.dir, this.layout.log); }
  get blobDir(): string { return path.join(this.dir, this.layout.blobs); }
  /** The file whose lock every writer takes: the same whatever the encryption (a conversion renames the rest). */
  get lockFile(): string { return storeLockFile(this.dir); }
  /** The encryption of the loaded store (undefined: plain). */
  get encryption(): StoreManifest | undefined { return this.codec?.manifest; }

  /** Opens (creating if needed) the store in `dir`. A corrupt index is a {@link StoreError}, never overwritten. */
  static async open(dir: string, opts: VersionStoreOptions = {}): Promise<VersionStore> {
    // An explicit `checkpointBytes` is a fixed limit (tests); the default also grows with the snapshot.
    const limit = opts.checkpointBytes !== undefined ? { bytes: opts.checkpointBytes, grow: false } : { bytes: DEFAULT_CHECKPOINT_BYTES, grow: true };
    return new VersionStore(dir, await VersionStore.load(dir, opts.keys), opts.lock ?? {}, limit, opts.keys);
  }

  /**
   * Reads the snapshot and replays the log on top of it (decrypting both when the manifest says so). Also for
   * {@link convertStore}, under the lock.
   */
  static async load(dir: string, keys: StoreKeyProvider | undefined): Promise<LoadedIndex> {
    const SQL = await loadSqlJs();
    const manifestSig = manifestSignature(dir);
    let manifest: StoreManifest | undefined;
    try { manifest = manifestSig ? readManifest(dir) : undefined; } catch (e) {
      if (e instanceof KeyError) throw new StoreError(path.join(dir, MANIFEST_FILE), e.message);
      throw e;
    }
    const codec = manifest ? await codecFor(dir, manifest, keys) : undefined;
    const layout = layoutOf(manifest);
    const file = path.join(dir, layout.index);
    let db: Database;
    let snapshot = '';
    if (fs.existsSync(file)) {
      try {
        snapshot = fileSignature(fs.statSync(file));
        const bytes = fs.readFileSync(file);
        db = new SQL.Database(codec ? codec.decode(bytes) : bytes);
        db.exec('SELECT count(*) FROM sqlite_master');
      } catch (e) {
        if (e instanceof DecryptError) throw new StoreError(file, `the version store index cannot be decrypted: ${e.message}. Nothing was overwritten; give the right key, or restore the file from a backup.`);
        throw new StoreError(file, `the version store index cannot be read (${(e as Error).message}). Move it aside to start a new index; blobs in ${path.join(dir, layout.blobs)} are kept.`);
      }
    } else db = new SQL.Database();
    db.exec(SCHEMA);
    const migrated = migrate(db);
    const loaded: LoadedIndex = { db, snapshot, logApplied: 0, logIno: 0, logValid: false, migrated, layout, codec, manifest: manifestSig };
    if (snapshot) VersionStore.replay(loaded, path.join(dir, layout.log), 0);
    return loaded;
  }

  /**
   * Applies the complete transactions of the log from byte `from` (0: check the header's generation first).
   * An incomplete last line is a write in progress or torn by a crash: not applied, and cut off before the
   * next append. A broken line with complete lines after it is corruption, reported rather than skipped.
   */
  private static replay(into: LoadedIndex, logFile: string, from: number): void {
    let buf: Buffer;
    let st: fs.Stats;
    try {
      st = fs.statSync(logFile);
      buf = fs.readFileSync(logFile);
    } catch { into.logValid = false; return; } // no log: everything is in the snapshot
    into.logIno = st.ino;
    let pos = from;
    if (from === 0) {
      const nl = buf.indexOf(0x0a);
      let gen: unknown;
      try { gen = nl > 0 ? (JSON.parse(buf.subarray(0, nl).toString('utf8')) as { gen?: unknown }).gen : undefined; } catch { gen = undefined; }
      // Another generation: a crash hit between a snapshot and its new log; the snapshot already holds it.
      if (gen === undefined || gen !== generationOf(into.db)) { into.logValid = false; return; }
      pos = nl + 1;
    }
    into.logValid = true;
    while (pos < buf.length) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break; // incomplete: not committed (yet)
      let tx: Statement[];
      try {
        const line = into.codec ? into.codec.decode(buf.subarray(pos, nl)) : buf.subarray(pos, nl);
        tx = (JSON.parse(line.toString('utf8')) as { tx: Statement[] }).tx;
        if (!Array.isArray(tx)) throw new Error('no statements');
      } catch (e) {
        const why = e instanceof DecryptError ? `it cannot be decrypted: ${e.message}` : (e as Error).message;
        throw new StoreError(logFile, `the version store log is corrupt at byte ${pos} (${why}). Nothing was overwritten. Move ${path.basename(logFile)} aside: the versions it recorded since the last snapshot are lost, ${into.layout.index} and the blobs are kept.`);
      }
      for (const [sql, params] of tx) into.db.run(sql, params);
      pos = nl + 1;
    }
    into.logApplied = pos;
  }

  /** Runs `fn` under the store lock on a fresh copy of the index, then persists what it changed. */
  async transact<T>(fn: (store: VersionStore) => T | Promise<T>): Promise<T> {
    ensureDir(this.dir);
    return withFileLock(this.lockFile, async () => {
      await this.reloadIfChanged();
      this.tx = [];
      this.afterCommit = [];
      try {
        const result = await fn(this);
        this.flush();
        // Only now that the index no longer names them may files be removed (a kill before this point leaves
        // garbage, never an index entry without its blob).
        for (const f of this.afterCommit) f();
        return result;
      } catch (e) {
        // Nothing of a failed transaction may survive, not even in memory (a later commit would persist it).
        this.tx = undefined;
        this.afterCommit = [];
        this.snapshot = '\0';
        await this.reloadIfChanged();
        throw e;
      } finally {
        this.tx = undefined;
        this.afterCommit = undefined;
      }
    }, this.lock);
  }

  private async reloadIfChanged(): Promise<void> {
    // Another process encrypted, decrypted or re-keyed the store: other files, another codec.
    if (manifestSignature(this.dir) !== this.manifestSig) { await this.replaceWith(await VersionStore.load(this.dir, this.keys)); return; }
    let st: fs.Stats | undefined;
    try { st = fs.statSync(this.indexFile); } catch { st = undefined; }
    if (!st) {
      if (this.snapshot === '') return; // nothing on disk yet, and nothing loaded from it
      // The loaded index must be dropped (a failed first transaction): start from an empty one again.
      await this.replaceWith(await VersionStore.load(this.dir, this.keys));
      return;
    }
    if (fileSignature(st) !== this.snapshot) {
      await this.replaceWith(await VersionStore.load(this.dir, this.keys));
      return;
    }
    // Same snapshot: another process may have appended transactions, or started a new log.
    let ls: fs.Stats;
    try { ls = fs.statSync(this.logFile); } catch { return; }
    if (ls.ino !== this.logIno || ls.size < this.logApplied) { await this.replaceWith(await VersionStore.load(this.dir, this.keys)); return; }
    if (ls.size > this.logApplied && this.logValid) {
      const loaded: LoadedIndex = {
        db: this.db, snapshot: this.snapshot, logApplied: this.logApplied, logIno: this.logIno, logValid: true, migrated: false, layout: this.layout, codec: this.codec, manifest: this.manifestSig,
      };
      VersionStore.replay(loaded, this.logFile, this.logApplied);
      this.logApplied = loaded.logApplied;
    }
  }

  private async replaceWith(loaded: LoadedIndex): Promise<void> {
    this.db.close();
    this.db = loaded.db;
    this.snapshot = loaded.snapshot;
    this.logApplied = loaded.logApplied;
    this.logIno = loaded.logIno;
    this.logValid = loaded.logValid;
    this.checkpointWanted ||= loaded.migrated;
    this.layout = loaded.layout;
    this.codec = loaded.codec;
    this.manifestSig = loaded.manifest;
  }

  /** Re-reads the index if another process changed it, without writing (for read-only listings such as a dry run). */
  async reload(): Promise<void> {
    await this.reloadIfChanged();
  }

  /** Runs a statement that changes the index, and records it for the transaction's log line. */
  private write(sql: string, params: SqlParam[]): void {
    this.db.run(sql, params);
    this.tx?.push([sql, params]);
  }

  /** Commits the running transaction: one appended log line, or a new snapshot when one is due. */
  private flush(): void {
    const stmts = this.tx ?? [];
    const hasSnapshot = this.snapshot !== '' && fs.existsSync(this.indexFile);
    if (stmts.length === 0 && !this.checkpointWanted && hasSnapshot) return; // read-only: nothing to write
    const json = JSON.stringify({ tx: stmts });
    // Encrypted: one Fernet token a line (url-safe base64, so never a newline inside).
    const line = Buffer.from((this.codec ? this.codec.encode(Buffer.from(json)).toString('ascii') : json) + '\n');
    const limit = this.logLimit.grow ? Math.max(this.logLimit.bytes, this.snapshotBytes() / 2) : this.logLimit.bytes;
    if (!hasSnapshot || this.checkpointWanted || !this.logValid || this.logApplied + line.length > limit) {
      this.checkpoint();
      return;
    }
    writePoint();
    const fd = fs.openSync(this.logFile, 'r+');
    try {
      fs.ftruncateSync(fd, this.logApplied); // drop a tail a crashed writer left half-written
      fs.writeSync(fd, line, 0, line.length, this.logApplied);
      fs.fsyncSync(fd);
    } finally { fs.closeSync(fd); }
    this.logApplied += line.length;
  }

  private snapshotBytes(): number {
    const size = Number(this.snapshot.split(':')[1]);
    return Number.isFinite(size) ? size : 0;
  }

  /** Writes the whole index as a new snapshot and starts an empty log of the new generation. */
  private checkpoint(): void {
    const gen = `${Date.now().toString(36)}-${crypto.randomBytes(6).toString('hex')}`;
    this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [GENERATION_KEY, gen]);
    const image = this.db.export();
    writeFileAtomic(this.indexFile, this.codec ? this.codec.encode(image) : image);
    this.snapshot = fileSignature(fs.statSync(this.indexFile));
    const header = Buffer.from(JSON.stringify({ gen }) + '\n');
    writeFileAtomic(this.logFile, header);
    this.logIno = fs.statSync(this.logFile).ino;
    this.logApplied = header.length;
    this.logValid = true;
    this.checkpointWanted = false;
  }

  private blobPath(hash: string): string {
    return path.join(this.dir, this.layout.blobs, hash.slice(0, 2), hash.slice(2));
  }

  /** Stores bytes as a blob (no-op when present) and returns their SHA-256. */
  putBlob(data: Buffer): string {
    const hash = crypto.createHash('sha256').update(data).digest('hex');
    const p = this.blobPath(hash);
    // Staged in the store's own folder, so what a killed writer leaves is found there without listing 256 blob folders.
    if (!fs.existsSync(p)) writeFileAtomic(p, this.codec ? this.codec.encode(data) : data, {}, 0o444, { tempDir: this.dir });
    return hash;
  }

  /** Reads a blob, verifying its hash. */
  readBlob(hash: string): Buffer {
    const p = this.blobPath(hash);
    let data: Buffer;
    try { data = fs.readFileSync(p); } catch {
      throw new StoreError(p, 'a stored version is missing from the version store (was the store pruned or moved?)');
    }
    if (this.codec) {
      try { data = this.codec.decode(data); } catch (e) {
        if (!(e instanceof DecryptError)) throw e;
        const rekeyed = manifestSignature(this.dir) !== this.manifestSig ? ' The store was re-encrypted by another process since it was opened: open it again.' : '';
        throw new StoreError(p, `a stored version cannot be decrypted: ${e.message}.${rekeyed} Nothing was overwritten.`);
      }
    }
    if (crypto.createHash('sha256').update(data).digest('hex') !== hash) {
      throw new StoreError(p, 'a stored version is corrupt (its content no longer matches its hash); it cannot be used as a merge base');
    }
    return data;
  }

  /**
   * Stores the content of an artifact on disk (junk excluded) and returns its tree. Call inside
   * {@link transact} so the index change is persisted.
   */
  putArtifact(absPath: string, exclusions?: ExclusionMatcher): StoredTree {
    const entries = walkArtifact(absPath, exclusions);
    if (!entries) throw new StoreError(absPath, 'nothing to store: the artifact does not exist');
    const kind: 'dir' | 'file' = entries.length === 1 && entries[0].rel === '' ? 'file' : 'dir';
    const files: StoredFile[] = [];
    const contents: { rel: string; data: Buffer }[] = [];
    for (const e of entries) {
      if (e.junk) continue;
      const data = fs.readFileSync(e.abs);
      files.push({ rel: e.rel, blob: this.putBlob(data), norm: hashNormalised(data), mode: e.mode & 0o777, size: data.length });
      contents.push({ rel: e.rel, data });
    }
    return this.putTree(kind, files, skillmeatHashOf(contents, kind));
  }

  /** Stores in-memory content (e.g. a merge result) as a tree. */
  putContent(kind: 'dir' | 'file', content: { rel: string; data: Buffer; mode?: number }[]): StoredTree {
    const sorted = [...content].sort((a, b) => comparePathParts(a.rel, b.rel));
    const files = sorted.map((c) => ({ rel: c.rel, blob: this.putBlob(c.data), norm: hashNormalised(c.data), mode: c.mode ?? 0o644, size: c.data.length }));
    return this.putTree(kind, files, skillmeatHashOf(sorted, kind));
  }

  private putTree(kind: 'dir' | 'file', files: StoredFile[], contentHash: string): StoredTree {
    const treeHash = treeHashOf(files);
    this.write('INSERT OR IGNORE INTO trees (tree_hash, content_hash, kind, files, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      treeHash, contentHash, kind, JSON.stringify(files.map((f) => [f.rel, f.blob, f.norm, f.mode, f.size])),
      files.reduce((n, f) => n + f.size, 0), new Date().toISOString(),
    ]);
    return { treeHash, contentHash, kind, files };
  }

  /** A stored tree by our tree hash. */
  getTree(treeHash: string): StoredTree | undefined {
    const st = this.db.prepare('SELECT tree_hash, content_hash, kind, files FROM trees WHERE tree_hash = ?');
    try {
      st.bind([treeHash]);
      if (!st.step()) return undefined;
      return rowToTree(st.get());
    } finally { st.free(); }
  }

  /** A stored tree by SkillMeat content hash (the newest one, if several share it). */
  treeByContentHash(contentHash: string): StoredTree | undefined {
    const st = this.db.prepare('SELECT tree_hash, content_hash, kind, files FROM trees WHERE content_hash = ? ORDER BY created_at DESC LIMIT 1');
    try {
      st.bind([contentHash.toLowerCase()]);
      if (!st.step()) return undefined;
      return rowToTree(st.get());
    } finally { st.free(); }
  }

  /** {@link BaselineLookup} for drift checks. */
  baselineFiles(ref: { treeHash?: string; contentHash?: string }): { tree: string; files: { rel: string; norm: string }[] } | undefined {
    const t = (ref.treeHash && this.getTree(ref.treeHash)) || (ref.contentHash && this.treeByContentHash(ref.contentHash)) || undefined;
    return t ? { tree: t.treeHash, files: t.files } : undefined;
  }

  /** Records that `artifactKey` had content `treeHash`; returns the new version id. */
  addVersion(v: { artifactKey: string; treeHash: string; origin: string; status?: string; at?: string; pinned?: boolean; supersedes?: number; note?: string; project?: string; captureId?: string }): number {
    const values: SqlParam[] = [
      v.artifactKey, v.treeHash, v.origin, v.status ?? 'captured', v.at ?? new Date().toISOString(), v.pinned ? 1 : 0, v.supersedes ?? null, v.note ?? null,
      v.project ?? null, v.captureId ?? null,
    ];
    this.db.run('INSERT INTO versions (artifact_key, tree_hash, origin, status, at, pinned, supersedes, note, project, capture_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', values);
    const id = Number(this.db.exec('SELECT last_insert_rowid()')[0].values[0][0]);
    // The log names the id, so a replay gives every version the id its writer saw.
    this.tx?.push(['INSERT INTO versions (id, artifact_key, tree_hash, origin, status, at, pinned, supersedes, note, project, capture_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [id, ...values]]);
    return id;
  }

  /**
   * Versions of an artifact, newest first. With `project`, only that project's captures and the versions
   * shared by every project (deploy, sync); `limit` keeps a long history cheap to list.
   */
  history(artifactKey: string, opts: { project?: string; limit?: number } = {}): VersionEntry[] {
    const where = opts.project !== undefined ? 'artifact_key = ? AND (project IS NULL OR project = ?)' : 'artifact_key = ?';
    const params: (string | number)[] = opts.project !== undefined ? [artifactKey, opts.project] : [artifactKey];
    const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : '';
    const res = this.db.exec(`SELECT ${VERSION_COLUMNS} FROM versions WHERE ${where} ORDER BY id DESC${limit}`, params);
    return (res[0]?.values ?? []).map(rowToVersion);
  }

  /** One version by id. */
  version(id: number): VersionEntry | undefined {
    const res = this.db.exec(`SELECT ${VERSION_COLUMNS} FROM versions WHERE id = ?`, [id]);
    return res[0] ? rowToVersion(res[0].values[0]) : undefined;
  }

  /** Every version recorded for one project (captures), oldest first. */
  projectVersions(project: string): VersionEntry[] {
    const res = this.db.exec(`SELECT ${VERSION_COLUMNS} FROM versions WHERE project = ? ORDER BY id`, [project]);
    return (res[0]?.values ?? []).map(rowToVersion);
  }

  /** The version id of a capture policy entry, if it was stored. */
  versionIdByCaptureId(captureId: string): number | undefined {
    const res = this.db.exec('SELECT id FROM versions WHERE capture_id = ? ORDER BY id DESC LIMIT 1', [captureId]);
    return res[0] ? Number(res[0].values[0][0]) : undefined;
  }

  /** Tree hashes of pinned versions and of versions with one of `origins` (snapshots that must outlive pruning). */
  treeHashesOf(opts: { origins: readonly string[]; pinned: boolean }): Set<string> {
    const marks = opts.origins.map(() => '?').join(', ');
    const where = [opts.origins.length ? `origin IN (${marks})` : '', opts.pinned ? 'pinned = 1' : ''].filter(Boolean).join(' OR ') || '0';
    const res = this.db.exec(`SELECT DISTINCT tree_hash FROM versions WHERE ${where}`, [...opts.origins]);
    return new Set((res[0]?.values ?? []).map((r) => String(r[0])));
  }

  /** Pins or unpins a version (pinned versions are never pruned); false when there is no such version. */
  setPinned(id: number, pinned: boolean): boolean {
    this.write('UPDATE versions SET pinned = ? WHERE id = ?', [pinned ? 1 : 0, id]);
    return this.db.getRowsModified() > 0;
  }

  /**
   * Deletes versions, then the trees only they referenced and the blobs no remaining tree uses. Call inside
   * {@link transact}: the lock is what makes the "no longer referenced" check safe against another writer.
   */
  deleteVersions(ids: readonly number[]): DeletedVersions {
    const out: DeletedVersions = { versions: 0, trees: 0, blobs: 0, blobBytes: 0 };
    if (ids.length === 0) return out;
    const candidates = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const marks = chunk.map(() => '?').join(', ');
      for (const r of this.db.exec(`SELECT DISTINCT tree_hash FROM versions WHERE id IN (${marks})`, [...chunk])[0]?.values ?? []) candidates.add(String(r[0]));
      this.write(`DELETE FROM versions WHERE id IN (${marks})`, [...chunk]);
      out.versions += this.db.getRowsModified();
    }
    // A tree still named by any version (another artifact, a deploy, a sync snapshot) stays.
    const named = new Set((this.db.exec('SELECT DISTINCT tree_hash FROM versions')[0]?.values ?? []).map((r) => String(r[0])));
    const orphanBlobs = new Set<string>();
    for (const tree of candidates) {
      if (named.has(tree)) continue;
      const t = this.getTree(tree);
      if (!t) continue;
      this.write('DELETE FROM trees WHERE tree_hash = ?', [tree]);
      out.trees++;
      for (const f of t.files) orphanBlobs.add(f.blob);
    }
    if (orphanBlobs.size === 0) return out;
    const used = this.referencedBlobs();
    const doomed: string[] = [];
    for (const blob of orphanBlobs) {
      if (used.has(blob)) continue;
      const p = this.blobPath(blob);
      try { out.blobBytes += fs.statSync(p).size; out.blobs++; doomed.push(p); } catch { /* already gone */ }
    }
    this.removeAfterCommit(doomed);
    return out;
  }

  /**
   * Deletes blob files no tree names any more: what a prune or a failed transaction killed between its index
   * commit and its file removals left behind. Call inside {@link transact} (the lock keeps other writers' new blobs
   * out of reach); files younger than `minAgeMs` are left, as a margin for writers that do not take the lock.
   */
  sweepUnreferencedBlobs(minAgeMs = 10 * 60_000): { blobs: number; blobBytes: number } {
    const out = { blobs: 0, blobBytes: 0 };
    const used = this.referencedBlobs();
    const doomed: string[] = [];
    const cutoff = Date.now() - minAgeMs;
    let dirs: string[];
    try { dirs = fs.readdirSync(this.blobDir); } catch { return out; }
    for (const d of dirs) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      let names: string[];
      try { names = fs.readdirSync(path.join(this.blobDir, d)); } catch { continue; }
      for (const n of names) {
        if (!/^[0-9a-f]{62}$/.test(n) || used.has(d + n)) continue;
        const p = path.join(this.blobDir, d, n);
        try {
          const st = fs.statSync(p);
          if (st.mtimeMs > cutoff) continue;
          out.blobs++; out.blobBytes += st.size; doomed.push(p);
        } catch { /* gone meanwhile */ }
      }
    }
    this.removeAfterCommit(doomed);
    return out;
  }

  /** Every blob some tree names. */
  private referencedBlobs(): Set<string> {
    const used = new Set<string>();
    for (const r of this.db.exec('SELECT files FROM trees')[0]?.values ?? []) {
      for (const f of JSON.parse(String(r[0])) as [string, string][]) used.add(f[1]);
    }
    return used;
  }

  /** Deletes files once the transaction's index commit is on disk (at once outside a transaction). */
  private removeAfterCommit(files: readonly string[]): void {
    const remove = () => { for (const p of files) fs.rmSync(p, { force: true }); };
    if (this.afterCommit) this.afterCommit.push(remove); else remove();
  }

  /** Share of the index's pages that are free (left by deletions); a VACUUM would give them back. */
  freePageRatio(): number {
    const n = (pragma: string) => Number(this.db.exec(`PRAGMA ${pragma}`)[0]?.values[0][0] ?? 0);
    const pages = n('page_count');
    return pages > 0 ? n('freelist_count') / pages : 0;
  }

  /** Rewrites the index without free pages (sql.js exports the whole file, free pages included); a new snapshot follows. */
  compact(): void {
    this.db.exec('VACUUM');
    this.checkpointWanted = true;
  }

  /** A key-value slot for small bookkeeping (e.g. the last sync for undo). */
  getMeta(key: string): string | undefined {
    const res = this.db.exec('SELECT value FROM meta WHERE key = ?', [key]);
    return res[0] ? String(res[0].values[0][0]) : undefined;
  }

  /** Every bookkeeping value whose key starts with `prefix`. */
  metaWithPrefix(prefix: string): Map<string, string> {
    // A range instead of LIKE: keys hold paths, and `%` or `_` in a path must not match anything else.
    const res = this.db.exec('SELECT key, value FROM meta WHERE key >= ? AND key < ? ORDER BY key', [prefix, prefix + '\uffff']);
    return new Map((res[0]?.values ?? []).map((r) => [String(r[0]), String(r[1])]));
  }

  setMeta(key: string, value: string): void {
    this.write('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /** Writes a stored tree out to `dest` (a directory, or a file for single-file artifacts). */
  materialize(treeHash: string, dest: string): string {
    const tree = this.getTree(treeHash);
    if (!tree) throw new StoreError(this.indexFile, `version ${treeHash.slice(0, 12)} is not in the version store`);
    if (tree.kind === 'file') {
      writeFileAtomic(dest, this.readBlob(tree.files[0].blob), {}, tree.files[0].mode || 0o644);
      return dest;
    }
    ensureDir(dest);
    for (const f of tree.files) writeFileAtomic(path.join(dest, ...f.rel.split('/')), this.readBlob(f.blob), {}, f.mode || 0o644);
    return dest;
  }

  /** Reads one file of a stored tree ('' for a single-file artifact). */
  readFile(treeHash: string, rel: string): Buffer | undefined {
    const f = this.getTree(treeHash)?.files.find((x) => x.rel === rel);
    return f ? this.readBlob(f.blob) : undefined;
  }

  /** Size of the store on disk: blobs, and the index (snapshot and log), in bytes. */
  diskUsage(): { blobs: number; index: number; blobCount: number } {
    let blobs = 0;
    let blobCount = 0;
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else { blobs += fs.statSync(path.join(d, e.name)).size; blobCount++; }
      }
    };
    if (fs.existsSync(this.blobDir)) walk(this.blobDir);
    const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    return { blobs, blobCount, index: size(this.indexFile) + size(this.logFile) };
  }

  close(): void { this.db.close(); }
}

// ---- encrypting, decrypting, re-keying: a conversion of the whole store ----

/** What {@link convertStore} did. */
export interface ConvertReport { from?: StoreManifest; to?: StoreManifest; blobs: number; blobBytes: number; versions: number; leftovers: number; skipped?: boolean }

export interface ConvertOptions {
  /** The key of the store as it is now (when it is encrypted). */
  keys?: StoreKeyProvider;
  lock?: LockOptions;
  onProgress?: (done: number, total: number) => void;
  /**
   * Decided under the lock, on the store as it is then: false skips the conversion (another window made the same
   * change first). Default: always convert.
   */
  when?: (current: StoreManifest | undefined) => boolean;
  /** Test hook between the steps; throwing there leaves the store as a kill at that point would. */
  step?: (name: 'staged' | 'committed') => void;
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try { fd = fs.openSync(p, 'r'); fs.fsyncSync(fd); } catch { /* not supported here */ } finally { if (fd !== undefined) fs.closeSync(fd); }
}

/**
 * Converts the store in `dir` to `target` (a key and its manifest; undefined: plain), under the store lock. Every
 * blob is read with the current key, checked against its hash, and written with the new one into the new layout's
 * folder; the index (snapshot and log folded together) becomes one new snapshot. Only then is the manifest replaced
 * (or removed): that one atomic step is the commit, so a kill before it leaves the old store and after it the new
 * one, each readable, and what the other one left is removed by the next conversion. A blob or an index that
 * cannot be decrypted or does not match its hash stops the conversion before the commit: nothing is overwritten.
 */
export async function convertStore(dir: string, target: { key: string; manifest: StoreManifest } | undefined, opts: ConvertOptions = {}): Promise<ConvertReport> {
  ensureDir(dir);
  return withFileLock(storeLockFile(dir), async () => {
    if (opts.when && !opts.when(readManifest(dir))) return { blobs: 0, blobBytes: 0, versions: 0, leftovers: 0, skipped: true };
    const current = await VersionStore.load(dir, opts.keys);
    try {
      const from = current.codec?.manifest;
      const report: ConvertReport = { from, to: target?.manifest, blobs: 0, blobBytes: 0, versions: 0, leftovers: 0 };
      if (!from && !target) return report;
      if (from && target && from.keyId === target.manifest.keyId) throw new StoreError(path.join(dir, MANIFEST_FILE), `the store is already encrypted with this key (${from.keyId}); nothing was changed`);
      const codec = target ? new StoreCodec(target.key, target.manifest) : undefined;
      const to = layoutOf(target?.manifest);
      // What an interrupted conversion left goes first: the side that did not commit, and dead writers' temp files.
      report.leftovers += recoverInterruptedWrites([dir]).removed.length;
      for (const name of fs.readdirSync(dir)) {
        if (!isLayoutName(name) || name === current.layout.index || name === current.layout.log || name === current.layout.blobs) continue;
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
        report.leftovers++;
      }
      // Blobs: every file of the current blob folder, verified, re-encoded.
      const src = path.join(dir, current.layout.blobs);
      const dst = path.join(dir, to.blobs);
      const files: string[] = [];
      for (const d of fs.existsSync(src) ? fs.readdirSync(src) : []) {
        if (!/^[0-9a-f]{2}$/.test(d)) continue;
        for (const n of fs.readdirSync(path.join(src, d))) if (/^[0-9a-f]{62}$/.test(n)) files.push(path.join(d, n));
      }
      ensureDir(dst);
      const made = new Set<string>();
      for (const rel of files) {
        const file = path.join(src, rel);
        let data: Buffer = fs.readFileSync(file);
        if (current.codec) {
          try { data = current.codec.decode(data); } catch (e) {
            if (e instanceof DecryptError) throw new StoreError(file, `cannot be decrypted: ${e.message}. The conversion stopped; nothing was overwritten.`);
            throw e;
          }
        }
        if (crypto.createHash('sha256').update(data).digest('hex') !== rel.replace(path.sep, '')) {
          throw new StoreError(file, 'a stored version is corrupt (its content no longer matches its hash). The conversion stopped; nothing was overwritten. Move the file aside to go on without it.');
        }
        const out = path.join(dst, rel);
        if (!made.has(path.dirname(out))) { ensureDir(path.dirname(out)); made.add(path.dirname(out)); }
        const fd = fs.openSync(out, 'w', 0o444);
        try { fs.writeFileSync(fd, codec ? codec.encode(data) : data); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
        writePoint();
        report.blobs++;
        report.blobBytes += data.length;
        opts.onProgress?.(report.blobs, files.length);
      }
      for (const d of made) fsyncPath(d);
      fsyncPath(dst);
      // The index: one new snapshot of a new generation, and its empty log.
      const gen = `${Date.now().toString(36)}-${crypto.randomBytes(6).toString('hex')}`;
      current.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [GENERATION_KEY, gen]);
      report.versions = Number(current.db.exec('SELECT count(*) FROM versions')[0]?.values[0][0] ?? 0);
      const image = current.db.export();
      writeFileAtomic(path.join(dir, to.index), codec ? codec.encode(image) : image);
      writeFileAtomic(path.join(dir, to.log), JSON.stringify({ gen }) + '\n');
      opts.step?.('staged');
      writePoint();
      // The commit.
      if (target) writeFileAtomic(path.join(dir, MANIFEST_FILE), manifestText(target.manifest), {}, 0o644);
      else { fs.rmSync(path.join(dir, MANIFEST_FILE)); fsyncPath(dir); }
      writePoint();
      opts.step?.('committed');
      for (const name of [current.layout.index, current.layout.log, current.layout.blobs]) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      return report;
    } finally {
      current.db.close();
    }
  }, opts.lock);
}

function rowToTree(r: unknown[]): StoredTree {
  const files = (JSON.parse(String(r[3])) as [string, string, string, number, number][]).map(([rel, blob, norm, mode, size]) => ({ rel, blob, norm, mode, size }));
  return { treeHash: String(r[0]), contentHash: String(r[1]), kind: String(r[2]) as 'dir' | 'file', files };
}

/** Opens the store for a read-only check: a missing or broken store is reported, never fatal. */
export async function openStoreForCheck(dir: string, opts: { lock?: LockOptions; keys?: StoreKeyProvider } = {}): Promise<{ store?: VersionStore; problem?: string }> {
  if (!fs.existsSync(path.join(dir, 'index.sqlite')) && !fs.existsSync(path.join(dir, MANIFEST_FILE))) return {};
  try { return { store: await VersionStore.open(dir, opts) }; } catch (e) { return { problem: (e as Error).message }; }
}

