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
import type { ArtifactHash, FileEntry } from './hashing';
import type { CachedRecordView, RecordsCache } from './drift';

const VERSION = 1;
export const STAT_CACHE_DIR = 'stat-cache';
const FILE = `v${VERSION}.json`;
export const MAX_ARTIFACTS = 50_000;
export const MAX_RECORD_FILES = 1_000;

/** One file's key: [rel, dev, ino, size, mtimeMs, ctimeMs, junk (0|1)]. */
type Key = [string, number, number, number, number, number, number];

interface Stored {
  /** Keys of every file of the artifact, in walk order. */
  e: Key[];
  k: 'dir' | 'file';
  t: string;
  /** Per-file normalised hash of each non-junk entry, then whether it is binary (1) — in entry order. */
  n: string[];
  b: number[];
  /** SkillMeat's forms [all, clean, cleanLf] when computed. */
  s?: [string, string, string];
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
  private readonly stored = new Map<string, Stored>();
  /** Parsed records files by path: sha256 of the text parsed, and the views. */
  private readonly records = new Map<string, { h: string; v: CachedRecordView[] }>();
  private readonly seen = new Set<string>();
  private dirty = false;
  /** Why the file on disk was ignored, if it was (for tests and `--verbose` callers). */
  loadProblem?: string;

  private constructor(readonly dir: string, private readonly opts: StatCacheOptions) {}

  /** Opens the cache in `dir` (created on save). Anything wrong with the file makes an empty cache. */
  static open(dir: string, opts: StatCacheOptions = {}): StatCache {
    const c = new StatCache(dir, opts);
    let text: string;
    try { text = fs.readFileSync(path.join(dir, FILE), 'utf8'); } catch { return c; }
    try {
      const data = JSON.parse(text) as { v?: unknown; a?: unknown };
      if (data.v !== VERSION || typeof data.a !== 'object' || data.a === null) throw new Error('unknown version');
      for (const [abs, s] of Object.entries(data.a as Record<string, unknown>)) if (valid(s)) c.stored.set(abs, s);
      const r = (data as { r?: unknown }).r;
      if (typeof r === 'object' && r !== null) {
        for (const [file, x] of Object.entries(r as Record<string, { h?: unknown; v?: unknown }>)) {
          if (isHex64(x?.h) && Array.isArray(x.v) && x.v.every(validView)) c.records.set(file, x as { h: string; v: CachedRecordView[] });
        }
      }
    } catch (e) {
      c.stored.clear();
      c.loadProblem = (e as Error).message;
      c.dirty = true; // replace the broken file on the next save
    }
    return c;
  }

  get size(): number { return this.stored.size; }

  getRecords(file: string, text: string): CachedRecordView[] | undefined {
    const r = this.records.get(file);
    return r && r.h === textHash(text) ? r.v : undefined;
  }

  putRecords(file: string, text: string, views: readonly CachedRecordView[]): void {
    this.records.delete(file);
    this.records.set(file, { h: textHash(text), v: [...views] });
    this.dirty = true;
  }

  /** The cached hash of the artifact at `abs` when every file's key equals `entries` (and SkillMeat's forms when needed). */
  get(abs: string, entries: readonly FileEntry[], needSkillmeat: boolean): Omit<ArtifactHash, 'problems'> | undefined {
    const s = this.stored.get(abs);
    if (!s) return undefined;
    this.seen.add(abs);
    if (needSkillmeat && !s.s) return undefined;
    if (s.e.length !== entries.length) return undefined;
    for (let i = 0; i < entries.length; i++) if (!sameKey(s.e[i], entries[i])) return undefined;
    const files: ArtifactHash['files'] = [];
    let j = 0;
    for (const e of entries) {
      if (e.junk) continue;
      files.push({ rel: e.rel, norm: s.n[j], size: e.size, binary: s.b[j] === 1 });
      j++;
    }
    if (j !== s.n.length) return undefined;
    return { kind: s.k, tree: s.t, files, ...(s.s ? { skillmeat: { all: s.s[0], clean: s.s[1], cleanLf: s.s[2] } } : {}) };
  }

  /** Per-file normalised hashes still valid for `entries` (by rel), to re-read only what changed. */
  fileHashes(abs: string, entries: readonly FileEntry[]): Map<string, { norm: string; binary: boolean }> | undefined {
    const s = this.stored.get(abs);
    if (!s) return undefined;
    const byRel = new Map<string, { key: Key; norm: string; binary: boolean }>();
    let j = 0;
    for (const k of s.e) { if (k[6]) continue; byRel.set(k[0], { key: k, norm: s.n[j], binary: s.b[j] === 1 }); j++; }
    const out = new Map<string, { norm: string; binary: boolean }>();
    for (const e of entries) {
      const h = byRel.get(e.rel);
      if (h && !e.junk && sameKey(h.key, e)) out.set(e.rel, { norm: h.norm, binary: h.binary });
    }
    return out;
  }

  /** Remembers what was just hashed (nothing when a file is too recent to trust, or the hash had problems). */
  put(abs: string, entries: readonly FileEntry[], hash: ArtifactHash, hashedAt: number): void {
    this.seen.add(abs);
    const racy = this.opts.racyMs ?? 2000;
    if (hash.problems.some((p) => p.code === 'unreadable-file')) { if (this.stored.delete(abs)) this.dirty = true; return; }
    if (entries.some((e) => e.ctimeMs >= hashedAt - racy || e.mtimeMs >= hashedAt - racy)) { if (this.stored.delete(abs)) this.dirty = true; return; }
    const norms = new Map(hash.files.map((f) => [f.rel, f]));
    const n: string[] = [];
    const b: number[] = [];
    for (const e of entries) {
      if (e.junk) continue;
      const f = norms.get(e.rel);
      if (!f) return; // a file the hash left out: do not persist what cannot be rebuilt
      n.push(f.norm);
      b.push(f.binary ? 1 : 0);
    }
    const sm = hash.skillmeat;
    this.stored.delete(abs); // re-inserted last: the newest come last when the bound drops the oldest
    this.stored.set(abs, {
      e: entries.map((x) => [x.rel, x.dev, x.ino, x.size, x.mtimeMs, x.ctimeMs, x.junk ? 1 : 0]),
      k: hash.kind, t: hash.tree, n, b, ...(sm ? { s: [sm.all, sm.clean, sm.cleanLf] } : {}),
    });
    this.dirty = true;
  }

  /** Writes the cache (atomically) if anything changed; false (never a throw) when it cannot be written. */
  save(): boolean {
    if (!this.dirty) return true;
    const max = this.opts.maxArtifacts ?? MAX_ARTIFACTS;
    const out: Record<string, Stored> = {};
    // Seen in this check first, then the others, newest first, up to the bound.
    const keep: string[] = [...this.stored.keys()].filter((k) => this.seen.has(k));
    const others = [...this.stored.keys()].filter((k) => !this.seen.has(k)).reverse();
    for (const k of [...keep, ...others].slice(0, max)) out[k] = this.stored.get(k)!;
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const r = Object.fromEntries([...this.records].slice(-MAX_RECORD_FILES));
      writeFileAtomic(path.join(this.dir, FILE), JSON.stringify({ v: VERSION, a: out, r }), {}, 0o600);
      this.dirty = false;
      return true;
    } catch {
      return false; // a cache is an optimisation: a read-only home just means the next check hashes again
    }
  }
}

function sameKey(k: Key, e: FileEntry): boolean {
  return k[0] === e.rel && k[1] === e.dev && k[2] === e.ino && k[3] === e.size && k[4] === e.mtimeMs && k[5] === e.ctimeMs && k[6] === (e.junk ? 1 : 0);
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

/** Shape check of one stored artifact: a cache edited by hand or cut short is dropped, not trusted. */
function valid(s: unknown): s is Stored {
  if (typeof s !== 'object' || s === null) return false;
  const o = s as Partial<Stored>;
  if ((o.k !== 'dir' && o.k !== 'file') || !isHex64(o.t) || !Array.isArray(o.e) || !Array.isArray(o.n) || !Array.isArray(o.b)) return false;
  if (o.n.length !== o.b.length || !o.n.every(isHex64) || !o.b.every((x) => x === 0 || x === 1)) return false;
  if (!o.e.every((k) => Array.isArray(k) && k.length === 7 && typeof k[0] === 'string' && k.slice(1).every((x) => typeof x === 'number' && Number.isFinite(x)))) return false;
  if (o.e.filter((k) => !k[6]).length !== o.n.length) return false;
  if (o.s !== undefined && !(Array.isArray(o.s) && o.s.length === 3 && o.s.every(isHex64))) return false;
  return true;
}
