// A pool of worker threads that hash walked artifacts (issue 13): a cold check of a large tree is mostly sha256
// and reads, on one core; the pool spreads it over the machine's cores. Started only for a check of many artifacts
// or one that finds more unknown content than ArtifactHasher's threshold (a worker costs tens of milliseconds to
// start), closed when the check's hashing is done. The workers run the same hashEntries() as the main thread: byte-identical answers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { POOL_DEPTH, type ArtifactHash, type FileEntry, type HashJob, type HashJobResult, type HashPool, type WalkProblem, type WalkShape } from './hashing';

// What crosses the thread boundary, kept flat: structured-cloning 20 000 entry objects each way cost more CPU than
// a tenth of the hashing it moved.
/** A job on the wire: the artifact, and its files' paths, relative paths, sizes and junk flags (0/1) in walk order, or `walk` (the worker walks it, with these extra exclusions). */
export interface WireJob { artifact: string; skillmeat: boolean; walk?: string[]; shape?: boolean; twin?: string; abs: string[]; rel: string[]; size: number[]; junk: string }
/**
 * A worker's walk on the wire: the relative paths joined by NUL (no file name holds one), every entry's numbers
 * packed in one array (size, mtime, ctime, inode, device, mode per entry, in walk order: cloned as one block of
 * memory), junk flags (0/1), and the folders' keys the same way when asked for.
 */
export interface WireEntries {
  rels: string; keys: Float64Array; junk: string; problems: WalkProblem[];
  shape?: { rels: string; keys: Float64Array; plain: boolean; at?: number };
}
const ENTRY_KEYS = 6;
const DIR_KEYS = 4;

/** A result on the wire: per-file hashes concatenated in entry order (non-junk files), unless a file was left out. */
export interface WireResult {
  kind: 'dir' | 'file'; tree: string; norms: string; binary: string; read: number; problems: WalkProblem[];
  skillmeat?: ArtifactHash['skillmeat'];
  /** Only when the per-file list is not one per non-junk entry (an unreadable file was skipped). */
  files?: ArtifactHash['files'];
  /** The worker's walk (walk jobs); `missing` when it found no artifact. */
  walked?: WireEntries;
  missing?: boolean;
  /** The answer for the job's twin (a walk job with one). */
  twin?: WireResult;
}

export function toWire(j: HashJob): WireJob {
  if (!j.entries) return { artifact: j.abs, skillmeat: j.skillmeat, walk: [...(j.exclude ?? [])], ...(j.shape ? { shape: true } : {}), ...(j.twin !== undefined ? { twin: j.twin } : {}), abs: [], rel: [], size: [], junk: '' };
  const e = j.entries;
  return { artifact: j.abs, skillmeat: j.skillmeat, abs: e.map((x) => x.abs), rel: e.map((x) => x.rel), size: e.map((x) => x.size), junk: e.map((x) => (x.junk ? '1' : '0')).join('') };
}

/** The entries a worker hashes (the keys it does not need are zero: it neither caches nor compares them). */
export function fromWire(w: WireJob): FileEntry[] {
  return w.abs.map((abs, i) => ({ abs, rel: w.rel[i], size: w.size[i], junk: w.junk.charCodeAt(i) === 0x31, mtimeMs: 0, ctimeMs: 0, ino: 0, dev: 0, mode: 0 }));
}

export function entriesToWire(e: readonly FileEntry[], problems: WalkProblem[], shape?: WalkShape): WireEntries {
  const keys = new Float64Array(e.length * ENTRY_KEYS);
  let o = 0;
  for (const x of e) { keys[o++] = x.size; keys[o++] = x.mtimeMs; keys[o++] = x.ctimeMs; keys[o++] = x.ino; keys[o++] = x.dev; keys[o++] = x.mode; }
  let wireShape: WireEntries['shape'];
  if (shape) {
    const dk = new Float64Array(shape.dirs.length * DIR_KEYS);
    let d = 0;
    for (const x of shape.dirs) { dk[d++] = x.dev; dk[d++] = x.ino; dk[d++] = x.mtimeMs; dk[d++] = x.ctimeMs; }
    wireShape = { rels: shape.dirs.map((x) => x.rel).join('\0'), keys: dk, plain: shape.plain, ...(shape.at !== undefined ? { at: shape.at } : {}) };
  }
  return { rels: e.map((x) => x.rel).join('\0'), keys, junk: e.map((x) => (x.junk ? '1' : '0')).join(''), problems, ...(wireShape ? { shape: wireShape } : {}) };
}

function entriesFromWire(artifact: string, w: WireEntries): FileEntry[] {
  const n = w.keys.length / ENTRY_KEYS;
  const rels = n ? w.rels.split('\0') : [];
  const out: FileEntry[] = [];
  for (let i = 0, o = 0; i < n; i++, o += ENTRY_KEYS) {
    // A single-file artifact's one entry has rel '' and is the artifact itself.
    const rel = rels[i];
    out.push({
      rel, abs: rel === '' ? artifact : artifact + path.sep + (path.sep === '/' ? rel : rel.split('/').join(path.sep)), size: w.keys[o], mtimeMs: w.keys[o + 1],
      ctimeMs: w.keys[o + 2], ino: w.keys[o + 3], dev: w.keys[o + 4], mode: w.keys[o + 5], junk: w.junk.charCodeAt(i) === 0x31,
    });
  }
  return out;
}

function shapeFromWire(s: NonNullable<WireEntries['shape']>): WalkShape {
  const rels = s.keys.length ? s.rels.split('\0') : [];
  return { plain: s.plain, ...(s.at !== undefined ? { at: s.at } : {}), dirs: rels.map((rel, i) => ({ rel, dev: s.keys[i * DIR_KEYS], ino: s.keys[i * DIR_KEYS + 1], mtimeMs: s.keys[i * DIR_KEYS + 2], ctimeMs: s.keys[i * DIR_KEYS + 3] })) };
}

export function resultToWire(h: ArtifactHash, entries: readonly FileEntry[], read: number, walked?: WireEntries): WireResult {
  const complete = h.files.length === entries.reduce((n, e) => n + (e.junk ? 0 : 1), 0);
  return {
    kind: h.kind, tree: h.tree, read, problems: h.problems, ...(h.skillmeat ? { skillmeat: h.skillmeat } : {}),
    norms: complete ? h.files.map((f) => f.norm).join('') : '', binary: complete ? h.files.map((f) => (f.binary ? '1' : '0')).join('') : '',
    ...(complete ? {} : { files: h.files }), ...(walked ? { walked } : {}),
  };
}

/** A walk job's answer on the wire (with its twin's, if it had one). */
export function walkResultToWire(r: HashJobResult): WireResult {
  const wire: WireResult = r.hash && r.entries
    ? resultToWire(r.hash, r.entries, r.read, entriesToWire(r.entries, r.walkProblems ?? [], r.shape))
    : { kind: 'dir', tree: '', norms: '', binary: '', read: r.read, problems: [], missing: true };
  if (r.twin) wire.twin = walkResultToWire(r.twin);
  return wire;
}

function resultFromWire(r: WireResult, job: HashJob): HashJobResult {
  const twin = r.twin && job.twin !== undefined ? resultFromWire(r.twin, { abs: job.twin, skillmeat: job.skillmeat }) : undefined;
  if (r.missing) return { read: r.read, ...(twin ? { twin } : {}) };
  const entries = job.entries ?? (r.walked ? entriesFromWire(job.abs, r.walked) : []);
  let files = r.files;
  if (!files) {
    files = [];
    let j = 0;
    for (const e of entries) {
      if (e.junk) continue;
      files.push({ rel: e.rel, norm: r.norms.slice(j * 64, j * 64 + 64), size: e.size, binary: r.binary.charCodeAt(j) === 0x31 });
      j++;
    }
  }
  const hash: ArtifactHash = { kind: r.kind, tree: r.tree, files, problems: r.problems, ...(r.skillmeat ? { skillmeat: r.skillmeat } : {}) };
  return { read: r.read, hash, ...(r.walked ? { entries, walkProblems: r.walked.problems, ...(r.walked.shape ? { shape: shapeFromWire(r.walked.shape) } : {}) } : {}), ...(twin ? { twin } : {}) };
}

/**
 * The worker's script: dist/hashWorker.js beside the bundle (CLI and extension), or the TypeScript source when
 * running from source (tests, through tsx).
 */
function workerScript(): { file: string; source: boolean } | undefined {
  const bundled = path.join(__dirname, 'hashWorker.js');
  if (fs.existsSync(bundled)) return { file: bundled, source: false };
  const source = path.join(__dirname, 'hashWorker.ts');
  return fs.existsSync(source) ? { file: source, source: true } : undefined;
}

/**
 * Starts `size` workers (default: one per core but one, at most 4 — the calling thread hashes too); undefined when no
 * worker script can be found.
 */
export function startHashPool(size = Math.min(4, Math.max(1, (os.availableParallelism?.() ?? os.cpus().length) - 1))): HashPool | undefined {
  const script = workerScript();
  if (!script) return undefined;
  const workers = Array.from({ length: size }, () => (script.source
    // From source: load tsx in the worker first (the tests run under tsx; a bundle needs nothing).
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script.file)});`, { eval: true })
    : new Worker(script.file)));
  const pending = new Map<number, { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }>();
  let next = 0;
  let closed = false;
  const waiting: { id: number; jobs: WireJob[] }[] = [];
  // Batches posted to each live worker and not answered yet. Up to POOL_DEPTH each: a worker's next batch waits in its
  // own message queue, so it never idles while this thread is busy hashing a batch of its own (with one batch per
  // worker, a worker did a third of a cold check's hashing instead of a half). A worker that dies leaves the map:
  // nothing is posted to it again, and its batches fail (their artifacts are hashed on the calling thread).
  const held = new Map<Worker, Set<number>>(workers.map((w) => [w, new Set<number>()]));
  const settle = (id: number, f: (p: { resolve: (r: WireResult[]) => void; reject: (e: Error) => void }) => void) => {
    const p = pending.get(id);
    pending.delete(id);
    if (p) f(p);
  };
  const dispatch = () => {
    while (waiting.length) {
      let w: Worker | undefined;
      for (const [x, ids] of held) if (ids.size < POOL_DEPTH && (!w || ids.size < held.get(w)!.size)) w = x;
      if (!w) return;
      const m = waiting.shift()!;
      held.get(w)!.add(m.id);
      w.postMessage(m);
    }
  };
  /** Fails everything not answered yet (the pool closed, or no worker is left). */
  const failAll = (e: Error) => {
    waiting.length = 0;
    for (const id of [...pending.keys()]) settle(id, (p) => p.reject(e));
  };
  const lost = (w: Worker, e: Error) => {
    const ids = held.get(w);
    if (!ids) return;
    held.delete(w);
    for (const id of ids) settle(id, (p) => p.reject(e));
    if (held.size === 0) failAll(e);
    else dispatch();
  };
  for (const w of workers) {
    w.on('message', (m: { id: number; results: WireResult[] }) => {
      held.get(w)?.delete(m.id);
      settle(m.id, (p) => p.resolve(m.results));
      dispatch();
    });
    w.on('error', (e) => lost(w, e));
    w.on('exit', (code) => { if (!closed) lost(w, new Error(`a hash worker exited (${code})`)); });
  }
  return {
    size,
    async hash(jobs: HashJob[]): Promise<HashJobResult[]> {
      if (closed) throw new Error('the hash pool is closed');
      if (held.size === 0) throw new Error('no hash worker is left');
      const id = next++;
      const results = await new Promise<WireResult[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        waiting.push({ id, jobs: jobs.map(toWire) });
        dispatch();
      });
      return results.map((r, i) => resultFromWire(r, jobs[i]));
    },
    async close(): Promise<void> {
      closed = true;
      failAll(new Error('the hash pool is closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
