// Capture (SPEC §6): the glue between the capture policy (when), the hasher (what the artifact is now) and
// the version store (where it is kept). One CaptureService per project folder. Effects are injected — the
// clock, the timer and the store — so the extension, the CLI and tests drive the same code.
//
// Flow: a watcher event → `noteFileChange` → the policy restarts that artifact's quiet window → one timer set
// for `policy.nextWakeAt()` → `wake()` ticks the policy, runs the background re-scan when due, hashes what is
// due and records every entry (captured, skipped-duplicate, rate_limited) in ONE store transaction, together
// with the policy state, so a restart keeps the hourly window. sql.js rewrites the whole index on every
// transaction, so batching a burst into one is what keeps a `git checkout` of 1 000 files cheap.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import {
  CapturePolicy, DEFAULT_CAPTURE_SETTINGS, isOwnWriteOrigin, selectPrunableEntries,
  type CaptureAction, type CaptureEntry, type CaptureOrigin, type CaptureSettings, type CaptureStatus, type OwnWriteOrigin, type PendingCapture,
} from './capturePolicy';
import { ArtifactHasher, walkArtifact, type ArtifactHash, type ExclusionMatcher } from '../drift/hashing';
import { artifactKey, ARTIFACT_TYPES, PROFILE_ROOTS, TYPE_DIRS, isSafeArtifactName, type ArtifactType } from '../model';
import { artifactPath, discoverArtifacts } from '../drift/discovery';
import { readRecords, viewRecord, RecordsParseError, RECORDS_FILE } from '../store/deploymentRecords';
import { checkWritePath, siblingTemp, swapIntoPlace, ensureDir } from '../store/fsutil';
import { HistoryReader, type HistoryEntry } from './history';
import type { DeletedVersions, VersionStore } from '../store/versionStore';

/** Where an artifact of a project lives. */
export interface ArtifactLocation {
  /** `artifactKey(root, type, name)`, the version store's key. */
  key: string;
  root: string;
  type: ArtifactType;
  name: string;
  absPath: string;
}

/** One entry the service recorded in the store. */
export interface RecordedCapture {
  entry: CaptureEntry;
  /** The store's version id: what the user sees (`#12`) and passes to `restore`. */
  versionId: number;
  artifact: ArtifactLocation;
}

/** A one-shot timer; the extension passes setTimeout, tests a fake clock. */
export interface CaptureScheduler {
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** Origins whose versions are capture records, subject to retention. Everything else is a snapshot (deploy, sync…). */
export const CAPTURE_RECORD_ORIGINS: ReadonlySet<string> = new Set(['edit', 'rescan', 'restore', 'generator']);
/** Origins of versions that sync, deploy and undo rely on: never pruned, and they protect equal captures. */
export const SNAPSHOT_ORIGINS: readonly string[] = ['deploy', 'undeploy', 'sync', 'pre-sync', 'import'];

/** A capture service failure a user can act on; the message names the file. */
export class CaptureError extends Error {
  constructor(readonly code: 'not-found' | 'not-stored' | 'wrong-artifact' | 'bad-key' | 'records-unreadable', message: string) {
    super(message);
  }
}

const TYPE_BY_DIR = new Map<string, ArtifactType>(ARTIFACT_TYPES.map((t) => [TYPE_DIRS[t], t]));
// discovery.ts reads command namespaces four directories deep; deeper files are not artifacts.
const MAX_NAMESPACE_DEPTH = 4;

/**
 * The artifact a changed path belongs to: `<root>/skills/<name>/**` → the skill, `<root>/commands/**.md` and
 * `<root>/agents/**.md` → that file. Junk (editor swap files, `.DS_Store`, the user's exclusions) and the
 * product's own staging paths (dot-prefixed siblings) belong to nothing, so they never start a capture.
 */
export function artifactForPath(project: string, roots: readonly string[], absPath: string, exclusions?: ExclusionMatcher): ArtifactLocation | undefined {
  const rel = path.relative(project, absPath);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [root, typeDir, ...rest] = rel.split(path.sep);
  if (!roots.includes(root) || rest.length === 0) return undefined;
  const type = TYPE_BY_DIR.get(typeDir);
  if (!type) return undefined;
  const rootDir = path.join(project, root);
  if (type === 'skill') {
    const name = rest[0];
    if (name.startsWith('.') || exclusions?.isJunkDir(name, name)) return undefined;
    const inner = rest.slice(1);
    for (let i = 0; i < inner.length; i++) {
      const innerRel = inner.slice(0, i + 1).join('/');
      const last = i === inner.length - 1;
      // The last part may be a file or a directory; an event for either counts unless it is junk as a file name.
      if (!last && exclusions?.isJunkDir(inner[i], innerRel)) return undefined;
      if (last && (exclusions?.isJunkFile(inner[i], innerRel) || exclusions?.isJunkDir(inner[i], innerRel))) return undefined;
    }
    if (!isSafeArtifactName(type, name)) return undefined; // discovery does not list it either
    return { key: artifactKey(root, type, name), root, type, name, absPath: artifactPath(rootDir, type, name).absPath };
  }
  const file = rest[rest.length - 1];
  if (!file.endsWith('.md') || rest.length > MAX_NAMESPACE_DEPTH + 1 || rest.some((p) => p.startsWith('.'))) return undefined;
  if (exclusions?.isJunkFile(file, rest.join('/'))) return undefined;
  const name = rest.join('/').slice(0, -3);
  if (!isSafeArtifactName(type, name)) return undefined;
  return { key: artifactKey(root, type, name), root, type, name, absPath: artifactPath(rootDir, type, name).absPath };
}

/** Splits `root:type:name` (names may hold `/` for namespaced commands). */
export function parseArtifactKey(key: string): { root: string; type: ArtifactType; name: string } | undefined {
  const m = /^([^:/\\]+):(skill|command|agent):(.+)$/.exec(key);
  if (!m) return undefined;
  const name = m[3];
  if (name.split('/').some((p) => !p || p === '.' || p === '..') || name.includes('\\')) return undefined;
  return { root: m[1], type: m[2] as ArtifactType, name };
}

export interface CaptureServiceOptions {
  /** The project (workspace folder) whose artifacts are captured. */
  project: string;
  /** Profile roots to watch and re-scan (default: all four). */
  roots?: readonly string[];
  /** The version store, or how to open it (opened on first use, so activation does not load sql.js). */
  store: VersionStore | (() => Promise<VersionStore>);
  hasher?: ArtifactHasher;
  settings?: CaptureSettings;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /** Without a scheduler nothing happens by itself: the caller calls `wake()` (the CLI, tests). */
  scheduler?: CaptureScheduler;
  /** Grace after an own write during which change events are that write's (default: the policy's 2 s). */
  ownWriteGraceMs?: number;
  /** How often retention runs while the service is awake (default 6 h; it also runs on the first wake). */
  pruneIntervalMs?: number;
  /** Failures of background work (the extension logs them). */
  onError?: (e: unknown) => void;
  /** Artifacts skipped because a file could not be read (named in the message). */
  onProblem?: (message: string) => void;
}

/** What `restore` did. */
export interface RestoreResult {
  artifact: ArtifactLocation;
  /** The version restored. */
  restoredFrom: number;
  /** The version holding what was there before (captured now, or an identical earlier one); undefined if the artifact was missing. */
  previousVersion?: number;
  /** The new entry recording the restore. */
  restoredVersion?: number;
  /** True when the artifact already had that content: nothing was written. */
  unchanged: boolean;
}

/** What `prune` selected and (unless a dry run) deleted. */
export interface PruneResult {
  entries: { id: number; artifactKey: string; at: string; origin: string; status: string }[];
  deleted?: DeletedVersions;
}

const RETRY_AFTER_FAILURE_MS = 10_000;
const COMPACT_FREE_RATIO = 0.25;

/**
 * How late a wake may run so that artifacts whose quiet windows end close together are captured in one
 * transaction (each one rewrites the whole index). Late, never early: the quiet window is a minimum.
 */
export function batchSlackMs(settings: CaptureSettings): number {
  return Math.min(2_000, settings.quietWindowMs / 4);
}
const DEFAULT_PRUNE_INTERVAL_MS = 6 * 60 * 60 * 1000;
// setTimeout fires at once for delays above 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The policy state in store meta: a small head (`stateKey`) written by every commit, and one entry per
 * artifact (`artifactStateKey`) written only when that artifact's state changed, so a capture logs a few
 * hundred bytes however many artifacts the project has.
 */
interface PersistedHead { rev?: string; seq?: unknown; lastRescanAt?: unknown }

/** Capture, history, restore and retention for the artifacts of one project. */
export class CaptureService {
  readonly project: string;
  private roots: readonly string[];
  private settings: CaptureSettings;
  private policy: CapturePolicy;
  private readonly hasher: ArtifactHasher;
  private readonly now: () => number;
  private store: VersionStore | undefined;
  private reader: HistoryReader | undefined;
  private loading: Promise<VersionStore> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: unknown;
  private timerAt: number | undefined;
  private retryNotBefore = 0;
  private lastPruneAt: number | undefined;
  private rev: string | undefined;
  /** The per-artifact state last written (or read), so a commit writes only what changed. */
  private readonly savedArtifacts = new Map<string, string>();
  private dirty = false;
  private disposed = false;
  private readonly listeners = new Set<(keys: string[]) => void>();

  constructor(private readonly opts: CaptureServiceOptions) {
    this.project = path.resolve(opts.project);
    this.roots = opts.roots ?? PROFILE_ROOTS;
    this.settings = { ...(opts.settings ?? DEFAULT_CAPTURE_SETTINGS) };
    this.hasher = opts.hasher ?? new ArtifactHasher();
    this.now = opts.now ?? Date.now;
    this.policy = this.newPolicy();
  }

  private newPolicy(json?: unknown): CapturePolicy {
    const options = { ownWriteGraceMs: this.opts.ownWriteGraceMs };
    return json === undefined ? new CapturePolicy(this.settings, options) : CapturePolicy.fromJSON(json, this.settings, options);
  }

  /** Store meta key of this project's policy state. */
  get stateKey(): string { return `capture.policy:${this.project}`; }

  /** Prefix of the store meta keys of this project's per-artifact policy state. */
  private get artifactStatePrefix(): string { return `capture.artifact:${this.project}|`; }

  /** Subscribes to history changes (captures, restores, pins, prunes); returns an unsubscribe function. */
  onDidChange(listener: (keys: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fire(keys: Iterable<string>): void {
    const list = [...new Set(keys)];
    if (list.length === 0) return;
    for (const l of this.listeners) { try { l(list); } catch (e) { this.opts.onError?.(e); } }
  }

  /** The settings in force (validated by the caller). */
  getSettings(): CaptureSettings { return { ...this.settings }; }

  /** Applies new settings; running windows are re-evaluated against them. */
  setSettings(settings: CaptureSettings): void {
    this.settings = { ...settings };
    this.policy.setSettings(this.settings);
    this.reschedule();
  }

  /** Changes the profile roots that are watched and re-scanned. */
  setRoots(roots: readonly string[]): void { this.roots = [...roots]; }

  /** The artifact a path belongs to in this project, if any. */
  locatePath(absPath: string): ArtifactLocation | undefined {
    return artifactForPath(this.project, this.roots, absPath, this.hasher.exclusions);
  }

  /** Where the artifact with this key lives in this project. */
  locate(key: string): ArtifactLocation | undefined {
    const k = parseArtifactKey(key);
    if (!k || !isSafeArtifactName(k.type, k.name)) return undefined;
    return { key, ...k, absPath: artifactPath(path.join(this.project, k.root), k.type, k.name).absPath };
  }

  private resolve(target: string): ArtifactLocation | undefined {
    return path.isAbsolute(target) ? this.locatePath(target) : this.locate(target);
  }

  // ---- events in ----

  /** A watcher event for a path; returns the artifact it belongs to (undefined: ignored). */
  noteFileChange(absPath: string): ArtifactLocation | undefined {
    const loc = this.locatePath(absPath);
    if (!loc) return undefined;
    // Stats catch almost every change; this also covers a same-size save within the mtime resolution.
    this.hasher.invalidate(absPath);
    this.policy.noteChange(loc.key, this.now());
    this.reschedule();
    return loc;
  }

  /**
   * The product is about to write (or has just written) the artifact at `target` (a path inside it, or its
   * key): its change events are that write's, never a user edit. Deploy, sync, restore and generators call it.
   */
  noteOwnWrite(target: string, origin: OwnWriteOrigin): ArtifactLocation | undefined {
    const loc = this.resolve(target);
    if (!loc) return undefined;
    this.policy.noteOwnWrite(loc.key, this.now(), origin);
    this.dirty = true;
    this.reschedule();
    return loc;
  }

  /**
   * Runs one of the product's writes. `stored: true` (deploy, sync): the writer keeps its own version in the
   * store, so the policy only learns the result (dedup) and no entry is added. `stored: false` (generators):
   * the result is captured now with the writer's origin.
   */
  async ownWrite<T>(targets: readonly string[], origin: OwnWriteOrigin, fn: () => T | Promise<T>, opts: { stored?: boolean } = {}): Promise<T> {
    const locs = targets.map((t) => this.noteOwnWrite(t, origin)).filter((l): l is ArtifactLocation => !!l);
    try {
      return await fn();
    } finally {
      await this.finishOwnWrite(locs.map((l) => l.key), origin, opts.stored ?? true);
    }
  }

  /** The second half of {@link ownWrite}, for writers that cannot wrap their work in a callback. */
  async finishOwnWrite(targets: readonly string[], origin: OwnWriteOrigin, stored: boolean): Promise<void> {
    const locs = targets.map((t) => this.resolve(t)).filter((l): l is ArtifactLocation => !!l);
    const now = this.now();
    for (const loc of locs) {
      this.hasher.invalidate(loc.absPath);
      this.policy.noteOwnWrite(loc.key, now, origin); // the grace runs from the end of the write
    }
    if (!stored) {
      await this.serial(async () => {
        const store = await this.ensureLoaded();
        const recorded = await this.persist(store, locs.map((l) => ({ kind: 'capture' as const, artifactKey: l.key, origin })), this.now());
        this.fire(recorded.map((r) => r.artifact.key));
      });
    } else {
      for (const loc of locs) {
        const h = this.hasher.hash(loc.absPath);
        if (h) this.policy.recordCapture(loc.key, h.tree, now, origin); // the writer stored it; nothing to add
      }
      this.dirty = true;
      this.fire(locs.map((l) => l.key));
    }
    this.reschedule();
  }

  // ---- background work ----

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private ensureLoaded(): Promise<VersionStore> {
    if (this.store) return Promise.resolve(this.store);
    this.loading ??= (async () => {
      const s = this.opts.store;
      const store = typeof s === 'function' ? await s() : s;
      await store.reload();
      this.adopt(store);
      this.store = store;
      this.reader = new HistoryReader(store);
      return store;
    })().finally(() => { this.loading = undefined; });
    return this.loading;
  }

  /**
   * Takes over the policy state in the store when another writer (the CLI, another window) saved one since
   * ours. Our scheduled captures are re-noted on it, so an edit waiting for its quiet window is not lost.
   */
  private adopt(store: VersionStore): void {
    const raw = store.getMeta(this.stateKey);
    if (!raw) return;
    let head: PersistedHead;
    try { head = JSON.parse(raw) as PersistedHead; } catch { return; } // unreadable: start afresh, like fromJSON does
    if (!head.rev || head.rev === this.rev) return;
    const artifacts: Record<string, unknown> = {};
    this.savedArtifacts.clear();
    for (const [k, v] of store.metaWithPrefix(this.artifactStatePrefix)) {
      const key = k.slice(this.artifactStatePrefix.length);
      try { artifacts[key] = JSON.parse(v); this.savedArtifacts.set(key, v); } catch { /* one unreadable artifact state: forgotten */ }
    }
    const pending = this.policy.pendingCaptures();
    const next = this.newPolicy({ v: 1, seq: head.seq, lastRescanAt: head.lastRescanAt, artifacts });
    const now = this.now();
    for (const p of pending) {
      if (p.origin === 'edit' || p.origin === 'rescan') next.noteChange(p.artifactKey, Math.min(now, p.dueAt - this.settings.quietWindowMs));
      else next.noteOwnWrite(p.artifactKey, now, p.origin as OwnWriteOrigin);
    }
    this.policy = next;
    this.rev = head.rev;
  }

  private saveState(s: VersionStore): void {
    this.rev = `${this.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
    const state = this.policy.toJSON();
    s.setMeta(this.stateKey, JSON.stringify({ rev: this.rev, seq: state.seq, lastRescanAt: state.lastRescanAt } satisfies PersistedHead));
    for (const [key, a] of Object.entries(state.artifacts)) {
      const json = JSON.stringify(a);
      if (this.savedArtifacts.get(key) === json) continue;
      s.setMeta(this.artifactStatePrefix + key, json);
      this.savedArtifacts.set(key, json);
    }
    this.dirty = false;
  }

  /** Sets the one timer for the policy's next wake (nothing without a scheduler). */
  private reschedule(): void {
    const sch = this.opts.scheduler;
    if (!sch || this.disposed) return;
    const at = Math.max(this.policy.nextWakeAt() + batchSlackMs(this.settings), this.retryNotBefore);
    if (this.timer !== undefined && this.timerAt === at) return;
    if (this.timer !== undefined) sch.clear(this.timer);
    this.timerAt = at;
    this.timer = sch.set(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      void this.wake().catch((e) => this.opts.onError?.(e));
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
  }

  /** Resolves when the work queued so far (wakes, restores, prunes) is done. */
  async whenIdle(): Promise<void> {
    let q: Promise<unknown>;
    do { q = this.queue; await q; } while (q !== this.queue);
  }

  /** Starts the timer (the first wake loads the store and runs the start-up re-scan). */
  start(): void { this.reschedule(); }

  /**
   * Does what is due now: captures whose quiet window ended, rate-limit retries, own writes the writer did
   * not record, the background re-scan, and retention. All entries go to the store in one transaction.
   */
  wake(): Promise<RecordedCapture[]> {
    return this.serial(async () => {
      if (this.disposed) return [];
      const store = await this.ensureLoaded();
      const now = this.now();
      const pendingEdits = () => new Set(this.policy.pendingCaptures().filter((p) => p.origin === 'edit').map((p) => p.artifactKey));
      let actions = this.policy.tick(now);
      // An own write's echo is captured once its grace has been processed. A user change that arrived between
      // the end of the grace and this wake is waiting for its own quiet window: capturing now would store the
      // user's edit under the writer's origin. The edit's capture will hold both.
      const edited = pendingEdits();
      actions = actions.filter((a) => a.origin === 'edit' || a.origin === 'rescan' || !edited.has(a.artifactKey));
      if (this.policy.rescanDue(now)) {
        const current = this.currentHashes();
        this.seedFromStore(store, current, now);
        actions = [...actions, ...this.policy.rescan(current, now)];
      }
      let recorded: RecordedCapture[] = [];
      try {
        // A re-scan that found nothing writes nothing: its time is saved with the next capture.
        if (actions.length > 0 || this.dirty) recorded = await this.persist(store, actions, now);
        this.retryNotBefore = 0;
      } catch (e) {
        // Nothing was kept: the artifacts go through a quiet window again once the store is usable.
        for (const a of actions) this.policy.noteChange(a.artifactKey, now);
        this.retryNotBefore = now + RETRY_AFTER_FAILURE_MS;
        this.reschedule();
        throw e;
      }
      // Every artifact acted on, recorded or not: a view showing it as pending must drop that row.
      this.fire([...recorded.map((r) => r.artifact.key), ...actions.map((a) => a.artifactKey)]);
      if (this.lastPruneAt === undefined || now - this.lastPruneAt >= (this.opts.pruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS)) {
        this.lastPruneAt = now;
        try { await this.pruneNow(store, false, now, true); } catch (e) { this.opts.onError?.(e); }
      }
      this.reschedule();
      return recorded;
    });
  }

  /** The current tree hash of every artifact of the project (what a re-scan compares). */
  private currentHashes(): Map<string, string> {
    const out = new Map<string, string>();
    for (const root of this.roots) {
      const rootDir = path.join(this.project, root);
      if (!fs.existsSync(rootDir)) continue;
      for (const a of discoverArtifacts(rootDir, this.hasher.exclusions)) {
        const h = this.hasher.hash(a.absPath);
        if (h) out.set(artifactKey(root, a.type, a.name), h.tree);
      }
    }
    return out;
  }

  /**
   * An artifact the policy has never seen (first run, a new folder) is compared with its newest stored version
   * (its deploy, a capture made by the CLI) so the first re-scan does not store a copy the store already has.
   */
  private seedFromStore(store: VersionStore, current: ReadonlyMap<string, string>, now: number): void {
    const known = this.policy.knownHashes();
    for (const key of current.keys()) {
      if (known.has(key)) continue;
      const latest = store.history(key, { project: this.project, limit: 20 }).find((v) => v.status !== 'rate_limited' && store.getTree(v.treeHash));
      // An own-write origin: it never takes a slot of the hourly limit and the entry is not stored.
      if (latest) this.policy.recordCapture(key, latest.treeHash, now, 'sync');
    }
  }

  /** Records the actions (and the policy state) in one transaction; returns what was recorded. */
  private async persist(store: VersionStore, actions: readonly CaptureAction[], now: number): Promise<RecordedCapture[]> {
    let snapshot: unknown;
    try {
      return await store.transact((s) => {
        snapshot = this.policy.toJSON();
        this.adopt(s);
        const out: RecordedCapture[] = [];
        for (const a of actions) {
          const r = this.recordOne(s, a.artifactKey, a.origin, now);
          if (r) out.push(r);
        }
        this.saveState(s);
        return out;
      });
    } catch (e) {
      // The policy must not believe in entries the store never kept (they would be skipped as duplicates).
      if (snapshot !== undefined) { this.policy = this.newPolicy(snapshot); this.rev = undefined; this.savedArtifacts.clear(); }
      throw e;
    }
  }

  private recordOne(s: VersionStore, key: string, origin: CaptureOrigin, now: number, note?: string, keepDuplicate = true): RecordedCapture | undefined {
    const loc = this.locate(key);
    if (!loc) return undefined;
    const h = this.hasher.hash(loc.absPath);
    if (!h) return undefined; // gone: the drift check reports it as deleted; there is no content to keep
    const unreadable = h.problems.filter((p) => p.code === 'unreadable-file');
    if (unreadable.length) {
      // Capturing part of an artifact would record a version that never existed.
      this.opts.onProblem?.(`${loc.absPath}: not captured, ${unreadable.map((p) => p.message).join('; ')}`);
      return undefined;
    }
    const entry = this.policy.recordCapture(key, h.tree, now, origin);
    // A duplicate of the product's own write is its watcher echo: it tells the user nothing.
    if (entry.status === 'skipped-duplicate' && (!keepDuplicate || isOwnWriteOrigin(origin))) return undefined;
    let treeHash = h.tree;
    // Only captured content goes to the blob store; a rate-limited entry records the hash alone.
    if (entry.status === 'captured') treeHash = s.putArtifact(loc.absPath, this.hasher.exclusions).treeHash;
    const supersedes = entry.supersedes !== undefined ? s.versionIdByCaptureId(entry.supersedes) : undefined;
    const versionId = s.addVersion({ artifactKey: key, treeHash, origin, status: entry.status, at: entry.at, supersedes, project: this.project, captureId: entry.id, note });
    return { entry: { ...entry, hash: treeHash }, versionId, artifact: loc };
  }

  // ---- commands ----

  /** Captures the artifacts now (all of the project's when `keys` is empty), without waiting for a quiet window. */
  captureNow(keys: readonly string[] = [], origin: CaptureOrigin = 'edit'): Promise<RecordedCapture[]> {
    return this.serial(async () => {
      const store = await this.ensureLoaded();
      const list = keys.length ? [...keys] : [...this.currentHashes().keys()];
      for (const k of list) { const l = this.locate(k); if (l) this.hasher.invalidate(l.absPath); }
      const now = this.now();
      this.seedFromStore(store, new Map(list.map((k) => [k, ''])), now);
      const recorded = await this.persist(store, list.map((k) => ({ kind: 'capture' as const, artifactKey: k, origin })), now);
      this.fire(recorded.map((r) => r.artifact.key));
      this.reschedule();
      return recorded;
    });
  }

  /** The history of one artifact in this project, newest first, with change sizes. */
  async history(key: string, opts: { limit?: number } = {}): Promise<HistoryEntry[]> {
    await this.ensureLoaded();
    return this.reader!.list(key, { project: this.project, limit: opts.limit });
  }

  /** A capture scheduled for the artifact but not yet due (shown as `pending`). */
  pending(key: string): PendingCapture | undefined {
    return this.policy.pendingCaptures().find((p) => p.artifactKey === key);
  }

  /** True while a write of the product to the artifact is settling: its grace has not ended or not yet been processed. */
  ownWriteActive(key: string): boolean {
    return !!this.policy.toJSON().artifacts[key]?.own;
  }

  /** The artifact's content now (files and tree hash), as captures see it; undefined when it does not exist. */
  currentHash(key: string): ArtifactHash | undefined {
    const loc = this.locate(key);
    return loc ? this.hasher.hash(loc.absPath) : undefined;
  }

  /** The store, once loaded (for reading versions' files). */
  async versionStore(): Promise<VersionStore> { return this.ensureLoaded(); }

  /** Pins or unpins a version; pinned versions are never pruned. */
  setPinned(versionId: number, pinned: boolean): Promise<boolean> {
    return this.serial(async () => {
      const store = await this.ensureLoaded();
      const v = store.version(versionId);
      const ok = await store.transact((s) => s.setPinned(versionId, pinned));
      if (ok && v) this.fire([v.artifactKey]);
      return ok;
    });
  }

  /**
   * Puts a stored version back in place. What is there now is captured first (origin `restore`), so the
   * restore can itself be undone; a skill directory is staged beside the original and swapped in by renames,
   * so a reader never sees half of it. Junk and excluded files in the current copy (not part of any version)
   * are carried over rather than deleted.
   */
  restore(key: string, versionId: number): Promise<RestoreResult> {
    return this.serial(async () => {
      const store = await this.ensureLoaded();
      const loc = this.locate(key);
      if (!loc) throw new CaptureError('bad-key', `"${key}" does not name an artifact (expected root:type:name)`);
      // 1. The current content is stored and committed before anything is replaced: a kill or a full disk
      //    after this point leaves it in the history, so the restore can always be taken back.
      const now = this.now();
      const prep = await store.transact((s) => {
        const v = s.version(versionId);
        if (!v) throw new CaptureError('not-found', `version #${versionId} is not in the version store (${s.indexFile}); list the versions with "skillmeat-sync history ${loc.name}"`);
        if (v.artifactKey !== key) throw new CaptureError('wrong-artifact', `version #${versionId} belongs to ${v.artifactKey}, not ${key}`);
        const tree = s.getTree(v.treeHash);
        if (!tree || v.status === 'rate_limited') {
          throw new CaptureError('not-stored', `version #${versionId} of ${loc.name} was ${v.status === 'rate_limited' ? 'rate-limited, so its content was never stored' : 'pruned from the version store'}; choose another version`);
        }
        this.adopt(s);
        this.policy.noteOwnWrite(key, now, 'restore');
        this.hasher.invalidate(loc.absPath);
        const current = this.hasher.hash(loc.absPath);
        let previousVersion: number | undefined;
        if (current && current.tree !== v.treeHash) {
          const keep = this.recordOne(s, key, 'restore', now, `before restoring #${versionId}`, false);
          if (keep?.entry.status === 'captured') previousVersion = keep.versionId;
          else previousVersion = s.history(key, { project: this.project }).find((x) => x.treeHash === current.tree && x.status !== 'rate_limited')?.id;
        }
        this.saveState(s);
        return { unchanged: current?.tree === v.treeHash, treeHash: v.treeHash, kind: tree.kind, previousVersion };
      });
      if (prep.unchanged) {
        this.fire([key]);
        this.reschedule();
        return { artifact: loc, restoredFrom: versionId, unchanged: true } satisfies RestoreResult;
      }
      // 2. The stored version goes into place (a skill directory staged beside it and swapped in by renames).
      this.policy.noteOwnWrite(key, this.now(), 'restore');
      this.writeVersion(store, prep.treeHash, prep.kind, loc.absPath);
      this.hasher.invalidate(loc.absPath);
      // 3. The restore itself becomes a version.
      const result = await store.transact((s) => {
        this.adopt(s);
        const after = this.recordOne(s, key, 'restore', now, `restored from #${versionId}`);
        this.policy.noteOwnWrite(key, now, 'restore'); // the watcher's echo of the swap belongs to the restore
        this.saveState(s);
        return { artifact: loc, restoredFrom: versionId, previousVersion: prep.previousVersion, restoredVersion: after?.versionId, unchanged: false } satisfies RestoreResult;
      });
      this.fire([key]);
      this.reschedule();
      return result;
    });
  }


  private writeVersion(s: VersionStore, treeHash: string, kind: 'dir' | 'file', dest: string): void {
    checkWritePath(this.project, dest);
    if (kind === 'file') { s.materialize(treeHash, dest); return; }
    const staged = siblingTemp(dest, 'restore');
    try {
      s.materialize(treeHash, staged);
      for (const e of walkArtifact(dest, this.hasher.exclusions) ?? []) {
        if (!e.junk || e.rel === '') continue;
        const to = path.join(staged, ...e.rel.split('/'));
        if (fs.existsSync(to)) continue;
        ensureDir(path.dirname(to));
        fs.copyFileSync(e.abs, to);
      }
      swapIntoPlace(staged, dest);
    } catch (e) {
      fs.rmSync(staged, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Applies retention to this project's capture records: older than the retention, not pinned, not the newest
   * capture of their artifact, and not holding content that is a deployment baseline or a sync snapshot.
   * Trees and blobs no remaining version uses are deleted with them.
   */
  prune(opts: { dryRun?: boolean } = {}): Promise<PruneResult> {
    return this.serial(async () => {
      const store = await this.ensureLoaded();
      const r = await this.pruneNow(store, !!opts.dryRun, this.now(), false);
      return r;
    });
  }

  private async pruneNow(store: VersionStore, dryRun: boolean, now: number, quiet: boolean): Promise<PruneResult> {
    const select = (s: VersionStore): CaptureEntry[] => {
      const entries: CaptureEntry[] = s.projectVersions(this.project).filter((v) => CAPTURE_RECORD_ORIGINS.has(v.origin)).map((v) => ({
        id: String(v.id), artifactKey: v.artifactKey, at: v.at, hash: v.treeHash, origin: v.origin as CaptureOrigin, status: v.status as CaptureStatus, pinned: v.pinned,
      }));
      return selectPrunableEntries(entries, now, this.settings.retentionMs, this.protectedHashes(s));
    };
    const describe = (sel: CaptureEntry[]) => sel.map((e) => ({ id: Number(e.id), artifactKey: e.artifactKey, at: e.at, origin: e.origin, status: e.status }));
    // Select without writing first: most runs find nothing, and a transaction rewrites the whole index.
    await store.reload();
    const preview = select(store);
    if (dryRun || (preview.length === 0 && quiet)) return { entries: describe(preview) };
    const result = await store.transact((s) => {
      const sel = select(s);
      const deleted = s.deleteVersions(sel.map((e) => Number(e.id)));
      // Content a killed prune (or failed transaction) left after its index commit goes too, on an explicit prune.
      if (!quiet) { const swept = s.sweepUnreferencedBlobs(); deleted.blobs += swept.blobs; deleted.blobBytes += swept.blobBytes; }
      // A VACUUM means a new snapshot of the whole index: worth it only once deletions left much free space.
      if (deleted.versions > 0 && s.freePageRatio() > COMPACT_FREE_RATIO) s.compact();
      return { entries: describe(sel), deleted };
    });
    if (!quiet || result.entries.length) this.fire(result.entries.map((e) => e.artifactKey));
    return result;
  }

  /**
   * Content that must outlive retention: every deployment baseline of the project (by our tree hash and by
   * SkillMeat's content hash), every sync/deploy snapshot and every pinned version.
   */
  private protectedHashes(s: VersionStore): Set<string> {
    const out = s.treeHashesOf({ origins: SNAPSHOT_ORIGINS, pinned: true });
    for (const root of PROFILE_ROOTS) {
      const rootDir = path.join(this.project, root);
      let views;
      try { views = readRecords(rootDir).records.map(viewRecord); } catch (e) {
        if (!(e instanceof RecordsParseError)) throw e;
        // Without the records the baselines are unknown; deleting now could delete one.
        throw new CaptureError('records-unreadable', `${path.join(rootDir, RECORDS_FILE)} cannot be parsed, so nothing was pruned (its baselines are unknown). Fix the file and prune again. ${e.message}`);
      }
      for (const v of views) {
        if (v.treeHash) out.add(v.treeHash);
        const t = v.contentHash ? s.treeByContentHash(v.contentHash) : undefined;
        if (t) out.add(t.treeHash);
      }
    }
    return out;
  }

  /** Stops the timer; pending quiet windows are caught by the next start's re-scan. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.opts.scheduler?.clear(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }
}
