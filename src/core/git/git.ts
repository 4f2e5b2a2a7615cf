// The git adapter: the ONLY module of the product that spawns git. Like VS Code's own git extension it runs
// the `git` executable (execFile, never a shell) rather than a library: the user's git, config, credential
// helpers and hooks apply exactly as on their command line. Every call is non-interactive
// (GIT_TERMINAL_PROMPT=0, stdin closed, no pager, no colour, English messages) and every failure becomes a
// `GitError` whose `code` a caller can branch on and whose message names the folder and the fix.
//
// Paths: `status` and `lsTree` answer, and `show` / `lsTree` take, repository paths (POSIX, relative to the
// top level). `add` and `commit` take file-system paths (absolute, or relative to `dir`). Pathspecs are
// literal (GIT_LITERAL_PATHSPECS=1): an artifact named `a*b` never matches `axb`.
//
// Keep this API stable: the merge base from git history builds on `run` (git log, cat-file --batch).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type GitErrorCode = 'no-git' | 'not-a-repo' | 'auth-needed' | 'diverged' | 'push-rejected' | 'failed';

/** A git failure with a code to branch on and a message for the user (names the folder and the fix). */
export class GitError extends Error {
  constructor(
    readonly code: GitErrorCode,
    message: string,
    /** The folder git ran in. */
    readonly dir: string,
    /** git's own words (stderr), for logs. */
    readonly stderr = '',
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

/** How to run git: the environment (tests pass one with a private HOME), the executable, a time limit. */
export interface GitOptions {
  env?: NodeJS.ProcessEnv;
  /** The git executable; default `git`, found on the environment's PATH. */
  gitPath?: string;
  /** Kill git after this long (network calls); default none. */
  timeoutMs?: number;
}

export interface RunOptions extends GitOptions {
  cwd: string;
  /** Written to git's stdin, then stdin is closed (it is always closed, so git never waits for input). */
  input?: string | Buffer;
  /** Answer instead of throwing when git exits non-zero (the caller reads `exitCode`). */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

const MAX_OUTPUT = 512 * 1024 * 1024;

function gitEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return {
    ...(env ?? process.env),
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_LITERAL_PATHSPECS: '1',
    // English messages: errors are recognised by git's words (as VS Code's git extension does).
    LC_ALL: 'C',
    LANGUAGE: 'C',
    GIT_OPTIONAL_LOCKS: '0',
  };
}

/** Runs `git <args>` in `opts.cwd` (no shell) and returns its output; a failure throws a mapped `GitError`. */
export function run(args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const cwd = opts.cwd;
  if (!isDirectory(cwd)) {
    return Promise.reject(new GitError('failed', `Cannot run git in ${cwd}: the folder does not exist. Check the collection path in the SkillMeat config.`, cwd));
  }
  // core.fsmonitor names a program git would run on status: a repository's own config must not run code here.
  const fullArgs = ['-c', 'color.ui=false', '-c', 'core.quotepath=false', '-c', 'core.fsmonitor=false', '--no-pager', ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(opts.gitPath ?? 'git', fullArgs, {
      cwd, env: gitEnv(opts.env), encoding: 'buffer', maxBuffer: MAX_OUTPUT, windowsHide: true,
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    }, (err, stdout, stderrBuf) => {
      const stderr = stderrBuf.toString('utf8');
      if (!err) { resolve({ stdout, stderr, exitCode: 0 }); return; }
      const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        reject(new GitError('no-git', `Git was not found (needed for the collection in ${cwd}): install git, or put it on the PATH the editor / CLI runs with.`, cwd, stderr));
        return;
      }
      if (e.killed) {
        reject(new GitError('failed', `git ${args[0]} in ${cwd} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s: check the network and the remote, then try again.`, cwd, stderr));
        return;
      }
      const exitCode = typeof e.code === 'number' ? e.code : 1;
      if (opts.allowFailure) { resolve({ stdout, stderr, exitCode }); return; }
      reject(mapFailure(args, cwd, stderr, exitCode));
    });
    child.stdin?.on('error', () => { /* git may exit before reading all input; its exit code tells */ });
    child.stdin?.end(opts.input);
  });
}

/** Turns git's exit and stderr into a `GitError` with a code and a message that names `dir` and the fix. */
function mapFailure(args: readonly string[], dir: string, stderr: string, exitCode?: number): GitError {
  const said = firstLines(stderr);
  const cmd = `git ${args[0] ?? ''}`;
  const make = (code: GitErrorCode, msg: string): GitError => new GitError(code, msg, dir, stderr, exitCode);
  if (/not a git repository/i.test(stderr)) {
    return make('not-a-repo', `${dir} is not in a git repository: run \`git init\` or clone the team's collection there.`);
  }
  if (/could not read (Username|Password)|terminal prompts disabled|Authentication failed|HTTP Basic: Access denied|Permission denied \(publickey|Invalid username or password|The requested URL returned error: 40[13]/i.test(stderr)) {
    return make('auth-needed', `${cmd} in ${dir} needs credentials for the remote (${said}): sign in once with git on the command line (or set up a credential helper / SSH key), then try again.`);
  }
  if (/\[rejected\]|\[remote rejected\]|non-fast-forward|fetch first|Updates were rejected/i.test(stderr)) {
    return make('push-rejected', `The push from ${dir} was refused: the remote has commits you do not have. Your commit stays local (nothing is lost): bring those commits in with \`git pull --rebase\` there, then push again. Next time, update with --fetch (fetch and fast-forward) before you pull.`);
  }
  if (/Not possible to fast-forward|have diverged/i.test(stderr)) {
    return make('diverged', `The collection in ${dir} and its remote have diverged: merge or rebase it with git yourself (nothing was changed), then try again.`);
  }
  if (/dubious ownership/i.test(stderr)) {
    return make('failed', `git refuses ${dir}: it is owned by another user. If you trust it, run \`git config --global --add safe.directory ${dir}\`.`);
  }
  if (/Please tell me who you are|empty ident name|unable to auto-detect email/i.test(stderr)) {
    return make('failed', `git cannot commit in ${dir}: no author is set. Run \`git config user.name "Your Name"\` and \`git config user.email you@example.com\` there.`);
  }
  if (/would be overwritten by merge|Your local changes to the following files/i.test(stderr)) {
    return make('failed', `${cmd} in ${dir} would overwrite uncommitted changes (${said}): commit or stash them first.`);
  }
  if (/Could not resolve host|Failed to connect|Connection refused|Could not connect|unable to access|Connection timed out|Network is unreachable/i.test(stderr)) {
    return make('failed', `${cmd} in ${dir} could not reach the remote (${said}): check the network and the remote URL (\`git remote -v\`).`);
  }
  return make('failed', `${cmd} failed in ${dir}${said ? `: ${said}` : ''}.`);
}

function firstLines(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^hint:/i.test(l));
  return lines.slice(0, 2).join(' ').slice(0, 300);
}

function isDirectory(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

async function out(args: readonly string[], cwd: string, o: GitOptions = {}): Promise<string> {
  return (await run(args, { ...o, cwd })).stdout.toString('utf8');
}

/** The top level of the work tree `dir` is in, or undefined when it is in none (or `dir` does not exist). */
export async function findRepo(dir: string, o: GitOptions = {}): Promise<string | undefined> {
  if (!isDirectory(dir)) return undefined;
  const r = await run(['rev-parse', '--is-inside-work-tree', '--show-toplevel'], { ...o, cwd: dir, allowFailure: true });
  if (r.exitCode !== 0) {
    if (/not a git repository/i.test(r.stderr)) return undefined;
    throw mapFailure(['rev-parse'], dir, r.stderr, r.exitCode);
  }
  const [inside, top] = r.stdout.toString('utf8').split('\n');
  return inside === 'true' && top ? path.resolve(top) : undefined; // inside a .git folder: no work tree
}

/** One changed path of `git status`. */
export interface GitFileStatus {
  /** Repository path (POSIX, relative to the top level). */
  path: string;
  /** For a rename or copy: where it came from. */
  origPath?: string;
  /** Index (staged) and work-tree status letters as git prints them (`.` unchanged, `M`, `A`, `D`, `R`, `?`…). */
  index: string;
  workTree: string;
  kind: 'changed' | 'renamed' | 'unmerged' | 'untracked';
}

/** Where a work tree stands: branch, upstream, ahead/behind (against the last fetched upstream ref), dirty files. */
export interface GitStatus {
  /** Top level of the work tree. */
  root: string;
  /** Branch name; undefined when HEAD is detached. */
  branch?: string;
  /** HEAD commit; undefined before the first commit. */
  head?: string;
  /** Upstream as git names it (`origin/main`); undefined when the branch tracks nothing. */
  upstream?: string;
  /** Commits on HEAD not on the upstream ref / on the upstream ref not on HEAD, as of the last fetch. */
  ahead: number;
  behind: number;
  /** False when the upstream is configured but its ref is gone (never fetched, or deleted on the remote). */
  upstreamKnown: boolean;
  files: GitFileStatus[];
}

/**
 * `git status --porcelain=v2 --branch -z` of the work tree that holds `dir`; with `paths` (pathspecs relative
 * to `dir`, `.` for `dir` itself) only changes below them are listed, so a collection inside a large
 * repository costs only its own folder. Branch, upstream and ahead/behind are the whole branch's either way.
 */
export async function status(dir: string, o: GitOptions & { paths?: readonly string[] } = {}): Promise<GitStatus> {
  const [rootOut, raw] = await Promise.all([
    out(['rev-parse', '--show-toplevel'], dir, o),
    out(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all', ...(o.paths?.length ? ['--', ...o.paths] : [])], dir, o),
  ]);
  return parseStatus(path.resolve(rootOut.trim()), raw);
}

/** Parses porcelain v2 `-z` output. */
function parseStatus(root: string, raw: string): GitStatus {
  const st: GitStatus = { root, ahead: 0, behind: 0, upstreamKnown: false, files: [] };
  const recs = raw.split('\0');
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i];
    if (!rec) continue;
    if (rec.startsWith('# ')) {
      const [key, ...rest] = rec.slice(2).split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid' && value !== '(initial)') st.head = value;
      else if (key === 'branch.head' && value !== '(detached)') st.branch = value;
      else if (key === 'branch.upstream') st.upstream = value;
      else if (key === 'branch.ab') {
        const m = /^\+(\d+) -(\d+)$/.exec(value);
        if (m) { st.ahead = Number(m[1]); st.behind = Number(m[2]); st.upstreamKnown = true; }
      }
      continue;
    }
    const kind = rec[0];
    if (kind === '?') { st.files.push({ path: rec.slice(2), index: '?', workTree: '?', kind: 'untracked' }); continue; }
    if (kind === '!') continue;
    // Field counts before the path: 1 → 8, 2 → 9 (then NUL + original path), u → 10.
    const before = kind === '1' ? 8 : kind === '2' ? 9 : kind === 'u' ? 10 : -1;
    if (before < 0) continue;
    const parts = splitN(rec, before);
    const xy = parts[1] ?? '..';
    const f: GitFileStatus = {
      path: parts[before] ?? '', index: xy[0] ?? '.', workTree: xy[1] ?? '.',
      kind: kind === '2' ? 'renamed' : kind === 'u' ? 'unmerged' : 'changed',
    };
    if (kind === '2') f.origPath = recs[++i];
    st.files.push(f);
  }
  return st;
}

/** Splits `s` on its first `n` spaces (the last part, a path, may hold spaces). */
function splitN(s: string, n: number): string[] {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < n; k++) {
    const at = s.indexOf(' ', from);
    if (at < 0) break;
    parts.push(s.slice(from, at));
    from = at + 1;
  }
  parts.push(s.slice(from));
  return parts;
}

/** `git fetch` of the current branch's remote (or `remote`). Network: give a timeout in `o`. */
export async function fetch(dir: string, o: GitOptions & { remote?: string } = {}): Promise<void> {
  await run(['fetch', '--quiet', ...(o.remote ? [o.remote] : [])], { ...o, cwd: dir });
}

export interface FastForwardResult {
  /** HEAD before and after; equal when there was nothing to take. */
  from?: string;
  to?: string;
  /** How many commits were taken. */
  commits: number;
  upstream: string;
}

/**
 * Fast-forwards the current branch to its (last fetched) upstream: `merge --ff-only`. Never merges or rebases:
 * when the branch has commits of its own as well, it throws `diverged` and changes nothing.
 */
export async function fastForward(dir: string, o: GitOptions = {}): Promise<FastForwardResult> {
  const st = await status(dir, o);
  const upstream = requireUpstream(st, dir);
  if (st.behind === 0) return { from: st.head, to: st.head, commits: 0, upstream };
  if (st.ahead > 0) {
    throw new GitError('diverged', `The collection in ${dir} has ${st.ahead} commit(s) of its own and is ${st.behind} behind ${upstream}: it cannot be fast-forwarded. Merge or rebase it with git yourself (nothing was changed), then try again.`, dir);
  }
  await run(['merge', '--ff-only', '--quiet', '@{upstream}'], { ...o, cwd: dir });
  const to = (await out(['rev-parse', 'HEAD'], dir, o)).trim();
  return { from: st.head, to, commits: st.behind, upstream };
}

function requireUpstream(st: GitStatus, dir: string): string {
  if (!st.branch) throw new GitError('failed', `The collection in ${dir} is on a detached HEAD: check out a branch (\`git switch main\`) first.`, dir);
  if (!st.upstream) throw new GitError('failed', `Branch ${st.branch} in ${dir} tracks no remote branch: run \`git branch --set-upstream-to=origin/${st.branch}\` (or push with \`git push -u\`) first.`, dir);
  if (!st.upstreamKnown) throw new GitError('failed', `The upstream ${st.upstream} of ${dir} has not been fetched (or is gone on the remote): run \`git fetch\` and check \`git branch -vv\`.`, dir);
  return st.upstream;
}

/** Stages `paths` (file-system paths), deletions included: `git add -A -- <paths>`. */
export async function add(dir: string, paths: readonly string[], o: GitOptions = {}): Promise<void> {
  if (paths.length === 0) return;
  await run(['add', '-A', '--', ...paths], { ...o, cwd: dir });
}

/**
 * Commits exactly `paths` (file-system paths; other staged changes stay staged and out of the commit), or the
 * index when `paths` is empty. Hooks run as configured. Returns the new commit.
 */
export async function commit(dir: string, message: string, paths: readonly string[], o: GitOptions = {}): Promise<string> {
  await run(['commit', '--quiet', '--file=-', ...(paths.length ? ['--only', '--', ...paths] : [])], { ...o, cwd: dir, input: message });
  return (await out(['rev-parse', 'HEAD'], dir, o)).trim();
}

export interface PushResult {
  remote: string;
  /** The remote branch pushed to (`refs/heads/main`). */
  ref: string;
  head: string;
}

/** Pushes the current branch to its upstream (never forced). A non-fast-forward throws `push-rejected`. */
export async function push(dir: string, o: GitOptions = {}): Promise<PushResult> {
  const st = await status(dir, o);
  if (!st.branch) throw new GitError('failed', `The collection in ${dir} is on a detached HEAD: check out a branch (\`git switch main\`) first.`, dir);
  const cfg = async (key: string): Promise<string | undefined> => {
    const r = await run(['config', '--get', key], { ...o, cwd: dir, allowFailure: true });
    return r.exitCode === 0 ? r.stdout.toString('utf8').trim() : undefined;
  };
  const remote = await cfg(`branch.${st.branch}.remote`);
  const ref = await cfg(`branch.${st.branch}.merge`);
  if (!remote || !ref) throw new GitError('failed', `Branch ${st.branch} in ${dir} tracks no remote branch: push it once with \`git push -u origin ${st.branch}\`.`, dir);
  await run(['push', '--quiet', remote, `HEAD:${ref}`], { ...o, cwd: dir });
  return { remote, ref, head: st.head ?? '' };
}

/** The content of `repoPath` at `rev` (`git show rev:path`), or undefined when the path is not there. */
export async function show(dir: string, rev: string, repoPath: string, o: GitOptions = {}): Promise<Buffer | undefined> {
  const r = await run(['cat-file', 'blob', `${rev}:${repoPath}`], { ...o, cwd: dir, allowFailure: true });
  if (r.exitCode === 0) return r.stdout;
  if (/does not exist|not a valid object name|invalid object name|exists on disk, but not in|bad file/i.test(r.stderr)) return undefined;
  throw mapFailure(['show'], dir, r.stderr, r.exitCode);
}

/** One entry of `git ls-tree`. */
export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  object: string;
  /** Repository path (POSIX, relative to the top level). */
  path: string;
}

/** The blobs below `repoPath` (or the whole tree) at `rev`, recursively; [] when the path is not there. */
export async function lsTree(dir: string, rev: string, repoPath?: string, o: GitOptions = {}): Promise<TreeEntry[]> {
  const raw = await out(['ls-tree', '-r', '-z', '--full-tree', rev, ...(repoPath ? ['--', repoPath] : [])], dir, o);
  const entries: TreeEntry[] = [];
  for (const rec of raw.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, object] = rec.slice(0, tab).split(' ');
    entries.push({ mode, type: type as TreeEntry['type'], object, path: rec.slice(tab + 1) });
  }
  return entries;
}

/** Reads many blobs in one `git cat-file --batch`; a missing object is left out of the answer. */
export async function readBlobs(dir: string, objects: readonly string[], o: GitOptions = {}): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const wanted = [...new Set(objects)];
  if (wanted.length === 0) return found;
  const { stdout } = await run(['cat-file', '--batch'], { ...o, cwd: dir, input: wanted.join('\n') + '\n' });
  let at = 0;
  for (const oid of wanted) {
    const nl = stdout.indexOf(0x0a, at);
    if (nl < 0) break;
    const header = stdout.subarray(at, nl).toString('utf8').split(' ');
    at = nl + 1;
    if (header[1] === 'missing' || header.length < 3) continue;
    const size = Number(header[2]);
    found.set(oid, stdout.subarray(at, at + size));
    at += size + 1; // the content is followed by a newline
  }
  return found;
}

/** The commit `rev` names, or undefined when it names none. */
export async function revParse(dir: string, rev: string, o: GitOptions = {}): Promise<string | undefined> {
  const r = await run(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { ...o, cwd: dir, allowFailure: true });
  return r.exitCode === 0 ? r.stdout.toString('utf8').trim() : undefined;
}
