// The write side of a sync: every change it makes (artifact directories and files, deployment records,
// `collection.lock` entries) goes through one SyncTransaction, which can put everything back on failure
// and leaves a journal from which "undo last sync" restores both sides and the records.
//
// Artifacts are replaced by renames: the new version is staged beside the old one, the old one is moved
// aside and kept until the whole sync has succeeded, so a rollback renames it back byte for byte (junk,
// modes and timestamps included). Records and the lock are small files shared with other writers (the
// extension and the CLI, or two CLIs): each change is made under the file's lock on a fresh read, and a
// rollback restores the whole file byte for byte only when nobody else wrote it in between; otherwise it
// restores just the records / entries this sync changed, so another writer's records are never lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseRecords, serializeRecord, serializeRecords, viewRecord, RECORDS_FILE, type DeploymentRecord, type RecordsFile,
} from '../store/deploymentRecords';
import { writeFileAtomic, withFileLock, siblingTemp, type LockOptions, ensureDir } from '../store/fsutil';
import { COLLECTION_LOCK_FILE, editLockText, lockEntryHash, updateCollectionLock, CollectionLockError, type LockEditOutcome } from '../store/collectionLock';
import { COLLECTION_MANIFEST_FILE, editManifestText, isRegistrableName, updateCollectionManifest, type ManifestEntry } from '../store/collectionManifest';
import type { ArtifactType, SyncedType } from '../model';
import type { ExclusionMatcher } from '../drift/hashing';
import { stageContent, type ArtifactContent } from './content';

/** Which side of the sync a path is on. */
export type Side = 'project' | 'collection';

/** An artifact path the sync replaced, created (`beforeTree: null`) or removed (`afterTree: null`). */
export interface PathChange {
  side: Side;
  path: string;
  kind: 'dir' | 'file';
  beforeTree: string | null;
  afterTree: string | null;
  /** Version-store key the versions were stored under. */
  artifactKey: string;
}

/** One `[[deployed]]` record the sync changed; texts are the record's own table (null = absent). */
export interface RecordChange { type: SyncedType; relPath: string; beforeText: string | null; afterText: string | null }

/** One `collection.lock` entry the sync changed (`null` = the entry was absent / is removed). */
export interface LockChange { name: string; type: ArtifactType; beforeHash: string | null; afterHash: string | null }

/**
 * A small shared file (records file or collection.lock) as this sync found and left it. `foreign` is set
 * when another writer changed it between two of this sync's writes: then only per-record restores are safe.
 */
export interface SharedFileChange {
  kind: 'records' | 'lock' | 'manifest';
  file: string;
  before: string | null;
  after: string | null;
  foreign: boolean;
  records: RecordChange[];
  locks: LockChange[];
  /** Artifacts this sync registered in a `collection.toml` (absent in journals written before it did). */
  manifests?: ManifestEntry[];
}

/** What undo needs to put a sync back. Kept in the version store, per project. */
export interface SyncJournal {
  version: 1;
  id: string;
  project: string;
  operation: 'update' | 'pull' | 'complete-merge' | 'abort-merge' | 'undo' | 'deploy' | 'undeploy';
  strategy?: string;
  at: string;
  /** `pending` while the sync runs (a crash leaves it for undo to finish), `committed` after. */
  status: 'pending' | 'committed';
  /** The process that ran the sync (a pending journal of a live process is a sync still running). */
  pid?: number;
  artifacts: { type: SyncedType; name: string; root: string }[];
  paths: PathChange[];
  shared: SharedFileChange[];
}

function readText(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function writeOrRemove(file: string, text: string | null): void {
  if (text === null) fs.rmSync(file, { force: true });
  else writeFileAtomic(file, text);
}

function recordIndex(rf: RecordsFile, type: SyncedType, relPath: string): number {
  return rf.records.findIndex((r, i) => { const v = viewRecord(r, i); return !v.invalid && v.type === type && v.relPath === relPath; });
}

/** The text of one record: its source text when it was read from a file, else SkillMeat's serialisation. */
export function recordText(rec: DeploymentRecord): string {
  return rec.sourceText ?? serializeRecord(rec);
}

function recordFromText(text: string, file: string): DeploymentRecord {
  const rec = parseRecords(text, file).records[0];
  if (!rec) throw new Error(`${file}: a journalled record could not be read back`);
  return rec;
}

/** Applies per-record changes (`to` side) to a records text and returns the new text. */
function applyRecordChanges(current: string | null, file: string, changes: { type: SyncedType; relPath: string; text: string | null }[]): string | null {
  if (current === null && changes.every((c) => c.text === null)) return null;
  const rf = parseRecords(current ?? '', file);
  for (const c of changes) {
    const i = recordIndex(rf, c.type, c.relPath);
    if (c.text === null) { if (i >= 0) rf.records.splice(i, 1); }
    else if (i >= 0) rf.records[i] = recordFromText(c.text, file);
    else rf.records.push(recordFromText(c.text, file));
  }
  return serializeRecords(rf);
}

/** Applies per-entry lock changes and returns the new text (entries it cannot edit are left as they are). */
function applyLockChanges(current: string, file: string, changes: { name: string; type: ArtifactType; hash: string | null }[], fetched: string): { text: string; outcomes: LockEditOutcome[] } {
  let text = current;
  const outcomes: LockEditOutcome[] = [];
  for (const c of changes) {
    const o = editLockText(text, file, { name: c.name, type: c.type, contentHash: c.hash, fetched });
    outcomes.push(o);
    text = o.text;
  }
  return { text, outcomes };
}

/**
 * Puts one shared file back as it was before `change`: byte for byte when it still holds exactly what was
 * written, else per record / per entry. Returns the text it wrote (for the caller's own journal).
 */
function restoreShared(change: SharedFileChange, current: string | null, fetched: string): string | null {
  if (!change.foreign && current === change.after) return change.before;
  if (change.kind === 'records') {
    return applyRecordChanges(current, change.file, [...change.records].reverse().map((r) => ({ type: r.type, relPath: r.relPath, text: r.beforeText })));
  }
  if (current === null) return null; // the lock is gone: nothing to restore into, and it is never created
  if (change.kind === 'manifest') {
    let text = current;
    for (const m of [...(change.manifests ?? [])].reverse()) text = editManifestText(text, change.file, m, true).text;
    return text;
  }
  return applyLockChanges(current, change.file, [...change.locks].reverse().map((l) => ({ name: l.name, type: l.type, hash: l.beforeHash })), fetched).text;
}

/**
 * The records and lock entries `changes` touched, as they are now: the `before` side of a journal for an
 * operation about to put them back (undo), so that it can itself be rolled back record by record.
 */
export function snapshotShared(changes: readonly SharedFileChange[]): SharedFileChange[] {
  return changes.map((c) => {
    const current = readText(c.file);
    const snap: SharedFileChange = { kind: c.kind, file: c.file, before: null, after: null, foreign: true, records: [], locks: [] };
    if (c.kind === 'records') {
      // A file that cannot be parsed cannot be restored into either: it is left out rather than journalled empty.
      let rf: RecordsFile | undefined;
      try { rf = parseRecords(current ?? '', c.file); } catch { return snap; }
      for (const r of c.records) {
        const i = recordIndex(rf, r.type, r.relPath);
        snap.records.push({ type: r.type, relPath: r.relPath, beforeText: i >= 0 ? recordText(rf.records[i]) : null, afterText: null });
      }
    } else if (current !== null) {
      try {
        for (const l of c.locks) snap.locks.push({ name: l.name, type: l.type, beforeHash: lockEntryHash(current, c.file, l.name, l.type) ?? null, afterHash: null });
      } catch { snap.locks.length = 0; }
    }
    return snap;
  });
}

interface Move { path: string; aside?: string; placed: boolean }

/** One record change for {@link SyncTransaction.changeRecords}. */
export interface RecordEdit {
  type: SyncedType;
  relPath: string;
  build: (prev: DeploymentRecord | undefined) => DeploymentRecord | null;
}

/** Options shared by every transaction. */
export interface TransactionOptions {
  exclusions: ExclusionMatcher;
  lock?: LockOptions;
  /** `fetched` for lock entries the sync adds (Python `utcnow().isoformat()` form). */
  fetched: string;
}

/** Collects a sync's changes so they can be rolled back, committed, and journalled for undo. */
export class SyncTransaction {
  readonly paths: PathChange[] = [];
  private readonly moves: Move[] = [];
  private readonly shared = new Map<string, SharedFileChange>();
  /** Lock entries that could not be updated, in words for the user. */
  readonly warnings: { message: string; file?: string }[] = [];

  constructor(private readonly o: TransactionOptions) {}

  /** Shared-file changes in the order they were first touched. */
  get sharedChanges(): SharedFileChange[] { return [...this.shared.values()]; }

  /**
   * Replaces (or creates) an artifact path with `content`, or removes it (`content: null`). The previous
   * tree is moved aside, not deleted, until {@link commit}.
   */
  replacePath(change: PathChange, content: ArtifactContent | null): void {
    const staged = content ? stageContent(change.path, content, this.o.exclusions) : undefined;
    const move: Move = { path: change.path, placed: false };
    try {
      if (fs.existsSync(change.path)) {
        const aside = siblingTemp(change.path, 'presync');
        fs.renameSync(change.path, aside);
        move.aside = aside;
      }
      this.moves.push(move);
      this.paths.push(change);
      if (staged) {
        ensureDir(path.dirname(change.path));
        fs.renameSync(staged, change.path);
        move.placed = true;
      }
    } catch (e) {
      if (staged) fs.rmSync(staged, { recursive: true, force: true });
      throw e;
    }
  }

  private touch(kind: SharedFileChange['kind'], file: string, current: string | null): SharedFileChange {
    let c = this.shared.get(file);
    if (!c) {
      c = { kind, file, before: current, after: current, foreign: false, records: [], locks: [] };
      this.shared.set(file, c);
    } else if (c.after !== current) c.foreign = true;
    return c;
  }

  /**
   * Changes records of `<rootDir>/.skillmeat-deployed.toml` in one write, under the file's lock and on a
   * fresh read (so another writer's records are kept): each `build` gets the current record (if any) and
   * returns the new one, or null to remove it.
   */
  async changeRecords(rootDir: string, changes: readonly RecordEdit[]): Promise<void> {
    if (changes.length === 0) return;
    const file = path.join(rootDir, RECORDS_FILE);
    await withFileLock(file, () => {
      const current = readText(file);
      const rf = parseRecords(current ?? '', file);
      const change = this.touch('records', file, current);
      const done: RecordChange[] = [];
      for (const c of changes) {
        const i = recordIndex(rf, c.type, c.relPath);
        const prev = i >= 0 ? rf.records[i] : undefined;
        const next = c.build(prev);
        if (next) { if (i >= 0) rf.records[i] = next; else rf.records.push(next); }
        else if (i >= 0) rf.records.splice(i, 1);
        done.push({ type: c.type, relPath: c.relPath, beforeText: prev ? recordText(prev) : null, afterText: next ? recordText(next) : null });
      }
      const text = serializeRecords(rf);
      writeFileAtomic(file, text);
      change.after = text;
      change.records.push(...done);
    }, this.o.lock);
  }

  /**
   * Sets artifacts' `content_hash` in `<collectionDir>/collection.lock` in one write (adding missing
   * entries). A collection without a lock file is left without one; a lock that cannot be parsed or edited
   * safely is left unchanged with a warning — the artifacts and records are what matter, and the warning
   * says how to fix it.
   */
  async setLockEntries(collectionDir: string, entries: readonly { name: string; type: ArtifactType; contentHash: string | null }[]): Promise<void> {
    if (entries.length === 0) return;
    const file = path.join(collectionDir, COLLECTION_LOCK_FILE);
    let before: (string | null)[] = [];
    let change: SharedFileChange | undefined;
    let result;
    try {
      result = await updateCollectionLock(collectionDir, entries.map((e) => ({ ...e, fetched: this.o.fetched })), {
        lock: this.o.lock,
        guard: (current) => {
          change = this.touch('lock', file, current);
          before = entries.map((e) => lockEntryHash(current, file, e.name, e.type) ?? null);
          return undefined;
        },
      });
    } catch (e) {
      if (!(e instanceof CollectionLockError)) throw e;
      this.warnings.push({ file: e.file, message: `${e.message} Its entries for ${entries.map((x) => `${x.type} "${x.name}"`).join(', ')} were not updated.` });
      return;
    }
    if (!result.exists || !change) return;
    change.after = result.after ?? change.after;
    result.outcomes.forEach((o, i) => {
      const e = entries[i];
      if (o.kind === 'skipped') this.warnings.push({ file, message: `${file}: the entry "${o.key}" was not updated (${o.reason}); set its content_hash to ${e.contentHash} by hand, or let SkillMeat rewrite the lock.` });
      else if (o.kind !== 'unchanged') change!.locks.push({ name: e.name, type: e.type, beforeHash: before[i], afterHash: e.contentHash });
    });
  }

  /**
   * Registers artifacts this sync added to a collection in its `collection.toml`, the way `skillmeat add`
   * does, so `skillmeat list` shows them and `skillmeat deploy` finds them. Artifacts already listed are left
   * alone; a collection without a manifest gets none; a manifest that cannot be edited safely is left as it is
   * with a warning.
   */
  async registerArtifacts(collectionDir: string, entries: readonly ManifestEntry[]): Promise<void> {
    const todo = entries.filter((e) => isRegistrableName(e.name));
    if (todo.length === 0) return;
    const file = path.join(collectionDir, COLLECTION_MANIFEST_FILE);
    let change: SharedFileChange | undefined;
    let result;
    try {
      result = await updateCollectionManifest(collectionDir, todo, { lock: this.o.lock, guard: (current) => { change = this.touch('manifest', file, current); } });
    } catch (e) {
      this.warnings.push({ file, message: `${(e as Error).message}. ${todo.map((x) => `${x.type} "${x.name}"`).join(', ')} ${todo.length === 1 ? 'was' : 'were'} not registered in it: SkillMeat will not list ${todo.length === 1 ? 'it' : 'them'} until the file is fixed and \`skillmeat add\` is run.` });
      return;
    }
    if (!result.exists || !change) return;
    change.after = result.after ?? change.after;
    result.outcomes.forEach((o, i) => {
      if (o.kind === 'skipped') this.warnings.push({ file, message: `${file}: ${todo[i].type} "${todo[i].name}" was not registered (${o.reason}); add it with \`skillmeat add ${todo[i].type} <path>\` so SkillMeat lists it.` });
      else if (o.kind === 'added') (change!.manifests ??= []).push(todo[i]);
    });
  }

  /**
   * Restores a shared file from an earlier sync's journal entry (for undo), itself journalled so that a
   * failing undo can be rolled back too.
   */
  async restoreFromJournal(prior: SharedFileChange): Promise<void> {
    await withFileLock(prior.file, () => {
      const current = readText(prior.file);
      const target = restoreShared(prior, current, this.o.fetched);
      if (target === current) return;
      const change = this.touch(prior.kind, prior.file, current);
      writeOrRemove(prior.file, target);
      change.after = target;
      // Per-record inverses, in case this undo has to be rolled back after someone else wrote the file.
      if (prior.kind === 'records') {
        const now = parseRecords(current ?? '', prior.file);
        for (const r of prior.records) {
          const i = recordIndex(now, r.type, r.relPath);
          change.records.push({ type: r.type, relPath: r.relPath, beforeText: i >= 0 ? recordText(now.records[i]) : null, afterText: r.beforeText });
        }
      } else if (prior.kind === 'manifest') {
        // Undoing a registration removes the table; redoing it (a rolled-back undo) is not needed: the
        // artifact folder the table named is gone again too.
      } else if (current !== null) {
        for (const l of prior.locks) change.locks.push({ name: l.name, type: l.type, beforeHash: lockEntryHash(current, prior.file, l.name, l.type) ?? null, afterHash: l.beforeHash });
      }
    }, this.o.lock);
  }

  /** Puts back everything this transaction changed, newest first. Returns problems it could not fix. */
  async rollback(): Promise<string[]> {
    const problems: string[] = [];
    for (const change of [...this.shared.values()].reverse()) {
      try {
        await withFileLock(change.file, () => {
          const current = readText(change.file);
          const target = restoreShared(change, current, this.o.fetched);
          if (target !== current) writeOrRemove(change.file, target);
        }, this.o.lock);
      } catch (e) {
        problems.push(`${change.file}: could not be restored (${(e as Error).message})`);
      }
    }
    for (const m of [...this.moves].reverse()) {
      try {
        if (m.placed) fs.rmSync(m.path, { recursive: true, force: true });
        if (m.aside) fs.renameSync(m.aside, m.path);
      } catch (e) {
        problems.push(`${m.path}: could not be restored (${(e as Error).message})${m.aside ? `; the previous version is at ${m.aside}` : ''}`);
      }
    }
    this.moves.length = 0;
    this.shared.clear();
    return problems;
  }

  /** Makes the changes final: removes the old trees kept aside. */
  commit(): void {
    for (const m of this.moves) {
      if (m.aside) { try { fs.rmSync(m.aside, { recursive: true, force: true }); } catch { /* a leftover dot-directory is harmless */ } }
    }
    this.moves.length = 0;
  }

  /** The journal of what this transaction did. */
  journal(meta: Omit<SyncJournal, 'version' | 'paths' | 'shared' | 'status'>): SyncJournal {
    return { version: 1, ...meta, status: 'committed', paths: [...this.paths], shared: this.sharedChanges.map((c) => ({ ...c, records: [...c.records], locks: [...c.locks] })) };
  }
}

// ---- journals in the version store ----

const LAST_KEY = (project: string) => `sync.journal.last:${project}`;
const PENDING_KEY = (project: string) => `sync.journal.pending:${project}`;

/** What the store's meta table offers (VersionStore implements it). */
export interface MetaStore { getMeta(key: string): string | undefined; setMeta(key: string, value: string): void }

function parseJournal(text: string | undefined): SyncJournal | undefined {
  if (!text) return undefined;
  try { const j = JSON.parse(text) as SyncJournal; return j && j.version === 1 ? j : undefined; } catch { return undefined; }
}

/** Journals of syncs that started and never finished (a crash), newest last. */
export function pendingJournals(store: MetaStore, project: string): SyncJournal[] {
  try {
    const list = JSON.parse(store.getMeta(PENDING_KEY(project)) ?? '[]') as SyncJournal[];
    return Array.isArray(list) ? list.filter((j) => j && j.version === 1) : [];
  } catch { return []; }
}

/** Records a sync as started (call inside a store transaction). */
export function addPendingJournal(store: MetaStore, j: SyncJournal): void {
  store.setMeta(PENDING_KEY(j.project), JSON.stringify([...pendingJournals(store, j.project), j]));
}

/** Forgets a pending journal (call inside a store transaction). */
export function dropPendingJournal(store: MetaStore, project: string, id: string): void {
  store.setMeta(PENDING_KEY(project), JSON.stringify(pendingJournals(store, project).filter((j) => j.id !== id)));
}

/** The last finished sync of a project, if undo has not used it yet. */
export function lastJournal(store: MetaStore, project: string): SyncJournal | undefined {
  return parseJournal(store.getMeta(LAST_KEY(project)));
}

/** Sets (or with `undefined`, clears) the last finished sync of a project (inside a store transaction). */
export function setLastJournal(store: MetaStore, project: string, j: SyncJournal | undefined): void {
  store.setMeta(LAST_KEY(project), j ? JSON.stringify(j) : '');
}
