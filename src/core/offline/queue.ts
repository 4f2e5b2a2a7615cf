// The offline queue (issue 14): updates and pulls asked for while the collection is unreachable, kept on disk
// until it is back. One JSON file per project under the version store's folder ($SKILLMEAT_HOME/sync/offline/),
// written atomically under its own lock file, so the extension and `skillmeat-sync watch` share it and a restart
// loses nothing. Not in the version store's database: that one is rewritten whole by sql.js under the store lock
// that every sync holds, and a request queued while a long sync runs must not wait for it; nor in the project
// or the collection, which a queued request must not touch before it runs.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureDir, withFileLock, writeFileAtomic } from '../store/fsutil';
import type { ArtifactRef, SyncDirection, SyncStrategy } from '../sync/types';

/** Folder of the queue files, inside the version store's folder. */
export const OFFLINE_QUEUE_DIR = 'offline';
const FORMAT = 1;

/** Strategies a queued operation may use: `prompt` needs someone to answer when it runs, so it is not queued. */
export type QueuedStrategy = Exclude<SyncStrategy, 'prompt'>;

/**
 * One update or pull waiting for the collection. `expect`: the tree hashes it was asked against — the project
 * copy, and the collection copy last seen (null: never seen since the deploy; the baseline is assumed). When it
 * runs, the side it writes must still hold what the user saw, else it becomes a conflict.
 */
export interface QueuedOperation {
  readonly id: string;
  readonly direction: SyncDirection;
  readonly strategy: QueuedStrategy;
  readonly artifact: ArtifactRef;
  /** When it was asked for (ISO). */
  readonly askedAt: string;
  readonly expect: { readonly project: string | null; readonly collection: string | null };
  /** `queued`: waits for the collection. `retrying`: it ran and failed; runs again at `nextRetryAt`. `conflict`: the user decides. */
  readonly status: 'queued' | 'retrying' | 'conflict';
  readonly attempts: number;
  /** ISO time of the next attempt (`retrying`). */
  readonly nextRetryAt?: string;
  /** Why it failed last (`retrying`) or why it is a conflict (`conflict`), naming the file. */
  readonly reason?: string;
}

/** Bad content in a queue file: names the file and what to do. Nothing is overwritten while it stands. */
export class QueueFileError extends Error {
  constructor(readonly file: string, why: string) {
    super(`${file}: ${why}. Move it aside (the queued operations in it are then forgotten), or fix it, then try again.`);
  }
}

/** The queue file of a project: `<storeDir>/offline/<sha256(project) prefix>.json`. */
export function queueFile(storeDir: string, project: string): string {
  const key = crypto.createHash('sha256').update(path.resolve(project)).digest('hex').slice(0, 16);
  return path.join(storeDir, OFFLINE_QUEUE_DIR, `${key}.json`);
}

interface QueueData { version: number; project: string; operations: QueuedOperation[] }

function isOperation(o: unknown): o is QueuedOperation {
  const q = o as QueuedOperation;
  return !!q && typeof q.id === 'string' && (q.direction === 'update' || q.direction === 'pull')
    && ['overwrite', 'merge', 'fork'].includes(q.strategy) && !!q.artifact && typeof q.artifact.name === 'string'
    && typeof q.artifact.type === 'string' && typeof q.artifact.root === 'string' && typeof q.askedAt === 'string'
    && !!q.expect && ['queued', 'retrying', 'conflict'].includes(q.status) && typeof q.attempts === 'number';
}

/** The persisted queue of one project. Every change re-reads the file under its lock, so two processes never lose each other's entries. */
export class OfflineQueue {
  readonly file: string;
  readonly project: string;

  constructor(storeDir: string, project: string) {
    this.project = path.resolve(project);
    this.file = queueFile(storeDir, project);
  }

  /** The operations, oldest first. An absent file is an empty queue; a bad one throws {@link QueueFileError}. */
  list(): QueuedOperation[] {
    let text: string;
    try { text = fs.readFileSync(this.file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    let data: QueueData;
    try { data = JSON.parse(text) as QueueData; } catch (e) { throw new QueueFileError(this.file, `not valid JSON (${(e as Error).message})`); }
    if (!data || data.version !== FORMAT || !Array.isArray(data.operations)) throw new QueueFileError(this.file, `not an offline queue of format ${FORMAT}`);
    const bad = data.operations.findIndex((o) => !isOperation(o));
    if (bad >= 0) throw new QueueFileError(this.file, `operation ${bad + 1} is malformed`);
    return data.operations;
  }

  /** Reads, changes and writes the queue under its lock; returns what `fn` returns. */
  async change<T>(fn: (ops: QueuedOperation[]) => { operations: QueuedOperation[]; result: T }): Promise<T> {
    ensureDir(path.dirname(this.file));
    return withFileLock(this.file, () => {
      const { operations, result } = fn(this.list());
      const data: QueueData = { version: FORMAT, project: this.project, operations };
      if (operations.length === 0) fs.rmSync(this.file, { force: true });
      else writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n');
      return result;
    });
  }

  /**
   * Queues an update or a pull of one artifact. A request for the same artifact and direction replaces the one
   * before it (the user asked again, against what they see now).
   */
  async add(op: Omit<QueuedOperation, 'id' | 'status' | 'attempts'>): Promise<QueuedOperation> {
    const entry: QueuedOperation = { ...op, id: crypto.randomBytes(6).toString('hex'), status: 'queued', attempts: 0 };
    return this.change((ops) => ({ operations: [...ops.filter((o) => !sameTarget(o, entry)), entry], result: entry }));
  }

  /** Replaces the entry with the same id (gone meanwhile: nothing happens). */
  async update(op: QueuedOperation): Promise<void> {
    await this.change((ops) => ({ operations: ops.map((o) => (o.id === op.id ? op : o)), result: undefined }));
  }

  /** Removes entries by id; returns how many were there. */
  async remove(ids: readonly string[]): Promise<number> {
    const set = new Set(ids);
    return this.change((ops) => ({ operations: ops.filter((o) => !set.has(o.id)), result: ops.filter((o) => set.has(o.id)).length }));
  }

  /**
   * Forgets what waits for `artifacts` in `direction`: the user ran that sync now, against what they see. Nothing is
   * locked or written when nothing of theirs is queued (the common case: a sync of 1 000 artifacts, an empty queue).
   */
  async settled(direction: SyncDirection, artifacts: readonly ArtifactRef[]): Promise<number> {
    const matches = (o: QueuedOperation) => o.direction === direction && artifacts.some((a) => sameArtifact(o.artifact, a));
    if (!this.list().some(matches)) return 0;
    return this.change((ops) => {
      const keep = ops.filter((o) => !matches(o));
      return { operations: keep, result: ops.length - keep.length };
    });
  }
}

export function sameArtifact(a: ArtifactRef, b: ArtifactRef): boolean {
  return a.type === b.type && a.name === b.name && a.root === b.root;
}

function sameTarget(a: QueuedOperation, b: QueuedOperation): boolean {
  return a.direction === b.direction && sameArtifact(a.artifact, b.artifact);
}
