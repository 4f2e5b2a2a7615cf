// The drift engine (SPEC §4): compares collection (C), project (P) and deployed baseline (B) for every
// artifact of every profile root. Read-only: it never writes anything anywhere.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_ROOT, PROFILE_ROOTS, artifactKey, isContextType, type ArtifactDrift, type ContextType, type ArtifactType, type CheckWarning, type DriftReport,
  type DriftState, type FileChange, type UnmanagedRecord,
} from '../model';
import { readRecords, parseRecordsForReading, salvageRecords, RecordsParseError, RECORDS_FILE, TREE_HASH_KEY, viewRecord, isHexHash, type RecordView } from '../store/deploymentRecords';
import { ArtifactHasher, POOL_THRESHOLD, hashNormalised, normaliseContent, treeHashOf, type ArtifactHash, type HashPool, type PoolThreshold } from './hashing';
import { discoverArtifacts, artifactPath, type FoundArtifact } from './discovery';
import { collectionResolver, type CollectionResolver } from '../store/skillmeatHome';
import { pendingMerges, type MetaReader } from '../store/pendingMerges';
import { contextDbPath, contextHash, contextProjectPath, findContextRow, readContextCollection, type ContextCollection } from './contextEntities';
import type { SqlJsStatic } from 'sql.js';

/** What the version store can tell a check about a baseline (optional: a check works without it). */
export interface BaselineLookup {
  /** Per-file normalised hashes of a stored baseline, by our tree hash or SkillMeat content hash. */
  baselineFiles(ref: { treeHash?: string; contentHash?: string }): { tree: string; files: { rel: string; norm: string }[] } | undefined;
  /** The store's meta table: where merges left in progress with conflict markers are remembered (`merging`). */
  getMeta?(key: string): string | undefined;
}

export interface CheckOptions {
  project: string;
  /** Collection directory overriding every record's `from_collection`. */
  collection?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  roots?: readonly string[];
  /** Reused across checks so unchanged trees cost only stats. */
  hasher?: ArtifactHasher;
  /** Parsed records remembered between processes (the CLI's stat cache), by the records file's exact text. */
  recordsCache?: RecordsCache;
  store?: BaselineLookup;
  now?: () => Date;
  /**
   * sql.js, loaded by the caller (loading is asynchronous): needed to read SkillMeat's cache database, where the
   * collection copies of context entities live. Without it their records are `unreachable`.
   */
  sqlJs?: SqlJsStatic;
  /** The context entities already read (tests, or a caller checking many projects). */
  contexts?: ContextCollection;
  /** Called when the check needs SkillMeat's context entities (a records file names one). */
  onContexts?: () => void;
  /**
   * Only what the hasher already holds (a check in progress, see {@link PreparedCheckOptions.onPartial}): nothing is
   * walked or read, and an artifact with a side not hashed yet, or a context entity, is left out of the report.
   */
  partial?: boolean;
}

export interface PreparedCheckOptions extends CheckOptions {
  /** Loads sql.js, called only when a records file names a context entity (loading the wasm costs ~100 ms). */
  loadSqlJs?: () => Promise<SqlJsStatic>;
  /** Starts a pool of hashing threads; called only when the check finds much unknown content (hashPool.ts). */
  pool?: () => HashPool | undefined;
  /** When to start the pool (ArtifactHasher.prepare). */
  poolThreshold?: PoolThreshold;
  /**
   * Called while the check hashes, at most every {@link PARTIAL_EVERY_MS}, with a report of the artifacts known so
   * far (`partial` set: `known` of the dry run's `total`): for a view that shows what is known as it arrives.
   */
  onPartial?: (report: DriftReport) => void;
  /** Overrides {@link PARTIAL_EVERY_MS} (tests: 0, a partial report after every batch). */
  partialEveryMs?: number;
  /**
   * False skips the dry run and the pool: for a check expected to be warm (its caches know the project), where the
   * dry run would cost more than it saves. sql.js is still loaded only when needed (the check then runs again).
   */
  prepare?: boolean;
}

/**
 * A check that first runs dry (nothing hashed, a few milliseconds) to learn what it will hash and whether it needs
 * sql.js; then walks those artifacts and hashes what no cache knows — on a worker pool when that is a lot — and
 * runs the real check on the results. The same report as {@link checkDrift}; each file is stat'ed once and read
 * at most once.
 */
export async function checkDriftPrepared(opts: PreparedCheckOptions): Promise<DriftReport> {
  const hasher = opts.hasher ?? new ArtifactHasher();
  const { loadSqlJs, pool, poolThreshold, prepare, onPartial, partialEveryMs = PARTIAL_EVERY_MS, ...check } = opts;
  let wantsContexts = false;
  const onContexts = () => { wantsContexts = true; hashersWithContexts.add(hasher); };
  if (prepare === false) {
    // A hasher whose project named a context entity before gets sql.js first: one check, not two.
    const known = !check.sqlJs && loadSqlJs && hashersWithContexts.has(hasher) ? await loadSqlJs() : undefined;
    const report = checkDrift({ ...check, hasher, ...(known ? { sqlJs: known } : {}), onContexts });
    // A context entity needs sql.js: check again with it (everything hashed is in the hasher's memory by now).
    return wantsContexts && !check.sqlJs && !known && loadSqlJs ? checkDrift({ ...check, hasher, sqlJs: await loadSqlJs() }) : report;
  }
  let started: HashPool | undefined;
  let used = false;
  const threshold = poolThreshold?.artifacts ?? POOL_THRESHOLD.artifacts;
  // The dry run, the partial reports and the real run list the same folders within moments: once is enough.
  discoveries.set(hasher, new Map());
  try {
    // A project with many artifacts gets its threads before the dry run (parsing 1 000 records takes tens of
    // milliseconds): they boot meanwhile, 50–80 ms each, instead of after it. Every artifact found is hashed on both
    // sides, so the project's own count is about half of the check's requests. (The listing is the dry run's: memoized.)
    const roots = check.roots ?? PROFILE_ROOTS;
    const found = pool ? roots.flatMap((r) => discover(hasher, path.join(opts.project, r))) : [];
    if (pool && 2 * found.length >= threshold) started = pool();
    // And work for them during the dry run: a fifth of the project's artifacts with their copies in the default
    // collection (a guess at the records' collection, read alongside: see ArtifactHasher.expectSame), about what a
    // worker does while this thread parses the records. With SkillMeat's forms unless every record carries our tree
    // hash (records SkillMeat wrote compare its forms; they cost one more hash stream, not a second read).
    if (started) {
      const coll = collectionResolver({ env: check.env, home: check.home, collection: check.collection }).resolve(undefined).path;
      const inCollection = isDirectory(coll) ? new Map(discover(hasher, coll).map((a) => [a.relPath, a.absPath])) : undefined;
      const forms = !roots.every((r) => recordsCarryTreeHashes(path.join(opts.project, r)));
      hasher.prefetch(found.map((a) => ({ abs: a.absPath, twin: inCollection?.get(a.relPath) })), started, Math.ceil(found.length / 5), forms);
    }
    let total = 0;
    const requests = hasher.record(() => { total = checkDrift({ ...check, hasher, onContexts }).artifacts.length; });
    // Else threads only for a check that may be large: they boot while sql.js loads and the walks start.
    if (pool && !started && requests.length >= threshold) started = pool();
    const sqlJs = check.sqlJs ?? (wantsContexts && loadSqlJs ? await loadSqlJs() : undefined);
    let last = performance.now();
    const onProgress = onPartial && (() => {
      if (performance.now() - last < partialEveryMs) return;
      // A partial report is a courtesy: whatever goes wrong with one (a records file changing under it), the check goes on.
      try {
        const r = checkDrift({ ...check, hasher, partial: true });
        onPartial({ ...r, partial: { known: r.artifacts.length, total } });
      } catch { /* the full report will say it */ }
      last = performance.now();
    });
    await hasher.prepare(requests, { pool: pool && (() => { used = true; return (started ??= pool()); }), threshold: poolThreshold, onProgress });
    return checkDrift({ ...check, hasher, ...(sqlJs ? { sqlJs } : {}) });
  } finally {
    discoveries.delete(hasher);
    hasher.forgetWalks();
    if (!used) void started?.close(); // in the background: the report need not wait for a thread to stop
  }
}

/** Artifacts found per folder while a prepared check of that hasher runs (see checkDriftPrepared). */
const discoveries = new WeakMap<ArtifactHasher, Map<string, FoundArtifact[]>>();

/** The artifacts in a profile root or collection: listed once per prepared check, else every time. */
function discover(hasher: ArtifactHasher, dir: string): FoundArtifact[] {
  const memo = discoveries.get(hasher);
  let found = memo?.get(dir);
  if (!found) {
    found = discoverArtifacts(dir, hasher.exclusions);
    memo?.set(dir, found);
  }
  return found;
}

/** True when the root's records file names our tree hash in every record (or there is none): a cheap scan of its text. */
function recordsCarryTreeHashes(rootDir: string): boolean {
  let text: string;
  try { text = fs.readFileSync(path.join(rootDir, RECORDS_FILE), 'utf8'); } catch { return true; }
  const count = (s: string) => { let n = 0; for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + s.length)) n++; return n; };
  return count(TREE_HASH_KEY) >= count('[[deployed]]');
}

/** How often a check in progress gives a partial report (onPartial). */
export const PARTIAL_EVERY_MS = 150;

/** Hashers (a long-lived one per folder in the extension) whose check needed sql.js for context entities. */
const hashersWithContexts = new WeakSet<ArtifactHasher>();

export const RECOMMENDATIONS: Record<DriftState, string> = {
  'in-sync': '',
  modified: 'pull into the collection, or keep the local version',
  outdated: 'update the project from the collection',
  conflict: 'three-way merge',
  converged: 're-baseline only (both sides made the same change)',
  added: 'deploy',
  removed: 'remove from the project, or push back into the collection',
  deleted: 'restore from the collection, or undeploy',
  untracked: 'add to the collection',
  invalid: 'fix the record',
  unreachable: 'make the collection reachable (mount or create it), or choose another one',
  merging: 'remove the conflict markers from the project copy, then resolve (or resolve --abort)',
};

interface Side { exists: boolean; hash?: ArtifactHash }

/** What a check needs of each record, without the parsed TOML (`record`), which is re-parsed only if asked for. */
export type CachedRecordView = Omit<RecordView, 'record'>;

/** Parsed records kept between processes: a hit needs the file's text to be exactly the text that was parsed. */
export interface RecordsCache {
  getRecords(file: string, text: string): CachedRecordView[] | undefined;
  putRecords(file: string, text: string, views: readonly CachedRecordView[]): void;
}

/** Views from a records cache, with `record` parsed from `text` again on first use. */
function revive(views: CachedRecordView[], text: string, file: string): RecordView[] {
  const parsed: { views?: RecordView[] } = {};
  return views.map((v) => new RevivedView(v, text, file, parsed) as unknown as RecordView);
}

/**
 * A cached view whose `record` (the parsed TOML table) is parsed on first use: a class with the getter on its
 * prototype (an own accessor per object, 1 000 of them, was a twentieth of a warm check).
 */
class RevivedView {
  constructor(v: CachedRecordView, private readonly text: string, private readonly file: string, private readonly parsed: { views?: RecordView[] }) {
    Object.assign(this, v);
  }

  get record(): RecordView['record'] {
    const all = (this.parsed.views ??= parseRecordsForReading(this.text, this.file).map(viewRecord));
    return all[(this as unknown as CachedRecordView).index].record;
  }
}

// Parsed records per hasher (the object a caller keeps between checks): a warm check re-parses a records
// file only when its text changed. Parsing 1 000 records was a tenth of a warm check.
const recordsMemo = new WeakMap<ArtifactHasher, Map<string, { text: string; views: RecordView[] }>>();

function recordViews(rootDir: string, hasher: ArtifactHasher, cache?: RecordsCache): RecordView[] {
  const file = path.join(rootDir, RECORDS_FILE);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch {
    return readRecords(rootDir).records.map(viewRecord); // missing: no records; unreadable: RecordsParseError
  }
  let memo = recordsMemo.get(hasher);
  if (!memo) recordsMemo.set(hasher, (memo = new Map()));
  const hit = memo.get(file);
  if (hit && hit.text === text) return hit.views;
  const cached = cache?.getRecords(file, text);
  if (cached) {
    const views = revive(cached, text, file);
    memo.set(file, { text, views });
    return views;
  }
  const views = parseRecordsForReading(text, file).map(viewRecord);
  cache?.putRecords(file, text, views.map(({ record: _record, ...v }) => v));
  memo.set(file, { text, views });
  return views;
}

function fileChanges(project: { rel: string; norm: string }[], other: { rel: string; norm: string }[]): FileChange[] {
  const o = new Map(other.map((f) => [f.rel, f.norm]));
  const p = new Map(project.map((f) => [f.rel, f.norm]));
  const out: FileChange[] = [];
  for (const [rel, h] of p) {
    const oh = o.get(rel);
    if (oh === undefined) out.push({ path: rel, change: 'added' });
    else if (oh !== h) out.push({ path: rel, change: 'modified' });
  }
  for (const rel of o.keys()) if (!p.has(rel)) out.push({ path: rel, change: 'deleted' });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The hash a report shows as an artifact's deployed baseline: our tree hash when the record or the version
 * store knows it, else the record's SkillMeat `content_hash`. `check` and `status` both show this one.
 */
export function baselineHashOf(rv: Pick<RecordView, 'treeHash' | 'contentHash'>, store?: BaselineLookup): string | null {
  return rv.treeHash ?? store?.baselineFiles({ treeHash: rv.treeHash, contentHash: rv.contentHash })?.tree ?? rv.contentHash ?? null;
}

/** Runs a drift check of one project. */
export function checkDrift(opts: CheckOptions): DriftReport {
  const started = Date.now();
  const project = path.resolve(opts.project);
  const merging = opts.store?.getMeta ? pendingMerges(opts.store as MetaReader, project) : {};
  const hasher = opts.hasher ?? new ArtifactHasher();
  const resolver: CollectionResolver = collectionResolver({ env: opts.env, home: opts.home, collection: opts.collection });
  const roots = opts.roots ?? PROFILE_ROOTS;
  const warnings: CheckWarning[] = resolver.problems.map((m) => ({ code: 'collection-missing', message: m }));
  const errors: CheckWarning[] = [];
  const artifacts: ArtifactDrift[] = [];
  const unmanaged: UnmanagedRecord[] = [];
  const collections = new Map<string, { name: string; path: string; reachable: boolean; required: boolean; found?: Map<string, FoundArtifact> }>();
  const report = (): DriftReport => ({
    project,
    collections: [...collections.values()].map(({ name, path: p, reachable, required }) => ({ name, path: p, reachable, required })),
    // What could not be checked comes first (SPEC §4), the rest in the order found.
    artifacts: [...artifacts.filter((a) => a.state === 'unreachable'), ...artifacts.filter((a) => a.state !== 'unreachable')], unmanaged, warnings: dedupeWarnings(warnings), errors,
    checkedAt: (opts.now?.() ?? new Date()).toISOString(),
    durationMs: Date.now() - started,
  });

  if (!isDirectory(project)) {
    errors.push({ code: 'project-missing', file: project, message: `${project}: ${fs.existsSync(project) ? 'is not a folder' : 'no such folder'}. Check the path (--project DIR), or run the command inside the project.` });
    return report();
  }

  /** The collection a record (or, without a name, the default) points at; `required` when a record needs it. */
  const collectionFor = (name: string | undefined, required: boolean) => {
    const r = resolver.resolve(name);
    let c = collections.get(r.path);
    if (!c) {
      const reachable = isDirectory(r.path);
      c = { name: r.name, path: r.path, reachable, required: required || !!resolver.override };
      if (reachable) c.found = new Map(discover(hasher, r.path).map((a) => [a.relPath, a]));
      else warnings.push({ code: 'collection-missing', file: r.path, message: `Collection "${r.name}" is not reachable at ${r.path}. Mount or create it, or choose another collection.` });
      collections.set(r.path, c);
    }
    c.required ||= required;
    return c;
  };

  // A partial report leaves out an artifact whose side is not hashed yet: `pending` is set by side() and read by add().
  let pending = false;
  const add = (a: ArtifactDrift) => {
    if (!pending) artifacts.push(a);
    pending = false;
  };
  const side = (absPath: string | null, wantSkillmeat: boolean): Side => {
    if (!absPath) return { exists: false };
    if (opts.partial) {
      const known = hasher.known(absPath, wantSkillmeat);
      if (!known) pending = true;
      return { exists: !!known, hash: known };
    }
    const h = hasher.hash(absPath, { skillmeat: wantSkillmeat });
    if (h) for (const p of h.problems) warnings.push({ code: p.code, file: p.file, message: p.message });
    return { exists: !!h, hash: h };
  };

  // SkillMeat's context entities, read once per check and only when a record names one.
  let contextCollection = opts.contexts;
  const contexts = (): ContextCollection => {
    opts.onContexts?.();
    if (contextCollection) return contextCollection;
    const db = contextDbPath(resolver.home);
    contextCollection = opts.sqlJs
      ? readContextCollection(opts.sqlJs, db)
      : { db, rows: [], problem: `SkillMeat's cache database ${db} was not read (no SQLite reader was given to the check)` };
    if (contextCollection.problem) warnings.push({ code: 'collection-missing', file: db, message: `${contextCollection.problem}; its context entities cannot be compared.` });
    return contextCollection;
  };

  const deployedKeys = new Set<string>(); // `${type}:${relPath}` deployed in any root
  const presentKeys = new Set<string>();  // present in any root of the project
  const defaultCollection = collectionFor(undefined, false);
  // Roots whose records file cannot be parsed without every record being named: `added` cannot be told apart
  // from a deployed artifact whose record is in the broken text.
  let addedUnknown = false;

  for (const root of roots) {
    const rootDir = path.join(project, root);
    if (!fs.existsSync(rootDir)) continue;
    let records: RecordView[] = [];
    const found = discover(hasher, rootDir);
    for (const a of found) presentKeys.add(`${a.type}:${a.relPath}`);
    const recorded = new Set<string>();
    try {
      records = recordViews(rootDir, hasher, opts.recordsCache);
    } catch (e) {
      if (!(e instanceof RecordsParseError)) throw e;
      errors.push({ code: 'records-unreadable', file: e.file, message: e.message });
      // Nothing in this root can be judged without its records: each record the text still names is
      // `invalid` (never `added` or `untracked`), and so is every artifact present when a record may be hidden.
      const salvaged = readSalvage(e.file);
      addedUnknown ||= !salvaged.complete;
      const problem = `${e.file} cannot be parsed (${e.line ? `line ${e.line}: ` : ''}${e.reason})`;
      for (const r of salvaged.records) {
        if (!r.type || !(['skill', 'command', 'agent'] as string[]).includes(r.type)) continue;
        const type = r.type as ArtifactType;
        const key = r.relPath ?? `${type}:${r.name}`;
        if (recorded.has(key)) continue;
        recorded.add(key);
        if (r.relPath) deployedKeys.add(`${type}:${r.relPath}`);
        const abs = r.relPath ? path.join(rootDir, ...r.relPath.split('/')) : rootDir;
        const p = r.relPath ? side(abs, false) : { exists: false };
        add({
          type, name: r.name || `record at line ${r.line}`, root, state: 'invalid', collectionHash: null, projectHash: p.hash?.tree ?? null, baselineHash: null,
          recommendation: RECOMMENDATIONS.invalid, relPath: r.relPath ?? '', projectPath: abs, collectionPath: null, collectionName: null,
          detail: `its record (line ${r.line}) is in ${problem}`,
        });
      }
      for (const a of found) {
        if (recorded.has(a.relPath)) continue;
        if (salvaged.complete) continue; // every record was named: the others are untracked, listed below
        recorded.add(a.relPath);
        const p = side(a.absPath, false);
        add({
          type: a.type, name: a.name, root, state: 'invalid', collectionHash: null, projectHash: p.hash?.tree ?? null, baselineHash: null,
          recommendation: RECOMMENDATIONS.invalid, relPath: a.relPath, projectPath: a.absPath, collectionPath: null, collectionName: null,
          detail: `whether it is deployed is unknown: ${problem}`,
        });
      }
    }

    for (const rv of records) {
      if (isContextType(rv.type) && !rv.invalid) {
        if (!opts.partial) add(contextDrift(rv, rv.type, root, rootDir, contexts(), hasher, (w) => warnings.push(w)));
        continue;
      }
      if (rv.type === 'hook' || rv.type === 'mcp' || (!rv.invalid && !['skill', 'command', 'agent'].includes(rv.type))) {
        unmanaged.push({ type: rv.type, name: rv.name, root, recordFile: path.join(rootDir, '.skillmeat-deployed.toml') });
        continue;
      }
      const type = rv.type as ArtifactType;
      if (rv.invalid) {
        // The artifact has a record, even a broken one: it is not also untracked or available to deploy.
        if (rv.relPath) { recorded.add(rv.relPath); deployedKeys.add(`${type}:${rv.relPath}`); }
        warnings.push({ code: 'record-invalid', file: path.join(rootDir, '.skillmeat-deployed.toml'), message: `${path.join(rootDir, '.skillmeat-deployed.toml')}: record #${rv.index + 1} (${rv.name || 'unnamed'}): ${rv.invalid}` });
        add({
          type: (['skill', 'command', 'agent'].includes(type) || isContextType(type) ? type : 'skill'), name: rv.name || `record #${rv.index + 1}`, root, state: 'invalid',
          collectionHash: null, projectHash: null, baselineHash: rv.contentHash ?? null, recommendation: RECOMMENDATIONS.invalid,
          relPath: rv.relPath, projectPath: rootDir, collectionPath: null, collectionName: rv.fromCollection ?? null, detail: rv.invalid,
        });
        continue;
      }
      recorded.add(rv.relPath);
      deployedKeys.add(`${type}:${rv.relPath}`);
      const coll = collectionFor(rv.fromCollection, true);
      const projectAbs = path.join(rootDir, ...rv.relPath.split('/'));
      const collAbs = coll.reachable ? (coll.found?.get(rv.relPath)?.absPath ?? null) : null;
      const enterprise = !isHexHash(rv.contentHash);
      const stored = opts.store?.baselineFiles({ treeHash: rv.treeHash, contentHash: rv.contentHash });
      const baselineTree = rv.treeHash ?? stored?.tree;  // = baselineHashOf(rv, opts.store) when there is one
      // Without our own tree hash of the baseline, compare SkillMeat-form hashes (its raw form, and with
      // junk / CRLF differences removed so they never read as drift).
      const needSkillmeat = !baselineTree && !enterprise;
      hasher.expectSame(projectAbs, collAbs); // most deployed artifacts are the collection's bytes: read together, hashed once
      const p = side(projectAbs, needSkillmeat); // a missing copy hashes to undefined: no separate exists check
      const c = side(collAbs, needSkillmeat);
      const equalsBaseline = (s: Side): boolean | undefined => {
        if (!s.hash) return undefined;
        if (baselineTree) return s.hash.tree === baselineTree;
        if (enterprise) return undefined;
        const sm = s.hash.skillmeat!;
        return [sm.all, sm.clean, sm.cleanLf].includes(rv.contentHash!.toLowerCase());
      };
      const pB = equalsBaseline(p);
      const cB = equalsBaseline(c);
      let state: DriftState;
      let detail: string | undefined;
      let baselineUnknown = false;
      if (!coll.reachable) {
        // The check could not look at the collection: say so, with what is known locally.
        state = 'unreachable';
        const local = !p.exists ? 'deleted locally' : pB === false ? 'edited locally since it was deployed' : pB ? 'unchanged locally since it was deployed' : 'local changes unknown';
        detail = `collection "${coll.name}" is not reachable at ${coll.path}; ${local}`;
      } else if (!p.exists) {
        state = 'deleted';
        if (!c.exists) detail = 'gone from both the project and the collection';
      } else if (!c.exists) {
        state = 'removed';
      } else {
        const cP = c.hash!.tree === p.hash!.tree;
        if (pB === undefined || cB === undefined) {
          baselineUnknown = true;
          state = cP ? 'in-sync' : 'conflict';
          detail = `the baseline "${rv.contentHash}" is not a content hash SkillMeat Sync can compare; differences are treated as conflicts`;
        } else if ((pB && cB) || (cP && (pB || cB))) {
          // A SkillMeat-form baseline can match one side byte for byte while the other differs from it only
          // by junk or CRLF; the two sides being equal under our rules makes both equal to the baseline.
          state = 'in-sync';
        } else if (!pB && cB) state = 'modified';
        else if (pB && !cB) state = 'outdated';
        else state = cP ? 'converged' : 'conflict';
      }
      const inProgress = state !== 'unreachable' ? merging[artifactKey(root, type, rv.name)] : undefined;
      if (inProgress) {
        // A merge written with conflict markers (`--markers`) and not resolved yet: whatever the hashes say, the
        // project copy is a merge in progress, and only `resolve` (or `resolve --abort`) moves it on.
        state = 'merging';
        const n = inProgress.files.length;
        detail = `${inProgress.direction} merge in progress since ${inProgress.at}: ${n} conflicting file${n === 1 ? '' : 's'} (${inProgress.files.map((f) => f || path.basename(rv.relPath)).join(', ')}) with conflict markers in the project copy`;
      }
      let files: FileChange[] | undefined;
      if (state === 'outdated' && c.hash?.kind === 'dir') {
        // Nothing changed locally: show what the collection changed since the baseline.
        files = fileChanges(c.hash.files, stored?.files ?? p.hash?.files ?? []);
      } else if (p.hash?.kind === 'dir' && state !== 'in-sync' && (state !== 'unreachable' || stored)) {
        if (stored) files = fileChanges(p.hash.files, stored.files);
        else if (c.hash) files = fileChanges(p.hash.files, c.hash.files);
      }
      add({
        type, name: rv.name, root, state,
        collectionHash: c.hash?.tree ?? null, projectHash: p.hash?.tree ?? null,
        baselineHash: baselineTree ?? rv.contentHash ?? null,
        recommendation: baselineUnknown && state !== 'merging' ? 'two-way merge (the baseline is unknown)' : RECOMMENDATIONS[state],
        relPath: rv.relPath, projectPath: projectAbs,
        collectionPath: coll.reachable ? (collAbs ?? artifactPath(coll.path, type, rv.name).absPath) : null,
        collectionName: coll.name, deployedAt: rv.deployedAt, recordContentHash: rv.contentHash,
        ...(baselineUnknown ? { baselineUnknown } : {}), ...(files ? { files } : {}), ...(detail ? { detail } : {}),
      });
    }

    for (const a of found) {
      if (recorded.has(a.relPath)) continue;
      const p = side(a.absPath, false);
      const collAbs = defaultCollection.found?.get(a.relPath)?.absPath ?? null;
      add({
        type: a.type, name: a.name, root, state: 'untracked', collectionHash: null, projectHash: p.hash?.tree ?? null,
        baselineHash: null, recommendation: RECOMMENDATIONS.untracked, relPath: a.relPath, projectPath: a.absPath,
        collectionPath: collAbs, collectionName: defaultCollection.name,
        ...(collAbs ? { detail: 'also in the collection, but never deployed by SkillMeat: deploy to start tracking it' } : {}),
      });
    }

    // Claude Code resolves a command and a skill of the same name to the skill.
    const skills = new Set(found.filter((a) => a.type === 'skill').map((a) => a.name));
    for (const a of found) {
      if (a.type === 'command' && skills.has(a.name)) {
        warnings.push({ code: 'name-collision', file: a.absPath, message: `${root}: the command "${a.name}" and the skill "${a.name}" share a name; Claude Code uses the skill. Rename one of them.` });
      }
    }
  }

  if (defaultCollection.found && !addedUnknown) {
    for (const a of defaultCollection.found.values()) {
      const key = `${a.type}:${a.relPath}`;
      if (deployedKeys.has(key) || presentKeys.has(key)) continue;
      const target = path.join(project, DEFAULT_ROOT, ...a.relPath.split('/'));
      add({
        type: a.type, name: a.name, root: DEFAULT_ROOT, state: 'added', collectionHash: side(a.absPath, false).hash?.tree ?? null, projectHash: null, baselineHash: null,
        recommendation: RECOMMENDATIONS.added, relPath: a.relPath, projectPath: target, collectionPath: a.absPath, collectionName: defaultCollection.name,
      });
    }
  }

  return report();
}

/**
 * The drift of one context entity (SPEC §4 on a single file): the project file under the profile root, the row of
 * SkillMeat's cache database (the collection), and the record's baseline. CRLF-only differences are no change.
 */
function contextDrift(rv: RecordView, type: ContextType, root: string, rootDir: string, coll: ContextCollection, hasher: ArtifactHasher, warn: (w: CheckWarning) => void): ArtifactDrift {
  const projectAbs = contextProjectPath(path.dirname(rootDir), root, type, rv.relPath);
  const p = hasher.hash(projectAbs, { skillmeat: true });
  if (p) for (const x of p.problems) warn({ code: x.code, file: x.file, message: x.message });
  const row = coll.problem ? undefined : findContextRow(coll, type, rv.name);
  const cTree = row ? treeHashOf([{ rel: '', norm: hashNormalised(row.content) }]) : undefined;
  const baselineTree = rv.treeHash;
  const enterprise = !isHexHash(rv.contentHash);
  const b = rv.contentHash?.toLowerCase();
  const pB = !p ? undefined : baselineTree ? p.tree === baselineTree : enterprise ? undefined : [p.skillmeat!.all, p.skillmeat!.cleanLf].includes(b!);
  const cB = !row ? undefined : baselineTree ? cTree === baselineTree : enterprise ? undefined : [row.contentHash, contextHash(normaliseContent(row.content))].includes(b!);
  let state: DriftState;
  let detail: string | undefined;
  let baselineUnknown = false;
  const where = row ? `row ${row.id} of SkillMeat's cache database ${coll.db}` : undefined;
  if (coll.problem) {
    state = 'unreachable';
    detail = `${coll.problem}; ${!p ? 'deleted locally' : pB === false ? 'edited locally since it was deployed' : pB ? 'unchanged locally since it was deployed' : 'local changes unknown'}`;
  } else if (!p) {
    state = 'deleted';
    if (!row) detail = 'gone from both the project and SkillMeat\'s collection';
  } else if (!row) {
    state = 'removed';
    detail = `no ${type} named "${rv.name}" in SkillMeat's cache database ${coll.db}`;
  } else {
    const cP = cTree === p.tree;
    if (pB === undefined || cB === undefined) {
      baselineUnknown = true;
      state = cP ? 'in-sync' : 'conflict';
      detail = `the baseline "${rv.contentHash}" is not a content hash SkillMeat Sync can compare; differences are treated as conflicts`;
    } else if ((pB && cB) || (cP && (pB || cB))) state = 'in-sync';
    else if (!pB && cB) state = 'modified';
    else if (pB && !cB) state = 'outdated';
    else state = cP ? 'converged' : 'conflict';
  }
  if (!detail && where && state !== 'in-sync') detail = `collection copy: ${where}`;
  return {
    type, name: rv.name, root, state,
    collectionHash: cTree ?? null, projectHash: p?.tree ?? null, baselineHash: baselineTree ?? rv.contentHash ?? null,
    recommendation: baselineUnknown ? 'two-way merge (the baseline is unknown)' : CONTEXT_RECOMMENDATIONS[state] ?? RECOMMENDATIONS[state],
    relPath: rv.relPath, projectPath: projectAbs, collectionPath: null, collectionName: rv.fromCollection ?? null,
    ...(row ? { contextRow: { db: coll.db, id: row.id } } : {}),
    deployedAt: rv.deployedAt, recordContentHash: rv.contentHash,
    ...(baselineUnknown ? { baselineUnknown } : {}), ...(detail ? { detail } : {}),
  };
}

/** What to do about a context entity, where it differs from an artifact: its collection copy is edited in SkillMeat. */
const CONTEXT_RECOMMENDATIONS: Partial<Record<DriftState, string>> = {
  modified: 'edit it in SkillMeat (its collection copy is a row of SkillMeat\'s database), or keep the local version',
  conflict: 'update the project from the collection (overwrite or merge); carry local edits into SkillMeat by editing it there',
  removed: 'remove from the project, or create it again in SkillMeat',
};

function isDirectory(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

/** What the text of an unparseable records file still names; nothing when it cannot even be read. */
function readSalvage(file: string): ReturnType<typeof salvageRecords> {
  try { return salvageRecords(fs.readFileSync(file, 'utf8')); } catch { return { records: [], complete: false }; }
}

function dedupeWarnings(ws: CheckWarning[]): CheckWarning[] {
  const seen = new Set<string>();
  return ws.filter((w) => { const k = w.code + '\0' + w.message; if (seen.has(k)) return false; seen.add(k); return true; });
}
