// Content hashes (SPEC §3). Two kinds:
// - SkillMeat's own hash, needed to read and write records SkillMeat understands: sha256 of a file; for a
//   directory one sha256 over `relpath || bytes` of every regular file in Python Path order, nothing excluded.
// - The product's tree hash, used for every drift decision: junk files excluded on every side, CRLF→LF
//   normalised for text files, each path length-prefixed so `{a:"bc"}` and `{ab:"c"}` differ.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import picomatch from 'picomatch';
import { isInside } from '../store/fsutil';
import type { StatCache } from './statCache';

/**
 * What SkillMeat 0.9 never copies: `FilesystemManager.IGNORE_PATTERNS` (skillmeat/utils/filesystem.py), applied
 * by `shutil.ignore_patterns` to every file and folder name at every depth (fnmatch, case-sensitive on POSIX).
 * Its deploy and add copy everything else — editor junk included — and hash what they copied.
 */
export const SKILLMEAT_IGNORE_NAMES: ReadonlySet<string> = new Set(['.git', '.github', '.gitignore', '__pycache__', 'node_modules', '.venv', 'venv', '.DS_Store', 'Thumbs.db']);
export const SKILLMEAT_IGNORE_SUFFIXES: readonly string[] = ['.pyc', '.pyo', '.egg-info'];

/** True for a file or folder name SkillMeat's copy leaves out (`*.pyc` matches `.pyc` too, as fnmatch does). */
export function isSkillmeatIgnoredName(name: string): boolean {
  return SKILLMEAT_IGNORE_NAMES.has(name) || SKILLMEAT_IGNORE_SUFFIXES.some((x) => name.endsWith(x));
}

/** True for a path inside an artifact (POSIX, relative) that SkillMeat's copy leaves out: it or a folder above matches. */
export function isSkillmeatIgnored(rel: string): boolean {
  return rel !== '' && rel.split('/').some(isSkillmeatIgnoredName);
}

/**
 * Editor and tool junk ignored on all three sides. Directory names match at any depth. What SkillMeat never
 * copies is junk too: a deploy could not carry it, so it must not read as drift right after one.
 */
export const JUNK_DIRS: readonly string[] = ['.git', '.hg', '.svn', '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.idea', '.vscode-test', '.github', 'node_modules', '.venv', 'venv', '*.egg-info'];
export const JUNK_FILES: readonly string[] = ['.DS_Store', 'Thumbs.db', 'desktop.ini', '._*', '*.pyc', '*.pyo', '*.swp', '*.swo', '*.swx', '*~', '.#*', '#*#', '*.tmp', '.skillmeat-deployed.toml.lock', '.gitignore', '*.egg-info', '.github', 'node_modules', '.venv', 'venv'];

/** Bumped when the junk rules change in a way the lists above do not show (how a pattern is matched). */
const JUNK_RULES_VERSION = 1;

/** Decides which paths inside an artifact are junk. `extra` globs come from the user's settings. */
export class ExclusionMatcher {
  private readonly fileMatch: (s: string) => boolean;
  private readonly extraMatch: ((s: string) => boolean) | undefined;
  private readonly dirs: Set<string>;
  private readonly dirMatch: (s: string) => boolean;
  private readonly nameVerdicts = new Map<string, boolean>();

  /**
   * Tells matchers apart: equal keys, equal verdicts (what the stat cache stores junk flags under). It covers the
   * built-in rules too, so a release that changes them does not trust flags computed under the old ones.
   */
  readonly key: string;

  constructor(readonly extra: readonly string[] = []) {
    this.key = crypto.createHash('sha256').update(JSON.stringify({ rules: JUNK_RULES_VERSION, dirs: JUNK_DIRS, files: JUNK_FILES, extra })).digest('hex').slice(0, 16);
    this.dirs = new Set(JUNK_DIRS.filter((d) => !d.includes('*')));
    this.dirMatch = picomatch(JUNK_DIRS.filter((d) => d.includes('*')) as string[], { dot: true });
    this.fileMatch = picomatch(JUNK_FILES as string[], { dot: true });
    this.extraMatch = extra.length ? picomatch(extra as string[], { dot: true, matchBase: true }) : undefined;
  }

  /** True for a directory name that is never part of an artifact. */
  isJunkDir(name: string, rel: string): boolean {
    return this.dirs.has(name) || this.dirMatch(name) || (this.extraMatch?.(rel) ?? false) || (this.extraMatch?.(rel + '/') ?? false);
  }

  /**
   * True for a file at `rel` (POSIX, inside a directory artifact; '' for a single-file artifact, never junk)
   * that {@link walkArtifact} would mark junk: a folder above it or its own name matches.
   */
  isJunkPath(rel: string): boolean {
    if (rel === '') return false;
    const parts = rel.split('/');
    for (let i = 0; i < parts.length - 1; i++) if (this.isJunkDir(parts[i], parts.slice(0, i + 1).join('/'))) return true;
    return this.isJunkFile(parts[parts.length - 1], rel);
  }

  /** True for a file (by base name and relative path) that is never part of an artifact. */
  isJunkFile(name: string, rel: string): boolean {
    // Base names repeat across artifacts (SKILL.md, …): remember the glob verdict per name (a warm check asks
    // for every file each time). Bounded, in case a tree has very many distinct names.
    let junk = this.nameVerdicts.get(name);
    if (junk === undefined) {
      junk = this.fileMatch(name);
      if (this.nameVerdicts.size >= 100_000) this.nameVerdicts.clear();
      this.nameVerdicts.set(name, junk);
    }
    return junk || (this.extraMatch?.(rel) ?? false);
  }
}

export const DEFAULT_EXCLUSIONS = new ExclusionMatcher();

/** A regular file found inside an artifact. */
export interface FileEntry {
  /** Path relative to the artifact directory, POSIX separators; '' for a single-file artifact. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
  /** ctime too: a `cp -p` or `touch -r` can put an old mtime back on new content, never an old ctime. */
  ctimeMs: number;
  ino: number;
  dev: number;
  mode: number;
  junk: boolean;
}

export interface WalkProblem {
  code: 'unreadable-file' | 'symlink-skipped';
  file: string;
  message: string;
}

/** Compares relative paths the way Python sorts `Path` objects: component by component, by code point. */
export function comparePathParts(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    if (pa[i] !== pb[i]) return compareCodePoints(pa[i], pb[i]);
  }
  return pa.length - pb.length;
}

function compareCodePoints(a: string, b: string): number {
  // JS compares UTF-16 code units; Python compares code points. They differ only when a surrogate (half of a
  // code point above U+FFFF) meets a BMP character of U+E000 or above: the surrogate's code point is larger.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    return xs === ys ? x - y : xs ? 1 : -1;
  }
  return a.length - b.length;
}

/**
 * The folders of a walked artifact with their keys, in walk order (the artifact's own folder first, as ''), and
 * whether the walk met nothing but plain files and folders (no link, nothing it could not list). The stat cache
 * trusts an unchanged folder's listing by these keys (statCache.ts), as git's untracked cache does.
 */
export interface WalkShape {
  dirs: { rel: string; dev: number; ino: number; mtimeMs: number; ctimeMs: number }[];
  plain: boolean;
  /**
   * When the walk began (ms since the epoch), set by {@link walkArtifact}: a folder changed this close to it may
   * have changed again within its clock's granularity after it was listed (the racy check in statCache.ts).
   */
  at?: number;
}

/**
 * Lists the regular files of an artifact (a directory, or one file). Junk is listed with `junk: true`
 * (SkillMeat's hash includes it). Symlinked directories are skipped (loops); symlinked files are followed.
 * `shape`, when given, receives the folders walked (one more stat each) and whether all was plain.
 */
export function walkArtifact(absPath: string, exclusions: ExclusionMatcher = DEFAULT_EXCLUSIONS, problems: WalkProblem[] = [], shape?: WalkShape): FileEntry[] | undefined {
  if (shape) shape.at = Date.now();
  let st: fs.Stats;
  try { st = fs.statSync(absPath); } catch { return undefined; }
  if (st.isFile()) return [{ rel: '', abs: absPath, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev, mode: st.mode, junk: false }];
  if (!st.isDirectory()) return undefined;
  const out: FileEntry[] = [];
  let rootReal: string | undefined;
  const walk = (dir: string, relDir: string, junkDir: boolean): void => {
    if (shape) {
      // Stat'ed before it is listed: a change made during the listing leaves newer keys than those stored. A folder
      // that cannot be stat'ed (gone, no permission, a stale handle) is simply not trusted.
      let d: fs.Stats | undefined;
      try { d = relDir ? fs.statSync(dir, { throwIfNoEntry: false }) : st; } catch { d = undefined; }
      if (d) shape.dirs.push({ rel: relDir, dev: d.dev, ino: d.ino, mtimeMs: d.mtimeMs, ctimeMs: d.ctimeMs });
      else shape.plain = false;
    }
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) {
      problems.push({ code: 'unreadable-file', file: dir, message: `${dir}: cannot list (${(e as NodeJS.ErrnoException).code}); skipped` });
      if (shape) shape.plain = false;
      return;
    }
    // Children in code-point order, depth first: that is Python's Path order (by components) with no global sort.
    entries.sort((x, y) => compareCodePoints(x.name, y.name));
    for (const d of entries) {
      const abs = dir + path.sep + d.name;
      const rel = relDir ? relDir + '/' + d.name : d.name;
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        if (shape) shape.plain = false;
        let t: fs.Stats;
        let real: string;
        try { t = fs.statSync(abs); real = fs.realpathSync(abs); } catch { continue; } // dangling link: not a regular file
        // A link inside the artifact is read as the file it names; one leading out of it is never followed, so
        // a secret elsewhere cannot reach the collection, the store or another project through a sync.
        rootReal ??= fs.realpathSync(absPath);
        if (!isInside(rootReal, real)) {
          problems.push({ code: 'symlink-skipped', file: abs, message: `${abs}: a symbolic link to ${real}, outside the artifact; not read, copied or synced. Replace it with a copy of the file if it belongs to the artifact` });
          continue;
        }
        if (t.isDirectory()) {
          problems.push({ code: 'symlink-skipped', file: abs, message: `${abs}: symlinked directory skipped (it could loop); replace it with a real directory to include it` });
          continue;
        }
        isFile = t.isFile();
        isDir = false;
      }
      if (isDir) walk(abs, rel, junkDir || exclusions.isJunkDir(d.name, rel));
      else if (isFile) {
        let s: fs.Stats | undefined;
        try { s = fs.statSync(abs, { throwIfNoEntry: false }); } catch { s = undefined; } // no permission, a stale handle
        if (!s) { if (shape) shape.plain = false; continue; } // gone since the listing
        out.push({ rel, abs, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev, mode: s.mode, junk: junkDir || exclusions.isJunkFile(d.name, rel) });
      }
    }
  };
  walk(absPath, '', false);
  return out;
}

const CHUNK = 1 << 20;
const BINARY_SNIFF = 8000;

/** Per-file hashes: `norm` is the product's (CRLF→LF for text). */
export interface FileHashes {
  norm: string;
  binary: boolean;
}

// One read buffer for the whole process (per thread): hashing is synchronous, and a fresh 1 MiB buffer per file
// made the garbage collector the biggest cost of a cold check of small files.
let readBuf: Buffer | undefined;

/**
 * CRLF→LF for one chunk of a text file, in place (the raw hashes have already seen the chunk): no second copy of
 * the data. A '\r' ending the chunk is held back (it may pair with a '\n' starting the next one).
 */
function normaliseChunkInPlace(buf: Buffer): { data: Buffer; held: boolean } {
  let end = buf.length;
  const held = end > 0 && buf[end - 1] === 0x0d;
  if (held) end--;
  // A byte loop: one native call per line (subarray + update) was 3x slower on CRLF text.
  let o = buf.indexOf(0x0d);
  if (o < 0 || o >= end) return { data: buf.subarray(0, end), held };
  for (let i = o; i < end; i++) {
    const b = buf[i];
    if (b === 0x0d && buf[i + 1] === 0x0a) continue; // i + 1 <= end < buf.length when held; else a '\n' at end is in bounds too
    buf[o++] = b;
  }
  return { data: buf.subarray(0, o), held };
}

/**
 * A file expected to hold the same bytes as the one being hashed (the collection's copy of a project file): read
 * alongside it and compared, chunk by chunk, instead of hashed. `same` turns false at the first difference, and the
 * twin is read no further.
 */
export interface TwinFile { abs: string; same: boolean }
let twinBuf: Buffer | undefined;

/**
 * Hashes one file in a single read: its normalised hash (CRLF→LF in text), and, when `forms` is given, the same
 * bytes into SkillMeat's forms of the artifact the file belongs to (one stream over all its files).
 * `expectedSize` (from the walk's stat) saves the final empty read of a file that is read whole at once. A `twin`
 * of the same size is compared with it as it is read (see {@link TwinFile}).
 */
export function hashFileSync(abs: string, forms?: FormSinks, expectedSize?: number, twin?: TwinFile): FileHashes {
  const fd = fs.openSync(abs, 'r');
  let twinFd: number | undefined;
  const twinDiffers = () => {
    twin!.same = false;
    if (twinFd !== undefined) { try { fs.closeSync(twinFd); } catch { /* only read: nothing lost */ } twinFd = undefined; }
  };
  try {
    if (twin?.same) {
      try { twinFd = fs.openSync(twin.abs, 'r'); } catch { twin.same = false; }
    }
    const norm = crypto.createHash('sha256');
    const buf = (readBuf ??= Buffer.allocUnsafe(CHUNK));
    let binary: boolean | undefined;
    let pendingCR = false;
    let total = 0;
    let n: number;
    let ended = false;
    while ((n = fs.readSync(fd, buf, 0, CHUNK, null)) > 0) {
      total += n;
      const chunk = buf.subarray(0, n);
      if (twinFd !== undefined) {
        // Before anything normalises the chunk in place. A whole chunk is asked for: a twin longer than the original
        // (rewritten since its walk) gives more than `n` here.
        const other = (twinBuf ??= Buffer.allocUnsafe(CHUNK));
        let m: number;
        try { m = fs.readSync(twinFd, other, 0, CHUNK, null); } catch { m = -1; }
        if (m !== n || !other.subarray(0, m).equals(chunk)) twinDiffers();
      }
      if (binary === undefined) binary = chunk.subarray(0, BINARY_SNIFF).includes(0);
      const normalise = !binary && chunk.includes(0x0d);
      if (forms) {
        if (normalise) forms.diverging();
        forms.raw(chunk);
      }
      if (pendingCR && chunk[0] !== 0x0a) { norm.update('\r'); forms?.norm('\r'); }
      pendingCR = false;
      if (!normalise) {
        norm.update(chunk);
        forms?.norm(chunk);
      } else {
        const { data, held } = normaliseChunkInPlace(chunk);
        pendingCR = held;
        norm.update(data);
        forms?.norm(data);
      }
      // A short read that ends exactly at the size the walk saw is the end of the file (and of the twin: its read of
      // a whole chunk was as short).
      if (n < CHUNK && total === expectedSize) { ended = true; break; }
    }
    // The original read to its end through a final empty read (empty, a whole number of chunks, a size the walk did
    // not see): the twin must end here too. An error reading it only makes it differ.
    if (twinFd !== undefined && !ended) {
      let more: number;
      try { more = fs.readSync(twinFd, (twinBuf ??= Buffer.allocUnsafe(CHUNK)), 0, 1, null); } catch { more = -1; }
      if (more !== 0) twinDiffers();
    }
    if (pendingCR) { norm.update('\r'); forms?.norm('\r'); }
    return { norm: norm.digest('hex'), binary: binary ?? false };
  } finally {
    fs.closeSync(fd);
    if (twinFd !== undefined) try { fs.closeSync(twinFd); } catch { /* only read: nothing lost */ }
  }
}

/** Normalises text for comparison (CRLF→LF), leaving binary content untouched. */
export function normaliseContent(buf: Buffer): Buffer {
  if (buf.subarray(0, BINARY_SNIFF).includes(0) || !buf.includes(0x0d)) return buf;
  return Buffer.from(buf.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/** sha256 of normalised content, for content already in memory (stored versions, merge results). */
export function hashNormalised(buf: Buffer): string {
  return crypto.createHash('sha256').update(normaliseContent(buf)).digest('hex');
}

const TREE_PREFIX = 'skillmeat-sync-tree-v1\0';

/**
 * The product's tree hash from (relative path, normalised file hash) pairs, in path order: sha256 over the prefix,
 * then per file its path's UTF-8 length (4 bytes, big-endian), the path, and the 32 bytes of its hash. The input is
 * laid out in one buffer and hashed at once (three updates and two buffers per file were a twentieth of a cold check).
 */
export function treeHashOf(files: readonly { rel: string; norm: string }[]): string {
  let size = TREE_PREFIX.length;
  for (const f of files) size += 4 + Buffer.byteLength(f.rel, 'utf8') + 32;
  const buf = Buffer.allocUnsafe(size);
  let o = buf.write(TREE_PREFIX, 0, 'latin1');
  for (const f of files) {
    const n = buf.write(f.rel, o + 4, 'utf8');
    buf.writeUInt32BE(n, o);
    o += 4 + n;
    if (buf.write(f.norm, o, 'hex') !== 32) throw new Error(`not a sha256 hex digest: ${JSON.stringify(f.norm)}`);
    o += 32;
  }
  return crypto.createHash('sha256').update(buf).digest('hex');
}

/** SkillMeat's hash of content already in memory (files in Path order); a single file is just its bytes. */
export function skillmeatHashOf(files: readonly { rel: string; data: Buffer }[], kind: 'dir' | 'file'): string {
  const forms = new SkillmeatForms(kind);
  if (kind === 'file') forms.add('', false, files[0]?.data ?? Buffer.alloc(0));
  else for (const f of [...files].sort((a, b) => comparePathParts(a.rel, b.rel))) forms.add(f.rel, false, f.data);
  return forms.digest().all;
}

/** Where one file's bytes go in {@link SkillmeatForms}: call `diverging()` before `raw()` of bytes whose normalised form differs. */
export interface FormSinks {
  raw(data: Buffer): void;
  norm(data: Buffer | string): void;
  diverging(): void;
}

/**
 * SkillMeat's three hash forms of one artifact (see {@link ArtifactHash.skillmeat}), fed file by file in Path
 * order: from disk ({@link hashEntries}, streaming each file's chunks) or from memory ({@link SkillmeatForms.add}:
 * the entries of a SkillMeat snapshot tarball). The three streams are one until they differ: `clean` is `all`
 * until the first junk file, `cleanLf` is `clean` until the first text with a CR — most artifacts have neither, and
 * every byte is hashed once instead of three times. A form splits off as a copy of the hash state it shares.
 */
export class SkillmeatForms {
  private readonly all = crypto.createHash('sha256');
  /** Undefined while it has had exactly the bytes of `all`. */
  private clean: crypto.Hash | undefined;
  /** Undefined while it has had exactly the bytes of `clean`. */
  private cleanLf: crypto.Hash | undefined;

  constructor(readonly kind: 'dir' | 'file') {}

  /** Starts the next file: its path goes into a directory's forms; a junk file goes into `all` only. */
  file(rel: string, junk: boolean): FormSinks {
    if (junk) {
      // Split `clean` (and `cleanLf` with it, while it is `clean`) off `all` before `all` takes what they leave out.
      this.clean ??= this.all.copy();
      if (this.kind === 'dir') this.all.update(rel, 'utf8');
      return this.junkSinks;
    }
    if (this.kind === 'dir') {
      this.all.update(rel, 'utf8');
      this.clean?.update(rel, 'utf8');
      this.cleanLf?.update(rel, 'utf8');
    }
    return this.sinks;
  }

  private readonly junkSinks: FormSinks = {
    raw: (data) => { this.all.update(data); },
    norm: () => undefined,
    diverging: () => undefined,
  };

  private readonly sinks: FormSinks = {
    raw: (data) => { this.all.update(data); this.clean?.update(data); },
    // While `cleanLf` is `clean`, the normalised bytes are the raw ones (diverging() was not called).
    norm: (data) => { this.cleanLf?.update(data); },
    diverging: () => { this.cleanLf ??= (this.clean ?? this.all).copy(); },
  };

  /** A whole file already in memory. */
  add(rel: string, junk: boolean, data: Buffer): void {
    const sinks = this.file(rel, junk);
    const n = normaliseContent(data);
    if (n !== data) sinks.diverging();
    sinks.raw(data);
    sinks.norm(n);
  }

  digest(): { all: string; clean: string; cleanLf: string } {
    const cleanLf = this.cleanLf?.digest('hex');
    const clean = this.clean?.digest('hex');
    const all = this.all.digest('hex');
    return { all, clean: clean ?? all, cleanLf: cleanLf ?? clean ?? all };
  }
}

/** Everything known about one artifact's content on one side. */
export interface ArtifactHash {
  kind: 'dir' | 'file';
  /** The product's tree hash (junk excluded, CRLF normalised). */
  tree: string;
  /** Normalised per-file hashes of the included files, in path order. */
  files: { rel: string; norm: string; size: number; binary: boolean }[];
  /**
   * SkillMeat-form hashes, computed only on request: `all` is exactly SkillMeat's hash; `clean` skips junk;
   * `cleanLf` also normalises CRLF. A baseline recorded by SkillMeat equals any of them when unchanged.
   */
  skillmeat?: { all: string; clean: string; cleanLf: string };
  problems: WalkProblem[];
}

interface CachedFile { size: number; mtimeMs: number; ctimeMs: number; ino: number; hashes: FileHashes }
interface CachedArtifact { entries: FileEntry[]; hash: ArtifactHash }

/** Same files with the same (size, mtime, inode)? Compared field by field: no signature strings to build. */
function sameEntries(a: readonly FileEntry[], b: readonly FileEntry[]): boolean {
  if (a === b) return true; // the walk prepare() made, used by hash()
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.rel !== y.rel || x.size !== y.size || x.mtimeMs !== y.mtimeMs || x.ctimeMs !== y.ctimeMs || x.ino !== y.ino || x.dev !== y.dev || x.junk !== y.junk) return false;
  }
  return true;
}

/**
 * Hashes artifacts, caching per file by (path, size, mtime, inode) and per artifact by the signature of
 * all its files, so an unchanged tree costs only stats. One instance lives as long as its caller wants.
 */
export interface HasherOptions {
  /**
   * Trust a file watcher: once hashed, an artifact's cached hash is reused without even a stat until
   * {@link ArtifactHasher.invalidate} names a path in it (or {@link ArtifactHasher.distrustAll}, the
   * periodic re-scan). Only for callers whose watcher reports every change (the extension).
   */
  trustWatcher?: boolean;
  /**
   * A stat cache persisted between processes (the CLI): an artifact whose files all have the same (device,
   * inode, size, mtime, ctime) as when it was last hashed is not read again. The caller saves it.
   */
  persistent?: StatCache;
}

export class ArtifactHasher {
  private readonly files = new Map<string, CachedFile>();
  private readonly artifacts = new Map<string, CachedArtifact>();
  /** Artifacts whose cached hash the watcher vouches for (only with `trustWatcher`). */
  private readonly trusted = new Set<string>();
  /** Files read during the hasher's life (for tests and benchmarks). */
  filesRead = 0;
  /** Walks done by {@link prepare}, each used by the next {@link hash} of its artifact. */
  private readonly walked = new Map<string, Walked>();
  /**
   * While a prepared check runs (from {@link prefetch} or {@link prepare} to {@link forgetWalks}): the artifacts it
   * walked and hashed or verified, what {@link known} answers for and what hash() takes without a second look.
   */
  private thisCheck: Set<string> | undefined;
  /** Artifacts {@link prefetch} gave a pool, each with its batch's completion. */
  private readonly prefetched = new Map<string, Promise<void>>();
  /** While {@link record} runs: the requests, by path. */
  private recording: Map<string, HashRequest> | undefined;

  constructor(readonly exclusions: ExclusionMatcher = DEFAULT_EXCLUSIONS, readonly options: HasherOptions = {}) {}

  /**
   * Drops cached hashes for a changed path (after the product writes there, or on a watcher event): the
   * path itself, anything under it, and the trust of the artifact containing it.
   */
  invalidate(absPrefix?: string): void {
    if (absPrefix === undefined) { this.files.clear(); this.artifacts.clear(); this.trusted.clear(); return; }
    for (const k of this.trusted) {
      if (k === absPrefix || k.startsWith(absPrefix + path.sep) || absPrefix.startsWith(k + path.sep)) this.trusted.delete(k);
    }
    this.artifacts.delete(absPrefix);
    // A watcher event names one file: drop it directly; only a directory needs the scan.
    if (this.files.delete(absPrefix)) return;
    for (const m of [this.files, this.artifacts] as Map<string, unknown>[]) {
      for (const k of m.keys()) if (k.startsWith(absPrefix + path.sep)) m.delete(k);
    }
  }

  /** Makes the next check verify every artifact by stats again (the periodic re-scan behind a watcher). */
  distrustAll(): void {
    this.trusted.clear();
  }

  /** Drops the walks {@link prepare} made that no {@link hash} used (the check is over: they are stale from now on). */
  forgetWalks(): void {
    this.walked.clear();
    this.prefetched.clear();
    this.thisCheck = undefined;
  }

  /**
   * The hash this hasher holds for `absPath` from the walk-and-hash of the check in progress ({@link prepare} and what
   * it was given to {@link prefetch}), nothing walked or read; undefined when it holds none. What an earlier check
   * left in memory is not vouched for here: it was not verified by this check.
   */
  known(absPath: string, skillmeat = false): ArtifactHash | undefined {
    const c = this.thisCheck?.has(absPath) ? this.artifacts.get(absPath) : undefined;
    return c && (!skillmeat || c.hash.skillmeat) ? c.hash : undefined;
  }

  /** Hashes the artifact at `absPath`; undefined when it does not exist. */
  hash(absPath: string, opts: { skillmeat?: boolean } = {}): ArtifactHash | undefined {
    if (this.recording) {
      const r = this.recording.get(absPath);
      if (r) r.skillmeat ||= !!opts.skillmeat;
      else this.recording.set(absPath, { absPath, skillmeat: !!opts.skillmeat });
      return undefined;
    }
    if (this.options.trustWatcher) {
      const c = this.trusted.has(absPath) ? this.artifacts.get(absPath) : undefined;
      if (c && (!opts.skillmeat || c.hash.skillmeat)) return c.hash;
      const h = this.hashVerified(absPath, opts);
      if (h) this.trusted.add(absPath);
      return h;
    }
    return this.hashVerified(absPath, opts);
  }

  private hashVerified(absPath: string, opts: { skillmeat?: boolean }): ArtifactHash | undefined {
    // A walk done moments ago by prepare() is this check's walk (used once); otherwise the persistent cache's own
    // verification (folders and files stat'ed, no listing) or a walk now.
    let walked = this.walked.get(absPath);
    this.walked.delete(absPath);
    if (!walked && this.thisCheck?.has(absPath)) {
      // Verified by the stat cache in prepare(), moments ago in this same check.
      const c = this.artifacts.get(absPath);
      if (c && (!opts.skillmeat || c.hash.skillmeat)) return c.hash;
    }
    if (!walked && !this.artifacts.has(absPath)) {
      const fast = this.options.persistent?.verify(absPath, !!opts.skillmeat, this.exclusions.key);
      if (fast) { this.artifacts.set(absPath, fast); return fast.hash; }
    }
    walked ??= this.walk(absPath);
    if (!walked) return undefined;
    const { entries, problems } = walked;
    const hit = this.cachedHash(absPath, entries, !!opts.skillmeat, problems, walked.shape);
    if (hit) return hit;
    const hashedAt = Date.now(); // before any read: a file changed from here on is too recent to persist
    const previous = opts.skillmeat ? undefined : this.options.persistent?.fileHashes(absPath, entries);
    const result = hashEntries(entries, problems, !!opts.skillmeat, (e) => {
      const c = this.files.get(e.abs);
      if (c && c.size === e.size && c.mtimeMs === e.mtimeMs && c.ctimeMs === e.ctimeMs && c.ino === e.ino) return c.hashes;
      const prev = previous?.get(e.rel);
      return prev && { norm: prev.norm, binary: prev.binary };
    }, () => { this.filesRead++; });
    this.remember(absPath, entries, result, hashedAt, walked.shape);
    return result;
  }

  private walk(absPath: string): Walked | undefined {
    // The folders' keys only for a persistent cache, which stores them.
    return walkOf(absPath, this.exclusions, !!this.options.persistent);
  }

  /** The hash of `entries` from this hasher's memory or the persistent cache, if either has it for the same keys. */
  private cachedHash(absPath: string, entries: FileEntry[], skillmeat: boolean, problems: WalkProblem[], shape?: WalkShape): ArtifactHash | undefined {
    const cached = this.artifacts.get(absPath);
    if (cached && sameEntries(cached.entries, entries) && (!skillmeat || cached.hash.skillmeat)) return cached.hash;
    const h = this.options.persistent?.get(absPath, entries, skillmeat, problems, shape, this.exclusions.key);
    if (h) this.artifacts.set(absPath, { entries, hash: h });
    return h;
  }

  private remember(absPath: string, entries: FileEntry[], result: ArtifactHash, hashedAt: number, shape?: WalkShape): void {
    // Per-file memory serves a long-lived hasher (a changed artifact re-reads only its changed files); with a
    // persistent cache (the CLI: one check per process) the cache's per-file hashes do that.
    if (!this.options.persistent) {
      const byRel = new Map(result.files.map((f) => [f.rel, f]));
      for (const e of entries) {
        const f = byRel.get(e.rel);
        if (f && !e.junk) this.files.set(e.abs, { size: e.size, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs, ino: e.ino, hashes: { norm: f.norm, binary: f.binary } });
      }
    }
    this.artifacts.set(absPath, { entries, hash: result });
    this.thisCheck?.add(absPath);
    this.options.persistent?.put(absPath, entries, result, hashedAt, shape, this.exclusions.key);
  }

  /**
   * Records what `fn` would hash (with {@link hash} answering undefined meanwhile): a dry run of a check tells
   * {@link prepare} which artifacts the real run will ask for. `fn` must be read-only.
   */
  record(fn: () => void): HashRequest[] {
    const requests = new Map<string, HashRequest>();
    const twins = new Map<string, string>();
    this.recording = requests;
    this.recordingTwins = twins;
    try { fn(); } finally { this.recording = undefined; this.recordingTwins = undefined; }
    for (const [a, b] of twins) {
      const r = requests.get(a);
      if (r && requests.has(b)) r.twin = b;
    }
    return [...requests.values()];
  }

  /**
   * Tells a dry run ({@link record}) that `b` is expected to hold what `a` holds (the collection's copy of a deployed
   * project artifact): {@link prepare} walks and reads them together and hashes `b` only if a byte differs. A hint
   * only — the answers are the same without it. Does nothing outside a dry run.
   */
  expectSame(a: string | null, b: string | null): void {
    if (this.recordingTwins && a && b && a !== b && !this.recordingTwins.has(a)) this.recordingTwins.set(a, b);
  }
  private recordingTwins: Map<string, string> | undefined;

  /**
   * Walks the requested artifacts now and hashes what neither this hasher nor its persistent cache knows: on a
   * pool of worker threads when that is more than `threshold` (default {@link POOL_THRESHOLD}; a pool costs tens
   * of milliseconds to start), else later, on this thread, when {@link hash} asks. Each walk is used once, by the
   * next {@link hash} of that artifact, so a check stats every file once. The answers are the same either way.
   * `onProgress` is called between batches (a caller's partial report reads {@link known}).
   */
  async prepare(requests: readonly HashRequest[], opts: { threshold?: PoolThreshold; pool?: () => HashPool | undefined; onProgress?: () => void } = {}): Promise<{ hashedInPool: number }> {
    this.thisCheck ??= new Set();
    const threshold = opts.threshold ?? POOL_THRESHOLD;
    let pool: HashPool | undefined;
    let poolTried = false;
    const startPool = () => { if (!poolTried && opts.pool) { poolTried = true; pool = opts.pool(); } return pool; };
    /** Batches waiting for a worker or for this thread; `inFlight` are the workers' (at most POOL_DEPTH per worker). */
    const queue: HashJob[][] = [];
    let inFlight = 0;
    let hashedInPool = 0;
    let wake: (() => void) | undefined;
    const take = (job: HashJob, r: HashJobResult, hashedAt: number) => this.take(job, r, hashedAt);
    // Batches prefetch() gave the pool before the caller's dry run: they count as in flight, and what they walk is
    // not walked again.
    const prefetched = new Set(this.prefetched.values());
    for (const p of prefetched) {
      inFlight++;
      void p.finally(() => { inFlight--; feed(); wake?.(); });
    }
    /** Keeps every worker busy with one batch. */
    const feed = () => {
      while (pool && inFlight < pool.size * POOL_DEPTH && queue.length) {
        const jobs = queue.shift()!;
        const hashedAt = Date.now(); // before the worker stats or reads anything
        inFlight++;
        hashedInPool += jobs.reduce((n, j) => n + (j.twin !== undefined ? 2 : 1), 0);
        void pool.hash(jobs).then((results) => { for (let i = 0; i < jobs.length; i++) take(jobs[i], results[i], hashedAt); }, () => {
          // A pool that fails leaves these artifacts to hash(), on this thread: slower, same answer.
        }).finally(() => { inFlight--; feed(); wake?.(); });
      }
    };
    /** A batch on this thread: the same walk and hash a worker does. */
    const local = (jobs: HashJob[]) => {
      for (const job of jobs) {
        const hashedAt = Date.now();
        let read = 0;
        if (!job.entries) {
          const withShape = !!this.options.persistent;
          if (!this.walked.has(job.abs)) take(job, walkAndHash(job.abs, this.exclusions, job.skillmeat, withShape, job.twin), hashedAt);
          else if (job.twin !== undefined) take({ ...job, abs: job.twin, twin: undefined }, walkAndHash(job.twin, this.exclusions, job.skillmeat, withShape), hashedAt);
        } else {
          const h = hashEntries(job.entries, [], job.skillmeat, undefined, () => { read++; });
          take(job, { hash: h, read }, hashedAt);
        }
      }
    };
    try {
      // Artifacts nobody knows (a first check): when there are many, they are walked with their hashing, in batches
      // shared by the workers and this thread, so the walk is spread over the cores too. The others are walked here
      // first and looked up in the caches; what those miss joins the batches once it is a lot.
      const pending = requests.filter((r) => !this.walked.has(r.absPath) && !this.prefetched.has(r.absPath));
      const unknown = new Set(pending.filter((r) => !this.artifacts.has(r.absPath) && !this.options.persistent?.has(r.absPath)).map((r) => r.absPath));
      if (unknown.size < (threshold.artifacts ?? POOL_THRESHOLD.artifacts) || !startPool()) unknown.clear();
      // Pairs expected to be equal (a project artifact and its collection copy, both unknown) are one job: the copy is
      // compared as it is read, hashed only if it differs.
      const twinOf = new Map<string, HashRequest>();
      const isTwin = new Set<string>();
      const requested = new Map(pending.map((r) => [r.absPath, r]));
      for (const r of pending) {
        const t = r.twin !== undefined ? requested.get(r.twin) : undefined;
        if (!t || !unknown.has(r.absPath) || !unknown.has(t.absPath) || isTwin.has(r.absPath) || twinOf.has(t.absPath) || isTwin.has(t.absPath)) continue;
        twinOf.set(r.absPath, t);
        isTwin.add(t.absPath);
      }
      let batch: HashJob[] = [];
      let batchArtifacts = 0;
      for (const r of pending) {
        if (!unknown.has(r.absPath) || isTwin.has(r.absPath)) continue;
        const t = twinOf.get(r.absPath);
        batch.push({ abs: r.absPath, skillmeat: r.skillmeat || !!t?.skillmeat, exclude: this.exclusions.extra, ...(this.options.persistent ? { shape: true } : {}), ...(t ? { twin: t.absPath } : {}) });
        batchArtifacts += t ? 2 : 1;
        if (batchArtifacts >= WALK_BATCH_ARTIFACTS) { queue.push(batch); batch = []; batchArtifacts = 0; }
      }
      if (batch.length) queue.push(batch);
      batch = [];
      feed();
      let batchBytes = 0;
      let missBytes = 0;
      let missFiles = 0;
      const misses: HashJob[][] = [];
      for (const r of pending) {
        if (unknown.has(r.absPath)) continue;
        // An artifact the stat cache knows (a collection another project's check hashed) is verified without a walk.
        const fast = this.options.persistent?.verify(r.absPath, r.skillmeat, this.exclusions.key);
        if (fast) { this.artifacts.set(r.absPath, fast); this.thisCheck!.add(r.absPath); continue; }
        const w = this.walk(r.absPath);
        if (!w) continue;
        this.walked.set(r.absPath, w);
        if (this.cachedHash(r.absPath, w.entries, r.skillmeat, w.problems, w.shape)) { this.thisCheck!.add(r.absPath); continue; }
        const bytes = w.entries.reduce((n, e) => n + (e.junk && !r.skillmeat ? 0 : e.size), 0);
        missBytes += bytes;
        missFiles += w.entries.length;
        batch.push({ abs: r.absPath, entries: w.entries, skillmeat: r.skillmeat });
        batchBytes += bytes;
        // Batches of a few MB: enough work per message, small enough that the threads stay busy to the end.
        if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_ARTIFACTS) { misses.push(batch); batch = []; batchBytes = 0; }
      }
      if (batch.length) misses.push(batch);
      // Below the threshold, hash() reads what the caches missed, when it is asked for.
      if (missBytes >= threshold.bytes || missFiles >= threshold.files ? startPool() : pool) { queue.push(...misses); feed(); }
      // This thread takes batches too, and lets the workers' answers in between.
      while (queue.length || inFlight) {
        if (queue.length) local(queue.pop()!);
        else await new Promise<void>((resolve) => { wake = resolve; });
        wake = undefined;
        opts.onProgress?.();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.prefetched.clear();
      await pool?.close();
    }
    return { hashedInPool };
  }

  /** A result from the pool or this thread: a walk job's walk becomes this check's walk; both are remembered. */
  private take(job: HashJob, r: HashJobResult, hashedAt: number): void {
    if (job.twin !== undefined && r.twin) this.take({ ...job, abs: job.twin, twin: undefined }, r.twin, hashedAt);
    this.filesRead += r.read;
    if (!job.entries) {
      // Walked in a worker (or on this thread): that walk is this check's walk of the artifact.
      if (!r.entries || !r.hash || this.walked.has(job.abs)) return;
      const problems = r.walkProblems ?? [];
      this.walked.set(job.abs, { entries: r.entries, problems, shape: r.shape });
      this.remember(job.abs, r.entries, { ...r.hash, problems: [...problems, ...r.hash.problems] }, hashedAt, r.shape);
      return;
    }
    const w = this.walked.get(job.abs);
    if (!w || w.entries !== job.entries || !r.hash) return; // walked again since: let hash() decide
    this.remember(job.abs, w.entries, { ...r.hash, problems: [...w.problems, ...r.hash.problems] }, hashedAt, w.shape);
  }

  /**
   * Gives `pool` walk-and-hash jobs for artifacts no cache knows, before the caller's dry run (which then runs on
   * this thread while the pool works): at most `max` artifacts, with SkillMeat's forms when `skillmeat` (else an
   * artifact that turns out to need them is hashed again for them), each with the `twin` it is expected to equal, if any (see
   * {@link expectSame}: a guess is enough, a wrong one costs a walk). The next {@link prepare} waits for these and
   * walks none of them again.
   */
  prefetch(items: readonly (string | { abs: string; twin?: string })[], pool: HashPool, max: number, skillmeat = false): number {
    this.thisCheck ??= new Set();
    const unknown = (p: string) => !this.artifacts.has(p) && !this.prefetched.has(p) && !this.options.persistent?.has(p);
    const jobs: HashJob[] = [];
    const claimed = new Set<string>();
    for (const item of items) {
      if (jobs.length >= max) break;
      const { abs, twin } = typeof item === 'string' ? { abs: item, twin: undefined } : item;
      if (!unknown(abs) || claimed.has(abs)) continue;
      claimed.add(abs);
      const t = twin !== undefined && unknown(twin) && !claimed.has(twin) ? twin : undefined;
      if (t !== undefined) claimed.add(t);
      jobs.push({ abs, skillmeat, exclude: this.exclusions.extra, ...(this.options.persistent ? { shape: true } : {}), ...(t !== undefined ? { twin: t } : {}) });
    }
    for (let i = 0; i < jobs.length; i += WALK_BATCH_ARTIFACTS) {
      const batch = jobs.slice(i, i + WALK_BATCH_ARTIFACTS);
      const hashedAt = Date.now();
      const done = pool.hash(batch).then((results) => { for (let j = 0; j < batch.length; j++) this.take(batch[j], results[j], hashedAt); }, () => {
        // A pool that fails leaves these artifacts to hash(), on this thread.
      });
      for (const job of batch) {
        this.prefetched.set(job.abs, done);
        if (job.twin !== undefined) this.prefetched.set(job.twin, done);
      }
    }
    return jobs.length;
  }
}

/** An artifact a check will hash, whether it needs SkillMeat's forms, and an artifact expected to equal it (see {@link ArtifactHasher.expectSame}). */
export interface HashRequest { absPath: string; skillmeat: boolean; twin?: string }

/**
 * One artifact for a worker: its walked files, or none — then the worker walks it (with the default junk rules and
 * `exclude`), and that walk is the check's.
 */
export interface HashJob {
  abs: string; entries?: FileEntry[]; skillmeat: boolean; exclude?: readonly string[]; /** The walk also collects its folders' keys. */ shape?: boolean;
  /** A walk job only: an artifact expected to be the same (see {@link walkAndHash}), walked and answered with this one. */
  twin?: string;
}
/** `hash` is undefined when a walk found no artifact; `entries`, `walkProblems` and `shape` come from a worker's walk; `twin` answers the job's twin. */
export interface HashJobResult { hash?: ArtifactHash; read: number; entries?: FileEntry[]; walkProblems?: WalkProblem[]; shape?: WalkShape; twin?: HashJobResult }

/**
 * A walk job, on whichever thread runs it: walks `abs` and hashes it; with a `twin` (the collection's copy of a
 * project artifact), walks that too and compares it byte for byte while hashing (see {@link hashEntries}) — hashed
 * on its own only when it differs. What the pool's workers and the calling thread both run.
 */
export function walkAndHash(abs: string, exclusions: ExclusionMatcher, skillmeat: boolean, withShape: boolean, twin?: string): HashJobResult {
  const paired = twin !== undefined && twin !== abs;
  const a = walkOf(abs, exclusions, withShape);
  const b = paired ? walkOf(twin, exclusions, withShape) : undefined;
  const result = (w: Walked, hash: ArtifactHash, read: number): HashJobResult => ({ read, hash, entries: w.entries, walkProblems: w.problems, ...(w.shape ? { shape: w.shape } : {}) });
  let read = 0;
  const h = a && hashEntries(a.entries, [], skillmeat, undefined, () => { read++; }, b?.entries);
  let twinResult: HashJobResult | undefined;
  if (b && h?.twinSame) {
    // The copy is the original, byte for byte (so no file of it was unreadable): the same hash; its files were read
    // too (compared), and count as read.
    twinResult = result(b, { kind: h.kind, tree: h.tree, files: h.files, problems: [], ...(h.skillmeat ? { skillmeat: h.skillmeat } : {}) }, read);
  } else if (b) {
    let twinRead = 0;
    const th = hashEntries(b.entries, [], skillmeat, undefined, () => { twinRead++; });
    twinResult = result(b, th, twinRead);
  } else if (paired) twinResult = { read: 0 };
  if (h) delete h.twinSame;
  return { ...(a && h ? result(a, h, read) : { read }), ...(twinResult ? { twin: twinResult } : {}) };
}

/** Walks one artifact (see {@link walkArtifact}); with `withShape`, its folders' keys too (for a persistent cache). */
function walkOf(absPath: string, exclusions: ExclusionMatcher, withShape: boolean): Walked | undefined {
  const problems: WalkProblem[] = [];
  const shape: WalkShape | undefined = withShape ? { dirs: [], plain: true } : undefined;
  const entries = walkArtifact(absPath, exclusions, problems, shape);
  return entries && { entries, problems, shape };
}

/** Hashes jobs elsewhere (worker threads), answering in job order; see hashPool.ts. */
export interface HashPool {
  /** How many workers: a batch each at a time. */
  readonly size: number;
  hash(jobs: HashJob[]): Promise<HashJobResult[]>;
  close(): Promise<void>;
}

/**
 * When a check starts the pool: `bytes` / `files` of unknown content found by walking here (a worker starts in
 * ~30–80 ms), or `artifacts` that no cache knows at all (then the workers walk them as well).
 */
export interface PoolThreshold { bytes: number; files: number; artifacts?: number }
export const POOL_THRESHOLD = { bytes: 32 << 20, files: 4000, artifacts: 200 };
/** Batches a worker holds at once: the one it hashes and the next, waiting in its message queue (hashPool.ts). */
export const POOL_DEPTH = 2;
const BATCH_BYTES = 4 << 20;
const BATCH_ARTIFACTS = 64;
/** Artifacts the workers walk go in batches of this many. */
const WALK_BATCH_ARTIFACTS = 16;

interface Walked { entries: FileEntry[]; problems: WalkProblem[]; shape?: WalkShape }

/**
 * Hashes a walked artifact: our tree hash and per-file hashes, and SkillMeat's three forms when `skillmeat`
 * (each file read once, every hash fed from the same bytes). `known` gives a file's hashes without reading it
 * (ignored with `skillmeat`: SkillMeat's directory hash is one stream over every file). Pure apart from reads:
 * the worker threads run exactly this.
 *
 * `twin`: the walk of an artifact expected to be the same (the collection's copy of a project artifact). When its
 * files have the same paths, sizes and junk flags, each is read alongside this artifact's and compared byte for
 * byte (a comparison costs a fraction of a sha256); `twinSame` in the answer says whether every byte was equal —
 * then the twin's hash is this one, computed once. Else the caller hashes the twin itself.
 */
export function hashEntries(entries: readonly FileEntry[], problems: WalkProblem[], skillmeat: boolean, known: (e: FileEntry) => FileHashes | undefined = () => undefined, onRead: () => void = () => undefined, twin?: readonly FileEntry[]): ArtifactHash & { twinSame?: boolean } {
  const kind: 'dir' | 'file' = entries.length === 1 && entries[0].rel === '' ? 'file' : 'dir';
  const result: ArtifactHash & { twinSame?: boolean } = { kind, tree: '', files: [], problems };
  const unreadable = (e: FileEntry, err: unknown) => problems.push({ code: 'unreadable-file', file: e.abs, message: `${e.abs}: cannot read (${(err as NodeJS.ErrnoException).code}); skipped. Fix its permissions to include it.` });
  const pair: TwinFile | undefined = twin && sameShape(entries, twin) ? { abs: '', same: true } : undefined;
  const twinOf = (i: number): TwinFile | undefined => {
    if (!pair?.same) return undefined;
    pair.abs = twin![i].abs;
    return pair;
  };
  if (skillmeat) {
    const forms = new SkillmeatForms(kind);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const sinks = forms.file(e.rel, e.junk);
      let h: FileHashes;
      try {
        h = hashFileSync(e.abs, sinks, e.size, twinOf(i));
        onRead();
      } catch (err) { unreadable(e, err); if (pair) pair.same = false; continue; }
      if (!e.junk) result.files.push({ rel: e.rel, norm: h.norm, size: e.size, binary: h.binary });
    }
    result.skillmeat = forms.digest();
  } else {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.junk) continue;
      let h = known(e);
      if (h) { if (pair) pair.same = false; } else {
        try {
          h = hashFileSync(e.abs, undefined, e.size, twinOf(i));
          onRead();
        } catch (err) { unreadable(e, err); if (pair) pair.same = false; continue; }
      }
      result.files.push({ rel: e.rel, norm: h.norm, size: e.size, binary: h.binary });
    }
  }
  result.tree = treeHashOf(result.files);
  if (twin) result.twinSame = !!pair?.same;
  return result;
}

/** Whether two walks list the same files: paths, sizes and junk flags (what a byte comparison of their files needs). */
function sameShape(a: readonly FileEntry[], b: readonly FileEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].rel !== b[i].rel || a[i].size !== b[i].size || a[i].junk !== b[i].junk) return false;
  return true;
}

/** SkillMeat's content hash of an artifact on disk, exactly as SkillMeat computes it (nothing excluded). */
export function skillmeatHash(absPath: string): string | undefined {
  return new ArtifactHasher().hash(absPath, { skillmeat: true })?.skillmeat?.all;
}
