// Undoing the last sync of a project: every path it wrote goes back to its version from before the sync (a
// path changed since is refused unless forced, its current version stored first), and the records and
// collection.lock entries it changed are restored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArtifactHasher } from '../drift/hashing';
import { pythonUtcTimestamp } from '../store/collectionLock';
import { pidAlive, type LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { contentFromStore } from './content';
import {
  SyncTransaction, addPendingJournal, dropPendingJournal, lastJournal, pendingJournals, setLastJournal, snapshotShared, type PathChange, type Side, type SyncJournal,
} from './transaction';
import { makeCtx } from './plan';
import { dropPendingMerges } from '../store/pendingMerges';
import type { ArtifactRef } from './types';

export interface UndoOptions {
  project: string;
  store: VersionStore;
  /** Undo even when a path changed after the sync (the current version is stored first). */
  force?: boolean;
  hasher?: ArtifactHasher;
  now?: () => Date;
  lock?: LockOptions;
}

/** The outcome of {@link undoLastSync}. */
export interface UndoResult {
  /** `refused`: some path changed since the sync (see `changedSince`); nothing was done. */
  status: 'undone' | 'nothing' | 'refused' | 'failed';
  journalId?: string;
  operation?: SyncJournal['operation'];
  syncedAt?: string;
  /** True when the sync being undone never finished (a crash). */
  interrupted?: boolean;
  artifacts: ArtifactRef[];
  restored: { side: Side; path: string; action: 'restored' | 'removed' | 'unchanged' }[];
  changedSince: { side: Side; path: string }[];
  warnings: { message: string; file?: string }[];
  error?: { code: string; message: string };
}

/** Removes the staged and set-aside copies (`.<name>.sync-<pid>-…`, `.<name>.presync-<pid>-…`) a killed sync left beside its paths. */
function removeLeftovers(paths: string[], pid: number): void {
  for (const p of paths) {
    const dir = path.dirname(p);
    const prefix = [`.${path.basename(p)}.sync-${pid}-`, `.${path.basename(p)}.presync-${pid}-`];
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const n of names) {
      if (prefix.some((x) => n.startsWith(x) && /^[0-9a-f]{8}$/.test(n.slice(x.length)))) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    }
  }
}

/**
 * Restores the last sync of a project (or one that was interrupted): every artifact it wrote on both
 * sides, the deployment records and the collection.lock entries. Refuses, unless `force`, when a path was
 * changed after the sync — undoing would discard that change (with `force` it is stored first).
 */
export async function undoLastSync(o: UndoOptions): Promise<UndoResult> {
  const ctx = makeCtx(o);
  const found = await o.store.transact((s) => {
    const pending = pendingJournals(s, ctx.project);
    return pending.length ? pending[pending.length - 1] : lastJournal(s, ctx.project);
  });
  if (!found) return { status: 'nothing', artifacts: [], restored: [], changedSince: [], warnings: [] };
  if (found.status === 'pending' && found.pid && found.pid !== process.pid && pidAlive(found.pid)) {
    return {
      status: 'failed', artifacts: found.artifacts, restored: [], changedSince: [], warnings: [], journalId: found.id, operation: found.operation, syncedAt: found.at, interrupted: true,
      error: { code: 'sync-running', message: `a ${found.operation} is still running in process ${found.pid}; wait for it to finish, then undo.` },
    };
  }
  return undoJournal(o, found);
}

/** Puts back what one journal (finished, or pending: interrupted) wrote; see {@link undoLastSync}. */
export async function undoJournal(o: UndoOptions, j: SyncJournal): Promise<UndoResult> {
  const ctx = makeCtx(o);
  const empty: UndoResult = { status: 'nothing', artifacts: [], restored: [], changedSince: [], warnings: [] };
  const out: UndoResult = { ...empty, journalId: j.id, operation: j.operation, syncedAt: j.at, interrupted: j.status === 'pending', artifacts: j.artifacts };
  const todo: { change: PathChange; current: string | null }[] = [];
  for (const change of [...j.paths].reverse()) {
    ctx.hasher.invalidate(change.path);
    const current = ctx.hasher.hash(change.path)?.tree ?? null;
    if (current === change.beforeTree) { out.restored.push({ side: change.side, path: change.path, action: 'unchanged' }); continue; }
    // A sync killed between moving the old tree aside and renaming the new one in leaves nothing there.
    const killedMidRename = j.status === 'pending' && current === null;
    if (current !== change.afterTree && !killedMidRename) out.changedSince.push({ side: change.side, path: change.path });
    todo.push({ change, current });
  }
  if (out.changedSince.length && !o.force) return { ...out, status: 'refused' };
  for (const { change } of todo) {
    if (change.beforeTree && !o.store.getTree(change.beforeTree)) {
      return { ...out, status: 'failed', error: { code: 'version-missing', message: `the version of ${change.path} from before the sync (${change.beforeTree.slice(0, 12)}) is not in the version store ${o.store.dir}; it cannot be restored.` } };
    }
  }
  // The undo is itself journalled before it writes: killed half-way, the next start puts back what it had
  // restored (the sync stays undoable) instead of leaving files of one state and records of the other.
  const self: SyncJournal = {
    version: 1, id: `${j.id}.undo-${ctx.at.getTime().toString(36)}`, project: ctx.project, operation: 'undo', at: ctx.at.toISOString(), status: 'pending', pid: process.pid,
    artifacts: j.artifacts,
    paths: todo.map(({ change, current }) => ({ ...change, beforeTree: current, afterTree: change.beforeTree })),
    shared: snapshotShared(j.shared),
  };
  await o.store.transact((s) => {
    for (const { change, current } of todo) {
      if (current === null) continue;
      const t = s.putArtifact(change.path, ctx.exclusions);
      s.addVersion({ artifactKey: change.artifactKey, treeHash: t.treeHash, origin: 'pre-sync', at: ctx.at.toISOString(), note: `${change.side} copy at ${change.path}, replaced by undo`, project: ctx.project });
    }
    addPendingJournal(s, self);
  });
  const txn = new SyncTransaction({ exclusions: ctx.exclusions, lock: o.lock, fetched: pythonUtcTimestamp(ctx.at) });
  try {
    for (const { change, current } of todo) {
      const tree = change.beforeTree ? o.store.getTree(change.beforeTree)! : undefined;
      txn.replacePath({ ...change, beforeTree: current, afterTree: change.beforeTree }, tree ? contentFromStore(o.store, tree) : null);
      ctx.hasher.invalidate(change.path);
      out.restored.push({ side: change.side, path: change.path, action: tree ? 'restored' : 'removed' });
    }
    for (const shared of [...j.shared].reverse()) await txn.restoreFromJournal(shared);
    await o.store.transact((s) => {
      if (j.status === 'pending') dropPendingJournal(s, ctx.project, j.id);
      else setLastJournal(s, ctx.project, undefined);
      dropPendingJournal(s, ctx.project, self.id);
      // A sync that wrote conflict markers (`--markers`) is undone with its merge in progress.
      dropPendingMerges(s, ctx.project, { journalId: j.id });
    });
  } catch (e) {
    const problems = await txn.rollback();
    for (const { change } of todo) ctx.hasher.invalidate(change.path);
    try { await o.store.transact((s) => dropPendingJournal(s, ctx.project, self.id)); } catch (e2) {
      problems.push(`the version store could not forget the failed undo (${(e2 as Error).message}); the next start will check it again`);
    }
    return {
      ...out, status: 'failed', restored: [],
      error: { code: (e as { code?: string }).code ?? 'error', message: (e as Error).message + (problems.length ? ` Also: ${problems.join('; ')}` : '') },
    };
  }
  txn.commit();
  if (j.status === 'pending' && j.pid) removeLeftovers(j.paths.map((p) => p.path), j.pid);
  out.warnings.push(...txn.warnings);
  return { ...out, status: 'undone' };
}
