// A merge base from the collection's git history (issue 16): when a record's baseline is in neither the version
// store nor on either side — deployed on another machine, or by a teammate — the collection's history may still
// hold it. Every version an artifact ever had is its content right after a commit that changed its path, so
// `git log -- <path>` lists them all; the newest commit whose version hashes to the record's baseline is the base.
//
// Cost: one `git log`, one `cat-file --batch-check` for the version of each commit, then `cat-file --batch`
// rounds for the distinct trees (level by level) and one for the distinct blobs — a handful of processes
// whatever the length of the history. Bounded by `maxCommits` commits that touch the artifact (newest first).
// Cached: git objects never change, so the baseline forms of each version (by its object id) are kept in
// `$SKILLMEAT_HOME/sync/git-bases/<repo>.jsonl` and a second search hashes nothing it has seen.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArtifactHasher, ExclusionMatcher } from '../drift/hashing';
import { skillmeatHome } from '../store/skillmeatHome';
import { writeFileAtomic } from '../store/fsutil';
import type { BaseFinder, BaseQuery, FoundBase } from '../sync/baseFinders';
import { contentOfFiles, isRecordedBaseline, type BaselineForms, type ContentFile } from '../sync/content';
import { GitError, findRepo, readBlobs, run, type GitOptions } from './git';
import { mayBeInGitRepo, repoPrefix } from './collectionGit';

/** Commits that touch an artifact looked at, newest first, before giving up. */
const DEFAULT_MAX_COMMITS = 5000;
/** Versions whose forms the cache keeps per repository (oldest dropped first). */
const CACHE_LIMIT = 50_000;

export interface GitBaseOptions extends GitOptions {
  maxCommits?: number;
  /** Where the cache lives; default `$SKILLMEAT_HOME/sync/git-bases` (none: no persisted cache). */
  cacheDir?: string | null;
}

/** What one search did, for tests and the bench. */
export interface GitBaseStats { commits: number; versions: number; hashed: number; processes: number }

/** The cache file's first line; each following line is `[oid, forms]` (JSON). */
const CACHE_HEADER = '{"v":2}';
/** The file of an older format (one JSON object, rewritten whole on every save): removed when the new one is written. */
const OLD_CACHE_SUFFIX = '.json';

/** A journal's versions in file order (a later line wins); empty for a missing file or another format. */
function readJournal(file: string): Map<string, BaselineForms> {
  const forms = new Map<string, BaselineForms>();
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return forms; }
  const rows = text.split('\n');
  if (rows[0] !== CACHE_HEADER) return forms; // another format: not read (rewritten on the first save)
  for (const row of rows.slice(1)) {
    if (!row) continue;
    try {
      const [oid, f] = JSON.parse(row) as [unknown, unknown];
      if (typeof oid === 'string' && f && typeof f === 'object') { forms.delete(oid); forms.set(oid, f as BaselineForms); }
    } catch { /* a line cut short: skipped */ }
  }
  return forms;
}

/**
 * Baseline forms of versions by object id, loaded once per repository. A journal: each save appends the versions
 * hashed since the last one (a sync searching for the bases of many artifacts wrote the whole cache — up to
 * `limit` versions — after every search). Once the file (whoever appended to it: the CLI and the extension share
 * it) holds about twice `limit` lines, it is read again, merged with what this process holds, and rewritten with
 * the newest `limit`. Not fsynced: a line cut short by a crash is skipped when read (it is only a cache).
 */
export class FormsCache {
  private static readonly open = new Map<string, FormsCache>();
  /** The cache of `file`, loaded once per process (undefined: a cache for this search only). */
  static for(file: string | undefined): FormsCache {
    if (!file) return new FormsCache(undefined);
    let c = FormsCache.open.get(file);
    if (!c) FormsCache.open.set(file, (c = new FormsCache(file)));
    return c;
  }

  private forms: Map<string, BaselineForms>;
  /** Hashed since the last save. */
  private pending: [string, BaselineForms][] = [];

  /** A cache read from `file` now (tests: another process's view); `limit` versions are kept when it is rewritten. */
  constructor(private readonly file: string | undefined, private readonly limit = CACHE_LIMIT) {
    this.forms = file ? readJournal(file) : new Map();
  }
  get(oid: string): BaselineForms | undefined { return this.forms.get(oid); }
  set(oid: string, f: BaselineForms): void { this.forms.set(oid, f); this.pending.push([oid, f]); }
  /** Versions in memory (tests). */
  get size(): number { return this.forms.size; }

  save(): void {
    if (!this.file || !this.pending.length) return;
    const lines = this.pending.map((e) => JSON.stringify(e));
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      if (!this.appendTo(lines)) this.rewrite();
      this.pending = [];
    } catch { /* a cache that cannot be written costs time next search, nothing else */ }
  }

  /** The file read again (what other processes appended), merged with this process's, the newest `limit` written. */
  private rewrite(): void {
    const merged = readJournal(this.file!);
    for (const [oid, f] of this.forms) if (!merged.has(oid)) merged.set(oid, f);
    for (const [oid, f] of this.pending) { merged.delete(oid); merged.set(oid, f); }
    const entries = [...merged.entries()].slice(-this.limit);
    writeFileAtomic(this.file!, [CACHE_HEADER, ...entries.map((e) => JSON.stringify(e))].join('\n') + '\n', {}, undefined, { durable: false });
    this.forms = new Map(entries);
    fs.rmSync(this.file!.replace(/\.jsonl$/, OLD_CACHE_SUFFIX), { force: true });
  }

  /**
   * Appends `lines` to the file as it is (another process may have appended too). False when it should be rewritten
   * instead: missing, emptied, of another format, or about twice `limit` lines long (judged by its size and the
   * length of these lines).
   */
  private appendTo(lines: string[]): boolean {
    const text = lines.join('\n') + '\n';
    let fd: number;
    // O_APPEND: each write lands at the end, whoever else appends meanwhile (a missing file is created empty, then rewritten).
    try { fd = fs.openSync(this.file!, 'a+'); } catch { return false; }
    try {
      const { size } = fs.fstatSync(fd);
      const head = Buffer.alloc(CACHE_HEADER.length + 1);
      if (size < head.length || fs.readSync(fd, head, 0, head.length, 0) !== head.length || head.toString('utf8') !== CACHE_HEADER + '\n') return false;
      if (Math.round((size - head.length) / (text.length / lines.length)) + lines.length > 2 * this.limit) return false;
      // A line cut short by a crash ends without a newline: ours start on a line of their own.
      const last = Buffer.alloc(1);
      fs.readSync(fd, last, 0, 1, size - 1);
      fs.writeSync(fd, (last[0] === 0x0a ? '' : '\n') + text);
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }
}

interface TreeItem { mode: string; name: string; oid: string }

/** Parses a raw tree object (`<mode> <name>\0<binary id>`…); `idBytes` is 20 (SHA-1) or 32 (SHA-256). */
function parseTree(buf: Buffer, idBytes: number): TreeItem[] {
  const items: TreeItem[] = [];
  let at = 0;
  while (at < buf.length) {
    const sp = buf.indexOf(0x20, at);
    const nul = buf.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 1 + idBytes > buf.length) break;
    items.push({ mode: buf.subarray(at, sp).toString('latin1'), name: buf.subarray(sp + 1, nul).toString('utf8'), oid: buf.subarray(nul + 1, nul + 1 + idBytes).toString('hex') });
    at = nul + 1 + idBytes;
  }
  return items;
}

/** One version of the artifact: the commits whose state it is, and its object. */
interface Version { oid: string; type: 'tree' | 'blob'; commits: { id: string; subject: string }[] }

/** Searches the history of the repository holding `q.collectionDir` for the record's baseline. */
export async function findBaseInHistory(q: BaseQuery, exclusions: ExclusionMatcher, o: GitBaseOptions = {}, stats: GitBaseStats = { commits: 0, versions: 0, hashed: 0, processes: 0 }): Promise<FoundBase | undefined> {
  if ((!q.contentHash && !q.treeHash) || !mayBeInGitRepo(q.collectionDir)) return undefined;
  const repo = await findRepo(q.collectionDir, o);
  stats.processes++;
  if (!repo) return undefined;
  // (git answers real paths: a collection reached through a link is placed by its real path)
  const prefix = repoPrefix(repo, q.collectionDir);
  if (prefix.startsWith('..') || path.isAbsolute(prefix)) return undefined;
  const repoPath = prefix ? `${prefix}/${q.relPath}` : q.relPath;

  // every commit that changed the path, on any branch or remote-tracking ref (a teammate's deploy may be only on origin)
  const max = Math.max(1, o.maxCommits ?? DEFAULT_MAX_COMMITS);
  const log = await run(['log', '--all', `--max-count=${max}`, '--format=%H %s', '--', repoPath], { ...o, cwd: repo });
  stats.processes++;
  const commits = log.stdout.toString('utf8').split('\n').filter(Boolean).map((l) => ({ id: l.slice(0, l.indexOf(' ') < 0 ? l.length : l.indexOf(' ')), subject: l.indexOf(' ') < 0 ? '' : l.slice(l.indexOf(' ') + 1) }));
  stats.commits = commits.length;
  if (commits.length === 0) return undefined;

  // the artifact's object at each commit (absent where the commit deleted it)
  const check = await run(['cat-file', '--batch-check'], { ...o, cwd: repo, input: commits.map((c) => `${c.id}:${repoPath}`).join('\n') + '\n' });
  stats.processes++;
  const versions = new Map<string, Version>();
  const lines = check.stdout.toString('utf8').split('\n');
  commits.forEach((c, i) => {
    const [oid, type] = (lines[i] ?? '').split(' ');
    if (type !== 'tree' && type !== 'blob') return;
    if ((type === 'tree') !== (q.kind === 'dir')) return;
    const v = versions.get(oid) ?? { oid, type, commits: [] };
    v.commits.push(c);
    versions.set(oid, v);
  });
  stats.versions = versions.size;

  // keyed by repository and by the user's extra exclusions (our tree hash and the junk-free forms depend on them)
  const key = crypto.createHash('sha256').update(repo).update('\0').update(exclusions.extra.join('\0')).digest('hex').slice(0, 16);
  const cache = FormsCache.for(o.cacheDir === null ? undefined : path.join(o.cacheDir ?? path.join(skillmeatHome(o.env ?? process.env), 'sync', 'git-bases'), `${key}.jsonl`));
  const wanted = { treeHash: q.treeHash, contentHash: q.contentHash };
  // newest version first: the newest commit that holds the baseline is named
  const ordered = [...versions.values()];
  const known = ordered.find((v) => { const f = cache.get(v.oid); return f && isRecordedBaseline(f, wanted); });
  const unknown = ordered.filter((v) => !cache.get(v.oid));
  let found = known;
  let content: VersionContent | undefined;
  if (!found && unknown.length) {
    const r = await readVersions(repo, unknown, exclusions, o);
    stats.processes += r.processes;
    for (const v of unknown) {
      const c = r.contents.get(v.oid);
      if (!c) continue;
      stats.hashed++;
      cache.set(v.oid, c.forms);
    }
    found = ordered.find((v) => { const f = cache.get(v.oid); return f && isRecordedBaseline(f, wanted); });
    if (found) content = r.contents.get(found.oid);
  }
  cache.save();
  if (!found) return undefined;
  if (!content) {
    const r = await readVersions(repo, [found], exclusions, o);
    stats.processes += r.processes;
    content = r.contents.get(found.oid);
    // the cache said this version holds the baseline: its content, read now, must say so too
    if (!content || !isRecordedBaseline(content.forms, wanted)) return undefined;
  }
  const commit = found.commits[found.commits.length - 1]; // the oldest commit of the window holding it: where it was made
  const subject = commit.subject.length > 60 ? `${commit.subject.slice(0, 59)}…` : commit.subject;
  return { source: 'git', content: content.content, origin: `commit ${commit.id.slice(0, 7)}${subject ? ` ("${subject}")` : ''}` };
}

type VersionContent = ReturnType<typeof contentOfFiles>;

/** Reads versions (trees level by level, then every blob in one batch) and builds their content and forms. */
async function readVersions(repo: string, versions: readonly Version[], exclusions: ExclusionMatcher, o: GitOptions): Promise<{ contents: Map<string, VersionContent>; processes: number }> {
  let processes = 0;
  const idBytes = (versions[0]?.oid.length ?? 40) / 2;
  const trees = new Map<string, TreeItem[]>();
  let pending = versions.filter((v) => v.type === 'tree').map((v) => v.oid);
  while (pending.length) {
    const raw = await readBlobs(repo, pending, o);
    processes++;
    const next = new Set<string>();
    for (const oid of pending) {
      const items = parseTree(raw.get(oid) ?? Buffer.alloc(0), idBytes);
      trees.set(oid, items);
      for (const it of items) if (it.mode === '40000' && !trees.has(it.oid)) next.add(it.oid);
    }
    pending = [...next];
  }
  // the files of each version: regular files only (a link is never followed; a submodule is not content)
  const filesOf = (oid: string, prefix = ''): { rel: string; oid: string; mode: number }[] =>
    (trees.get(oid) ?? []).flatMap((it) => {
      const rel = prefix ? `${prefix}/${it.name}` : it.name;
      if (it.mode === '40000') return filesOf(it.oid, rel);
      if (it.mode === '100644' || it.mode === '100755') return [{ rel, oid: it.oid, mode: it.mode === '100755' ? 0o755 : 0o644 }];
      return [];
    });
  const listing = new Map(versions.map((v) => [v.oid, v.type === 'tree' ? filesOf(v.oid) : [{ rel: '', oid: v.oid, mode: 0o644 }]]));
  const blobs = await readBlobs(repo, [...listing.values()].flat().map((f) => f.oid), o);
  processes++;
  const contents = new Map<string, VersionContent>();
  for (const v of versions) {
    const files: ContentFile[] = [];
    for (const f of listing.get(v.oid)!) {
      const data = blobs.get(f.oid);
      if (data) files.push({ rel: f.rel, data, mode: f.mode });
    }
    contents.set(v.oid, contentOfFiles(files, v.type === 'tree' ? 'dir' : 'file', exclusions));
  }
  return { contents, processes };
}

/** The `git` merge-base finder: the collection's history, when the collection is in a git work tree. */
export function gitHistoryBaseFinder(o: GitBaseOptions = {}): BaseFinder {
  return {
    name: 'git',
    async find(q: BaseQuery, hasher: ArtifactHasher): Promise<FoundBase | undefined> {
      try {
        return await findBaseInHistory(q, hasher.exclusions, o);
      } catch (e) {
        if (!(e instanceof GitError)) throw e;
        if (e.code !== 'no-git' && e.code !== 'not-a-repo') q.warn?.(`the history of ${q.collectionDir} could not be searched for a merge base: ${e.message}`, q.collectionDir);
        return undefined;
      }
    },
  };
}
