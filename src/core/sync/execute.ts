// Carrying out a plan: store the versions about to be replaced and a pending journal, write artifact by
// artifact (files, then the records, then collection.lock) checking first that neither side changed since it
// was read, roll everything back on a failure, and journal the finished sync for undo. `runSync` and
// `completeMerge` (an artifact whose conflicts the user resolved) are the entry points.
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { checkDrift } from '../drift/drift';
import { artifactKey, isContextType, PROFILE_ROOTS } from '../model';
import { RECORDS_FILE } from '../store/deploymentRecords';
import { ArtifactHasher, skillmeatHash } from '../drift/hashing';
import { collectionResolver } from '../store/skillmeatHome';
import { COLLECTION_LOCK_FILE, pythonUtcTimestamp } from '../store/collectionLock';
import { COLLECTION_MANIFEST_FILE } from '../store/collectionManifest';
import { writeSkillmeatSnapshot } from '../store/skillmeatSnapshot';
import { describeFinding, scanForSecrets, type SecretFinding } from '../privacy/secrets';
import { checkWritePath, pidAlive, type LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { loadSqlJs } from '../store/sqlite';
import { buildRecord, SyncError } from './deploy';
import { readContent, hashContent, mergeExtras, sortFiles, hasConflictMarkers, type ArtifactContent } from './content';
import {
  SyncTransaction, addPendingJournal, dropPendingJournal, pendingJournals, setLastJournal, recordText, type PathChange, type SyncJournal, type SharedFileChange, type Side,
} from './transaction';
import { planMarkers, rememberMarkers } from './markers';
import { ELIGIBLE, addWrite, fileOf, findView, makeCtx, planArtifact, skipReason } from './plan';
import {
  SyncFailure, type RecordOp, type ArtifactPlan, type ArtifactRef, type ArtifactSyncResult, type Ctx, type PendingMerge, type SyncFaults, type SyncOptions, type SyncProgress, type SyncResult,
} from './types';

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
  const sharedFor = (kind: SharedFileChange['kind'], file: string) => {
    let c = shared.get(file);
    if (!c) { c = { kind, file, before: null, after: null, foreign: true, records: [], locks: [] }; shared.set(file, c); }
    return c;
  };
  const paths: PathChange[] = [];
  for (const p of plans) {
    for (const w of p.writes) paths.push({ side: w.side, path: w.path, kind: w.content.kind, beforeTree: w.beforeTree, afterTree: w.hashes.treeHash, artifactKey: w.artifactKey });
    for (const r of p.records) sharedFor('records', path.join(r.rootDir, RECORDS_FILE)).records.push({ type: r.type, relPath: r.relPath, beforeText: r.beforeText, afterText: null });
    for (const l of p.locks) {
      sharedFor('lock', path.join(l.collectionDir, COLLECTION_LOCK_FILE)).locks.push({ name: l.name, type: l.type, beforeHash: l.beforeHash, afterHash: null });
      // An artifact that was not listed before the sync is taken out of collection.toml again by an undo of an interrupted one.
      if (l.beforeHash === null) (sharedFor('manifest', path.join(l.collectionDir, COLLECTION_MANIFEST_FILE)).manifests ??= []).push({ name: l.name, type: l.type, added: pythonUtcTimestamp(new Date(meta.at)) });
    }
  }
  // `foreign: true` makes undo of an interrupted sync restore record by record: the whole-file texts were never known.
  return { version: 1, ...meta, status: 'pending', paths, shared: [...shared.values()] };
}

type JournalMeta = Omit<SyncJournal, 'version' | 'paths' | 'shared' | 'status'>;
type ExecMeta = Pick<SyncJournal, 'project' | 'operation' | 'strategy'> & {
  /** Called inside the store transaction that commits the journal (the meta a finished operation leaves, e.g. a merge in progress). */
  onCommit?: (store: VersionStore, journalId: string) => void;
};

/**
 * The `content_hash` a record gets: SkillMeat's hash of the copy that now holds the baseline — the project's,
 * else the collection's — taken from disk after the writes, extras and kept tool folders included, because
 * that is what SkillMeat hashes when it checks. Content in memory only when neither side holds it.
 */
function recordedContentHash(ctx: Ctx, r: RecordOp): string {
  for (const abs of [path.join(r.rootDir, ...r.relPath.split('/')), r.collectionPath]) {
    ctx.hasher.invalidate(abs);
    if (ctx.hasher.hash(abs)?.tree === r.baseline.treeHash) return skillmeatHash(abs) ?? r.baseline.contentHash;
  }
  return r.baseline.contentHash;
}

/** The collection folder of a record's artifact (`<collection>/skills/x`, `<collection>/commands/ns/x.md`). */
function collectionDirOf(r: RecordOp): string {
  let dir = r.collectionPath;
  for (let i = 0; i < r.relPath.split('/').length; i++) dir = path.dirname(dir);
  return dir;
}

/**
 * The secret scan of everything a sync would write into the collection (SPEC §8): the files each collection-side
 * write adds or changes. Each finding is also attached to its artifact's result.
 */
async function scanCollectionWrites(plans: ArtifactPlan[]): Promise<SecretFinding[]> {
  const all: SecretFinding[] = [];
  for (const p of plans) {
    const files: { path: string; data: Buffer }[] = [];
    p.writes.forEach((w, i) => {
      if (w.side !== 'collection') return;
      const changed = new Set(p.result.writes[i]?.files.filter((f) => f.change !== 'deleted').map((f) => f.path));
      for (const f of [...w.content.files, ...(w.content.extras ?? [])]) if (changed.has(f.rel) || !p.result.writes[i]) files.push({ path: fileOf(w.path, f.rel), data: f.data });
    });
    if (!files.length) continue;
    const found = await scanForSecrets(files);
    if (found.length) { p.result.secretFindings = found; all.push(...found); }
  }
  return all;
}

function secretsRefusal(findings: SecretFinding[]): { code: string; message: string } {
  const files = [...new Set(findings.map((f) => f.file))];
  return {
    code: 'secrets-found',
    message: `${findings.length} possible secret${findings.length === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'} about to be written into the collection (${findings.map(describeFinding).join('; ')}). Nothing was written. Remove or redact them, or allow them for this run (--allow-secrets).`,
  };
}

/** Stores versions, writes every plan, journals; on any failure puts everything back. */
export async function execute(ctx: Ctx, plans: ArtifactPlan[], { onCommit, ...meta }: ExecMeta): Promise<{ journalId?: string; error?: { code: string; message: string }; rollbackProblems?: string[]; failedAt?: number }> {
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
        checkWritePath(w.root, w.path);
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
            contentHash: recordedContentHash(ctx, r), treeHash: r.baseline.treeHash, at: ctx.at,
          });
          rec.fields.local_modifications = r.localModifications;
          return rec;
        },
      })));
    }
    await ctx.faults?.afterRecords?.();
    for (const [collectionDir, locks] of groupBy(active.flatMap((p) => p.locks), (l) => l.collectionDir)) {
      const entries = locks.map((l) => ({ name: l.name, type: l.type, contentHash: skillmeatHash(l.path) ?? null })).filter((e) => e.contentHash !== null);
      await txn.setLockEntries(collectionDir, entries);
      await txn.registerArtifacts(collectionDir, locks.map((l) => ({ name: l.name, type: l.type, added: pythonUtcTimestamp(ctx.at) })));
    }
    const journal = txn.journal(journalMeta);
    await ctx.store.transact((s) => {
      setLastJournal(s, ctx.project, journal);
      dropPendingJournal(s, ctx.project, id);
      onCommit?.(s, id);
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
  // SkillMeat snapshots each collection after its own deploys and syncs; its sync-pull merge finds a record's
  // base only there. One snapshot per collection holding a new baseline.
  // (A context entity's collection is SkillMeat's database: no snapshot of a folder.)
  for (const dir of new Set(active.flatMap((p) => p.records.filter((r) => !isContextType(r.type)).map((r) => collectionDirOf(r))))) {
    try { await writeSkillmeatSnapshot(dir, `Auto-sync by SkillMeat Sync: ${meta.operation}`, ctx.at, { lock: ctx.lock }); } catch (e) {
      ctx.warnings.push({ file: dir, message: `the SkillMeat snapshot of ${dir} could not be written (${(e as Error).message}); SkillMeat's own sync-pull merge will not find the new baselines` });
    }
  }
  ctx.onProgress?.({ phase: 'done', index: active.length, total: active.length });
  return { journalId: id };
}

export function finish(ctx: Ctx, base: Omit<SyncResult, 'status' | 'warnings' | 'journalId' | 'artifacts'>, plans: ArtifactPlan[], exec: Awaited<ReturnType<typeof execute>>): SyncResult {
  const artifacts = plans.map((p) => p.result);
  if (exec.error) {
    for (const [i, p] of plans.filter((x) => x.writes.length || x.records.length || x.locks.length).entries()) {
      p.result.status = 'failed';
      p.result.reason = i === exec.failedAt ? exec.error.message : `rolled back: another artifact of this sync failed (${exec.error.message})`;
    }
    return { ...base, artifacts, status: 'failed', warnings: ctx.warnings, error: exec.error, rollbackProblems: exec.rollbackProblems };
  }
  for (const p of plans) {
    if (p.result.conflicts?.length) p.result.status = p.result.markers ? 'merging' : 'conflict';
    else if (p.writes.length || p.records.length || p.locks.length) p.result.status = 'synced';
  }
  const status: SyncResult['status'] = artifacts.some((r) => r.status === 'conflict' || r.status === 'merging') ? 'conflict' : artifacts.some((r) => r.status === 'synced') ? 'success' : 'no-changes';
  return { ...base, artifacts, status, warnings: ctx.warnings, ...(exec.journalId ? { journalId: exec.journalId } : {}) };
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
  const report = checkDrift({ project: ctx.project, collection: o.collection, env: o.env, home: o.home, roots: o.roots, hasher: ctx.hasher, store: o.store, sqlJs: await loadSqlJs() });
  for (const e of report.errors) ctx.warnings.push({ message: e.message, file: e.file });
  // Files a sync leaves out on purpose (links out of an artifact, unreadable files): the user is told which and why.
  for (const x of report.warnings) if (x.code === 'symlink-skipped' || x.code === 'unreadable-file') ctx.warnings.push({ message: x.message, file: x.file });
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
    const plan = await planArtifact(ctx, o, resolver, a);
    if (o.markers && !ctx.dryRun && plan.result.pendingMerge) planMarkers(ctx, plan);
    plans.push(plan);
  }
  const findings = ctx.allowSecrets ? [] : await scanCollectionWrites(plans);
  if (findings.length && !ctx.dryRun) {
    for (const p of plans) if (p.result.secretFindings) { p.result.status = 'failed'; p.result.reason = 'possible secrets in files for the collection'; }
    return { ...base, artifacts: plans.map((p) => p.result), status: 'failed', warnings: ctx.warnings, error: secretsRefusal(findings), secretFindings: findings };
  }
  if (ctx.dryRun) {
    for (const p of plans) {
      if (p.result.conflicts?.length) p.result.status = 'conflict';
      else if (p.writes.length || p.records.length || p.locks.length || p.result.action === 'prompt') p.result.status = 'planned';
    }
    return { ...base, artifacts: plans.map((p) => p.result), status: 'dry-run', warnings: ctx.warnings };
  }
  const withMarkers = plans.filter((p) => p.result.markers);
  const exec = await execute(ctx, plans, {
    project: ctx.project, operation: o.direction, strategy: o.strategy,
    ...(withMarkers.length ? { onCommit: (s, journalId) => { for (const p of withMarkers) rememberMarkers(s, ctx, p, journalId); } } : {}),
  });
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
  /** Called inside the store transaction that commits the merge (see `resolve`: forgets the merge in progress). */
  onCommit?: (store: VersionStore) => void;
  /** See SyncOptions.allowSecrets. */
  allowSecrets?: boolean;
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
  // The extras SkillMeat would copy (junk to us, never merged) come from the side the merge brought in.
  const incomingAbs = pm.direction === 'update' ? pm.collectionPath : pm.projectPath;
  const targetAbs = pm.direction === 'update' ? pm.projectPath : pm.collectionPath;
  const extras = pm.kind === 'dir' ? mergeExtras(readContent(incomingAbs, ctx.exclusions) ?? { kind: 'dir', files: [] }, readContent(targetAbs, ctx.exclusions) ?? { kind: 'dir', files: [] }) : undefined;
  const content: ArtifactContent = { kind: pm.kind, files: sortFiles(files), ...(extras ? { extras } : {}) };
  const h = hashContent(content);
  const ref: ArtifactRef = { type: pm.artifact.type, name: pm.artifact.name, root: pm.artifact.root };
  const rootDir = path.join(pm.project, pm.artifact.root);
  const key = artifactKey(ref.root, ref.type, ref.name);
  const view = findView(rootDir, pm.artifact);
  if (!view) throw new SyncFailure('record-missing', `${path.join(rootDir, RECORDS_FILE)}: ${ref.type} "${ref.name}" has no deployment record any more. Nothing was written; check drift.`);
  const result: ArtifactSyncResult = { ...ref, relPath: pm.artifact.relPath, state: 'conflict', action: 'merge', status: 'synced', writes: [], recordChanges: [], lockFiles: [], baseSource: pm.baseSource, ...(pm.baseUnknown ? { baseUnknown: true } : {}) };
  const plan: ArtifactPlan = { ref, result, verify: [{ path: pm.projectPath, tree: pm.expect.projectTree }, { path: pm.collectionPath, tree: pm.expect.collectionTree }], writes: [], records: [], locks: [], stores: [] };
  // Written where the merge was asked to go (see SyncOptions.bothSides); both sides must be as they were merged.
  const target: Side = pm.direction === 'update' ? 'project' : 'collection';
  let baseline = h;
  for (const s of ['project', 'collection'] as const) {
    const abs = s === 'project' ? pm.projectPath : pm.collectionPath;
    const tree = s === 'project' ? pm.expect.projectTree : pm.expect.collectionTree;
    const now = ctx.hasher.hash(abs)?.tree;
    if (now !== tree) throw new SyncFailure('stale-merge', `${abs} changed since the merge was prepared. Nothing was written; merge again.`);
    if (!pm.bothSides && s !== target) {
      // The side read from: its version is what was integrated, and becomes the baseline.
      const integrated = readContent(abs, ctx.exclusions);
      if (integrated) { baseline = hashContent(integrated); plan.stores.push({ artifactKey: key, content: integrated, origin: 'sync', note: `${s} version integrated by the merge` }); }
      continue;
    }
    if (tree === h.treeHash) continue;
    const before = readContent(abs, ctx.exclusions);
    addWrite(plan, { side: s, root: s === 'project' ? ctx.project : pm.collectionDir, path: abs, content, before, beforeTree: tree, key, lock: s === 'collection' ? { collectionDir: pm.collectionDir, name: ref.name } : undefined });
  }
  const projectAfter = pm.bothSides || target === 'project' ? h.treeHash : pm.expect.projectTree;
  plan.records.push({
    rootDir, type: ref.type, name: ref.name, relPath: pm.artifact.relPath, root: ref.root, collectionName: pm.collectionName, baseline, collectionPath: pm.collectionPath,
    localModifications: projectAfter !== baseline.treeHash, isNew: false, beforeText: recordText(view.record),
  });
  result.recordChanges.push({ recordsFile: path.join(rootDir, RECORDS_FILE), name: ref.name, change: 'update' });
  result.baseline = baseline;
  if (plan.writes.length === 0) plan.stores.push({ artifactKey: key, content, origin: 'sync', note: 'merge accepted' });
  const findings = ctx.allowSecrets ? [] : await scanCollectionWrites([plan]);
  if (findings.length) {
    result.status = 'failed';
    return { project: ctx.project, direction: 'complete-merge', strategy: 'merge', dryRun: false, unknownNames: [], artifacts: [result], status: 'failed', warnings: ctx.warnings, error: secretsRefusal(findings), secretFindings: findings };
  }
  const exec = await execute(ctx, [plan], { project: ctx.project, operation: 'complete-merge', strategy: 'merge', ...(o.onCommit ? { onCommit: (s) => o.onCommit!(s) } : {}) });
  return finish(ctx, { project: ctx.project, direction: 'complete-merge', strategy: 'merge', dryRun: false, unknownNames: [] }, [plan], exec);
}
