// Sync (SPEC §5): `update` brings collection changes into the project, `pull` brings project changes into
// the collection, each with a strategy — overwrite, three-way merge, fork, or prompt (ask per artifact).
// Nothing is lost on either side: the versions a sync replaces go to the version store first, a failure
// part-way puts every artifact of the sync back, and `undoLastSync` restores the last one.
//
// A sync runs in four steps: plan every artifact (read both sides, merge in memory, ask the user) without
// writing anything — that is also the dry run; store the versions about to be replaced and a pending
// journal; write artifact by artifact (files, then the record, then collection.lock), checking first that
// neither side changed since it was read; journal the finished sync for undo. The VS Code glue calls
// `runSync` and, for each artifact left in conflict, `completeMerge` once the user has resolved its files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { checkDrift } from './drift';
import { artifactKey, PROFILE_ROOTS, type ArtifactDrift, type ArtifactType, type DriftState, type FileChange } from './model';
import { readRecords, viewRecord, RECORDS_FILE, type RecordView } from './deploymentRecords';
import { ArtifactHasher, hashNormalised, skillmeatHash, type ExclusionMatcher } from './hashing';
import { buildRecord, SyncError } from './deploy';
import { artifactPath } from './discovery';
import { collectionResolver, type CollectionResolver } from './skillmeatHome';
import { COLLECTION_LOCK_FILE, lockEntryHash, pythonUtcTimestamp } from './collectionLock';
import type { LockOptions } from './fsutil';
import type { VersionStore } from './versionStore';
import { readContent, hashContent, freeForkName, sortFiles, hasConflictMarkers, contentFromStore, type ArtifactContent, type ContentHashes } from './sync/content';
import { resolveBase, mergeArtifact, type BaseSource, type ConflictFile, type MergedFile } from './sync/artifactMerge';
import {
  SyncTransaction, addPendingJournal, dropPendingJournal, lastJournal, pendingJournals, setLastJournal, recordText,
  type PathChange, type Side, type SyncJournal, type SharedFileChange,
} from './sync/transaction';

export type { ConflictFile, MergedFile, BaseSource } from './sync/artifactMerge';
export type { Side, SyncJournal } from './sync/transaction';
export { hasConflictMarkers } from './sync/content';

/** `update`: collection → project. `pull`: project → collection. */
export type SyncDirection = 'update' | 'pull';
/** How diverged artifacts are brought together. */
export type SyncStrategy = 'overwrite' | 'merge' | 'fork' | 'prompt';
/** The answers `prompt` accepts for one artifact. "Mine" is the project's version, "theirs" the collection's. */
export type PromptChoice = 'merge' | 'keep-mine' | 'take-theirs' | 'fork' | 'skip';
/**
 * What a sync does to one artifact. `keep`: the target keeps its content and the incoming version becomes
 * the baseline (the user saw it and chose not to take it). `rebaseline`: both sides already agree.
 * `prompt`: a dry run of the prompt strategy (nobody was asked).
 */
export type SyncAction = 'overwrite' | 'merge' | 'fork' | 'keep' | 'rebaseline' | 'skip' | 'prompt';

/** Identifies an artifact in a project. */
export interface ArtifactRef { type: ArtifactType; name: string; root: string }

/** What `prompt` shows before asking: the merge the user would get. */
export interface PromptPreview {
  direction: SyncDirection;
  merge: { clean: boolean; conflictFiles: string[]; baseUnknown: boolean };
}

/** Asks the user about one artifact (the `prompt` strategy). */
export type ChooseFn = (artifact: ArtifactDrift, preview: PromptPreview) => PromptChoice | Promise<PromptChoice>;

/**
 * Test hooks: throw from one to simulate a failure at that point of the sync. A sync writes the files of
 * every artifact first, then the records (one write per records file), then collection.lock.
 */
export interface SyncFaults {
  /** After artifact `index`'s files are in place (in the order of the result's artifacts that write). */
  afterArtifact?(index: number, artifact: ArtifactRef): void | Promise<void>;
  /** After every artifact's files, before the records are written. */
  beforeRecords?(): void | Promise<void>;
  /** After the records, before collection.lock is updated. */
  afterRecords?(): void | Promise<void>;
}

/** A write a sync makes (or, in a dry run, would make). */
export interface PlannedWrite {
  side: Side;
  path: string;
  change: 'create' | 'replace';
  /** Files that change, relative to the artifact ('' for a single file). */
  files: FileChange[];
}

/** Everything `completeMerge` needs to finish an artifact left in conflict. Held in memory by the caller. */
export interface PendingMerge {
  project: string;
  direction: SyncDirection;
  artifact: ArtifactRef & { relPath: string };
  projectPath: string;
  collectionPath: string;
  collectionDir: string;
  collectionName: string;
  kind: 'dir' | 'file';
  baseSource: BaseSource;
  baseUnknown: boolean;
  /** SkillMeat content hash of the base (becomes `merge_base_snapshot`). */
  baseContentHash?: string;
  /** Tree hashes both sides had when merged; completing refuses if either changed since. */
  expect: { projectTree: string; collectionTree: string };
  /** Files that merged cleanly (content null = deleted). */
  clean: MergedFile[];
  /** Files the user has to resolve. */
  conflicts: ConflictFile[];
  /** Marker labels: ours = the target side, theirs = the incoming side. */
  labels: { ours: string; base: string; theirs: string };
  /** File modes to give resolved files. */
  modes: Record<string, number>;
}

/** The outcome for one artifact. */
export interface ArtifactSyncResult extends ArtifactRef {
  relPath: string;
  /** Drift state before the sync. */
  state: DriftState;
  action: SyncAction;
  /** `planned`: dry run. `conflict`: nothing written, see `conflicts` / `pendingMerge`. */
  status: 'synced' | 'conflict' | 'skipped' | 'planned' | 'failed';
  choice?: PromptChoice;
  writes: PlannedWrite[];
  /** Deployment records that change: the artifact's own (`update`) or a fork's (`add`). */
  recordChanges: { recordsFile: string; name: string; change: 'update' | 'add' }[];
  /** `collection.lock` files whose entry changes. */
  lockFiles: string[];
  forkName?: string;
  baseSource?: BaseSource;
  /** True when the merge had no base: every difference is a conflict. */
  baseUnknown?: boolean;
  /** Why skipped, failed, or why the base is unknown. */
  reason?: string;
  conflicts?: ConflictFile[];
  pendingMerge?: PendingMerge;
  /** The new deployed baseline. */
  baseline?: ContentHashes;
}

/** The outcome of a sync. */
export interface SyncResult {
  project: string;
  direction: SyncDirection | 'complete-merge';
  strategy: SyncStrategy | 'merge';
  dryRun: boolean;
  /** `conflict`: some artifacts wait for resolution (the others are synced). `failed`: rolled back. */
  status: 'success' | 'conflict' | 'no-changes' | 'dry-run' | 'failed';
  artifacts: ArtifactSyncResult[];
  /** Names asked for that match no deployed artifact (then nothing is synced: status `failed`, code `not-found`). */
  unknownNames: string[];
  warnings: { message: string; file?: string }[];
  /** Id of the journal `undoLastSync` will use. */
  journalId?: string;
  error?: { code: string; message: string };
  /** Things a rollback could not put back (empty when it restored everything). */
  rollbackProblems?: string[];
}

/** Where a running sync is: planning artifact `index` of `total`, writing it, or finishing the records. */
export interface SyncProgress {
  phase: 'plan' | 'write' | 'records' | 'done';
  index: number;
  total: number;
  artifact?: ArtifactRef;
}

/** Why a sync or a merge completion stopped; nothing it started is left half done. */
export class SyncFailure extends Error {
  constructor(readonly code: 'changed-during-sync' | 'record-missing' | 'fork-taken' | 'unresolved' | 'markers-left' | 'stale-merge' | 'bad-resolution' | 'sync-running' | 'version-missing', message: string) {
    super(message);
  }
}

export interface SyncOptions {
  project: string;
  direction: SyncDirection;
  strategy: SyncStrategy;
  /** Required: versions about to be replaced go here first, and the undo journal. */
  store: VersionStore;
  /** Artifact names to sync; none = every eligible artifact. */
  names?: readonly string[];
  type?: ArtifactType;
  /** Profile root to limit the sync to (default: all). */
  root?: string;
  /** Collection directory overriding the records' `from_collection`. */
  collection?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  roots?: readonly string[];
  /** Plan and report; write nothing anywhere (not even the version store). */
  dryRun?: boolean;
  /** Required for the `prompt` strategy. */
  choose?: ChooseFn;
  /**
   * Pull-fork only: also deploy `<name>-fork` into the project, with its own record. Default: no — the
   * project already holds that content as `<name>`, and a second copy would make Claude Code load the
   * same skill twice; the fork shows as "available in collection" and can be deployed later.
   */
  deployFork?: boolean;
  /** Called as the sync moves on, for a progress indicator. */
  onProgress?: (p: SyncProgress) => void;
  hasher?: ArtifactHasher;
  now?: () => Date;
  lock?: LockOptions;
  faults?: SyncFaults;
}

const ELIGIBLE: Record<SyncDirection, ReadonlySet<DriftState>> = {
  update: new Set(['outdated', 'conflict', 'converged']),
  pull: new Set(['modified', 'conflict', 'converged']),
};

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

function skipReason(direction: SyncDirection, a: ArtifactDrift): string {
  if (a.state === 'in-sync') return 'already in sync';
  if (direction === 'update' && a.state === 'modified') return 'only the project changed: nothing to update (pull it into the collection instead)';
  if (direction === 'pull' && a.state === 'outdated') return 'only the collection changed: nothing to pull (update the project instead)';
  return `${a.state}: ${a.recommendation || 'nothing to sync'}`;
}

// ---- planning ----

interface WriteOp { side: Side; path: string; content: ArtifactContent; hashes: ContentHashes; beforeTree: string | null; artifactKey: string }
interface RecordOp {
  rootDir: string; type: ArtifactType; name: string; relPath: string; root: string; collectionName: string;
  baseline: ContentHashes; mergeBase?: string; localModifications: boolean; isNew: boolean; beforeText: string | null;
}
interface LockOp { collectionDir: string; name: string; type: ArtifactType; path: string; beforeHash: string | null }
interface StoreOp { artifactKey: string; content: ArtifactContent; origin: 'pre-sync' | 'sync'; note: string }

interface ArtifactPlan {
  ref: ArtifactRef;
  result: ArtifactSyncResult;
  verify: { path: string; tree: string | null }[];
  writes: WriteOp[];
  records: RecordOp[];
  locks: LockOp[];
  stores: StoreOp[];
}

interface Ctx {
  project: string;
  store: VersionStore;
  hasher: ArtifactHasher;
  exclusions: ExclusionMatcher;
  at: Date;
  lock?: LockOptions;
  faults?: SyncFaults;
  dryRun: boolean;
  warnings: { message: string; file?: string }[];
  /** Paths a fork in this run already claimed. */
  claimed: Set<string>;
  /** Records files parsed during planning, by profile-root directory. */
  views: Map<string, RecordView[]>;
  onProgress?: (p: SyncProgress) => void;
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

function fileOf(artifactAbs: string, rel: string): string {
  return rel ? path.join(artifactAbs, ...rel.split('/')) : artifactAbs;
}

function readLockHash(collectionDir: string, name: string, type: ArtifactType): string | null {
  const file = path.join(collectionDir, COLLECTION_LOCK_FILE);
  try { return lockEntryHash(fs.readFileSync(file, 'utf8'), file, name, type) ?? null; } catch { return null; }
}

function addWrite(plan: ArtifactPlan, w: { side: Side; path: string; content: ArtifactContent; before?: ArtifactContent; beforeTree: string | null; key: string; lock?: { collectionDir: string; name: string } }): ContentHashes {
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
function findView(rootDir: string, a: { type: ArtifactType; relPath: string }, cache?: Map<string, RecordView[]>): RecordView | undefined {
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

async function planArtifact(ctx: Ctx, o: SyncOptions, resolver: CollectionResolver, a: ArtifactDrift): Promise<ArtifactPlan> {
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

// ---- execution ----

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) { const k = key(t); const g = m.get(k); if (g) g.push(t); else m.set(k, [t]); }
  return m;
}

function newJournalId(at: Date): string {
  return `${at.getTime().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
}

function plannedJournal(meta: JournalMeta, plans: ArtifactPlan[]): SyncJournal {
  const shared = new Map<string, SharedFileChange>();
  const sharedFor = (kind: 'records' | 'lock', file: string) => {
    let c = shared.get(file);
    if (!c) { c = { kind, file, before: null, after: null, foreign: true, records: [], locks: [] }; shared.set(file, c); }
    return c;
  };
  const paths: PathChange[] = [];
  for (const p of plans) {
    for (const w of p.writes) paths.push({ side: w.side, path: w.path, kind: w.content.kind, beforeTree: w.beforeTree, afterTree: w.hashes.treeHash, artifactKey: w.artifactKey });
    for (const r of p.records) sharedFor('records', path.join(r.rootDir, RECORDS_FILE)).records.push({ type: r.type, relPath: r.relPath, beforeText: r.beforeText, afterText: null });
    for (const l of p.locks) sharedFor('lock', path.join(l.collectionDir, COLLECTION_LOCK_FILE)).locks.push({ name: l.name, type: l.type, beforeHash: l.beforeHash, afterHash: null });
  }
  // `foreign: true` makes undo of an interrupted sync restore record by record: the whole-file texts were never known.
  return { version: 1, ...meta, status: 'pending', paths, shared: [...shared.values()] };
}

type JournalMeta = Omit<SyncJournal, 'version' | 'paths' | 'shared' | 'status'>;
type ExecMeta = Pick<SyncJournal, 'project' | 'operation' | 'strategy'>;

/** Stores versions, writes every plan, journals; on any failure puts everything back. */
async function execute(ctx: Ctx, plans: ArtifactPlan[], meta: ExecMeta): Promise<{ journalId?: string; error?: { code: string; message: string }; rollbackProblems?: string[]; failedAt?: number }> {
  const active = plans.filter((p) => p.writes.length || p.records.length || p.locks.length);
  if (active.length === 0) return {};
  const at = ctx.at.toISOString();
  const id = newJournalId(ctx.at);
  const journalMeta: JournalMeta = { ...meta, id, at, artifacts: active.map((p) => p.ref), pid: process.pid };
  try {
    await ctx.store.transact((s) => {
      for (const p of active) {
        for (const st of p.stores) {
          const t = s.putContent(st.content.kind, st.content.files);
          s.addVersion({ artifactKey: st.artifactKey, treeHash: t.treeHash, origin: st.origin, at, note: st.note, project: ctx.project });
        }
      }
      addPendingJournal(s, plannedJournal(journalMeta, active));
    });
  } catch (e) {
    // Nothing was written yet: the versions could not be kept, so nothing may be replaced.
    return { error: { code: (e as { code?: string }).code ?? 'store', message: `the version store could not keep the versions about to be replaced, so nothing was changed: ${(e as Error).message}` }, rollbackProblems: [], failedAt: -1 };
  }
  const txn = new SyncTransaction({ exclusions: ctx.exclusions, lock: ctx.lock, fetched: pythonUtcTimestamp(ctx.at) });
  let index = -1;
  try {
    for (const p of active) {
      index++;
      ctx.onProgress?.({ phase: 'write', index, total: active.length, artifact: p.ref });
      for (const v of p.verify) {
        ctx.hasher.invalidate(v.path);
        const now = ctx.hasher.hash(v.path)?.tree ?? null;
        if (now !== v.tree) {
          throw new SyncFailure(v.tree === null ? 'fork-taken' : 'changed-during-sync', v.tree === null
            ? `${v.path} appeared while the sync was running. Nothing was changed; sync again to fork under another name.`
            : `${v.path} changed while the sync was running. Nothing was changed; check drift and sync again.`);
        }
      }
      for (const w of p.writes) {
        txn.replacePath({ side: w.side, path: w.path, kind: w.content.kind, beforeTree: w.beforeTree, afterTree: w.hashes.treeHash, artifactKey: w.artifactKey }, w.content);
        ctx.hasher.invalidate(w.path);
      }
      await ctx.faults?.afterArtifact?.(index, p.ref);
    }
    index = -1;
    ctx.onProgress?.({ phase: 'records', index: active.length, total: active.length });
    // Records and lock entries are written once per file for the whole sync: each write re-reads and
    // re-parses the file under its lock, which per artifact would make a large sync quadratic.
    await ctx.faults?.beforeRecords?.();
    for (const [rootDir, recs] of groupBy(active.flatMap((p) => p.records), (r) => r.rootDir)) {
      await txn.changeRecords(rootDir, recs.map((r) => ({
        type: r.type, relPath: r.relPath,
        build: (prev) => {
          if (!r.isNew && !prev) throw new SyncFailure('record-missing', `${path.join(r.rootDir, RECORDS_FILE)}: the record of ${r.type} "${r.name}" disappeared during the sync (undeployed by another writer?). Nothing was changed; check drift and sync again.`);
          if (r.isNew && prev) throw new SyncFailure('fork-taken', `${path.join(r.rootDir, RECORDS_FILE)}: a record for ${r.type} "${r.name}" appeared during the sync. Nothing was changed; sync again to fork under another name.`);
          const rec = buildRecord(prev, {
            type: r.type, name: r.name, relPath: r.relPath, root: r.root,
            collectionName: typeof prev?.fields.from_collection === 'string' ? prev.fields.from_collection : r.collectionName,
            contentHash: r.baseline.contentHash, treeHash: r.baseline.treeHash, at: ctx.at,
          });
          if (r.mergeBase) rec.fields.merge_base_snapshot = r.mergeBase;
          rec.fields.local_modifications = r.localModifications;
          return rec;
        },
      })));
    }
    await ctx.faults?.afterRecords?.();
    for (const [collectionDir, locks] of groupBy(active.flatMap((p) => p.locks), (l) => l.collectionDir)) {
      const entries = locks.map((l) => ({ name: l.name, type: l.type, contentHash: skillmeatHash(l.path) ?? null })).filter((e) => e.contentHash !== null);
      await txn.setLockEntries(collectionDir, entries);
    }
    const journal = txn.journal(journalMeta);
    await ctx.store.transact((s) => {
      setLastJournal(s, ctx.project, journal);
      dropPendingJournal(s, ctx.project, id);
    });
  } catch (e) {
    const rollbackProblems = await txn.rollback();
    for (const p of active) for (const w of p.writes) ctx.hasher.invalidate(w.path);
    try { await ctx.store.transact((s) => dropPendingJournal(s, ctx.project, id)); } catch (e2) {
      rollbackProblems.push(`the version store could not forget the interrupted sync (${(e2 as Error).message}); "undo" may offer to restore it`);
    }
    const code = e instanceof SyncFailure || e instanceof SyncError ? e.code : (e as NodeJS.ErrnoException).code ?? 'error';
    return { error: { code, message: (e as Error).message }, rollbackProblems, failedAt: index };
  }
  txn.commit();
  ctx.warnings.push(...txn.warnings);
  ctx.onProgress?.({ phase: 'done', index: active.length, total: active.length });
  return { journalId: id };
}

function finish(ctx: Ctx, base: Omit<SyncResult, 'status' | 'warnings' | 'journalId' | 'artifacts'>, plans: ArtifactPlan[], exec: Awaited<ReturnType<typeof execute>>): SyncResult {
  const artifacts = plans.map((p) => p.result);
  if (exec.error) {
    for (const [i, p] of plans.filter((x) => x.writes.length || x.records.length || x.locks.length).entries()) {
      p.result.status = 'failed';
      p.result.reason = i === exec.failedAt ? exec.error.message : `rolled back: another artifact of this sync failed (${exec.error.message})`;
    }
    return { ...base, artifacts, status: 'failed', warnings: ctx.warnings, error: exec.error, rollbackProblems: exec.rollbackProblems };
  }
  for (const p of plans) {
    if (p.result.conflicts?.length) p.result.status = 'conflict';
    else if (p.writes.length || p.records.length || p.locks.length) p.result.status = 'synced';
  }
  const status: SyncResult['status'] = artifacts.some((r) => r.status === 'conflict') ? 'conflict' : artifacts.some((r) => r.status === 'synced') ? 'success' : 'no-changes';
  return { ...base, artifacts, status, warnings: ctx.warnings, ...(exec.journalId ? { journalId: exec.journalId } : {}) };
}

function makeCtx(o: { project: string; store: VersionStore; hasher?: ArtifactHasher; now?: () => Date; lock?: LockOptions; faults?: SyncFaults; dryRun?: boolean; onProgress?: (p: SyncProgress) => void }): Ctx {
  const hasher = o.hasher ?? new ArtifactHasher();
  return {
    project: path.resolve(o.project), store: o.store, hasher, exclusions: hasher.exclusions, at: o.now?.() ?? new Date(),
    lock: o.lock, faults: o.faults, dryRun: !!o.dryRun, warnings: [], claimed: new Set(), views: new Map(), onProgress: o.onProgress,
  };
}

/**
 * Runs `update` or `pull` for the named artifacts (or every eligible one). Eligible: update — outdated,
 * conflict, converged; pull — modified, conflict, converged. Artifacts whose merge conflicts are returned
 * with their conflicting files and a `pendingMerge` for {@link completeMerge}; nothing is written for them.
 */
export async function runSync(o: SyncOptions): Promise<SyncResult> {
  const ctx = makeCtx(o);
  if (o.strategy === 'prompt' && !o.dryRun && !o.choose) throw new TypeError('the prompt strategy needs a choose() callback');
  const resolver = collectionResolver({ env: o.env, home: o.home, collection: o.collection });
  const report = checkDrift({ project: ctx.project, collection: o.collection, env: o.env, home: o.home, roots: o.roots, hasher: ctx.hasher, store: o.store });
  for (const e of report.errors) ctx.warnings.push({ message: e.message, file: e.file });
  for (const p of pendingJournals(o.store, ctx.project)) {
    if (p.pid && (p.pid === process.pid || pidAlive(p.pid))) continue; // still running
    ctx.warnings.push({ message: `a ${p.operation} started at ${p.at} did not finish${p.pid && p.pid !== process.pid ? ` (process ${p.pid})` : ''}; if that process is gone, run "undo" to restore what it had written` });
  }
  const names = o.names && o.names.length ? new Set(o.names) : undefined;
  const candidates = report.artifacts.filter((a) => (!o.type || a.type === o.type) && (!o.root || a.root === o.root) && (!names || names.has(a.name)));
  const unknownNames = names ? [...names].filter((n) => !candidates.some((a) => a.name === n)) : [];
  const base = { project: ctx.project, direction: o.direction, strategy: o.strategy, dryRun: ctx.dryRun, unknownNames } as const;
  if (unknownNames.length) {
    // A name that matches nothing is a typo or a stale selection: sync none rather than some.
    const where = (o.roots ?? PROFILE_ROOTS).filter((r) => !o.root || r === o.root).map((r) => path.join(ctx.project, r, RECORDS_FILE)).join(', ');
    return {
      ...base, artifacts: [], status: 'failed', warnings: ctx.warnings,
      error: { code: 'not-found', message: `no deployed ${o.type ?? 'artifact'} named ${unknownNames.map((n) => `"${n}"`).join(', ')} in ${where}. Check the name (and --type / --root); nothing was synced.` },
    };
  }
  const plans: ArtifactPlan[] = [];
  const eligible = candidates.filter((a) => ELIGIBLE[o.direction].has(a.state)).length;
  let planned = 0;
  for (const a of candidates) {
    if (ELIGIBLE[o.direction].has(a.state)) o.onProgress?.({ phase: 'plan', index: planned++, total: eligible, artifact: { type: a.type, name: a.name, root: a.root } });
    if (!ELIGIBLE[o.direction].has(a.state)) {
      if (names) {
        plans.push({
          ref: { type: a.type, name: a.name, root: a.root }, verify: [], writes: [], records: [], locks: [], stores: [],
          result: { type: a.type, name: a.name, root: a.root, relPath: a.relPath, state: a.state, action: 'skip', status: 'skipped', writes: [], recordChanges: [], lockFiles: [], reason: skipReason(o.direction, a) },
        });
      }
      continue;
    }
    plans.push(await planArtifact(ctx, o, resolver, a));
  }
  if (ctx.dryRun) {
    for (const p of plans) {
      if (p.result.conflicts?.length) p.result.status = 'conflict';
      else if (p.writes.length || p.records.length || p.locks.length || p.result.action === 'prompt') p.result.status = 'planned';
    }
    return { ...base, artifacts: plans.map((p) => p.result), status: 'dry-run', warnings: ctx.warnings };
  }
  const exec = await execute(ctx, plans, { project: ctx.project, operation: o.direction, strategy: o.strategy });
  return finish(ctx, base, plans, exec);
}

export interface CompleteMergeOptions {
  pending: PendingMerge;
  /**
   * The user's resolution of every conflicting file, by path inside the artifact ('' for a command or
   * agent). A Buffer or string is the file's content; null deletes the file (not allowed for a single file).
   */
  resolved: Readonly<Record<string, Buffer | string | null>>;
  store: VersionStore;
  /** Accept resolved text that still has `<<<<<<<` / `>>>>>>>` lines (default: refuse). */
  allowMarkers?: boolean;
  hasher?: ArtifactHasher;
  now?: () => Date;
  lock?: LockOptions;
  faults?: SyncFaults;
  onProgress?: (p: SyncProgress) => void;
}

/**
 * Finishes an artifact left in conflict: the clean part of the merge plus the user's resolutions is
 * written to both sides (each side that differs), and becomes the new baseline. Refuses when a conflict
 * is unresolved, when markers remain, or when either side changed since the merge was prepared.
 */
export async function completeMerge(o: CompleteMergeOptions): Promise<SyncResult> {
  const pm = o.pending;
  const ctx = makeCtx({ ...o, project: pm.project });
  const conflictPaths = new Set(pm.conflicts.map((c) => c.path));
  const show = (rel: string) => fileOf(pm.direction === 'update' ? pm.projectPath : pm.collectionPath, rel);
  for (const rel of Object.keys(o.resolved)) {
    if (!conflictPaths.has(rel)) throw new SyncFailure('bad-resolution', `${show(rel)} is not one of the conflicting files of ${pm.artifact.type} "${pm.artifact.name}"; resolve only ${[...conflictPaths].map((p) => p || path.basename(pm.projectPath)).join(', ')}.`);
  }
  const files = pm.clean.filter((f) => f.content !== null).map((f) => ({ rel: f.path, data: f.content!, mode: f.mode }));
  for (const c of pm.conflicts) {
    if (!(c.path in o.resolved)) throw new SyncFailure('unresolved', `${c.targetPath} is still in conflict: resolve it (or choose a side) before accepting the merge.`);
    const v = o.resolved[c.path];
    if (v === null) {
      if (pm.kind === 'file') throw new SyncFailure('bad-resolution', `${c.targetPath} cannot be resolved by deleting it: a ${pm.artifact.type} is a single file. Keep one side's content, or undeploy the artifact.`);
      continue;
    }
    const data = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    if (!o.allowMarkers && !c.binary && hasConflictMarkers(data)) {
      throw new SyncFailure('markers-left', `${c.targetPath} still has conflict markers (<<<<<<< / >>>>>>>). Resolve them, then accept the merge again.`);
    }
    files.push({ rel: c.path, data, mode: pm.modes[c.path] ?? 0o644 });
  }
  const content: ArtifactContent = { kind: pm.kind, files: sortFiles(files) };
  const h = hashContent(content);
  const ref: ArtifactRef = { type: pm.artifact.type, name: pm.artifact.name, root: pm.artifact.root };
  const rootDir = path.join(pm.project, pm.artifact.root);
  const key = artifactKey(ref.root, ref.type, ref.name);
  const view = findView(rootDir, pm.artifact);
  if (!view) throw new SyncFailure('record-missing', `${path.join(rootDir, RECORDS_FILE)}: ${ref.type} "${ref.name}" has no deployment record any more. Nothing was written; check drift.`);
  const result: ArtifactSyncResult = { ...ref, relPath: pm.artifact.relPath, state: 'conflict', action: 'merge', status: 'synced', writes: [], recordChanges: [], lockFiles: [], baseSource: pm.baseSource, ...(pm.baseUnknown ? { baseUnknown: true } : {}) };
  const plan: ArtifactPlan = { ref, result, verify: [{ path: pm.projectPath, tree: pm.expect.projectTree }, { path: pm.collectionPath, tree: pm.expect.collectionTree }], writes: [], records: [], locks: [], stores: [] };
  for (const s of ['project', 'collection'] as const) {
    const abs = s === 'project' ? pm.projectPath : pm.collectionPath;
    const tree = s === 'project' ? pm.expect.projectTree : pm.expect.collectionTree;
    const now = ctx.hasher.hash(abs)?.tree;
    if (now !== tree) throw new SyncFailure('stale-merge', `${abs} changed since the merge was prepared. Nothing was written; merge again.`);
    if (tree === h.treeHash) continue;
    const before = readContent(abs, ctx.exclusions);
    addWrite(plan, { side: s, path: abs, content, before, beforeTree: tree, key, lock: s === 'collection' ? { collectionDir: pm.collectionDir, name: ref.name } : undefined });
  }
  plan.records.push({
    rootDir, type: ref.type, name: ref.name, relPath: pm.artifact.relPath, root: ref.root, collectionName: pm.collectionName, baseline: h,
    mergeBase: pm.baseContentHash ?? view.contentHash, localModifications: false, isNew: false, beforeText: recordText(view.record),
  });
  result.recordChanges.push({ recordsFile: path.join(rootDir, RECORDS_FILE), name: ref.name, change: 'update' });
  result.baseline = h;
  if (plan.writes.length === 0) plan.stores.push({ artifactKey: key, content, origin: 'sync', note: 'merge accepted' });
  const exec = await execute(ctx, [plan], { project: ctx.project, operation: 'complete-merge', strategy: 'merge' });
  return finish(ctx, { project: ctx.project, direction: 'complete-merge', strategy: 'merge', dryRun: false, unknownNames: [] }, [plan], exec);
}

// ---- undo ----

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
  const empty: UndoResult = { status: 'nothing', artifacts: [], restored: [], changedSince: [], warnings: [] };
  if (!found) return empty;
  const j = found;
  const out: UndoResult = { ...empty, journalId: j.id, operation: j.operation, syncedAt: j.at, interrupted: j.status === 'pending', artifacts: j.artifacts };
  if (j.status === 'pending' && j.pid && j.pid !== process.pid && pidAlive(j.pid)) {
    return { ...out, status: 'failed', error: { code: 'sync-running', message: `a ${j.operation} is still running in process ${j.pid}; wait for it to finish, then undo.` } };
  }
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
  await o.store.transact((s) => {
    for (const { change, current } of todo) {
      if (current === null) continue;
      const t = s.putArtifact(change.path, ctx.exclusions);
      s.addVersion({ artifactKey: change.artifactKey, treeHash: t.treeHash, origin: 'pre-sync', at: ctx.at.toISOString(), note: `${change.side} copy at ${change.path}, replaced by undo`, project: ctx.project });
    }
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
    });
  } catch (e) {
    const problems = await txn.rollback();
    for (const { change } of todo) ctx.hasher.invalidate(change.path);
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
