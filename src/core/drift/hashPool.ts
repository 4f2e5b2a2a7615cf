// A pool of worker threads that hash walked artifacts (issue 13): a cold check of a large tree is mostly sha256
// and reads, on one core; the pool spreads it over the machine's cores. Started only when a check finds more
// unknown content than ArtifactHasher's threshold (a worker costs tens of milliseconds to start), closed when the
// check's hashing is done. The workers run the same hashEntries() as the main thread: byte-identical answers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { HashJob, HashJobResult, HashPool } from './hashing';

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

/** Starts `size` workers (default: one per core, at most 4); undefined when no worker script can be found. */
export function startHashPool(size = Math.min(4, Math.max(1, os.availableParallelism?.() ?? os.cpus().length))): HashPool | undefined {
  const script = workerScript();
  if (!script) return undefined;
  const workers = Array.from({ length: size }, () => (script.source
    // From source: load tsx in the worker first (the tests run under tsx; a bundle needs nothing).
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script.file)});`, { eval: true })
    : new Worker(script.file)));
  const pending = new Map<number, { resolve: (r: HashJobResult[]) => void; reject: (e: Error) => void }>();
  let next = 0;
  let closed = false;
  const idle: Worker[] = [...workers];
  const waiting: { id: number; jobs: HashJob[] }[] = [];
  const busy = new Map<Worker, number>();
  const dispatch = () => {
    while (idle.length && waiting.length) {
      const w = idle.pop()!;
      const m = waiting.shift()!;
      busy.set(w, m.id);
      w.postMessage(m);
    }
  };
  const fail = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  for (const w of workers) {
    w.on('message', (m: { id: number; results: HashJobResult[] }) => {
      busy.delete(w);
      idle.push(w);
      const p = pending.get(m.id);
      pending.delete(m.id);
      p?.resolve(m.results);
      dispatch();
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => { if (!closed) fail(new Error(`a hash worker exited (${code})`)); });
  }
  return {
    hash(jobs: HashJob[]): Promise<HashJobResult[]> {
      if (closed) return Promise.reject(new Error('the hash pool is closed'));
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        waiting.push({ id, jobs });
        dispatch();
      });
    },
    async close(): Promise<void> {
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
