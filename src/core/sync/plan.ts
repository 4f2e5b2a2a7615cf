// Planning a sync: read both sides of every artifact, merge in memory, ask the user (prompt strategy), and
// decide every write, record and lock change — without writing anything. That is also the dry run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactKey, type ArtifactDrift, type ArtifactType, type DriftState, type FileChange } from '../model';
import { readRecords, viewRecord, RECORDS_FILE, type RecordView } from '../store/deploymentRecords';
import { ArtifactHasher, hashNormalised } from '../drift/hashing';
import { artifactPath } from '../drift/discovery';
import type { CollectionResolver } from '../store/skillmeatHome';
import { COLLECTION_LOCK_FILE, lockEntryHash } from '../store/collectionLock';
import type { LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { readContent, hashContent, freeForkName, sortFiles, type ArtifactContent, type ContentHashes } from './content';
import { resolveBase, mergeArtifact, type BaseSource } from './artifactMerge';
import { recordText, type Side } from './transaction';
import type {
  ArtifactPlan, ArtifactRef, ArtifactSyncResult, Ctx, PromptChoice, SyncAction, SyncDirection, SyncFaults, SyncOptions, SyncProgress,
} from './types';

export const ELIGIBLE: Record<SyncDirection, ReadonlySet<DriftState>> = {
  update: new Set(['outdated', 'conflict', 'converged']),
  pull: new Set(['modified', 'conflict', 'converged']),
};

export function skipReason(direction: SyncDirection, a: ArtifactDrift): string {
  if (a.state === 'in-sync') return 'already in sync';
  if (direction === 'update' && a.state === 'modified') return 'only the project changed: nothing to update (pull it into the collection instead)';
  if (direction === 'pull' && a.state === 'outdated') return 'only the collection changed: nothing to pull (update the project instead)';
  return `${a.state}: ${a.recommendation || 'nothing to sync'}`;
}

export function makeCtx(o: { project: string; store: VersionStore; hasher?: ArtifactHasher; now?: () => Date; lock?: LockOptions; faults?: SyncFaults; dryRun?: boolean; onProgress?: (p: SyncProgress) => void }): Ctx {
  const hasher = o.hasher ?? new ArtifactHasher();
  return {
    project: path.resolve(o.project), store: o.store, hasher, exclusions: hasher.exclusions, at: o.now?.() ?? new Date(),
    lock: o.lock, faults: o.faults, dryRun: !!o.dryRun, warnings: [], claimed: new Set(), views: new Map(), onProgress: o.onProgress,
  };
}

function fileChanges(before: ArtifactContent | undefined, after: ArtifactContent): FileChange[] {
  const b = new Map((before?.files ?? []).map((f) => [f.rel, hashNormalised(f.data)]));
  const out: FileChange[] = [];
  for (const f of after.files) {
    const h = b.get(f.rel);
    if (h === undefined) out.push({ path: f.rel, change: 'added' });
    else if (h !== hashNormalised(f.data)) out.push({ path: f.rel, change: 'modified' });
    b.delete(f.rel);
  }
  for (const rel of b.keys()) out.push({ path: rel, change: 'deleted' });
  return out;
}

export function fileOf(artifactAbs: string, rel: string): string {
  return rel ? path.join(artifactAbs, ...rel.split('/')) : artifactAbs;
}

function readLockHash(collectionDir: string, name: string, type: ArtifactType): string | null {
  const file = path.join(collectionDir, COLLECTION_LOCK_FILE);
  try { return lockEntryHash(fs.readFileSync(file, 'utf8'), file, name, type) ?? null; } catch { return null; }
}

export function addWrite(plan: ArtifactPlan, w: { side: Side; path: string; content: ArtifactContent; before?: ArtifactContent; beforeTree: string | null; key: string; lock?: { collectionDir: string; name: string } }): ContentHashes {
  const hashes = hashContent(w.content);
  plan.writes.push({ side: w.side, path: w.path, content: w.content, hashes, beforeTree: w.beforeTree, artifactKey: w.key });
  if (w.before) plan.stores.push({ artifactKey: w.key, content: w.before, origin: 'pre-sync', note: `${w.side} copy at ${w.path}, replaced by sync` });
  plan.stores.push({ artifactKey: w.key, content: w.content, origin: 'sync', note: `${w.side} copy at ${w.path}` });
  plan.result.writes.push({ side: w.side, path: w.path, change: w.before ? 'replace' : 'create', files: fileChanges(w.before, w.content) });
  if (w.lock) {
    plan.locks.push({ collectionDir: w.lock.collectionDir, name: w.lock.name, type: plan.ref.type, path: w.path, beforeHash: readLockHash(w.lock.collectionDir, w.lock.name, plan.ref.type) });
    const lockFile = path.join(w.lock.collectionDir, COLLECTION_LOCK_FILE);
    if (fs.existsSync(lockFile) && !plan.result.lockFiles.includes(lockFile)) plan.result.lockFiles.push(lockFile);
  }
  return hashes;
}

/** The record of an artifact; `cache` keeps each records file parsed once per sync (planning only reads). */
export function findView(rootDir: string, a: { type: ArtifactType; relPath: string }, cache?: Map<string, RecordView[]>): RecordView | undefined {
  let views = cache?.get(rootDir);
  if (!views) {
    views = readRecords(rootDir).records.map(viewRecord);
    cache?.set(rootDir, views);
  }
  return views.find((v) => !v.invalid && v.type === a.type && v.relPath === a.relPath);
}

function mapChoice(choice: PromptChoice, direction: SyncDirection): SyncAction {
  switch (choice) {
    case 'merge': return 'merge';
    case 'fork': return 'fork';
    case 'skip': return 'skip';
    // "Mine" is the project's version: in an update the project (the target) keeps it; in a pull it
    // overwrites the collection. "Theirs" is the collection's, symmetrically.
    case 'keep-mine': return direction === 'update' ? 'keep' : 'overwrite';
    case 'take-theirs': return direction === 'update' ? 'overwrite' : 'keep';
  }
}

function labelsFor(direction: SyncDirection, a: ArtifactRef & { relPath: string }, collectionName: string, base: { contentHash?: string; source: BaseSource }) {
  const project = `project ${a.root}/${a.relPath}`;
  const collection = `collection "${collectionName}"`;
  const baseLabel = base.source === 'unknown' ? 'no common base (baseline unknown)' : `deployed baseline ${(base.contentHash ?? '').slice(0, 12)}`;
  return direction === 'update' ? { ours: project, base: baseLabel, theirs: collection } : { ours: collection, base: baseLabel, theirs: project };
}

export async function planArtifact(ctx: Ctx, o: SyncOptions, resolver: CollectionResolver, a: ArtifactDrift): Promise<ArtifactPlan> {
  const ref: ArtifactRef = { type: a.type, name: a.name, root: a.root };
  const result: ArtifactSyncResult = { ...ref, relPath: a.relPath, state: a.state, action: 'skip', status: 'skipped', writes: [], recordChanges: [], lockFiles: [] };
  const plan: ArtifactPlan = { ref, result, verify: [], writes: [], records: [], locks: [], stores: [] };
  const skip = (reason: string): ArtifactPlan => { result.reason = reason; return plan; };
  const rootDir = path.join(ctx.project, a.root);
  const recordsFile = path.join(rootDir, RECORDS_FILE);
  const view = findView(rootDir, a, ctx.views);
  if (!view) return skip(`no deployment record in ${recordsFile}`);
  if (!a.collectionPath) return skip(`the collection is not reachable${a.detail ? ` (${a.detail})` : ''}`);
  const coll = resolver.resolve(view.fromCollection);
  const collectionDir = coll.path;
  const collectionName = view.fromCollection ?? coll.name;
  const P = readContent(a.projectPath, ctx.exclusions);
  const C = readContent(a.collectionPath, ctx.exclusions);
  if (!P || !C || !a.projectHash || !a.collectionHash) return skip('one side disappeared since the drift check; check again');
  plan.verify.push({ path: a.projectPath, tree: a.projectHash }, { path: a.collectionPath, tree: a.collectionHash });
  const key = artifactKey(a.root, a.type, a.name);
  const direction = o.direction;
  const side = { project: { abs: a.projectPath, content: P, tree: a.projectHash }, collection: { abs: a.collectionPath, content: C, tree: a.collectionHash } };
  const target: Side = direction === 'update' ? 'project' : 'collection';
  const incoming: Side = direction === 'update' ? 'collection' : 'project';
  const lockFor = (s: Side, name = a.name) => (s === 'collection' ? { collectionDir, name } : undefined);
  const record = (baseline: ContentHashes, projectTreeAfter: string, mergeBase: string | undefined) => {
    plan.records.push({
      rootDir, type: a.type, name: a.name, relPath: a.relPath, root: a.root, collectionName, baseline, mergeBase,
      localModifications: projectTreeAfter !== baseline.treeHash, isNew: false, beforeText: recordText(view.record),
    });
    result.recordChanges.push({ recordsFile, name: a.name, change: 'update' });
    result.baseline = baseline;
  };
  const baselineOnly = (content: ArtifactContent, note: string): void => {
    const h = hashContent(content);
    plan.stores.push({ artifactKey: key, content, origin: 'sync', note });
    record(h, side.project.tree, view.contentHash);
  };

  if (a.state === 'converged' || side.project.tree === side.collection.tree) {
    result.action = 'rebaseline';
    baselineOnly(P, 'both sides agree: re-baselined');
    return plan;
  }

  const mergePlan = () => {
    const base = resolveBase({ store: ctx.store, view, baselineUnknown: a.baselineUnknown, project: side.project, collection: side.collection, hasher: ctx.hasher });
    const labels = labelsFor(direction, { ...ref, relPath: a.relPath }, collectionName, base);
    const merged = mergeArtifact({
      ours: side[target].content, theirs: side[incoming].content, base: base.content, labels,
      fileOn: (s, rel) => fileOf(s === 'ours' ? side[target].abs : side[incoming].abs, rel), projectIs: target === 'project' ? 'ours' : 'theirs',
    });
    return { base, labels, merged };
  };

  let action: SyncAction = o.strategy === 'prompt' ? 'prompt' : o.strategy;
  let preview: ReturnType<typeof mergePlan> | undefined;
  if (o.strategy === 'prompt') {
    preview = mergePlan();
    if (!ctx.dryRun) {
      if (!o.choose) throw new TypeError('the prompt strategy needs a choose() callback');
      const choice = await o.choose(a, {
        direction, merge: { clean: preview.merged.conflicts.length === 0, conflictFiles: preview.merged.conflicts.map((c) => c.path), baseUnknown: preview.base.source === 'unknown' },
      });
      result.choice = choice;
      action = mapChoice(choice, direction);
    }
  }
  result.action = action;

  switch (action) {
    case 'rebaseline': // never reached: decided above from the drift state, whatever the strategy
    case 'skip':
      result.reason = 'skipped (your choice)';
      return plan;
    case 'keep':
      baselineOnly(side[incoming].content, `${incoming} version acknowledged; ${target} kept its own`);
      return plan;
    case 'overwrite': {
      const h = addWrite(plan, { side: target, path: side[target].abs, content: side[incoming].content, before: side[target].content, beforeTree: side[target].tree, key, lock: lockFor(target) });
      record(h, target === 'project' ? h.treeHash : side.project.tree, view.contentHash);
      return plan;
    }
    case 'prompt': {
      // A dry run of prompt asks nobody; it says what a merge would give.
      const m = preview!;
      result.baseSource = m.base.source;
      if (m.base.source === 'unknown') result.baseUnknown = true;
      result.reason = m.merged.conflicts.length
        ? `would ask; a merge would leave ${m.merged.conflicts.length} conflicting file${m.merged.conflicts.length === 1 ? '' : 's'} (${m.merged.conflicts.map((c) => c.path || path.basename(a.relPath)).join(', ')})`
        : 'would ask; a merge would be clean';
      return plan;
    }
    case 'merge': {
      const m = preview ?? mergePlan();
      result.baseSource = m.base.source;
      if (m.base.source === 'unknown') { result.baseUnknown = true; result.reason = `base unknown: ${m.base.why}; every difference is a conflict`; }
      if (m.merged.conflicts.length > 0) {
        result.conflicts = m.merged.conflicts;
        const modes: Record<string, number> = {};
        for (const f of [...side[target].content.files, ...side[incoming].content.files]) modes[f.rel] ??= f.mode;
        result.pendingMerge = {
          project: ctx.project, direction, artifact: { ...ref, relPath: a.relPath }, projectPath: a.projectPath, collectionPath: a.collectionPath,
          collectionDir, collectionName, kind: P.kind, baseSource: m.base.source, baseUnknown: m.base.source === 'unknown',
          ...(m.base.contentHash ? { baseContentHash: m.base.contentHash } : {}),
          expect: { projectTree: side.project.tree, collectionTree: side.collection.tree },
          clean: m.merged.clean, conflicts: m.merged.conflicts, labels: m.labels, modes,
        };
        return plan;
      }
      const content: ArtifactContent = { kind: P.kind, files: sortFiles(m.merged.clean.filter((f) => f.content !== null).map((f) => ({ rel: f.path, data: f.content!, mode: f.mode }))) };
      const h = hashContent(content);
      // A clean merge goes to both sides, so they converge; a side that already holds it is not rewritten.
      for (const s of ['project', 'collection'] as const) {
        if (side[s].tree !== h.treeHash) addWrite(plan, { side: s, path: side[s].abs, content, before: side[s].content, beforeTree: side[s].tree, key, lock: lockFor(s) });
      }
      record(h, h.treeHash, m.base.contentHash ?? view.contentHash);
      return plan;
    }
    case 'fork': {
      const taken = (candidate: string): boolean => {
        const c = artifactPath(collectionDir, a.type, candidate);
        const p = artifactPath(rootDir, a.type, candidate);
        return fs.existsSync(c.absPath) || fs.existsSync(p.absPath) || ctx.claimed.has(c.absPath) || ctx.claimed.has(p.absPath) || !!findView(rootDir, { type: a.type, relPath: p.relPath }, ctx.views);
      };
      const forkName = freeForkName(a.name, taken);
      const inColl = artifactPath(collectionDir, a.type, forkName);
      const inProj = artifactPath(rootDir, a.type, forkName);
      result.forkName = forkName;
      const content = side[incoming].content;
      // Fork keeps both versions as separate artifacts and leaves the original untouched on both sides.
      // pull: the project's version becomes the collection artifact <name>-fork (with a collection.lock
      //   entry); the project keeps <name> as it is — still modified — since a second copy of the same
      //   content would have Claude Code load it twice. `deployFork` deploys the fork too, recorded.
      // update: the collection's version is deployed into the project as <name>-fork, recorded; a record
      //   must point at a collection artifact, so <name>-fork is also created in the collection (a copy of
      //   <name>) and the fork starts in sync instead of showing as "removed".
      const sides: Side[] = direction === 'update' || o.deployFork ? ['collection', 'project'] : ['collection'];
      let h: ContentHashes | undefined;
      for (const s of sides) {
        const abs = s === 'collection' ? inColl.absPath : inProj.absPath;
        ctx.claimed.add(abs);
        plan.verify.push({ path: abs, tree: null });
        h = addWrite(plan, { side: s, path: abs, content, beforeTree: null, key: artifactKey(a.root, a.type, forkName), lock: lockFor(s, forkName) });
      }
      if (sides.includes('project')) {
        plan.records.push({
          rootDir, type: a.type, name: forkName, relPath: inProj.relPath, root: a.root, collectionName, baseline: h!,
          localModifications: false, isNew: true, beforeText: null,
        });
        result.recordChanges.push({ recordsFile, name: forkName, change: 'add' });
      }
      return plan;
    }
  }
}
