// Planning a sync: read both sides of every artifact, merge in memory, ask the user (prompt strategy), and
// decide every write, record and lock change — without writing anything. That is also the dry run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactKey, isContextType, type ArtifactDrift, type ArtifactType, type DriftState, type FileChange, type SyncedType } from '../model';
import { readContextCollection } from '../drift/contextEntities';
import { loadSqlJs } from '../store/sqlite';
import { readRecords, viewRecord, RECORDS_FILE, type RecordView } from '../store/deploymentRecords';
import { ArtifactHasher, hashNormalised } from '../drift/hashing';
import { artifactPath } from '../drift/discovery';
import type { CollectionResolver } from '../store/skillmeatHome';
import { COLLECTION_LOCK_FILE, lockEntryHash } from '../store/collectionLock';
import type { LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { readContent, hashContent, freeForkName, mergeExtras, sortFiles, type ArtifactContent, type ContentHashes } from './content';
import { resolveBase, mergeArtifact, type BaseSource } from './artifactMerge';
import { defaultBaseFinders, type BaseFinder } from './baseFinders';
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

export function makeCtx(o: {
  project: string; store: VersionStore; hasher?: ArtifactHasher; now?: () => Date; lock?: LockOptions; faults?: SyncFaults; dryRun?: boolean; onProgress?: (p: SyncProgress) => void; allowSecrets?: boolean;
  baseFinders?: readonly BaseFinder[]; env?: NodeJS.ProcessEnv;
}): Ctx {
  const hasher = o.hasher ?? new ArtifactHasher();
  return {
    project: path.resolve(o.project), store: o.store, hasher, exclusions: hasher.exclusions, at: o.now?.() ?? new Date(),
    lock: o.lock, faults: o.faults, dryRun: !!o.dryRun, warnings: [], claimed: new Set(), views: new Map(), onProgress: o.onProgress, allowSecrets: !!o.allowSecrets,
    baseFinders: o.baseFinders ?? defaultBaseFinders(o.env),
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

export function addWrite(plan: ArtifactPlan, w: { side: Side; root: string; path: string; content: ArtifactContent; before?: ArtifactContent; beforeTree: string | null; key: string; lock?: { collectionDir: string; name: string } }): ContentHashes {
  const hashes = hashContent(w.content);
  plan.writes.push({ side: w.side, root: w.root, path: w.path, content: w.content, hashes, beforeTree: w.beforeTree, artifactKey: w.key });
  if (w.before) plan.stores.push({ artifactKey: w.key, content: w.before, origin: 'pre-sync', note: `${w.side} copy at ${w.path}, replaced by sync` });
  plan.stores.push({ artifactKey: w.key, content: w.content, origin: 'sync', note: `${w.side} copy at ${w.path}` });
  plan.result.writes.push({ side: w.side, path: w.path, change: w.before ? 'replace' : 'create', files: fileChanges(w.before, w.content) });
  if (w.lock) {
    const type = plan.ref.type as ArtifactType; // only artifacts are written into a collection
    plan.locks.push({ collectionDir: w.lock.collectionDir, name: w.lock.name, type, path: w.path, beforeHash: readLockHash(w.lock.collectionDir, w.lock.name, type) });
    const lockFile = path.join(w.lock.collectionDir, COLLECTION_LOCK_FILE);
    if (fs.existsSync(lockFile) && !plan.result.lockFiles.includes(lockFile)) plan.result.lockFiles.push(lockFile);
  }
  return hashes;
}

/** The record of an artifact; `cache` keeps each records file parsed once per sync (planning only reads). */
export function findView(rootDir: string, a: { type: SyncedType; relPath: string }, cache?: Map<string, RecordView[]>): RecordView | undefined {
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

function labelsFor(direction: SyncDirection, a: ArtifactRef & { relPath: string }, collectionName: string, base: { contentHash?: string; source: BaseSource; origin?: string }) {
  const project = `project ${a.root}/${a.relPath}`;
  const collection = `collection "${collectionName}"`;
  const baseLabel = base.source === 'unknown' ? 'no common base (baseline unknown)'
    : `deployed baseline ${(base.contentHash ?? '').slice(0, 12)}${base.origin ? ` (from ${base.origin})` : ''}`;
  return direction === 'update' ? { ours: project, base: baseLabel, theirs: collection } : { ours: collection, base: baseLabel, theirs: project };
}

/** Everything the per-action planners below share about one artifact: both sides as read, and how to record. */
interface Planning {
  ctx: Ctx;
  o: SyncOptions;
  a: ArtifactDrift & { collectionPath: string };
  plan: ArtifactPlan;
  view: RecordView;
  rootDir: string;
  recordsFile: string;
  collectionDir: string;
  collectionName: string;
  key: string;
  side: Record<Side, { abs: string; content: ArtifactContent; tree: string }>;
  /** The side this direction writes (update: project; pull: collection), and the one it reads from. */
  target: Side;
  incoming: Side;
}

/** The directory a side's writes must stay inside: the project, or the collection. */
const rootOf = (p: Planning, s: Side): string => (s === 'project' ? p.ctx.project : p.collectionDir);
const lockFor = (p: Planning, s: Side, name = p.a.name) => (s === 'collection' ? { collectionDir: p.collectionDir, name } : undefined);

/** Plans the record update that makes `baseline` the artifact's new deployed baseline. */
function planRecord(p: Planning, baseline: ContentHashes, projectTreeAfter: string): void {
  const { a, plan } = p;
  plan.records.push({
    rootDir: p.rootDir, type: a.type, name: a.name, relPath: a.relPath, root: a.root, collectionName: p.collectionName, baseline, collectionPath: p.a.collectionPath,
    localModifications: projectTreeAfter !== baseline.treeHash, isNew: false, beforeText: recordText(p.view.record),
  });
  plan.result.recordChanges.push({ recordsFile: p.recordsFile, name: a.name, change: 'update' });
  plan.result.baseline = baseline;
}

/** No file changes: `content` becomes the baseline (stored, recorded). */
function planBaselineOnly(p: Planning, content: ArtifactContent, note: string): void {
  p.plan.stores.push({ artifactKey: p.key, content, origin: 'sync', note });
  planRecord(p, hashContent(content), p.side.project.tree);
}

/** The three-way merge of both sides in memory (base from the store, SkillMeat's record, or unknown). */
async function previewMerge(p: Planning) {
  const { ctx, a, side, target, incoming } = p;
  const direction = p.o.direction;
  const base = await resolveBase({
    store: ctx.store, view: p.view, baselineUnknown: a.baselineUnknown, project: side.project, collection: side.collection, hasher: ctx.hasher,
    finders: ctx.baseFinders,
    query: { type: a.type as SyncedType, name: a.name, relPath: a.relPath, kind: side.collection.content.kind, collectionDir: p.collectionDir, collectionName: p.collectionName,
      warn: (message, file) => { ctx.warnings.push({ message, ...(file ? { file } : {}) }); } },
  });
  const labels = labelsFor(direction, { type: a.type, name: a.name, root: a.root, relPath: a.relPath }, p.collectionName, base);
  const merged = mergeArtifact({
    ours: side[target].content, theirs: side[incoming].content, base: base.content, labels,
    fileOn: (s, rel) => fileOf(s === 'ours' ? side[target].abs : side[incoming].abs, rel), projectIs: target === 'project' ? 'ours' : 'theirs',
  });
  return { base, labels, merged };
}
type MergePreview = Awaited<ReturnType<typeof previewMerge>>;

function planOverwrite(p: Planning): void {
  const { side, target, incoming } = p;
  const h = addWrite(p.plan, { side: target, root: rootOf(p, target), path: side[target].abs, content: side[incoming].content, before: side[target].content, beforeTree: side[target].tree, key: p.key, lock: lockFor(p, target) });
  planRecord(p, h, target === 'project' ? h.treeHash : side.project.tree);
}

/** A dry run of prompt asks nobody; it says what a merge would give. */
function describePrompt(p: Planning, m: MergePreview): void {
  const { result } = p.plan;
  result.baseSource = m.base.source;
  if (m.base.origin) result.baseOrigin = m.base.origin;
  if (m.base.source === 'unknown') result.baseUnknown = true;
  const n = m.merged.conflicts.length;
  result.reason = n
    ? `would ask; a merge would leave ${n} conflicting file${n === 1 ? '' : 's'} (${m.merged.conflicts.map((c) => c.path || path.basename(p.a.relPath)).join(', ')})`
    : 'would ask; a merge would be clean';
}

/** A clean merge is written; a conflicting one waits for the user (`pendingMerge`), nothing written. */
function planMerge(p: Planning, m: MergePreview): void {
  const { ctx, a, side, target, incoming, plan } = p;
  const { result } = plan;
  const P = side.project.content;
  result.baseSource = m.base.source;
  if (m.base.origin) result.baseOrigin = m.base.origin;
  if (m.base.source === 'unknown') { result.baseUnknown = true; result.reason = `base unknown: ${m.base.why}; every difference is a conflict`; }
  if (m.merged.conflicts.length > 0) {
    result.conflicts = m.merged.conflicts;
    const modes: Record<string, number> = {};
    for (const f of [...side[target].content.files, ...side[incoming].content.files]) modes[f.rel] ??= f.mode;
    result.pendingMerge = {
      project: ctx.project, direction: p.o.direction, artifact: { type: a.type, name: a.name, root: a.root, relPath: a.relPath }, projectPath: a.projectPath, collectionPath: a.collectionPath,
      collectionDir: p.collectionDir, collectionName: p.collectionName, kind: P.kind, baseSource: m.base.source, ...(m.base.origin ? { baseOrigin: m.base.origin } : {}), baseUnknown: m.base.source === 'unknown',
      ...(m.base.contentHash ? { baseContentHash: m.base.contentHash } : {}),
      expect: { projectTree: side.project.tree, collectionTree: side.collection.tree },
      ...(p.o.bothSides ? { bothSides: true } : {}),
      clean: m.merged.clean, conflicts: m.merged.conflicts, labels: m.labels, modes,
    };
    return;
  }
  // A base a finder found (SkillMeat snapshot, git history) is kept: the next merge finds it in the store.
  if (m.base.origin && m.base.content) plan.stores.push({ artifactKey: p.key, content: m.base.content, origin: 'pre-sync', note: `merge base from ${m.base.origin}` });
  const extras = P.kind === 'dir' ? mergeExtras(side[incoming].content, side[target].content) : undefined;
  const content: ArtifactContent = { kind: P.kind, files: sortFiles(m.merged.clean.filter((f) => f.content !== null).map((f) => ({ rel: f.path, data: f.content!, mode: f.mode }))), ...(extras ? { extras } : {}) };
  const h = hashContent(content);
  // The merge goes where it was asked: the direction's target (update: the project; pull: the collection), or both
  // sides for the Merge… command. A side that already holds it is not rewritten.
  const sides: Side[] = p.o.bothSides ? ['project', 'collection'] : [target];
  for (const s of sides) {
    if (side[s].tree !== h.treeHash) addWrite(plan, { side: s, root: rootOf(p, s), path: side[s].abs, content, before: side[s].content, beforeTree: side[s].tree, key: p.key, lock: lockFor(p, s) });
  }
  if (p.o.bothSides) { planRecord(p, h, h.treeHash); return; }
  // One side written: the baseline is the version just integrated (the other side's), so the target's own edits
  // stay drift until they go the other way (update → modified until pulled; pull → outdated until updated).
  plan.stores.push({ artifactKey: p.key, content: side[incoming].content, origin: 'sync', note: `${incoming} version integrated by ${p.o.direction}` });
  planRecord(p, hashContent(side[incoming].content), target === 'project' ? h.treeHash : side.project.tree);
}

/**
 * Fork keeps both versions as separate artifacts and leaves the original untouched on both sides.
 * pull: the project's version becomes the collection artifact <name>-fork (with a collection.lock entry); the
 *   project keeps <name> as it is — still modified — since a second copy of the same content would have Claude
 *   Code load it twice. `deployFork` deploys the fork too, recorded.
 * update: the collection's version is deployed into the project as <name>-fork, recorded; a record must point
 *   at a collection artifact, so <name>-fork is also created in the collection (a copy of <name>) and the fork
 *   starts in sync instead of showing as "removed".
 */
function planFork(p: Planning): void {
  const { ctx, plan, rootDir, collectionDir } = p;
  const a = { ...p.a, type: p.a.type as ArtifactType }; // context entities are refused before: see planContext
  const taken = (candidate: string): boolean => {
    const c = artifactPath(collectionDir, a.type, candidate);
    const inProject = artifactPath(rootDir, a.type, candidate);
    return fs.existsSync(c.absPath) || fs.existsSync(inProject.absPath) || ctx.claimed.has(c.absPath) || ctx.claimed.has(inProject.absPath)
      || !!findView(rootDir, { type: a.type, relPath: inProject.relPath }, ctx.views);
  };
  const forkName = freeForkName(a.name, taken);
  const inColl = artifactPath(collectionDir, a.type, forkName);
  const inProj = artifactPath(rootDir, a.type, forkName);
  plan.result.forkName = forkName;
  const content = p.side[p.incoming].content;
  const sides: Side[] = p.o.direction === 'update' || p.o.deployFork ? ['collection', 'project'] : ['collection'];
  let h: ContentHashes | undefined;
  for (const s of sides) {
    const abs = s === 'collection' ? inColl.absPath : inProj.absPath;
    ctx.claimed.add(abs);
    plan.verify.push({ path: abs, tree: null });
    h = addWrite(plan, { side: s, root: rootOf(p, s), path: abs, content, beforeTree: null, key: artifactKey(a.root, a.type, forkName), lock: lockFor(p, s, forkName) });
  }
  if (sides.includes('project')) {
    plan.records.push({
      rootDir, type: a.type, name: forkName, relPath: inProj.relPath, root: a.root, collectionName: p.collectionName, baseline: h!, collectionPath: inColl.absPath,
      localModifications: false, isNew: true, beforeText: null,
    });
    plan.result.recordChanges.push({ recordsFile: p.recordsFile, name: forkName, change: 'add' });
  }
}

/** Why a pull (or anything else that writes the collection) of a context entity is refused. */
export function contextCollectionWriteRefusal(a: { type: string; name: string }, what: string): string {
  return `${what} of ${a.type} "${a.name}" refused: its collection copy is a row of SkillMeat's cache database (cache.db), `
    + 'which SkillMeat\'s own server writes and SkillMeat Sync never does (no safe way to write it beside SkillMeat: WAL mode, no shared lock). '
    + 'Edit it in SkillMeat (its web UI, or PUT /api/v1/context-entities/<id> of its API), then update the project from the collection.';
}

/**
 * Re-baselines an artifact whose sides already agree (and returns nothing); otherwise decides the action — the
 * strategy, or for prompt the user's answer, asked with the merge preview (kept for the planners).
 */
async function decide(p: Planning): Promise<{ action: SyncAction; preview?: MergePreview } | undefined> {
  const { ctx, o, a, plan: { result } } = p;
  if (a.state === 'converged' || p.side.project.tree === p.side.collection.tree) {
    result.action = 'rebaseline';
    planBaselineOnly(p, p.side.project.content, 'both sides agree: re-baselined');
    return undefined;
  }
  let action: SyncAction = o.strategy === 'prompt' ? 'prompt' : o.strategy;
  let preview: MergePreview | undefined;
  if (o.strategy === 'prompt') {
    preview = await previewMerge(p);
    if (!ctx.dryRun) {
      if (!o.choose) throw new TypeError('the prompt strategy needs a choose() callback');
      const choice = await o.choose(a, {
        direction: o.direction, merge: { clean: preview.merged.conflicts.length === 0, conflictFiles: preview.merged.conflicts.map((c) => c.path), baseUnknown: preview.base.source === 'unknown', ...(preview.base.origin ? { baseOrigin: preview.base.origin } : {}) },
      });
      result.choice = choice;
      action = mapChoice(choice, o.direction);
    }
  }
  result.action = action;
  return { action, ...(preview ? { preview } : {}) };
}

/**
 * A context entity (a single file whose collection copy is a row of SkillMeat's cache database): update — overwrite,
 * a clean merge, keep, re-baseline — writes the project file and the record like a command. Nothing that writes the
 * collection (pull, the Merge… command, a fork) is done: see {@link contextCollectionWriteRefusal}.
 */
async function planContext(ctx: Ctx, o: SyncOptions, a: ArtifactDrift, plan: ArtifactPlan, view: RecordView, rootDir: string, recordsFile: string): Promise<ArtifactPlan> {
  const { result } = plan;
  const skip = (reason: string): ArtifactPlan => { result.reason = reason; return plan; };
  const refuse = (what: string): ArtifactPlan => { result.status = 'failed'; result.reason = contextCollectionWriteRefusal(a, what); return plan; };
  if (o.direction === 'pull') return refuse('pull');
  if (o.bothSides) return refuse('a merge into both sides');
  if (o.strategy === 'fork') return refuse('a fork');
  if (!a.contextRow) return skip(`SkillMeat's cache database is not readable${a.detail ? ` (${a.detail})` : ''}`);
  const coll = readContextCollection(await loadSqlJs(), a.contextRow.db);
  const row = coll.rows.find((r) => r.id === a.contextRow!.id);
  if (!row) return skip(`${a.type} "${a.name}" is no longer in SkillMeat's cache database ${a.contextRow.db}; check again`);
  const C: ArtifactContent = { kind: 'file', files: [{ rel: '', data: row.content, mode: 0o644 }] };
  const P = readContent(a.projectPath, ctx.exclusions);
  const cTree = hashContent(C).treeHash;
  if (!P || !a.projectHash || cTree !== a.collectionHash) return skip('one side changed since the drift check; check again');
  plan.verify.push({ path: a.projectPath, tree: a.projectHash });
  const p: Planning = {
    ctx, o, a: { ...a, collectionPath: a.projectPath }, plan, view, rootDir, recordsFile,
    collectionDir: path.dirname(a.contextRow.db), collectionName: view.fromCollection ?? 'default', key: artifactKey(a.root, a.type, a.name),
    side: { project: { abs: a.projectPath, content: P, tree: a.projectHash }, collection: { abs: `${a.contextRow.db} (row ${row.id})`, content: C, tree: cTree } },
    target: 'project', incoming: 'collection',
  };
  const decided = await decide(p);
  if (!decided) return plan;
  const { action, preview } = decided;
  switch (action) {
    case 'rebaseline':
    case 'skip': result.reason = 'skipped (your choice)'; break;
    case 'keep': planBaselineOnly(p, C, 'collection version acknowledged; project kept its own'); break;
    case 'overwrite': planOverwrite(p); break;
    case 'prompt': describePrompt(p, preview!); break;
    case 'fork': return refuse('a fork');
    case 'merge': {
      const m = preview ?? await previewMerge(p);
      // A conflicting merge would be finished in the merge editor, which writes the collection too: not for these.
      if (m.merged.conflicts.length) {
        result.action = 'skip';
        result.baseSource = m.base.source;
        return skip(`the merge of ${a.type} "${a.name}" has conflicts; update it with --strategy overwrite (the local file is kept in the version store), or bring the local edits into SkillMeat first`);
      }
      planMerge(p, m);
      break;
    }
  }
  return plan;
}

/**
 * Plans one artifact: reads both sides, decides the action (the strategy, or the user's answer for prompt) and
 * fills the plan with the writes, records, lock entries and stored versions it needs. Writes nothing.
 */
export async function planArtifact(ctx: Ctx, o: SyncOptions, resolver: CollectionResolver, a: ArtifactDrift): Promise<ArtifactPlan> {
  const ref: ArtifactRef = { type: a.type, name: a.name, root: a.root };
  const result: ArtifactSyncResult = { ...ref, relPath: a.relPath, state: a.state, action: 'skip', status: 'skipped', writes: [], recordChanges: [], lockFiles: [] };
  const plan: ArtifactPlan = { ref, result, verify: [], writes: [], records: [], locks: [], stores: [] };
  const skip = (reason: string): ArtifactPlan => { result.reason = reason; return plan; };
  const rootDir = path.join(ctx.project, a.root);
  const recordsFile = path.join(rootDir, RECORDS_FILE);
  const view = findView(rootDir, a, ctx.views);
  if (!view) return skip(`no deployment record in ${recordsFile}`);
  if (isContextType(a.type)) return planContext(ctx, o, a, plan, view, rootDir, recordsFile);
  if (!a.collectionPath) return skip(`the collection is not reachable${a.detail ? ` (${a.detail})` : ''}`);
  const coll = resolver.resolve(view.fromCollection);
  const P = readContent(a.projectPath, ctx.exclusions);
  const C = readContent(a.collectionPath, ctx.exclusions);
  if (!P || !C || !a.projectHash || !a.collectionHash) return skip('one side disappeared since the drift check; check again');
  plan.verify.push({ path: a.projectPath, tree: a.projectHash }, { path: a.collectionPath, tree: a.collectionHash });
  const p: Planning = {
    ctx, o, a: { ...a, collectionPath: a.collectionPath }, plan, view, rootDir, recordsFile,
    collectionDir: coll.path, collectionName: view.fromCollection ?? coll.name, key: artifactKey(a.root, a.type, a.name),
    side: { project: { abs: a.projectPath, content: P, tree: a.projectHash }, collection: { abs: a.collectionPath, content: C, tree: a.collectionHash } },
    target: o.direction === 'update' ? 'project' : 'collection',
    incoming: o.direction === 'update' ? 'collection' : 'project',
  };

  // A skill without SKILL.md is not loaded by Claude Code: it is not carried to the other side.
  if (a.type === 'skill' && !p.side[p.incoming].content.files.some((f) => f.rel === 'SKILL.md')) {
    return skip(`the ${p.incoming}'s copy has no SKILL.md, so Claude Code would not load it; restore its SKILL.md, then sync again`);
  }

  const decided = await decide(p);
  if (!decided) return plan;
  const { action, preview } = decided;
  switch (action) {
    case 'rebaseline': // never reached: decided above from the drift state, whatever the strategy
    case 'skip': result.reason = 'skipped (your choice)'; break;
    case 'keep': planBaselineOnly(p, p.side[p.incoming].content, `${p.incoming} version acknowledged; ${p.target} kept its own`); break;
    case 'overwrite': planOverwrite(p); break;
    case 'prompt': describePrompt(p, preview!); break;
    case 'merge': planMerge(p, preview ?? await previewMerge(p)); break;
    case 'fork': planFork(p); break;
  }
  return plan;
}
