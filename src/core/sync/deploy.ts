// Deploy (collection → project) and undeploy, with SkillMeat-compatible records (SPEC §2, §5).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { artifactKey, DEFAULT_ROOT, TYPE_DIRS, isSafeArtifactName, type ArtifactType, type SyncedType } from '../model';
import { readRecords, updateRecords, viewRecord, RECORDS_FILE, TREE_HASH_KEY, type DeploymentRecord, type RecordView } from '../store/deploymentRecords';
import { ArtifactHasher, DEFAULT_EXCLUSIONS, isSkillmeatIgnored, walkArtifact, type ExclusionMatcher } from '../drift/hashing';
import { artifactPath } from '../drift/discovery';
import { checkWritePath, siblingTemp, swapIntoPlace, isInside, ensureDir } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import { addPendingJournal, dropPendingJournal, recordText, type PathChange, type SyncJournal } from './transaction';
import { writeSkillmeatSnapshot } from '../store/skillmeatSnapshot';

/** An operation refused or failed; `code` lets the CLI and the extension choose what to say. */
export class SyncError extends Error {
  constructor(readonly code: 'not-found' | 'local-changes' | 'not-deployed' | 'bad-name' | 'io', message: string) {
    super(message);
  }
}

/** Python's `datetime.now().isoformat()` form, which SkillMeat writes (naive local time, microseconds). */
export function skillmeatTimestamp(d: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

const PLATFORM: Record<string, string> = { '.claude': 'claude_code', '.codex': 'codex', '.gemini': 'gemini', '.cursor': 'cursor' };

/**
 * Copies an artifact (file or directory) into a fresh staging path exactly as SkillMeat's deploy copies it:
 * everything but what its ignore rules leave out ({@link isSkillmeatIgnored}), editor junk included, so
 * SkillMeat's own check agrees with the record right after. Junk stays junk for drift only. A link leading
 * out of the artifact is still never followed (`walkArtifact`).
 */
export function copyArtifact(src: string, dest: string, exclusions: ExclusionMatcher = DEFAULT_EXCLUSIONS): void {
  const entries = walkArtifact(src, exclusions);
  if (!entries) throw new SyncError('not-found', `${src} does not exist`);
  if (entries.length === 1 && entries[0].rel === '') {
    ensureDir(path.dirname(dest));
    fs.copyFileSync(src, dest);
    return;
  }
  ensureDir(dest);
  for (const e of entries) {
    if (isSkillmeatIgnored(e.rel)) continue;
    const to = path.join(dest, ...e.rel.split('/'));
    ensureDir(path.dirname(to));
    fs.copyFileSync(e.abs, to);
    fs.chmodSync(to, e.mode & 0o777);
  }
}

export interface DeployOptions {
  project: string;
  root?: string;
  collectionPath: string;
  collectionName: string;
  type: ArtifactType;
  name: string;
  force?: boolean;
  store?: VersionStore;
  hasher?: ArtifactHasher;
  now?: () => Date;
}

export interface DeployResult {
  action: 'deployed' | 'redeployed' | 'unchanged';
  projectPath: string;
  contentHash: string;
  treeHash: string;
  record: DeploymentRecord;
  /** Something the user should know that did not stop the deploy. */
  warning?: string;
}

function findRecord(rootDir: string, type: ArtifactType, relPath: string): RecordView | undefined {
  return readRecords(rootDir).records.map(viewRecord).find((v) => !v.invalid && v.type === type && v.relPath === relPath);
}

function checkName(type: ArtifactType, name: string): void {
  if (!isSafeArtifactName(type, name)) throw new SyncError('bad-name', `${JSON.stringify(name)} is not a valid ${type} name`);
}

/**
 * Builds the record SkillMeat would write for this deployment, keeping what the old record had. Every new
 * baseline sets `merge_base_snapshot` to itself (SkillMeat's sync-pull merge looks its base up by it, and
 * falls back to the current collection — losing the collection's edits — when it is missing or stale),
 * moves the previous baseline to `parent_hash` and the head of `version_lineage`, and clears
 * `modification_detected_at`. `artifact_uuid` comes from SkillMeat's cache database: kept, never invented.
 */
export function buildRecord(prev: DeploymentRecord | undefined, a: {
  type: SyncedType; name: string; relPath: string; root: string; collectionName: string; contentHash: string; treeHash: string; at: Date;
}): DeploymentRecord {
  const old = prev?.fields ?? {};
  const oldHash = (old.content_hash ?? old.collection_sha) as string | undefined;
  const lineage = Array.isArray(old.version_lineage) ? (old.version_lineage as unknown[]).filter((h): h is string => typeof h === 'string') : oldHash ? [oldHash] : [];
  const changed = oldHash !== undefined && oldHash !== a.contentHash;
  const fields: Record<string, unknown> = {
    ...old,
    artifact_name: a.name,
    artifact_type: a.type,
    from_collection: a.collectionName,
    deployed_at: skillmeatTimestamp(a.at),
    artifact_path: a.relPath,
    content_hash: a.contentHash,
    local_modifications: false,
  };
  if (changed) {
    fields.parent_hash = oldHash;
    fields.version_lineage = [a.contentHash, ...lineage.filter((h) => h !== a.contentHash)].slice(0, 50);
  }
  delete fields.modification_detected_at;
  fields.merge_base_snapshot = a.contentHash;
  fields.deployment_profile_id ??= PLATFORM[a.root] ?? a.root.replace(/^\./, '');
  fields.platform ??= PLATFORM[a.root] ?? a.root.replace(/^\./, '');
  fields.profile_root_dir = a.root;
  fields[TREE_HASH_KEY] = a.treeHash;
  fields.collection_sha = a.contentHash;
  return { fields };
}

/**
 * Deploys a collection artifact into the project. Refuses to replace a project copy that differs from
 * both the collection and its baseline (local edits) unless `force`. The copy is staged and swapped in
 * by renames; if writing the record fails the previous project copy is put back.
 */
export async function deployArtifact(o: DeployOptions): Promise<DeployResult> {
  checkName(o.type, o.name);
  const root = o.root ?? DEFAULT_ROOT;
  const rootDir = path.join(path.resolve(o.project), root);
  const hasher = o.hasher ?? new ArtifactHasher();
  const src = artifactPath(o.collectionPath, o.type, o.name);
  const dst = artifactPath(rootDir, o.type, o.name);
  if (!isInside(rootDir, dst.absPath)) throw new SyncError('bad-name', `"${o.name}" escapes ${rootDir}`);
  // Nothing is written through a link that leads out of the project (a symlinked .claude or .claude/skills).
  checkWritePath(o.project, dst.absPath);
  checkWritePath(o.project, path.join(rootDir, RECORDS_FILE));
  const srcHash = hasher.hash(src.absPath);
  if (srcHash && o.type === 'skill' && !fs.statSync(src.absPath).isDirectory()) {
    throw new SyncError('not-found', `${src.absPath} is a file, not a skill: a skill is a folder with a SKILL.md. Check the name and type (--type).`);
  }
  if (!srcHash) throw new SyncError('not-found', `${o.type} "${o.name}" is not in the collection (${src.absPath}). Check the name and type (--type), or the collection path.`);
  const prev = findRecord(rootDir, o.type, dst.relPath);
  const current = hasher.hash(dst.absPath);
  if (current && current.tree !== srcHash.tree && !o.force) {
    const baselineTree = prev?.treeHash;
    // As in the drift check, a SkillMeat-form baseline matches exactly, without junk, or without junk and CRLF.
    const sm = prev && !baselineTree ? hasher.hash(dst.absPath, { skillmeat: true })?.skillmeat : undefined;
    const pristine = prev && (baselineTree ? baselineTree === current.tree : !!sm && [sm.all, sm.clean, sm.cleanLf].includes((prev.contentHash ?? '').toLowerCase()));
    if (!pristine) {
      throw new SyncError('local-changes', `${dst.absPath} exists and differs from the collection${prev ? ' and from what was deployed (local edits)' : ''}. Pull it into the collection first, or deploy with --force to replace it (the current copy is kept in the version store).`);
    }
  }
  const staged = siblingTemp(dst.absPath, 'deploy');
  copyArtifact(src.absPath, staged, hasher.exclusions);
  const stagedHash = new ArtifactHasher(hasher.exclusions).hash(staged, { skillmeat: true })!;
  const contentHash = stagedHash.skillmeat!.all;
  const key = artifactKey(root, o.type, o.name);
  const at = o.now?.() ?? new Date();
  const sameContent = !!prev && !!current && prev.contentHash === contentHash && current.tree === stagedHash.tree;
  const unchanged = sameContent && prev!.treeHash === stagedHash.tree;
  // Journalled before anything is replaced: killed half-way, the next start puts back the old copy and record.
  const journal = unchanged || !o.store ? undefined : intentJournal({
    operation: 'deploy', project: path.resolve(o.project), at, artifact: { type: o.type, name: o.name, root },
    path: { side: 'project', path: dst.absPath, kind: stagedHash.kind, beforeTree: current?.tree ?? null, afterTree: stagedHash.tree, artifactKey: key },
    records: path.join(rootDir, RECORDS_FILE), type: o.type, relPath: dst.relPath, beforeText: prev ? recordText(prev.record) : null,
  });
  if (o.store) {
    await o.store.transact((s) => {
      if (current) s.addVersion({ artifactKey: key, treeHash: s.putArtifact(dst.absPath, hasher.exclusions).treeHash, origin: 'pre-sync', at: at.toISOString(), note: 'replaced by deploy', project: path.resolve(o.project) });
      s.putArtifact(staged, hasher.exclusions);
      s.addVersion({ artifactKey: key, treeHash: stagedHash.tree, origin: 'deploy', at: at.toISOString(), project: path.resolve(o.project) });
      if (journal) addPendingJournal(s, journal);
    });
  }
  if (sameContent) {
    fs.rmSync(staged, { recursive: true, force: true });
    if (unchanged) return { action: 'unchanged', projectPath: dst.absPath, contentHash, treeHash: stagedHash.tree, record: prev!.record };
  }
  // Swap in, keeping the old copy aside until the record is written.
  let aside: string | undefined;
  if (fs.existsSync(staged)) {
    if (fs.existsSync(dst.absPath)) { aside = siblingTemp(dst.absPath, 'prev'); fs.renameSync(dst.absPath, aside); }
    try { swapIntoPlace(staged, dst.absPath); } catch (e) {
      if (aside) fs.renameSync(aside, dst.absPath);
      throw e;
    }
  }
  let record!: DeploymentRecord;
  try {
    await updateRecords(rootDir, (file) => {
      const i = file.records.findIndex((r) => { const v = viewRecord(r, 0); return !v.invalid && v.type === o.type && v.relPath === dst.relPath; });
      record = buildRecord(i >= 0 ? file.records[i] : undefined, { type: o.type, name: o.name, relPath: dst.relPath, root, collectionName: o.collectionName, contentHash, treeHash: stagedHash.tree, at });
      if (i >= 0) file.records[i] = record; else file.records.push(record);
    });
  } catch (e) {
    if (aside) { fs.rmSync(dst.absPath, { recursive: true, force: true }); fs.renameSync(aside, dst.absPath); }
    else fs.rmSync(dst.absPath, { recursive: true, force: true });
    await forgetIntent(o.store, journal);
    throw e;
  }
  if (aside) fs.rmSync(aside, { recursive: true, force: true });
  await forgetIntent(o.store, journal);
  hasher.invalidate(dst.absPath);
  // As SkillMeat's deploy does: a snapshot of the collection that holds the new baseline, where its
  // sync-pull merge looks the base up. A failure to write it never fails the deploy.
  let snapshotWarning: string | undefined;
  try { await writeSkillmeatSnapshot(o.collectionPath, `Auto-deploy: ${o.name} to ${path.resolve(o.project)} by SkillMeat Sync`, at); } catch (e) {
    snapshotWarning = `the SkillMeat snapshot of ${o.collectionPath} could not be written (${(e as Error).message}); SkillMeat's own sync-pull merge will not find this deployment's base`;
  }
  return { action: prev ? 'redeployed' : 'deployed', projectPath: dst.absPath, contentHash, treeHash: stagedHash.tree, record, ...(snapshotWarning ? { warning: snapshotWarning } : {}) };
}

export interface UndeployOptions {
  project: string;
  root?: string;
  type?: ArtifactType;
  name: string;
  store?: VersionStore;
  hasher?: ArtifactHasher;
  now?: () => Date;
}

/** Removes a deployed artifact and its record; its last content is kept in the version store. */
export async function undeployArtifact(o: UndeployOptions): Promise<{ removedPath: string; treeHash?: string; type: ArtifactType }> {
  const root = o.root ?? DEFAULT_ROOT;
  const rootDir = path.join(path.resolve(o.project), root);
  const views = readRecords(rootDir).records.map(viewRecord).filter((v) => !v.invalid && v.name === o.name && (!o.type || v.type === o.type) && v.type in TYPE_DIRS);
  if (views.length === 0) throw new SyncError('not-deployed', `"${o.name}" has no deployment record in ${path.join(rootDir, '.skillmeat-deployed.toml')}.`);
  if (views.length > 1) throw new SyncError('bad-name', `"${o.name}" is deployed as several types (${views.map((v) => v.type).join(', ')}); choose one with --type.`);
  const v = views[0];
  const type = v.type as ArtifactType;
  const abs = path.join(rootDir, ...v.relPath.split('/'));
  checkWritePath(o.project, abs);
  let treeHash: string | undefined;
  const at = o.now?.() ?? new Date();
  const key = artifactKey(root, type, v.name);
  let journal: SyncJournal | undefined;
  if (o.store) {
    treeHash = await o.store.transact((s) => {
      const t = fs.existsSync(abs) ? s.putArtifact(abs, o.hasher?.exclusions) : undefined;
      if (t) s.addVersion({ artifactKey: key, treeHash: t.treeHash, origin: 'undeploy', at: at.toISOString(), project: path.resolve(o.project) });
      journal = intentJournal({
        operation: 'undeploy', project: path.resolve(o.project), at, artifact: { type, name: v.name, root },
        path: { side: 'project', path: abs, kind: t?.kind ?? (type === 'skill' ? 'dir' : 'file'), beforeTree: t?.treeHash ?? null, afterTree: null, artifactKey: key },
        records: path.join(rootDir, RECORDS_FILE), type, relPath: v.relPath, beforeText: recordText(v.record),
      });
      addPendingJournal(s, journal);
      return t?.treeHash;
    });
  }
  let aside: string | undefined;
  if (fs.existsSync(abs)) { aside = siblingTemp(abs, 'undeploy'); fs.renameSync(abs, aside); }
  try {
    await updateRecords(rootDir, (file) => {
      file.records = file.records.filter((r, i) => { const x = viewRecord(r, i); return x.invalid || !(x.type === type && x.relPath === v.relPath); });
    });
  } catch (e) {
    if (aside) fs.renameSync(aside, abs);
    await forgetIntent(o.store, journal);
    throw e;
  }
  if (aside) fs.rmSync(aside, { recursive: true, force: true });
  await forgetIntent(o.store, journal);
  o.hasher?.invalidate(abs);
  return { removedPath: abs, treeHash, type };
}

// ---- intent journals of deploy and undeploy (see core/sync/recover) ----

interface Intent {
  operation: 'deploy' | 'undeploy';
  project: string;
  at: Date;
  artifact: { type: ArtifactType; name: string; root: string };
  path: PathChange;
  /** The records file, and the record's text before the operation (null: there was none). */
  records: string;
  type: ArtifactType;
  relPath: string;
  beforeText: string | null;
}

function intentJournal(i: Intent): SyncJournal {
  return {
    version: 1, id: `${i.operation}-${i.at.getTime().toString(36)}-${crypto.randomBytes(4).toString('hex')}`, project: i.project, operation: i.operation,
    at: i.at.toISOString(), status: 'pending', pid: process.pid, artifacts: [i.artifact], paths: [i.path],
    shared: [{ kind: 'records', file: i.records, before: null, after: null, foreign: true, records: [{ type: i.type, relPath: i.relPath, beforeText: i.beforeText, afterText: null }], locks: [] }],
  };
}

/** Forgets an intent once the operation finished or was rolled back in-process (a failure here only costs a check at the next start). */
async function forgetIntent(store: VersionStore | undefined, j: SyncJournal | undefined): Promise<void> {
  if (!store || !j) return;
  try { await store.transact((s) => dropPendingJournal(s, j.project, j.id)); } catch { /* the next start finds the operation finished and drops it */ }
}
