// A merge base from SkillMeat's own collection snapshots (issue 16). SkillMeat's deploy snapshots the whole
// collection after every deployment (`<home>/snapshots/<collection>/<id>.tar.gz`, listed in `snapshots.toml`,
// message "[auto] Auto-deploy: …"), and so does ours (skillmeatSnapshot.ts). A project SkillMeat deployed has a
// record whose baseline is in no version store of ours, but its content is in such a tarball: the artifact
// whose SkillMeat hash equals the record's `content_hash` (or `merge_base_snapshot`).
//
// Tarballs are read entry by entry from a gunzip stream (tar-stream), never unpacked to disk. Entries with an
// absolute path, a `..` or `.` part, a backslash, or that are links are ignored (never followed); an artifact
// holding a link is never used as a base (SkillMeat's deploy followed it, its hash cannot be checked here).
// A tarball that cannot be read is skipped with a warning naming it.
//
// Bounded: per query at most MAX_SNAPSHOTS_PER_QUERY snapshots (the newest) and MAX_INFLATED_BYTES_PER_QUERY
// bytes inflated. Cached: an index artifact → hash prefixes per tarball, keyed by the tarball's path, size and
// mtime, in memory and persisted in `$SKILLMEAT_HOME/sync/snapshot-index/` (never in a project or a
// collection), so a tarball is read once to index it and again only to take out the one artifact that matched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { parse } from 'smol-toml';
import { SkillmeatForms, comparePathParts, isSkillmeatIgnored, type ArtifactHasher, type ExclusionMatcher } from '../drift/hashing';
import { contentOfFiles, type ArtifactContent, type ContentFile } from '../sync/content';
import type { BaseFinder, BaseQuery, FoundBase } from '../sync/baseFinders';
import { SNAPSHOTS_FILE, snapshotsDirFor } from './skillmeatSnapshot';
import { skillmeatHome } from './skillmeatHome';
import { defaultStoreDir } from './versionStore';
import { writeFileAtomic } from './fsutil';

let tarStream: typeof import('tar-stream') | undefined;

export const MAX_SNAPSHOTS_PER_QUERY = 20;
export const MAX_INFLATED_BYTES_PER_QUERY = 64 * 1024 * 1024;
export const SNAPSHOT_INDEX_DIR = 'snapshot-index';
const INDEX_VERSION = 1;
const INDEX_FILE = `v${INDEX_VERSION}.json`;
/** Tarballs remembered in the persisted index (the most recently used kept). */
const MAX_INDEXED_TARBALLS = 500;
/** Hex digits of each hash kept in the index: enough to pick the tarball; the base is checked in full. */
const PREFIX = 16;
const HEX64 = /^[0-9a-f]{64}$/;
/** SkillMeat's snapshot id, `%Y%m%d-%H%M%S-%f`; also the tarball's file name. */
const SNAPSHOT_ID = /^[0-9]{8}-[0-9]{6}-[0-9]{6}$/;

/** One snapshot listed in a `snapshots.toml`. */
export interface SnapshotInfo { id: string; message?: string; tarball: string }

/**
 * The snapshots listed in `<dir>/snapshots.toml`, newest first. The tarball is `<dir>/<id>.tar.gz` (the
 * recorded `tarball_path` is absolute and goes stale when a home moves; it is never followed elsewhere).
 */
function listSnapshots(dir: string): { snapshots: SnapshotInfo[]; problem?: string } {
  const file = path.join(dir, SNAPSHOTS_FILE);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { snapshots: [] } : { snapshots: [], problem: `${file}: cannot read (${(e as NodeJS.ErrnoException).code}); its snapshots are not searched for a merge base. Fix its permissions.` };
  }
  let doc: { snapshots?: unknown };
  try { doc = parse(text) as { snapshots?: unknown }; } catch (e) {
    return { snapshots: [], problem: `${file}: cannot parse (${(e as Error).message.split('\n')[0]}); its snapshots are not searched for a merge base. Fix the file or let SkillMeat re-create it.` };
  }
  const out: SnapshotInfo[] = [];
  for (const s of Array.isArray(doc.snapshots) ? doc.snapshots as Record<string, unknown>[] : []) {
    const id = s?.id;
    if (typeof id !== 'string' || !SNAPSHOT_ID.test(id)) continue;
    out.push({ id, ...(typeof s.message === 'string' ? { message: s.message } : {}), tarball: path.join(dir, `${id}.tar.gz`) });
  }
  return { snapshots: out.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)) };
}

/** An artifact's hashes in a tarball: kind ('d' | 'f'), then the prefixes of SkillMeat's all, clean, cleanLf forms. */
type Indexed = [string, string, string, string];
interface TarballIndex { s: number; m: number; a?: Record<string, Indexed>; bad?: string }

/** The index of tarballs, in memory and in `<dir>/v1.json`. Anything wrong with the file makes an empty index. */
export class SnapshotIndexCache {
  private static readonly shared = new Map<string, SnapshotIndexCache>();
  private readonly tarballs = new Map<string, TarballIndex>();
  private loaded = false;
  private dirty = false;

  constructor(readonly dir: string) {}

  /** The process-wide cache of `dir` (every sync of a process shares what was indexed). */
  static for(dir: string): SnapshotIndexCache {
    let c = SnapshotIndexCache.shared.get(dir);
    if (!c) SnapshotIndexCache.shared.set(dir, (c = new SnapshotIndexCache(dir)));
    return c;
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    try {
      const data = JSON.parse(fs.readFileSync(path.join(this.dir, INDEX_FILE), 'utf8')) as { v?: unknown; t?: unknown };
      if (data.v !== INDEX_VERSION || typeof data.t !== 'object' || data.t === null) return;
      for (const [file, x] of Object.entries(data.t as Record<string, unknown>)) if (validIndex(x)) this.tarballs.set(file, x);
    } catch { /* no index yet, or a broken one: rebuilt from the tarballs */ }
  }

  get(tarball: string, st: fs.Stats): TarballIndex | undefined {
    this.load();
    const x = this.tarballs.get(tarball);
    return x && x.s === st.size && x.m === st.mtimeMs ? x : undefined;
  }

  put(tarball: string, x: TarballIndex): void {
    this.load();
    this.tarballs.delete(tarball);
    this.tarballs.set(tarball, x);
    this.dirty = true;
  }

  /** Writes the index (atomically) if anything changed; false (never a throw) when it cannot be written. */
  save(): boolean {
    if (!this.dirty) return true;
    const keep = [...this.tarballs].slice(-MAX_INDEXED_TARBALLS);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(path.join(this.dir, INDEX_FILE), JSON.stringify({ v: INDEX_VERSION, t: Object.fromEntries(keep) }), {}, 0o600);
      this.dirty = false;
      return true;
    } catch {
      return false; // an optimisation: a read-only home only means the tarballs are read again next time
    }
  }
}

function validIndex(x: unknown): x is TarballIndex {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Partial<TarballIndex>;
  if (typeof o.s !== 'number' || typeof o.m !== 'number') return false;
  if (o.bad !== undefined) return typeof o.bad === 'string';
  return typeof o.a === 'object' && o.a !== null && Object.values(o.a).every((v) => Array.isArray(v) && v.length === 4 && v.every((h) => typeof h === 'string'));
}

/** Bytes inflated so far in one query, against its cap. */
interface Budget { used: number; readonly max: number }

class BudgetExceeded extends Error {}

/** The parts of a tar member name, or undefined for a name that could leave its folder (absolute, `..`, `\`). */
export function safeTarParts(name: string): string[] | undefined {
  if (!name || name.includes('\0') || name.includes('\\') || name.startsWith('/') || /^[A-Za-z]:/.test(name)) return undefined;
  const parts = name.replace(/\/+$/, '').split('/');
  while (parts[0] === '.' && parts.length > 1) parts.shift();
  return parts.some((p) => p === '' || p === '.' || p === '..') ? undefined : parts;
}

interface TarMember { parts: string[]; kind: 'file' | 'link'; mode: number; data?: Buffer }

/**
 * Streams a gzipped tarball: `visit` gets every member whose parts `want` accepts (regular files with their
 * bytes; links and hard links as `link`, never their target); directories and other members are skipped.
 */
async function scanTarball(file: string, budget: Budget, want: (parts: string[]) => boolean, visit: (m: TarMember) => void): Promise<void> {
  const src = fs.createReadStream(file);
  const gunzip = zlib.createGunzip();
  // tar-stream (and streamx under it) loaded on the first tarball read, not at every CLI start and activation.
  const extract = (tarStream ??= require('tar-stream') as typeof import('tar-stream')).extract();
  gunzip.on('data', (c: Buffer) => {
    budget.used += c.length;
    if (budget.used > budget.max) gunzip.destroy(new BudgetExceeded());
  });
  const piping = pipeline(src, gunzip, extract);
  let failure: unknown;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const parts = safeTarParts(h.name);
      const type = h.type ?? 'file';
      if (!parts || !want(parts) || !['file', 'contiguous-file', 'link', 'symlink'].includes(type)) { entry.resume(); continue; }
      if (type === 'link' || type === 'symlink') { entry.resume(); visit({ parts, kind: 'link', mode: h.mode ?? 0o644 }); continue; }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      visit({ parts, kind: 'file', mode: h.mode ?? 0o644, data: Buffer.concat(chunks) });
    }
  } catch (e) {
    failure = e;
    src.destroy();
  }
  try { await piping; } catch (e) { failure ??= e; }
  // The cap destroys the gunzip stream; the other streams then fail with "premature close": say why.
  if (failure && budget.used > budget.max) throw new BudgetExceeded();
  if (failure) throw failure;
}

/** One artifact's members collected from a tarball: files in memory, and whether a link made it unusable. */
interface Collected { kind?: 'dir' | 'file'; files: ContentFile[]; link: boolean; mixed: boolean }

function collect(c: Collected, m: TarMember, rel: string): void {
  if (m.kind === 'link') { c.link = true; return; }
  const kind = rel === '' ? 'file' : 'dir';
  if (c.kind && c.kind !== kind) c.mixed = true;
  c.kind = kind;
  c.files.push({ rel, data: m.data!, mode: m.mode & 0o777 });
}

/** Collected files that can be an artifact: no link, one kind, a single file alone. */
const usable = (c: Collected): boolean => !c.link && !c.mixed && !!c.kind && (c.kind === 'dir' || c.files.length === 1);

/**
 * SkillMeat's three forms over what its deploy would copy of the collected files, or undefined when unusable: for
 * the index (every artifact of every tarball), so without our tree hash that {@link contentOfFiles} adds.
 */
function formsOf(c: Collected, exclusions: ExclusionMatcher): { all: string; clean: string; cleanLf: string } | undefined {
  if (!usable(c)) return undefined;
  const forms = new SkillmeatForms(c.kind!);
  for (const f of [...c.files].sort((a, b) => comparePathParts(a.rel, b.rel))) {
    if (isSkillmeatIgnored(f.rel)) continue;
    forms.add(f.rel, exclusions.isJunkPath(f.rel), f.data);
  }
  return forms.digest();
}

const unreadable = (tarball: string, e: unknown): string =>
  `${tarball}: not a readable SkillMeat snapshot (${(e as Error).message}); skipped as a merge base. Delete it if SkillMeat no longer needs it.`;

export interface SnapshotBaseFinderOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the index is persisted; default `$SKILLMEAT_HOME/sync/snapshot-index`. */
  cache?: SnapshotIndexCache;
  maxSnapshots?: number;
  maxInflatedBytes?: number;
  /**
   * A `snapshots.toml` changed less than this long ago (ms, default 2 000) is parsed again at every query: a rewrite
   * within the same timestamp tick, at the same size, would not show in its stat.
   */
  racyMs?: number;
}

/** The `skillmeat-snapshot` {@link BaseFinder}. */
export class SkillmeatSnapshotBaseFinder implements BaseFinder {
  readonly name = 'skillmeat-snapshot';
  /** Tarballs opened (to index or to take an artifact out), over the finder's life: tests observe the cache with it. */
  tarballsRead = 0;
  /** `snapshots.toml` files parsed, over the finder's life (a sync of many artifacts asks once per artifact). */
  listsParsed = 0;
  /** Each folder's listing, with the stat of its `snapshots.toml` it was parsed at (SkillMeat appends as it deploys). */
  private readonly listings = new Map<string, { key: string; listed: ReturnType<typeof listSnapshots> }>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly cache: SnapshotIndexCache;

  constructor(private readonly o: SnapshotBaseFinderOptions = {}) {
    this.env = o.env ?? process.env;
    this.cache = o.cache ?? SnapshotIndexCache.for(path.join(defaultStoreDir(skillmeatHome(this.env)), SNAPSHOT_INDEX_DIR));
  }

  /**
   * The snapshot folders of the collection, existing ones only: its own home's (`<home>/collections/<name>`
   * → `<home>/snapshots/<name>`) and `$SKILLMEAT_HOME`'s. Not `~/.skillmeat`'s when SKILLMEAT_HOME points
   * elsewhere (SkillMeat 0.9 always writes there): a home the user moved away from is not read behind their back.
   */
  snapshotDirs(q: Pick<BaseQuery, 'collectionDir' | 'collectionName'>): string[] {
    const dirs = [snapshotsDirFor(q.collectionDir)?.dir, path.join(skillmeatHome(this.env), 'snapshots', q.collectionName)];
    return [...new Set(dirs.filter((d): d is string => !!d).map((d) => path.resolve(d)))].filter((d) => fs.existsSync(d));
  }

  async find(q: BaseQuery, hasher: ArtifactHasher): Promise<FoundBase | undefined> {
    const wanted = new Set([q.contentHash, q.record.merge_base_snapshot].filter((h): h is string => typeof h === 'string' && HEX64.test(h.toLowerCase())).map((h) => h.toLowerCase()));
    if (!wanted.size) return undefined;
    const prefixes = new Set([...wanted].map((h) => h.slice(0, PREFIX)));
    const all: (SnapshotInfo & { top: string })[] = [];
    for (const dir of this.snapshotDirs(q)) {
      const listed = this.listing(dir);
      if (listed.problem) q.warn?.(listed.problem, path.join(dir, SNAPSHOTS_FILE));
      all.push(...listed.snapshots.map((s) => ({ ...s, top: path.basename(dir) })));
    }
    all.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const budget: Budget = { used: 0, max: this.o.maxInflatedBytes ?? MAX_INFLATED_BYTES_PER_QUERY };
    const maxSnapshots = this.o.maxSnapshots ?? MAX_SNAPSHOTS_PER_QUERY;
    const relParts = q.relPath.split('/');
    try {
      for (const snap of all.slice(0, maxSnapshots)) {
        let st: fs.Stats;
        try { st = fs.statSync(snap.tarball); } catch { continue; } // listed but gone: nothing to read
        if (!st.isFile()) continue;
        const index = this.cache.get(snap.tarball, st) ?? await this.index(snap.tarball, snap.top, st, budget, hasher.exclusions);
        if (!index) throw new BudgetExceeded();
        if (index.bad) { q.warn?.(index.bad, snap.tarball); continue; }
        const hit = index.a?.[q.relPath];
        if (!hit || !hit.slice(1).some((h) => prefixes.has(h))) continue;
        const content = await this.extract(snap.tarball, snap.top, relParts, budget, hasher.exclusions, wanted, q);
        if (content) return { source: 'skillmeat-snapshot', content, origin: `SkillMeat snapshot ${snap.id}${snap.message ? ` (${JSON.stringify(snap.message)})` : ''}` };
      }
      // An answer never claims more than was checked: a search cut short says so.
      if (all.length > maxSnapshots) q.warn?.(`the merge base of ${q.relPath} was searched for in the newest ${maxSnapshots} of ${all.length} SkillMeat snapshots of "${q.collectionName}" only (the limit per merge)`);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      q.warn?.(`the search for the merge base of ${q.relPath} in SkillMeat's snapshots of "${q.collectionName}" stopped after ${budget.max >= 1048576 ? `${budget.max / 1048576} MiB` : `${budget.max} bytes`} inflated (the limit per merge); older snapshots were not read`);
    } finally {
      this.cache.save();
    }
    return undefined;
  }

  /**
   * The snapshots listed in `dir`, parsed again only when its `snapshots.toml` changed (size, times, inode) or
   * changed too recently for its stat to tell (see {@link SnapshotBaseFinderOptions.racyMs}).
   */
  private listing(dir: string): ReturnType<typeof listSnapshots> {
    let key = '';
    try {
      const st = fs.statSync(path.join(dir, SNAPSHOTS_FILE));
      const recent = Date.now() - (this.o.racyMs ?? 2000);
      if (st.mtimeMs < recent && st.ctimeMs < recent) key = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    } catch { /* missing or unreadable: listSnapshots says which, every time */ }
    const memo = this.listings.get(dir);
    if (key && memo?.key === key) return memo.listed;
    this.listsParsed++;
    const listed = listSnapshots(dir);
    if (key) this.listings.set(dir, { key, listed });
    return listed;
  }

  /** Reads a whole tarball once and remembers every artifact's hashes; undefined when the budget ran out. */
  private async index(tarball: string, top: string, st: fs.Stats, budget: Budget, exclusions: ExclusionMatcher): Promise<TarballIndex | undefined> {
    const a: Record<string, Indexed> = {};
    const split = new Set<string>();
    let key: string | undefined;
    let cur: Collected | undefined;
    const close = (): void => {
      if (!key || !cur) return;
      const f = formsOf(cur, exclusions);
      if (f && !split.has(key)) a[key] = [cur.kind === 'file' ? 'f' : 'd', f.all.slice(0, PREFIX), f.clean.slice(0, PREFIX), f.cleanLf.slice(0, PREFIX)];
      split.add(key);
    };
    this.tarballsRead++;
    try {
      await scanTarball(tarball, budget, (parts) => parts[0] === top && parts.length >= 3, (m) => {
        const k = `${m.parts[1]}/${m.parts[2]}`;
        if (k !== key) {
          close();
          // An artifact whose members are not together in the tarball (never written so): not used.
          if (split.has(k)) { delete a[k]; key = undefined; cur = undefined; return; }
          key = k;
          cur = { files: [], link: false, mixed: false };
        }
        if (cur) collect(cur, m, m.parts.slice(3).join('/'));
      });
      close();
    } catch (e) {
      if (e instanceof BudgetExceeded) return undefined;
      const x: TarballIndex = { s: st.size, m: st.mtimeMs, bad: unreadable(tarball, e) };
      this.cache.put(tarball, x);
      return x;
    }
    const x: TarballIndex = { s: st.size, m: st.mtimeMs, a };
    this.cache.put(tarball, x);
    return x;
  }

  /** Takes the artifact out of a tarball; its content only when its SkillMeat hash is one of `wanted`. */
  private async extract(tarball: string, top: string, relParts: string[], budget: Budget, exclusions: ExclusionMatcher, wanted: Set<string>, q: BaseQuery): Promise<ArtifactContent | undefined> {
    const c: Collected = { files: [], link: false, mixed: false };
    this.tarballsRead++;
    try {
      await scanTarball(tarball, budget, (parts) => parts[0] === top && relParts.every((p, i) => parts[i + 1] === p), (m) => collect(c, m, m.parts.slice(1 + relParts.length).join('/')));
    } catch (e) {
      if (e instanceof BudgetExceeded) throw e;
      q.warn?.(unreadable(tarball, e), tarball);
      return undefined;
    }
    if (!usable(c)) return undefined;
    const { content, forms } = contentOfFiles(c.files, c.kind!, exclusions);
    return [forms.skillmeat.all, forms.skillmeat.clean, forms.skillmeat.cleanLf].some((h) => wanted.has(h)) ? content : undefined;
  }
}
