// A persisted stat cache for the CLI (issue 13): what a check hashed, remembered between processes, so a check
// where nothing changed costs stats, no reads. Per artifact (by absolute path): every file's (relative path,
// device, inode, size, mtime, ctime, junk), every folder's (device, inode, mtime, ctime), and the hashes computed
// from them — our tree hash and per-file hashes always, SkillMeat's three forms when they were asked for. A hit
// needs every file's key equal, ctime included, so a `cp -p` (or `touch -r`) that restores an old mtime is still
// seen; any doubt is a miss. A folder whose keys are unchanged is not listed again: creating, removing or renaming
// an entry changes its mtime and ctime (as git's untracked cache assumes); folders changed within the racy margin
// of a check, or holding links, are always listed.
//
// It lives in the version store's folder ($SKILLMEAT_HOME/sync), never in a project or a collection; it is
// written atomically (temp + rename) and only when something new was hashed; a cache that cannot be read or
// parsed, or has another version, is ignored (and replaced by the next save) — never a wrong answer. Bounded: at
// most MAX_ARTIFACTS artifacts, those seen by the latest check kept first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../store/fsutil';
import * as crypto from 'node:crypto';
import type { ArtifactHash, FileEntry, WalkProblem, WalkShape } from './hashing';
import type { CachedRecordView, RecordsCache } from './drift';

// v3, a text file: a header line, one line of JSON with the parsed records files, then one line per artifact —
// its absolute path, a tab, and its fields tab-separated — decoded only when a check asks for that artifact. v1 (one
// JSON document, an array per file) took longer to parse and check than the stats it saved (120 ms of a 600 ms
// warm check); JSON strings holding tabs are slow to parse too (each tab is an escape). v3 adds each artifact's
// folders and their keys, so an unchanged artifact is verified by stats alone, without listing a folder (listing was
// a fifth of a warm check), and packs the keys instead of printing them.
const HEADER = 'skillmeat-sync stat cache v3';
export const STAT_CACHE_DIR = 'stat-cache';
const VERSION = 3;
export const STAT_CACHE_FILE = `v${VERSION}.txt`;
const FILE = STAT_CACHE_FILE;
/** Files of earlier versions, removed when this one is written. */
const OLD_FILES = ['v1.json', 'v2.txt'];
export const MAX_ARTIFACTS = 50_000;
export const MAX_RECORD_FILES = 1_000;

/**
 * One artifact, as stored: 15 tab-separated fields —
 * `kind tree smAll smClean smCleanLf norms binary trusted exclusions dirs dirKeys rels junk count keys`:
 * - `norms`: the concatenated 64-hex normalised hash of each non-junk file; `binary`: one 0/1 per non-junk file; the
 *   three SkillMeat forms are empty when they were never computed;
 * - `rels`: the files' relative paths in walk order, joined by US (0x1f); `junk`: one 0/1 per file; `count`: how
 *   many files; `keys`: per file (dev, ino, size, mtimeMs, ctimeMs) as little-endian doubles, in base64 (packing the
 *   numbers, rather than printing them, is what keeps a warm check cheap); `exclusions`: the key of the junk rules
 *   the flags were computed with (ExclusionMatcher.key);
 * - `dirs`: the artifact's folders in walk order (its own first, as ''), joined by US, and `dirKeys`: per folder
 *   (dev, ino, mtimeMs, ctimeMs), packed the same way; `trusted` is 1 when an unchanged set of folder keys may stand
 *   for an unchanged listing, empty when the walk met a link or an unreadable folder, or a folder had changed too
 *   recently to trust (racy) — such an artifact is always walked.
 * A path holding a tab, a line break or US is not stored.
 */
type Stored = string;

const US = '\x1f';
const N_FIELDS = 15;
const F = { kind: 0, tree: 1, smAll: 2, smClean: 3, smCleanLf: 4, norms: 5, binary: 6, trusted: 7, exclusions: 8, dirs: 9, dirKeys: 10, rels: 11, junk: 12, count: 13, keys: 14 } as const;
const FILE_KEYS = 5;
const DIR_KEYS = 4;

interface Decoded {
  kind: 'dir' | 'file';
  tree: string;
  sm?: [string, string, string];
  norms: string;
  binary: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
/**
 * Hex digits throughout (norms: 64 per file): decoded natively, which stops at the first pair that is not hex — the
 * regular expression it replaces was the largest single cost of checking 2 200 lines. (Upper-case digits pass; the
 * tree hash, which decides the state, is checked exactly.)
 */
const isHex = (s: string): boolean => s.length % 2 === 0 && Buffer.from(s, 'hex').length === s.length / 2;
const BITS = /^[01]*$/;
const UNSTORABLE = /[\t\n\r\x1f]/;

/**
 * The split fields of a stored line, shape-checked (a cache edited by hand or cut short is not trusted): undefined
 * when anything is off.
 */
function fieldsOf(s: Stored): string[] | undefined {
  const f = s.split('\t');
  if (f.length !== N_FIELDS) return undefined;
  const count = Number(f[F.count]);
  const junk = f[F.junk];
  if (!Number.isInteger(count) || count < 0 || junk.length !== count || !BITS.test(junk) || (f[F.trusted] !== '' && f[F.trusted] !== '1')) return undefined;
  if (f[F.rels].split(US).length !== Math.max(count, 1) || f[F.keys].length !== base64Length(count * FILE_KEYS)) return undefined;
  const dirs = f[F.dirKeys] === '' ? 0 : f[F.dirs].split(US).length;
  if (f[F.dirKeys].length !== base64Length(dirs * DIR_KEYS)) return undefined;
  // A single file is one entry with no relative path, and has no folders; anything else is a folder.
  if ((f[F.kind] === 'file') !== (count === 1 && f[F.rels] === '') || (f[F.kind] === 'file' && dirs > 0)) return undefined;
  return f;
}

/** The artifact part of checked fields (hashes), checked in turn; undefined when malformed. */
function headOf(f: string[]): Decoded | undefined {
  const kind = f[F.kind];
  const [tree, a, b, c, norms, binary] = [f[F.tree], f[F.smAll], f[F.smClean], f[F.smCleanLf], f[F.norms], f[F.binary]];
  let included = 0;
  for (let i = 0; i < f[F.junk].length; i++) if (f[F.junk].charCodeAt(i) === 0x30) included++;
  if ((kind !== 'dir' && kind !== 'file') || !HEX64.test(tree)) return undefined;
  if (norms.length !== binary.length * 64 || binary.length !== included || !isHex(norms) || !BITS.test(binary)) return undefined;
  let sm: [string, string, string] | undefined;
  if (a || b || c) {
    if (!HEX64.test(a) || !HEX64.test(b) || !HEX64.test(c)) return undefined;
    sm = [a, b, c];
  }
  return { kind, tree, sm, norms, binary };
}

/** Base64 length of `n` packed doubles. */
const base64Length = (n: number): number => Math.ceil((n * 8) / 3) * 4;

// One scratch array for packing (grown when needed): a new array per artifact was 2 200 allocations of external
// memory per check, and the collections they brought.
let scratch = new Float64Array(1024);
const scratchFor = (n: number): Float64Array => (scratch.length >= n ? scratch : (scratch = new Float64Array(Math.max(n, scratch.length * 2))));
const base64Of = (a: Float64Array, n: number): string => Buffer.from(a.buffer, a.byteOffset, n * 8).toString('base64');

/** Files' keys packed as stored (see {@link Stored}): compared as one string, no number printed. */
function packFiles(entries: readonly FileEntry[]): string {
  const a = scratchFor(entries.length * FILE_KEYS);
  let o = 0;
  for (const e of entries) { a[o++] = e.dev; a[o++] = e.ino; a[o++] = e.size; a[o++] = e.mtimeMs; a[o++] = e.ctimeMs; }
  return base64Of(a, o);
}

/** Folders' keys packed as stored. */
function packDirs(dirs: readonly { dev: number; ino: number; mtimeMs: number; ctimeMs: number }[]): string {
  const a = scratchFor(dirs.length * DIR_KEYS);
  let o = 0;
  for (const d of dirs) { a[o++] = d.dev; a[o++] = d.ino; a[o++] = d.mtimeMs; a[o++] = d.ctimeMs; }
  return base64Of(a, o);
}

const relsOf = (entries: readonly FileEntry[]): string => entries.map((e) => e.rel).join(US);
const junkOf = (entries: readonly FileEntry[]): string => entries.map((e) => (e.junk ? '1' : '0')).join('');

/**
 * A hash from the cache. Its per-file list is built when read (a check reads it only for an artifact that differs
 * somewhere): building 20 000 of them for a warm check of unchanged artifacts was a tenth of its time.
 */
class CachedHash implements ArtifactHash {
  readonly kind: 'dir' | 'file';
  readonly tree: string;
  readonly skillmeat?: { all: string; clean: string; cleanLf: string };
  private built?: ArtifactHash['files'];

  constructor(private readonly d: Decoded, private readonly entries: readonly FileEntry[], readonly problems: WalkProblem[]) {
    this.kind = d.kind;
    this.tree = d.tree;
    if (d.sm) this.skillmeat = { all: d.sm[0], clean: d.sm[1], cleanLf: d.sm[2] };
  }

  get files(): ArtifactHash['files'] {
    if (this.built) return this.built;
    const files: ArtifactHash['files'] = [];
    let j = 0;
    for (const e of this.entries) {
      if (e.junk) continue;
      files.push({ rel: e.rel, norm: this.d.norms.slice(j * 64, j * 64 + 64), size: e.size, binary: this.d.binary.charCodeAt(j) === 0x31 });
      j++;
    }
    return (this.built = files);
  }
}

export interface StatCacheOptions {
  /**
   * A file whose ctime or mtime is this close to (or after) the moment it was hashed could change again within
   * the clock's granularity without its key changing (git's "racy clean"): such an artifact is not persisted.
   */
  racyMs?: number;
  maxArtifacts?: number;
  now?: () => number;
  /**
   * False: never take an unchanged folder's keys for an unchanged listing (every artifact is walked, as in v2), for
   * a file system that does not update a folder's mtime when an entry is added or removed (some network mounts).
   * The CLI reads it from SKILLMEAT_SYNC_TRUST_FOLDERS=0.
   */
  trustFolders?: boolean;
}

export class StatCache implements RecordsCache {
  /** Stored artifacts as read (undecoded) or written; split and checked on use. */
  private readonly stored = new Map<string, Stored>();
  /** Parsed records files by path: sha256 of the text parsed, and the views. */
  private readonly records = new Map<string, { h: string; v: CachedRecordView[] }>();
  private readonly seen = new Set<string>();
  private dirty = false;
  /** Artifacts this cache vouched for by stats alone, without a walk (for tests and benchmarks). */
  verifiedWithoutListing = 0;

  private constructor(readonly dir: string, private readonly opts: StatCacheOptions) {}

  /** Opens the cache in `dir` (created on save). Anything wrong with the file makes an empty cache. */
  static open(dir: string, opts: StatCacheOptions = {}): StatCache {
    const c = new StatCache(dir, opts);
    let text: string;
    try { text = fs.readFileSync(path.join(dir, FILE), 'utf8'); } catch { return c; }
    try {
      const lines = text.split('\n');
      if (lines[0] !== HEADER || lines.length < 2) throw new Error('unknown version');
      const r = JSON.parse(lines[1]) as unknown;
      if (typeof r === 'object' && r !== null) {
        for (const [file, x] of Object.entries(r as Record<string, { h?: unknown; v?: unknown }>)) {
          if (isHex64(x?.h) && Array.isArray(x.v) && x.v.every(validView)) c.records.set(file, x as { h: string; v: CachedRecordView[] });
        }
      }
      // Each artifact is checked when it is used: a check of one project does not pay for the others.
      for (let i = 2; i < lines.length; i++) {
        const tab = lines[i].indexOf('\t');
        if (tab > 0) c.stored.set(lines[i].slice(0, tab), lines[i].slice(tab + 1));
      }
    } catch {
      c.stored.clear();
      c.dirty = true; // replace the broken file on the next save
    }
    return c;
  }

  get size(): number { return this.stored.size; }

  /** True when the artifact at `abs` is remembered (whatever its files' keys). */
  has(abs: string): boolean { return this.stored.has(abs); }

  /** True when an artifact under `dir` is remembered: a check of it will likely be warm. */
  knowsUnder(dir: string): boolean {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    for (const k of this.stored.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  getRecords(file: string, text: string): CachedRecordView[] | undefined {
    const r = this.records.get(file);
    return r && r.h === textHash(text) ? r.v : undefined;
  }

  putRecords(file: string, text: string, views: readonly CachedRecordView[]): void {
    this.records.delete(file);
    this.records.set(file, { h: textHash(text), v: [...views] });
    this.dirty = true;
  }

  /** The stored line of `abs`, split and shape-checked; a malformed line is dropped (rewritten on save). */
  private fieldsFor(abs: string): string[] | undefined {
    const s = this.stored.get(abs);
    if (s === undefined) return undefined;
    const f = fieldsOf(s);
    if (!f) { this.stored.delete(abs); this.dirty = true; }
    return f;
  }

  /**
   * The artifact at `abs` verified without a walk: every folder it had and every file it had stat'ed, each with the
   * keys it had when it was hashed (an unchanged folder has the same entries, so no file was added, removed or
   * renamed; files by all five keys). Its entries and cached hash, or undefined — then the caller walks the artifact
   * as usual. Only for an artifact stored as trusted, with junk rules of key `exclusions`.
   */
  verify(abs: string, needSkillmeat: boolean, exclusions: string): { entries: FileEntry[]; hash: ArtifactHash } | undefined {
    const f = this.fieldsFor(abs);
    if (this.opts.trustFolders === false) return undefined;
    if (!f || f[F.trusted] !== '1' || f[F.exclusions] !== exclusions || (needSkillmeat && !f[F.smAll])) return undefined;
    const head = headOf(f);
    if (!head) return undefined;
    this.seen.add(abs);
    const sep = path.sep;
    const local = (rel: string) => (rel === '' ? abs : abs + sep + (sep === '/' ? rel : rel.split('/').join(sep)));
    // Any error (no permission, a path component now a file, a stale handle) only means "not verified": walk.
    const stat = (p: string): fs.Stats | undefined => { try { return fs.statSync(p, { throwIfNoEntry: false }); } catch { return undefined; } };
    if (head.kind === 'dir') {
      const rels = f[F.dirs].split(US);
      if (f[F.dirKeys] === '' || rels[0] !== '') return undefined; // the artifact's own folder comes first
      const dirs: fs.Stats[] = [];
      for (const rel of rels) {
        const st = stat(local(rel));
        if (!st?.isDirectory()) return undefined;
        dirs.push(st);
      }
      if (packDirs(dirs) !== f[F.dirKeys]) return undefined;
    }
    const count = Number(f[F.count]);
    const rels = f[F.rels].split(US);
    const junk = f[F.junk];
    const entries: FileEntry[] = [];
    for (let i = 0; i < count; i++) {
      const p = local(rels[i]);
      const st = stat(p);
      if (!st?.isFile()) return undefined;
      entries.push({ rel: rels[i], abs: p, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev, mode: st.mode, junk: junk.charCodeAt(i) === 0x31 });
    }
    if (packFiles(entries) !== f[F.keys]) return undefined;
    this.verifiedWithoutListing++;
    return { entries, hash: new CachedHash(head, entries, []) };
  }

  /**
   * The cached hash of the artifact at `abs` when a fresh walk found exactly its files with the same keys (and
   * SkillMeat's forms when needed). The walk's folders are stored when they differ, so the next check needs no walk.
   */
  get(abs: string, entries: readonly FileEntry[], needSkillmeat: boolean, problems: WalkProblem[] = [], shape?: WalkShape, exclusions?: string): ArtifactHash | undefined {
    const f = this.fieldsFor(abs);
    if (!f) return undefined;
    this.seen.add(abs);
    if (Number(f[F.count]) !== entries.length || f[F.junk] !== junkOf(entries) || f[F.rels] !== relsOf(entries) || f[F.keys] !== packFiles(entries)) return undefined;
    const head = headOf(f);
    if (!head || (needSkillmeat && !head.sm)) return undefined;
    // Walked although the files are unchanged: a folder changed (an empty one added, a file added and removed), or
    // the folders were too recent to trust last time.
    if (shape && exclusions !== undefined) {
      const d = this.foldersOf(entries, shape, (this.opts.now ?? Date.now)());
      if (d.trusted !== f[F.trusted] || d.dirs !== f[F.dirs] || d.dirKeys !== f[F.dirKeys] || exclusions !== f[F.exclusions]) {
        [f[F.trusted], f[F.dirs], f[F.dirKeys], f[F.exclusions]] = [d.trusted, d.dirs, d.dirKeys, exclusions];
        this.stored.set(abs, f.join('\t'));
        this.dirty = true;
      }
    }
    return new CachedHash(head, entries, problems);
  }

  /** Per-file normalised hashes still valid for `entries` (by rel), to re-read only what changed. */
  fileHashes(abs: string, entries: readonly FileEntry[]): Map<string, { norm: string; binary: boolean }> | undefined {
    const f = this.fieldsFor(abs);
    const d = f && headOf(f);
    if (!f || !d) return undefined;
    const count = Number(f[F.count]);
    const rels = f[F.rels].split(US);
    const keys = Buffer.from(f[F.keys], 'base64');
    if (keys.length !== count * FILE_KEYS * 8) return undefined;
    const key = (i: number, k: number) => keys.readDoubleLE((i * FILE_KEYS + k) * 8);
    const byRel = new Map<string, { i: number; j: number }>();
    let j = 0;
    for (let i = 0; i < count; i++) {
      if (f[F.junk].charCodeAt(i) !== 0x30) continue;
      byRel.set(rels[i], { i, j });
      j++;
    }
    const out = new Map<string, { norm: string; binary: boolean }>();
    for (const e of entries) {
      const h = byRel.get(e.rel);
      if (!h || e.junk) continue;
      if (key(h.i, 0) === e.dev && key(h.i, 1) === e.ino && key(h.i, 2) === e.size && key(h.i, 3) === e.mtimeMs && key(h.i, 4) === e.ctimeMs) {
        out.set(e.rel, { norm: d.norms.slice(h.j * 64, h.j * 64 + 64), binary: d.binary.charCodeAt(h.j) === 0x31 });
      }
    }
    return out;
  }

  /**
   * The folder fields of a walk (see {@link Stored}): trusted only for a plain walk (see {@link WalkShape}) whose
   * folders all changed before `hashedAt` minus the racy margin.
   */
  private foldersOf(entries: readonly FileEntry[], shape: WalkShape | undefined, hashedAt: number): { trusted: string; dirs: string; dirKeys: string } {
    if (!shape || shape.dirs.some((d) => UNSTORABLE.test(d.rel))) return { trusted: '', dirs: '', dirKeys: '' };
    const racy = this.opts.racyMs ?? 2000;
    // Racy against the moment the folders were listed (the walk's start), not when the files were read, which can be
    // seconds later in a large check: a folder changed twice within its clock's granularity around the listing must
    // not be trusted.
    hashedAt = Math.min(hashedAt, shape.at ?? hashedAt);
    const isFile = entries.length === 1 && entries[0].rel === '';
    const trusted = shape.plain && (isFile || shape.dirs[0]?.rel === '') && !shape.dirs.some((d) => d.ctimeMs >= hashedAt - racy || d.mtimeMs >= hashedAt - racy);
    return { trusted: trusted ? '1' : '', dirs: shape.dirs.map((d) => d.rel).join(US), dirKeys: shape.dirs.length ? packDirs(shape.dirs) : '' };
  }

  /** Remembers what was just hashed (nothing when a file is too recent to trust, or the hash had problems). */
  put(abs: string, entries: readonly FileEntry[], hash: ArtifactHash, hashedAt: number, shape?: WalkShape, exclusions?: string): void {
    this.seen.add(abs);
    const racy = this.opts.racyMs ?? 2000;
    const drop = () => { if (this.stored.delete(abs)) this.dirty = true; };
    if (hash.problems.some((p) => p.code === 'unreadable-file')) return drop();
    if (entries.some((e) => e.ctimeMs >= hashedAt - racy || e.mtimeMs >= hashedAt - racy || UNSTORABLE.test(e.rel))) return drop();
    // hash.files lists the non-junk entries in entry order; anything else (a file the hash left out) is not
    // persisted: it could not be rebuilt.
    let n = '';
    let b = '';
    let j = 0;
    for (const e of entries) {
      if (e.junk) continue;
      const f = hash.files[j++];
      if (!f || f.rel !== e.rel) return drop();
      n += f.norm;
      b += f.binary ? '1' : '0';
    }
    if (j !== hash.files.length) return drop();
    const sm = hash.skillmeat;
    const d = exclusions === undefined ? { trusted: '', dirs: '', dirKeys: '' } : this.foldersOf(entries, shape, hashedAt);
    const fields = [hash.kind, hash.tree, sm?.all ?? '', sm?.clean ?? '', sm?.cleanLf ?? '', n, b, d.trusted, exclusions ?? '', d.dirs, d.dirKeys, relsOf(entries), junkOf(entries), String(entries.length), packFiles(entries)];
    this.stored.delete(abs); // re-inserted last: the newest come last when the bound drops the oldest
    this.stored.set(abs, fields.join('\t'));
    this.dirty = true;
  }

  /** Writes the cache (atomically) if anything changed; false (never a throw) when it cannot be written. */
  save(): boolean {
    if (!this.dirty) return true;
    const max = this.opts.maxArtifacts ?? MAX_ARTIFACTS;
    // Seen in this check first, then the others, newest first, up to the bound.
    const keep: string[] = [...this.stored.keys()].filter((k) => this.seen.has(k));
    const others = [...this.stored.keys()].filter((k) => !this.seen.has(k)).reverse();
    const r = Object.fromEntries([...this.records].slice(-MAX_RECORD_FILES));
    const lines = [HEADER, JSON.stringify(r)];
    for (const k of [...keep, ...others].slice(0, max)) if (!UNSTORABLE.test(k)) lines.push(`${k}\t${this.stored.get(k)!}`);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Not fsynced: every line is shape-checked when read, so a file a power cut left half-written is ignored.
      writeFileAtomic(path.join(this.dir, FILE), lines.join('\n') + '\n', {}, 0o600, { durable: false });
      // The previous formats' files are dead weight once this one is written.
      for (const old of OLD_FILES) fs.rmSync(path.join(this.dir, old), { force: true });
      this.dirty = false;
      return true;
    } catch {
      return false; // a cache is an optimisation: a read-only home just means the next check hashes again
    }
  }
}

const isHex64 = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

const textHash = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

function validView(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const optStr = (k: string) => o[k] === undefined || typeof o[k] === 'string';
  return typeof o.index === 'number' && typeof o.type === 'string' && typeof o.name === 'string' && typeof o.relPath === 'string'
    && ['contentHash', 'treeHash', 'fromCollection', 'deployedAt', 'invalid'].every(optStr);
}
