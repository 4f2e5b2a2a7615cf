// Finishing a merge left in progress with conflict markers (`--markers`, see markers.ts): `resolve` takes the
// project copy as the user left it as the resolution and completes the merge (completeMerge: the direction's rule
// decides what is written and what becomes the baseline); `abort` puts the project copy back as it was before the
// markers were written. Both are ordinary journalled writes, and forget the merge in progress in the transaction
// that commits them.
import * as fs from 'node:fs';
import { artifactKey, type ArtifactType } from '../model';
import { ArtifactHasher } from '../drift/hashing';
import type { LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { dropPendingMerges, pendingMerges, type StoredPendingMerge } from '../store/pendingMerges';
import { contentFromStore, readContent, type ArtifactContent } from './content';
import { completeMerge, execute, finish } from './execute';
import { addWrite, makeCtx } from './plan';
import { deserializePending, fileIn, markerLines } from './markers';
import { SyncFailure, type ArtifactPlan, type ArtifactRef, type ArtifactSyncResult, type PendingMerge, type SyncResult } from './types';

/** A merge in progress, with its pending merge read back. */
export interface MergeInProgress { entry: StoredPendingMerge; pending: PendingMerge }

/** Every merge in progress of a project (re-read from disk: another process may have written them). */
export async function mergesInProgress(store: VersionStore, project: string): Promise<MergeInProgress[]> {
  await store.reload();
  return Object.values(pendingMerges(store, project)).map((entry) => ({ entry, pending: deserializePending(entry.pending) }));
}

/** The merge in progress of `name` (and type / root when given); throws `not-merging` when there is none, or several. */
export async function findMergeInProgress(store: VersionStore, project: string, q: { name: string; type?: ArtifactType; root?: string }): Promise<MergeInProgress> {
  const all = await mergesInProgress(store, project);
  const hits = all.filter(({ pending: p }) => p.artifact.name === q.name && (!q.type || p.artifact.type === q.type) && (!q.root || p.artifact.root === q.root));
  if (hits.length === 0) {
    const others = all.map(({ pending: p }) => `${p.artifact.type} ${p.artifact.name}`);
    throw new SyncFailure('not-merging', `no merge of "${q.name}" is in progress in ${project}${others.length ? ` (in progress: ${others.join(', ')})` : ''}. Start one with "update|pull ${q.name} --strategy merge --markers".`);
  }
  if (hits.length > 1) throw new SyncFailure('not-merging', `"${q.name}" names ${hits.length} merges in progress (${hits.map(({ pending: p }) => `${p.artifact.type} in ${p.artifact.root}`).join(', ')}): give --type and --root.`);
  return hits[0];
}

/** Files of the project copy that still hold conflict markers, with their lines (1-based). */
export function markersLeft(m: MergeInProgress): { file: string; lines: number[] }[] {
  const out: { file: string; lines: number[] }[] = [];
  for (const c of m.pending.conflicts) {
    if (c.binary) continue;
    const file = fileIn(m.pending.projectPath, c.path);
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    const lines = markerLines(text);
    if (lines.length) out.push({ file, lines });
  }
  return out;
}

export interface ResolveOptions { project: string; store: VersionStore; merge: MergeInProgress; hasher?: ArtifactHasher; now?: () => Date; lock?: LockOptions; allowSecrets?: boolean }

/**
 * Completes a merge in progress with the project copy as its resolution: every file as it is in the project now
 * (a conflicting file deleted there is resolved by deleting it). Refuses (`markers-left`) while a text file still
 * holds markers, and (`stale-merge`) when the collection changed since the markers were written.
 */
export async function resolveMergeInProgress(o: ResolveOptions): Promise<SyncResult> {
  const { entry, pending: pm } = o.merge;
  const left = markersLeft(o.merge);
  if (left.length) throw new SyncFailure('markers-left', left.map((l) => `${l.file}: conflict markers on line${l.lines.length === 1 ? '' : 's'} ${l.lines.join(', ')}`).join('\n'));
  const hasher = o.hasher ?? new ArtifactHasher();
  hasher.invalidate(pm.projectPath);
  const now = hasher.hash(pm.projectPath)?.tree;
  const content = readContent(pm.projectPath, hasher.exclusions);
  if (!content || !now) throw new SyncFailure('bad-resolution', `${pm.projectPath} is gone: the project copy is the resolution. Put it back, or run "resolve ${pm.artifact.name} --abort".`);
  const conflictPaths = new Set(pm.conflicts.map((c) => c.path));
  const byRel = new Map(content.files.map((f) => [f.rel, f]));
  const resolved: Record<string, Buffer | null> = {};
  for (const c of pm.conflicts) resolved[c.path] = byRel.get(c.path)?.data ?? null;
  // The whole project copy is the resolution: files the user edited beside the conflicts are kept as they are.
  const pending: PendingMerge = {
    ...pm,
    expect: { projectTree: now, collectionTree: pm.expect.collectionTree },
    clean: content.files.filter((f) => !conflictPaths.has(f.rel)).map((f) => ({ path: f.rel, content: f.data, mode: f.mode })),
    modes: { ...pm.modes, ...Object.fromEntries(content.files.map((f) => [f.rel, f.mode])) },
  };
  try {
    return await completeMerge({
      pending, resolved, store: o.store, hasher, now: o.now, lock: o.lock, allowSecrets: o.allowSecrets,
      onCommit: (s) => dropPendingMerges(s, entry.project, { key: entry.key }),
    });
  } catch (e) {
    if (e instanceof SyncFailure && e.code === 'stale-merge' && e.message.startsWith(pm.collectionPath)) {
      throw new SyncFailure('stale-merge', `${pm.collectionPath} changed in the collection since the conflict markers were written, so this resolution would overwrite or miss those changes. Nothing was written. Keep your resolution somewhere, run "resolve ${pm.artifact.name} --abort", then "${pm.direction} ${pm.artifact.name} --strategy merge --markers" again.`);
    }
    throw e;
  }
}

/**
 * Puts the project copy back exactly as it was before the markers were written (the version store holds it) and
 * forgets the merge in progress. What the project held (the user's partial resolution) is stored first.
 */
export async function abortMergeInProgress(o: ResolveOptions): Promise<SyncResult> {
  const { entry, pending: pm } = o.merge;
  const ctx = makeCtx({ project: o.project, store: o.store, hasher: o.hasher, now: o.now, lock: o.lock });
  const ref: ArtifactRef = { type: pm.artifact.type, name: pm.artifact.name, root: pm.artifact.root };
  const result: ArtifactSyncResult = { ...ref, relPath: pm.artifact.relPath, state: 'merging', action: 'overwrite', status: 'synced', writes: [], recordChanges: [], lockFiles: [] };
  const plan: ArtifactPlan = { ref, result, verify: [], writes: [], records: [], locks: [], stores: [] };
  ctx.hasher.invalidate(pm.projectPath);
  const now = ctx.hasher.hash(pm.projectPath)?.tree ?? null;
  const drop = (s: VersionStore) => dropPendingMerges(s, entry.project, { key: entry.key });
  if (now !== entry.beforeTree) {
    const tree = o.store.getTree(entry.beforeTree);
    if (!tree) throw new SyncFailure('version-missing', `the version of ${pm.projectPath} from before the conflict markers (${entry.beforeTree.slice(0, 12)}) is not in the version store ${o.store.dir}; it cannot be put back.`);
    const current = readContent(pm.projectPath, ctx.exclusions);
    const before: ArtifactContent = { ...contentFromStore(o.store, tree), ...(current?.extras ? { extras: current.extras } : {}) };
    plan.verify.push({ path: pm.projectPath, tree: now });
    addWrite(plan, { side: 'project', root: ctx.project, path: pm.projectPath, content: before, before: current, beforeTree: now, key: artifactKey(ref.root, ref.type, ref.name) });
  }
  if (plan.writes.length === 0) {
    await o.store.transact(drop);
    return { project: ctx.project, direction: 'complete-merge', strategy: 'merge', dryRun: false, unknownNames: [], artifacts: [result], status: 'success', warnings: [] };
  }
  const exec = await execute(ctx, [plan], { project: ctx.project, operation: 'abort-merge', strategy: 'merge', onCommit: drop });
  return finish(ctx, { project: ctx.project, direction: 'complete-merge', strategy: 'merge', dryRun: false, unknownNames: [] }, [plan], exec);
}
