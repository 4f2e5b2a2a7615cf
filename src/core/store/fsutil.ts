// File-system primitives every writer in the product goes through: atomic writes, directory swaps,
// and an advisory lock so the extension and the CLI never lose each other's writes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';

/** Test hook: called after the temp file is complete and before it is renamed into place. */

/**
 * `mkdir -p` that reports the real reason. Node's recursive mkdir says ENOENT when an ancestor cannot be created
 * (a read-only file system: EROFS; no permission: EACCES; a file in the way: ENOTDIR), which sends the user
 * looking for a missing folder; here the first missing ancestor is created alone, and its error is thrown.
 */
export function ensureDir(dir: string, mode?: number): void {
  try { fs.mkdirSync(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) }); } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
      missing.unshift(d);
      if (path.dirname(d) === d) break;
    }
    for (const m of missing) fs.mkdirSync(m, mode === undefined ? undefined : { mode });
    throw e;
  }
}

export interface AtomicWriteHooks {
  beforeRename?: (tempPath: string, finalPath: string) => void;
}

function tempNameFor(finalPath: string, dir = path.dirname(finalPath)): string {
  const suffix = `.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  return path.join(dir, `.${fitName(path.basename(finalPath), suffix)}${suffix}`);
}

/** File systems take names of at most 255 bytes: a staging name keeps as much of `base` as fits before `suffix`. */
function fitName(base: string, suffix: string): string {
  const room = 255 - 1 - Buffer.byteLength(suffix); // the leading dot
  if (Buffer.byteLength(base) <= room) return base;
  let out = '';
  for (const ch of base) { if (Buffer.byteLength(out + ch) > room) break; out += ch; }
  return out;
}

// The crash campaign's injection point (tests and `npm run bench` only): with SKILLMEAT_SYNC_CRASH_AT=N the
// process kills itself (SIGKILL, as a power cut or `kill -9` would) at the Nth write point of its run; with
// SKILLMEAT_SYNC_CRASH_AT=count it prints how many write points the run passed, on exit, to stderr.
const crashAt = process.env.SKILLMEAT_SYNC_CRASH_AT;
let writePoints = 0;
if (crashAt === 'count') process.on('exit', () => process.stderr.write(`write points: ${writePoints}\n`));

/** A place between two steps of a write where a crash must leave everything whole (see the crash campaign). */
export function writePoint(): void {
  if (!crashAt) return;
  writePoints++;
  if (crashAt !== 'count' && writePoints === Number(crashAt)) process.kill(process.pid, 'SIGKILL');
}

/** Makes a rename in `dir` durable (the directory entry itself is on disk), so a power cut keeps old or new. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try { fd = fs.openSync(dir, 'r'); fs.fsyncSync(fd); } catch { /* not supported here (some file systems, Windows) */ } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a file atomically: temp file in the same directory (or `opts.tempDir`, on the same file system), fsync,
 * rename. Old or new, never half. `durable: false` skips both fsyncs: for a cache that checks what it reads
 * (after a power cut it may find the new name with unwritten content, and must then ignore it).
 */
export function writeFileAtomic(finalPath: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}, mode?: number, opts: { tempDir?: string; durable?: boolean } = {}): void {
  ensureDir(path.dirname(finalPath));
  const tmp = tempNameFor(finalPath, opts.tempDir);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', mode ?? 0o644);
    fs.writeFileSync(fd, data);
    if (opts.durable !== false) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (mode === undefined) {
      // keep the permissions of the file we replace (an executable generator stays executable)
      try { fs.chmodSync(tmp, fs.statSync(finalPath).mode & 0o7777); } catch { /* new file */ }
    }
    hooks.beforeRename?.(tmp, finalPath);
    writePoint();
    fs.renameSync(tmp, finalPath);
    if (opts.durable !== false) fsyncDir(path.dirname(finalPath));
    writePoint();
  } catch (e) {
    if (fd !== undefined) { try { fs.closeSync(fd); } catch { /* already failing */ } }
    try { fs.rmSync(tmp, { force: true }); } catch { /* best effort */ }
    throw e;
  }
}

/**
 * True for a path the product's own writers create and remove around a write — {@link writeFileAtomic}'s
 * temp files, {@link siblingTemp}'s staged and set-aside trees (and anything inside them), lock files and
 * stale locks being taken over — never a change of content. Every file watcher uses this one predicate.
 */
export function isStagingPath(p: string): boolean {
  return p.split(/[\\/]/).some((segment) => STAGING_NAME.test(segment));
}

// The names tempNameFor, siblingTemp and the lock functions below create, in that order. SkillMeat's own
// `collection.lock` is content (its entries' hashes), not one of our locks.
const STAGING_NAME = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$|^\..+\.[a-z]+-\d+-[0-9a-f]{8}$|^(?!collection\.lock$).+\.lock$|\.lock\.stale-\d+-[0-9a-f]{8}$/;

/** A unique sibling path (same file system) for staging a directory or file before a rename. */
export function siblingTemp(finalPath: string, tag = 'tmp'): string {
  const suffix = `.${tag}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(finalPath), `.${fitName(path.basename(finalPath), suffix)}${suffix}`);
}

/**
 * Replaces `finalPath` (file or directory, may not exist) with the fully staged `stagedPath` using renames
 * only, so a reader sees the old tree or the new one. The old tree is removed after the swap.
 */
export function swapIntoPlace(stagedPath: string, finalPath: string): void {
  ensureDir(path.dirname(finalPath));
  let old: string | undefined;
  if (fs.existsSync(finalPath) || isBrokenLink(finalPath)) {
    old = siblingTemp(finalPath, 'old');
    fs.renameSync(finalPath, old);
    writePoint();
  }
  try {
    fs.renameSync(stagedPath, finalPath);
  } catch (e) {
    if (old) fs.renameSync(old, finalPath);
    throw e;
  }
  fsyncDir(path.dirname(finalPath));
  writePoint();
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

function isBrokenLink(p: string): boolean {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** Removes a file or directory by renaming it aside first, so a crash never leaves half a skill. */
export function removeAtomic(target: string): void {
  if (!fs.existsSync(target) && !isBrokenLink(target)) return;
  const aside = siblingTemp(target, 'del');
  fs.renameSync(target, aside);
  fsyncDir(path.dirname(target));
  writePoint();
  fs.rmSync(aside, { recursive: true, force: true });
}

/** What the holder of this process's own locks is called in messages. */
const THIS_PROCESS = 'another operation of this process';

export interface LockOptions {
  /** How long to wait for another writer, in ms (default 10 000). */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned (default 60 000 ms). */
  staleMs?: number;
  /**
   * Called once when the lock is found held and the caller has to wait (async locks only), with who holds it
   * ("pid 123 on host, since …", or another operation of this process); and with undefined once the wait is
   * over, whether the lock was taken or not. For progress messages.
   */
  onWait?: (holder: string | undefined) => void;
}

export class LockTimeoutError extends Error {
  readonly code = 'ELOCKED';
  constructor(readonly lockPath: string, readonly holder: string) {
    super(holder === THIS_PROCESS
      ? `${lockPath} is still held by ${THIS_PROCESS} (a long write). Try again when it has finished.`
      : `${lockPath} is held by another writer (${describeHolder(holder)}). Wait for it to finish, or delete the lock file if that process is gone.`);
  }
}

/** The lock file's content in words: "pid 123 on host, since …" (or the raw text when it is not ours). */
function describeHolder(text: string): string {
  try {
    const i = JSON.parse(text) as { pid?: number; host?: string; at?: string };
    if (i.pid) return `pid ${i.pid}${i.host ? ` on ${i.host}` : ''}${i.at ? `, since ${i.at}` : ''}`;
  } catch { /* not JSON */ }
  return text.trim() || 'no owner recorded: the lock file is empty, left by a writer that died';
}

/** True when a process with this pid runs on this machine. */
export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Lock files this process holds right now (a sync taker must not wait for itself: it would wait forever). */
const heldHere = new Set<string>();

type TryResult = { release: () => void } | { holder: string; ours: boolean };

/**
 * One attempt at `<file>.lock` (O_EXCL). A lock whose owner died, or older than `staleMs` when its owner
 * is on another machine, is taken over and the attempt repeated. Never waits.
 */
function tryLock(lockPath: string, staleMs: number, token: string): TryResult {
  for (;;) {
    if (createLockFile(lockPath, JSON.stringify({ pid: process.pid, host: os.hostname(), at: new Date().toISOString(), token }))) {
      heldHere.add(lockPath);
      // Release only our own lock: if it was ever taken over, the file now belongs to someone else.
      return {
        release: () => {
          heldHere.delete(lockPath);
          try { if (fs.readFileSync(lockPath, 'utf8').includes(token)) fs.rmSync(lockPath, { force: true }); } catch { /* already gone */ }
        },
      };
    }
    let txt: string;
    let mtimeMs: number;
    try { txt = fs.readFileSync(lockPath, 'utf8'); mtimeMs = fs.statSync(lockPath).mtimeMs; } catch { continue; /* the lock vanished: try again */ }
    if (isStaleLock(txt, mtimeMs, staleMs)) { takeOverStale(lockPath, txt); continue; }
    return { holder: txt, ours: heldHere.has(lockPath) };
  }
}

/** How long a lock file without a readable owner (empty, cut short) counts as being written rather than left behind. */
const UNREADABLE_LOCK_GRACE_MS = 2_000;

/**
 * Whether a lock file was left behind. On this machine the holder's pid tells whether it is alive; from another
 * machine only its age can — taken from its `at`, or from the file's mtime when `at` is missing or in the future
 * (a clock set back, a lock file committed to a repository). A file whose owner cannot be read at all (a writer
 * of an older version died between creating and filling it) is stale after a short grace.
 */
function isStaleLock(text: string, mtimeMs: number, staleMs: number): boolean {
  const now = Date.now();
  let info: { pid?: number; host?: string; at?: string };
  try { info = JSON.parse(text) as typeof info; } catch { return now - mtimeMs > UNREADABLE_LOCK_GRACE_MS; }
  if (!info || typeof info !== 'object') return now - mtimeMs > UNREADABLE_LOCK_GRACE_MS;
  const local = !info.host || info.host === os.hostname();
  if (local && typeof info.pid === 'number') return info.pid !== process.pid && !pidAlive(info.pid);
  const at = info.at ? Date.parse(info.at) : NaN;
  const since = Number.isFinite(at) && at <= now ? at : mtimeMs;
  return now - since > staleMs;
}

/**
 * Creates `lockPath` with its content in one step, so no reader ever sees an empty lock: the content goes to a
 * temp file that is then hard-linked into place (link fails if the lock exists). Where hard links are not
 * supported, falls back to an exclusive create followed by the write. False when the lock already exists.
 */
function createLockFile(lockPath: string, content: string): boolean {
  const temp = tempNameFor(lockPath);
  try {
    fs.writeFileSync(temp, content, { flag: 'wx' });
    try {
      fs.linkSync(temp, lockPath);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
  try {
    const fd = fs.openSync(lockPath, 'wx');
    try { fs.writeFileSync(fd, content); } finally { fs.closeSync(fd); }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Takes `<file>.lock` synchronously and returns its release function; another process's writer is waited
 * for, polling with a deadline. Only for short critical sections of CLI-style callers: a lock this process
 * already holds fails at once (waiting for ourselves could only time out), and the wait blocks the thread —
 * the extension host uses {@link acquireLock}.
 */
export function acquireLockSync(file: string, opts: LockOptions = {}): () => void {
  const lockPath = file + '.lock';
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const token = crypto.randomBytes(8).toString('hex');
  ensureDir(path.dirname(lockPath));
  let delay = 5;
  for (;;) {
    const r = tryLock(lockPath, opts.staleMs ?? 60_000, token);
    if ('release' in r) return r.release;
    if (r.ours) throw new LockTimeoutError(lockPath, THIS_PROCESS);
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath, r.holder);
    sleepSync(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Writers of this process waiting for a lock file, in order: each waits for the one before it in memory. */
const queues = new Map<string, Promise<void>>();

/**
 * Takes `<file>.lock` without ever blocking the event loop, and returns its release function. Writers
 * of this process queue in memory (first come, first served; the lock file is not polled for them);
 * another process's lock is polled with timers until it is released, found stale, or `timeoutMs` passes
 * ({@link LockTimeoutError}). `onWait` hears once that the caller is waiting, and for whom.
 */
export async function acquireLock(file: string, opts: LockOptions = {}): Promise<() => void> {
  const lockPath = file + '.lock';
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  // Told once per holder: first, possibly, a writer of this process ahead in the queue, then another process.
  let told: string | undefined;
  const waiting = (holder: string) => { if (holder !== told) { told = holder; opts.onWait?.(holder); } };

  // Our place in this process's queue: `before` settles when every earlier writer has released.
  const before = queues.get(lockPath) ?? Promise.resolve();
  let leave!: () => void;
  const mine = new Promise<void>((r) => { leave = r; });
  const tail = before.then(() => mine);
  queues.set(lockPath, tail);
  void tail.then(() => { if (queues.get(lockPath) === tail) queues.delete(lockPath); });
  let inLine = true;
  void before.then(() => { inLine = false; });
  await Promise.resolve(); // let an already-settled predecessor clear `inLine`
  if (inLine) {
    waiting(THIS_PROCESS);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      before.then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), Math.max(0, deadline - Date.now())); }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      // Keep the queue's order: our slot is passed on as soon as the writer ahead of us finishes.
      void before.then(leave);
      opts.onWait?.(undefined);
      throw new LockTimeoutError(lockPath, THIS_PROCESS);
    }
  }

  try {
    const token = crypto.randomBytes(8).toString('hex');
    ensureDir(path.dirname(lockPath));
    let pause = 5;
    for (;;) {
      const r = tryLock(lockPath, opts.staleMs ?? 60_000, token);
      if ('release' in r) {
        if (told) opts.onWait?.(undefined);
        return () => { r.release(); leave(); };
      }
      if (Date.now() > deadline) throw new LockTimeoutError(lockPath, r.holder);
      waiting(describeHolder(r.holder));
      await delay(Math.min(pause, Math.max(1, deadline - Date.now() + 1)));
      pause = Math.min(pause * 2, 100);
    }
  } catch (e) {
    if (told) opts.onWait?.(undefined);
    leave();
    throw e;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/**
 * Removes a stale lock without racing another process doing the same: the lock is renamed aside (atomic),
 * and if what was moved is not the stale lock we judged (someone else already replaced it), it is put back.
 */
function takeOverStale(lockPath: string, staleText: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try { fs.renameSync(lockPath, aside); } catch { return; }
  try {
    if (fs.readFileSync(aside, 'utf8') !== staleText) {
      try { fs.linkSync(aside, lockPath); } catch { /* the slot was taken again: that holder wins */ }
    }
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/** Runs `fn` while holding the lock of `file` (see {@link acquireLockSync}). */
export function withFileLockSync<T>(file: string, fn: () => T, opts: LockOptions = {}): T {
  const release = acquireLockSync(file, opts);
  try { return fn(); } finally { release(); }
}

/** Runs `fn` while holding the lock of `file`, taken without blocking the event loop (see {@link acquireLock}). */
export async function withFileLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const release = await acquireLock(file, opts);
  try { return await fn(); } finally { release(); }
}

/** Reads a file, or returns undefined when it does not exist. */
export function readIfExists(p: string): Buffer | undefined {
  try { return fs.readFileSync(p); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** True when `child` (after resolving `..`) stays inside `parent`. */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  // `..x` is a name inside; only `..` itself, or a path starting with `../`, leads out
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A write refused because it would leave its root (through `..`, or a symbolic link to elsewhere). */
export class PathEscapeError extends Error {
  readonly code = 'path-escape';
  constructor(readonly target: string, readonly root: string, readonly link?: string, readonly linkTarget?: string) {
    super(link
      ? `${link} is a symbolic link to ${linkTarget}, outside ${root}: SkillMeat Sync does not write through it, so ${target} was not written. Replace the link with a real folder, or deploy into the folder it points to.`
      : `${target} is outside ${root}; nothing was written there.`);
  }
}

/**
 * Checks, at the point of writing, that `target` stays inside `root`: lexically, and through every existing
 * folder on the way, none of which may be a symbolic link leading outside `root`. The target itself may be a
 * link: writes replace it by rename, never write through it. Throws {@link PathEscapeError}.
 */
export function checkWritePath(root: string, target: string): void {
  const base = path.resolve(root);
  const abs = path.resolve(target);
  if (!isInside(base, abs) || abs === base) throw new PathEscapeError(abs, base);
  let baseReal: string;
  try { baseReal = fs.realpathSync(base); } catch { return; } // the root does not exist yet: nothing on the way can be a link
  const parts = path.relative(base, abs).split(path.sep);
  let cur = base;
  for (const part of parts.slice(0, -1)) {
    cur = path.join(cur, part);
    let st: fs.Stats;
    try { st = fs.lstatSync(cur); } catch { return; } // missing: will be created as a real folder
    if (!st.isSymbolicLink()) continue;
    let real: string;
    try { real = fs.realpathSync(cur); } catch { throw new PathEscapeError(abs, base, cur, fs.readlinkSync(cur)); }
    if (!isInside(baseReal, real)) throw new PathEscapeError(abs, base, cur, real);
  }
}
