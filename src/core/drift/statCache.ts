// A persisted stat cache for the CLI (issue 13): what a check hashed, remembered between processes, so a check
// where nothing changed costs a walk and stats, no reads. Per artifact (by absolute path): every file's
// (relative path, device, inode, size, mtime, ctime, junk) and the hashes computed from them — our tree hash and
// per-file hashes always, SkillMeat's three forms when they were asked for. A hit needs every file's key equal,
// ctime included, so a `cp -p` (or `touch -r`) that restores an old mtime is still seen; any doubt is a miss.
//
// It lives in the version store's folder ($SKILLMEAT_HOME/sync), never in a project or a collection; it is
// written atomically (temp + rename) and only when something new was hashed; a cache that cannot be read or
// parsed, or has another version, is ignored (and replaced by the next save) — never a wrong answer. Bounded: at
// most MAX_ARTIFACTS artifacts, those seen by the latest check kept first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../store/fsutil';
import * as crypto from 'node:crypto';
import type { ArtifactHash, FileEntry, WalkProblem } from './hashing';
import type { CachedRecordView, RecordsCache } from './drift';

// v2, a text file: a header line, one line of JSON with the parsed records files, then one line per artifact —
// its absolute path, a tab, and its fields tab-separated — decoded only when a check asks for that artifact. v1 (one
// JSON document, an array per file) took longer to parse and check than the stats it saved (120 ms of a 600 ms
// warm check); JSON strings holding tabs are slow to parse too (each tab is an escape).
const HEADER = 'skillmeat-sync stat cache v2';
export const STAT_CACHE_DIR = 'stat-cache';
const VERSION = 2;
export const STAT_CACHE_FILE = `v${VERSION}.txt`;
const FILE = STAT_CACHE_FILE;
export const MAX_ARTIFACTS = 50_000;
export const MAX_RECORD_FILES = 1_000;

/**
 * One artifact, as stored: `kind TAB tree TAB smAll TAB smClean TAB smCleanLf TAB norms TAB binary TAB count`, then per
 * file `TAB rel TAB dev TAB ino TAB size TAB mtimeMs TAB ctimeMs TAB junk(0|1)`, in walk order. `norms` is the
 * concatenated 64-hex normalised hash of each non-junk file, `binary` one 0/1 per non-junk file; the three
 * SkillMeat forms are empty when they were never computed. A path holding a tab or a line break is not stored.
 */
type Stored = string;

interface Decoded {
  kind: 'dir' | 'file';
  tree: string;
  sm?: [string, string, string];
  norms: string;
  binary: string;
  /** The split string: file i's fields start at HEAD + i * FIELDS. */
  parts: string[];
  count: number;
}

const HEAD = 8;
const FIELDS = 7;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX = /^[0-9a-f]*$/;
const BITS = /^[01]*$/;

/**
 * Shape-checks the artifact fields of a stored line (the first HEAD fields), given its file count and how many
 * of its files are not junk: a cache edited by hand or cut short is not trusted.
 */
function checkHead(fields: string[], count: number, included: number): Omit<Decoded, 'parts'> | undefined {
  const [kind, tree, a, b, c, norms, binary, countText] = fields;
  if ((kind !== 'dir' && kind !== 'file') || !HEX64.test(tree) || Number(countText) !== count) return undefined;
  if (norms.length !== binary.length * 64 || binary.length !== included || !HEX.test(norms) || !BITS.test(binary)) return undefined;
  let sm: [string, string, string] | undefined;
  if (a || b || c) {
    if (!HEX64.test(a) || !HEX64.test(b) || !HEX64.test(c)) return undefined;
    sm = [a, b, c];
  }
  return { kind, tree, sm, norms, binary, count };
}

/** Decodes one stored artifact entirely (every file's fields: to re-read only the files that changed). */
function decode(s: Stored): Decoded | undefined {
  const parts = s.split('\t');
  const count = Number(parts[HEAD - 1]);
  if (parts.length < HEAD || !Number.isInteger(count) || parts.length !== HEAD + count * FIELDS) return undefined;
  let included = 0;
  for (let i = 0; i < count; i++) if (parts[HEAD + i * FIELDS + 6] === '0') included++;
  const head = checkHead(parts.slice(0, HEAD), count, included);
  return head && { ...head, parts };
}

/** The per-file part of a stored artifact: a fresh walk's keys in the stored form, compared as one string. */
function keysOf(entries: readonly FileEntry[]): string | undefined {
  let out = '';
  for (const e of entries) {
    if (/[\t\n\r]/.test(e.rel)) return undefined;
    out += `\t${e.rel}\t${e.dev}\t${e.ino}\t${e.size}\t${e.mtimeMs}\t${e.ctimeMs}\t${e.junk ? 1 : 0}`;
  }
  return out;
}

function encode(entries: readonly FileEntry[], hash: ArtifactHash, norms: string, binary: string): Stored | undefined {
  const sm = hash.skillmeat;
  const keys = keysOf(entries);
  return keys === undefined ? undefined : `${hash.kind}\t${hash.tree}\t${sm ? `${sm.all}\t${sm.clean}\t${sm.cleanLf}` : '\t\t'}\t${norms}\t${binary}\t${entries.length}${keys}`;
}

/**
 * The artifact part of a stored line whose files have exactly the keys of `entries` (their string form ends the
 * line: one comparison, no per-field parsing), shape-checked; undefined on any difference.
 */
function headFor(s: Stored, entries: readonly FileEntry[]): Omit<Decoded, 'parts'> | undefined {
  const keys = keysOf(entries);
  if (keys === undefined || !s.endsWith(keys)) return undefined;
  const head = s.slice(0, s.length - keys.length).split('\t');
  return head.length === HEAD ? checkHead(head, entries.length, entries.reduce((n, e) => n + (e.junk ? 0 : 1), 0)) : undefined;
}

/**
 * A hash from the cache. Its per-file list is built when read (a check reads it only for an artifact that differs
 * somewhere): building 20 000 of them for a warm check of unchanged artifacts was a tenth of its time.
 */
class CachedHash implements ArtifactHash {
  readonly kind: 'dir' | 'file';
  readonly tree: string;
  readonly skillmeat?: { all: string; clean: string; cleanLf: string };
  private built?: ArtifactHash['files'];

  constructor(private readonly d: Omit<Decoded, 'parts'>, private readonly entries: readonly FileEntry[], readonly problems: WalkProblem[]) {
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

/** File i of a decoded artifact has the key of `e` (path, device, inode, size, mtime, ctime, junk)? */
function sameKey(d: Decoded, i: number, e: FileEntry): boolean {
  const p = d.parts;
  const o = HEAD + i * FIELDS;
  return p[o] === e.rel && Number(p[o + 1]) === e.dev && Number(p[o + 2]) === e.ino && Number(p[o + 3]) === e.size
    && Number(p[o + 4]) === e.mtimeMs && Number(p[o + 5]) === e.ctimeMs && p[o + 6] === (e.junk ? '1' : '0');
}

export interface StatCacheOptions {
  /**
   * A file whose ctime or mtime is this close to (or after) the moment it was hashed could change again within
   * the clock's granularity without its key changing (git's "racy clean"): such an artifact is not persisted.
   */
  racyMs?: number;
  maxArtifacts?: number;
  now?: () => number;
}

export class StatCache implements RecordsCache {
  /** Stored artifacts as read (undecoded) or written; decoded on first use. */
  private readonly stored = new Map<string, Stored>();
  private readonly decoded = new Map<string, Decoded | undefined>();
  /** Parsed records files by path: sha256 of the text parsed, and the views. */
  private readonly records = new Map<string, { h: string; v: CachedRecordView[] }>();
  private readonly seen = new Set<string>();
  private dirty = false;

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
      // Each artifact is checked when it is used (decode): a check of one project does not pay for the others.
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

  private decodedOf(abs: string): Decoded | undefined {
    if (this.decoded.has(abs)) return this.decoded.get(abs);
    const s = this.stored.get(abs);
    const d = s === undefined ? undefined : decode(s);
    if (s !== undefined && !d) { this.stored.delete(abs); this.dirty = true; } // malformed: dropped, rewritten on save
    this.decoded.set(abs, d);
    return d;
  }

  /** The cached hash of the artifact at `abs` when every file's key equals `entries` (and SkillMeat's forms when needed). */
  get(abs: string, entries: readonly FileEntry[], needSkillmeat: boolean, problems: WalkProblem[] = []): ArtifactHash | undefined {
    const s = this.stored.get(abs);
    if (s === undefined) return undefined;
    this.seen.add(abs);
    const d = headFor(s, entries);
    if (!d || (needSkillmeat && !d.sm)) return undefined;
    return new CachedHash(d, entries, problems);
  }

  /** Per-file normalised hashes still valid for `entries` (by rel), to re-read only what changed. */
  fileHashes(abs: string, entries: readonly FileEntry[]): Map<string, { norm: string; binary: boolean }> | undefined {
    const d = this.stored.has(abs) ? this.decodedOf(abs) : undefined;
    if (!d) return undefined;
    const byRel = new Map<string, { i: number; j: number }>();
    let j = 0;
    for (let i = 0; i < d.count; i++) {
      if (d.parts[HEAD + i * FIELDS + 6] !== '0') continue;
      byRel.set(d.parts[HEAD + i * FIELDS], { i, j });
      j++;
    }
    const out = new Map<string, { norm: string; binary: boolean }>();
    for (const e of entries) {
      const h = byRel.get(e.rel);
      if (h && !e.junk && sameKey(d, h.i, e)) out.set(e.rel, { norm: d.norms.slice(h.j * 64, h.j * 64 + 64), binary: d.binary.charCodeAt(h.j) === 0x31 });
    }
    return out;
  }

  /** Remembers what was just hashed (nothing when a file is too recent to trust, or the hash had problems). */
  put(abs: string, entries: readonly FileEntry[], hash: ArtifactHash, hashedAt: number): void {
    this.seen.add(abs);
    this.decoded.delete(abs);
    const racy = this.opts.racyMs ?? 2000;
    const drop = () => { if (this.stored.delete(abs)) this.dirty = true; };
    if (hash.problems.some((p) => p.code === 'unreadable-file')) return drop();
    if (entries.some((e) => e.ctimeMs >= hashedAt - racy || e.mtimeMs >= hashedAt - racy)) return drop();
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
    const s = encode(entries, hash, n, b);
    if (s === undefined) return drop();
    this.stored.delete(abs); // re-inserted last: the newest come last when the bound drops the oldest
    this.stored.set(abs, s);
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
    for (const k of [...keep, ...others].slice(0, max)) if (!/[\t\n\r]/.test(k)) lines.push(`${k}\t${this.stored.get(k)!}`);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(path.join(this.dir, FILE), lines.join('\n') + '\n', {}, 0o600);
      // The previous format's file is dead weight once this one is written.
      fs.rmSync(path.join(this.dir, 'v1.json'), { force: true });
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
