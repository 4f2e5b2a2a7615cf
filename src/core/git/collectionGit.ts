// Team collections on git: a collection folder that is (inside) a git work tree is shown with its branch,
// ahead/behind and uncommitted changes; a collection behind its upstream makes the artifacts the upstream changed
// `outdated`; `update --fetch` fast-forwards it first; `pull --commit` commits exactly what the pull wrote.
// Everything here is read-only except `fastForwardCollection` and `commitPulled`; git runs through ./git only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArtifactDrift, CollectionGitState, DriftReport } from '../model';
import { DEFAULT_EXCLUSIONS, type ExclusionMatcher } from '../drift/hashing';
import { treeHashOfContent, type ContentFile } from '../sync/content';
import { isInside } from '../store/fsutil';
import * as git from './git';
import type { SyncResult } from '../sync';

/** How collection git runs: git's options, and where a problem that is not the user's to fix is logged. */
export interface CollectionGitOptions extends git.GitOptions {
  /** Told when git could not be asked (git missing, a broken repository): the check goes on without git. */
  log?: (message: string) => void;
}

/**
 * True when `dir` or a folder above it holds `.git`: only then is git asked at all, so a check of a collection
 * that is not in a repository never spawns a process (and a missing git is only worth a log line then).
 */
export function mayBeInGitRepo(dir: string): boolean {
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, '.git'))) return true;
    const up = path.dirname(d);
    if (up === d) return false;
    d = up;
  }
}

/** Where the collection in `dir` stands in git, or undefined when it is in no work tree (or git cannot tell). */
export async function readCollectionGit(dir: string, o: CollectionGitOptions = {}): Promise<CollectionGitState | undefined> {
  if (!mayBeInGitRepo(dir)) return undefined;
  let st: git.GitStatus;
  try {
    st = await git.status(dir, { ...o, paths: ['.'] });
  } catch (e) {
    if (!(e instanceof git.GitError)) throw e;
    if (e.code !== 'not-a-repo') o.log?.(`git status of the collection ${dir}: ${e.message}`);
    return undefined;
  }
  const prefix = repoPrefix(st.root, dir);
  const inside = (p: string): string | undefined => (prefix === '' ? p : p.startsWith(prefix + '/') ? p.slice(prefix.length + 1) : undefined);
  const dirty = new Set<string>();
  for (const f of st.files) {
    for (const p of [f.path, f.origPath]) {
      const rel = p === undefined ? undefined : inside(p);
      if (rel !== undefined) dirty.add(rel);
    }
  }
  return {
    root: st.root, prefix, upstreamKnown: st.upstreamKnown, ahead: st.ahead, behind: st.behind, dirty: [...dirty].sort(),
    ...(st.branch ? { branch: st.branch } : {}), ...(st.head ? { head: st.head } : {}), ...(st.upstream ? { upstream: st.upstream } : {}),
  };
}

/** The collection folder's path inside the work tree at `root` (POSIX, '' at the top); git reports real paths. */
export function repoPrefix(root: string, dir: string): string {
  let real = path.resolve(dir);
  try { real = fs.realpathSync(dir); } catch { /* as given */ }
  let top = root;
  try { top = fs.realpathSync(root); } catch { /* as given */ }
  const rel = path.relative(top, real);
  return rel.split(path.sep).join('/');
}

/**
 * The artifacts (by `relPath`) whose content a fast-forward to the upstream would change: one `git diff-tree`
 * between HEAD and the upstream ref.
 */
async function touchedByUpstream(state: CollectionGitState, o: git.GitOptions): Promise<string[]> {
  if (!state.upstream || !state.upstreamKnown || state.behind === 0) return [];
  const { stdout } = await git.run(['diff-tree', '-r', '-z', '--name-only', '--no-renames', 'HEAD', state.upstream, '--', state.prefix || '.'], { ...o, cwd: state.root });
  const out: string[] = [];
  for (const p of stdout.toString('utf8').split('\0')) {
    if (!p) continue;
    const rel = state.prefix ? (p.startsWith(state.prefix + '/') ? p.slice(state.prefix.length + 1) : undefined) : p;
    if (rel !== undefined) out.push(rel);
  }
  return out;
}

/**
 * The upstream's version of each artifact in `relPaths` (its tree hash, null when the upstream has none): one
 * `ls-tree` of the collection at the upstream ref and one `cat-file --batch` of the blobs needed. Junk is left
 * out as the hasher leaves it out, so an equal artifact hashes equal.
 */
async function upstreamVersions(state: CollectionGitState, relPaths: readonly string[], exclusions: ExclusionMatcher, o: git.GitOptions = {}): Promise<Map<string, string | null>> {
  const result = new Map<string, string | null>();
  if (!state.upstream || relPaths.length === 0) return result;
  const entries = await git.lsTree(state.root, state.upstream, state.prefix || undefined, o);
  const byArtifact = new Map<string, { rel: string; object: string; mode: string }[]>(relPaths.map((r) => [r, []]));
  for (const e of entries) {
    if (e.type !== 'blob' || e.mode === '120000') continue; // symbolic links are not followed into a collection
    const p = state.prefix ? e.path.slice(state.prefix.length + 1) : e.path;
    const artifact = artifactOf(p, byArtifact);
    if (!artifact) continue;
    const rel = p === artifact ? '' : p.slice(artifact.length + 1);
    if (exclusions.isJunkPath(rel)) continue;
    byArtifact.get(artifact)!.push({ rel, object: e.object, mode: e.mode });
  }
  const blobs = await git.readBlobs(state.root, [...byArtifact.values()].flat().map((f) => f.object), o);
  for (const [relPath, files] of byArtifact) {
    if (files.length === 0) { result.set(relPath, null); continue; }
    const content: ContentFile[] = files.map((f) => ({ rel: f.rel, data: blobs.get(f.object) ?? Buffer.alloc(0), mode: f.mode === '100755' ? 0o755 : 0o644 }));
    const kind = files.length === 1 && files[0].rel === '' ? 'file' : 'dir';
    result.set(relPath, treeHashOfContent({ kind, files: content }));
  }
  return result;
}

/**
 * The artifact (a key of `artifacts`) a collection file belongs to: a skill is the folder `skills/<name>`, a
 * command or an agent is the file itself.
 */
function artifactOf(file: string, artifacts: ReadonlyMap<string, unknown>): string | undefined {
  if (artifacts.has(file)) return file;
  const slash = file.indexOf('/', file.indexOf('/') + 1);
  const folder = slash < 0 ? undefined : file.slice(0, slash);
  return folder !== undefined && artifacts.has(folder) ? folder : undefined;
}

/**
 * What a caller that checks again and again (the extension) keeps between checks: each collection's git state,
 * reused until `invalidate()` (a refresh, a change in the collection), and what the upstream comparison found per
 * pair of commits, which never goes stale (a commit does not change). The CLI, one check per process, keeps none.
 */
export class CollectionGitCache {
  private readonly states = new Map<string, CollectionGitState | null>();
  private readonly memo = new Map<string, unknown>();
  /** The upstream's commit per state read: valid as long as the state is (both come from the same moment). */
  private readonly upstreamCommits = new WeakMap<CollectionGitState, Promise<string | undefined>>();

  /** Forgets the git states: the next check asks git again. */
  invalidate(): void { this.states.clear(); }

  /** The state last read for `dir` (null: not in a work tree), or undefined when it must be read. */
  state(dir: string): CollectionGitState | null | undefined { return this.states.get(dir); }

  setState(dir: string, state: CollectionGitState | null): void { this.states.set(dir, state); }

  /** The commit `state.upstream` named when `state` was read (one `git rev-parse` per state). */
  upstreamCommit(state: CollectionGitState, o: git.GitOptions): Promise<string | undefined> {
    let c = this.upstreamCommits.get(state);
    if (!c) this.upstreamCommits.set(state, (c = state.upstream ? git.revParse(state.root, state.upstream, o) : Promise.resolve(undefined)));
    return c;
  }

  /** A value computed from commits alone, by key; computed once. Bounded: cleared when it grows large. */
  async remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.memo.has(key)) return this.memo.get(key) as T;
    const v = await compute();
    if (this.memo.size > 20_000) this.memo.clear();
    this.memo.set(key, v);
    return v;
  }
}

const UPSTREAM_RECOMMENDATION = 'fast-forward the collection (update --fetch), then update the project';

/**
 * Adds what git knows to a drift report, read-only (no fetch): each reachable collection that is a git work tree
 * gets its `git` state; when one is behind its upstream, its in-sync artifacts that the upstream changed become
 * `outdated` (a newer version exists, as of the last fetch). Git missing or failing only logs: the report stands.
 */
export async function addCollectionGit(report: DriftReport, opts: CollectionGitOptions & { exclusions?: ExclusionMatcher; cache?: CollectionGitCache } = {}): Promise<void> {
  for (const c of report.collections) {
    if (!c.reachable) continue;
    let state = opts.cache?.state(c.path);
    if (state === undefined) {
      state = (await readCollectionGit(c.path, opts)) ?? null;
      opts.cache?.setState(c.path, state);
    }
    if (!state) continue;
    c.git = state;
    if (state.behind === 0 || !state.upstreamKnown) continue;
    try {
      await markUpstreamChanges(report.artifacts.filter((a) => a.collectionPath && isInside(c.path, a.collectionPath)), state, opts);
    } catch (e) {
      if (!(e instanceof git.GitError)) throw e;
      opts.log?.(`reading ${state.upstream} of the collection ${c.path}: ${e.message}`);
    }
  }
}

async function markUpstreamChanges(artifacts: ArtifactDrift[], state: CollectionGitState, opts: CollectionGitOptions & { exclusions?: ExclusionMatcher; cache?: CollectionGitCache }): Promise<void> {
  // Keyed by commits (HEAD and the upstream's commit), so a cached answer is never stale.
  const upstreamCommit = await opts.cache?.upstreamCommit(state, opts);
  const memo = <T>(key: string, f: () => Promise<T>): Promise<T> => (opts.cache && upstreamCommit ? opts.cache.remember(`${key}\0${upstreamCommit}`, f) : f());
  const touched = await memo(`touched\0${state.root}\0${state.prefix}\0${state.head}`, () => touchedByUpstream(state, opts));
  if (touched.length === 0) return;
  const touchedArtifacts = new Map(artifacts.map((a) => [a.relPath, a]));
  const hit = new Set<string>();
  for (const f of touched) { const a = artifactOf(f, touchedArtifacts); if (a) hit.add(a); }
  const candidates = artifacts.filter((a) => a.state === 'in-sync' && a.collectionHash && hit.has(a.relPath));
  if (candidates.length === 0) return;
  const exclusions = opts.exclusions ?? DEFAULT_EXCLUSIONS;
  const versions = await memo(`versions\0${state.root}\0${state.prefix}\0${candidates.map((a) => a.relPath).join('\0')}`, () => upstreamVersions(state, candidates.map((a) => a.relPath), exclusions, opts));
  for (const a of candidates) {
    const hash = versions.get(a.relPath);
    if (hash === undefined || hash === a.collectionHash) continue;
    a.state = 'outdated';
    a.upstream = { ref: state.upstream!, hash };
    a.recommendation = UPSTREAM_RECOMMENDATION;
    a.detail = hash === null
      ? `${state.upstream} no longer has it (as of the last fetch; the collection is ${state.behind} commit${state.behind === 1 ? '' : 's'} behind)`
      : `${state.upstream} has a newer version (as of the last fetch; the collection is ${state.behind} commit${state.behind === 1 ? '' : 's'} behind)`;
  }
}

/** What `fastForwardCollection` did. */
export interface CollectionFastForward {
  /** The collection is in no git work tree: nothing was done. */
  notARepo?: boolean;
  upstream?: string;
  /** Commits taken (0: already up to date with the fetched upstream). */
  commits: number;
  from?: string;
  to?: string;
}

/**
 * `update --fetch`: fetches the collection's remote and fast-forwards it, never merging or rebasing. Refused
 * (a `GitError`, nothing changed) when the history diverged, or when uncommitted changes sit in files the
 * fast-forward would change (named, with the fix).
 */
export async function fastForwardCollection(dir: string, o: git.GitOptions = {}): Promise<CollectionFastForward> {
  if (!(await git.findRepo(dir, o))) return { notARepo: true, commits: 0 };
  await git.fetch(dir, { timeoutMs: 120_000, ...o });
  const state = await readCollectionGit(dir, o);
  if (!state) return { notARepo: true, commits: 0 };
  if (state.behind > 0 && state.ahead === 0) {
    const touched = new Set(await touchedByUpstream(state, o));
    const blocking = state.dirty.filter((f) => touched.has(f));
    if (blocking.length) {
      throw new git.GitError('failed', `The collection in ${dir} has uncommitted changes in ${blocking.length === 1 ? 'a file' : 'files'} ${state.upstream} changes (${blocking.slice(0, 5).join(', ')}${blocking.length > 5 ? ', …' : ''}): commit or stash them, then run update --fetch again. Nothing was changed.`, dir);
    }
  }
  const r = await git.fastForward(dir, o);
  return { upstream: r.upstream, commits: r.commits, from: r.from, to: r.to };
}

/** What `commitPulled` did. */
export interface PulledCommit {
  commit: string;
  /** Files staged and committed, relative to `dir` (POSIX). */
  files: string[];
  pushed?: { remote: string; ref: string };
}

/**
 * Stages exactly `paths` (absolute paths of artifacts inside the work tree of `dir`; deletions included) and
 * commits only them, with `message`; other changes of the collection stay as they were (staged or not). With
 * `push`, pushes the branch to its upstream: a rejected push throws `push-rejected` and the commit stays local.
 */
export async function commitPulled(dir: string, paths: readonly string[], message: string, opts: git.GitOptions & { push?: boolean } = {}): Promise<PulledCommit> {
  await git.add(dir, paths, opts);
  const changed = await stagedBelow(dir, paths, opts);
  if (changed.length === 0) throw new git.GitError('failed', `Nothing to commit in ${dir}: ${paths.map((p) => path.relative(dir, p)).join(', ')} already ${paths.length === 1 ? 'equals' : 'equal'} the last commit.`, dir);
  const commit = await git.commit(dir, message, paths, opts);
  const out: PulledCommit = { commit, files: changed };
  if (opts.push) {
    const p = await git.push(dir, opts);
    out.pushed = { remote: p.remote, ref: p.ref };
  }
  return out;
}

/** Staged changes under `paths`, relative to the collection `dir` (POSIX). */
async function stagedBelow(dir: string, paths: readonly string[], o: git.GitOptions): Promise<string[]> {
  const { stdout } = await git.run(['diff', '--cached', '--name-only', '-z', '--relative', '--', ...paths], { ...o, cwd: dir });
  return stdout.toString('utf8').split('\0').filter(Boolean).sort();
}

/**
 * The commit message of a pull into a git collection: what (type and name), how (strategy) and from where
 * (the project's folder name, with its path in the body).
 */
export function pullCommitMessage(items: readonly { type: string; name: string; strategy: string }[], project: string): string {
  const from = path.basename(project) || project;
  const subject = items.length === 1
    ? `Pull ${items[0].type} ${items[0].name} from ${from} (${items[0].strategy})`
    : `Pull ${items.length} artifacts from ${from} (${[...new Set(items.map((i) => i.strategy))].join(', ')})`;
  const body = items.map((i) => `- ${i.type} ${i.name}: ${i.strategy}`).join('\n');
  return `${subject}\n\n${body}\n\nSource project: ${project}\nWritten by skillmeat-sync pull.\n`;
}

/** What a pull wrote into one git work tree: the paths to commit, and what the commit message names. */
export interface PulledGroup { paths: string[]; items: { type: string; name: string; strategy: string }[]; project: string }

/**
 * The files pulls wrote into a collection, grouped by the git work tree they are in (each folder asked of git once);
 * `notInRepo`: written outside any work tree. `onError`: git could not be asked about a path (it is left out).
 */
export async function pulledByRepo(results: readonly SyncResult[], o: git.GitOptions & { onError?: (file: string, e: git.GitError) => void } = {}): Promise<{ byRepo: Map<string, PulledGroup>; notInRepo: string[] }> {
  const byRepo = new Map<string, PulledGroup>();
  const notInRepo: string[] = [];
  const repoOf = new Map<string, Promise<string | undefined>>();
  for (const r of results) {
    for (const a of r.artifacts.filter((x) => x.status === 'synced')) {
      for (const w of a.writes.filter((x) => x.side === 'collection')) {
        const dir = path.dirname(w.path);
        if (!repoOf.has(dir)) repoOf.set(dir, git.findRepo(dir, o));
        let root: string | undefined;
        try { root = await repoOf.get(dir); } catch (e) {
          if (!(e instanceof git.GitError)) throw e;
          o.onError?.(w.path, e);
          continue;
        }
        if (!root) { notInRepo.push(w.path); continue; }
        const g = byRepo.get(root) ?? { paths: [], items: [], project: r.project };
        g.paths.push(w.path);
        g.items.push({ type: a.type, name: a.forkName ?? a.name, strategy: a.choice ?? a.action });
        byRepo.set(root, g);
      }
    }
  }
  return { byRepo, notInRepo };
}
