// The sync's vocabulary: directions, strategies, results, progress and the options of a run (SPEC §5);
// and the plan the planner hands the executor, artifact by artifact.
import type { ArtifactDrift, ArtifactType, DriftState, SyncedType, FileChange } from '../model';
import type { SecretFinding } from '../privacy/secrets';
import type { RecordView } from '../store/deploymentRecords';
import type { ArtifactHasher, ExclusionMatcher } from '../drift/hashing';
import type { LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import type { ArtifactContent, ContentHashes } from './content';
import type { BaseSource, ConflictFile, MergedFile } from './artifactMerge';
import type { Side } from './transaction';
import type { BaseFinder } from './baseFinders';

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
export interface ArtifactRef { type: SyncedType; name: string; root: string }

/** What `prompt` shows before asking: the merge the user would get. */
export interface PromptPreview {
  direction: SyncDirection;
  /** `baseOrigin`: where a finder found the base ("SkillMeat snapshot …"), said with the question. */
  merge: { clean: boolean; conflictFiles: string[]; baseUnknown: boolean; baseOrigin?: string };
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
  /** Where a finder found the base ("SkillMeat snapshot …", "commit abc1234"). */
  baseOrigin?: string;
  baseUnknown: boolean;
  /** SkillMeat content hash of the base (becomes `merge_base_snapshot`). */
  baseContentHash?: string;
  /** Completing writes both sides (the `Merge…` command) instead of only the direction's target. */
  bothSides?: boolean;
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
  /**
   * `planned`: dry run. `conflict`: nothing written, see `conflicts` / `pendingMerge`. `merging`: the merge was
   * written into the project copy with conflict markers (`markers`); `resolve` finishes it.
   */
  status: 'synced' | 'conflict' | 'merging' | 'skipped' | 'planned' | 'failed';
  choice?: PromptChoice;
  writes: PlannedWrite[];
  /** Deployment records that change: the artifact's own (`update`) or a fork's (`add`). */
  recordChanges: { recordsFile: string; name: string; change: 'update' | 'add' }[];
  /** `collection.lock` files whose entry changes. */
  lockFiles: string[];
  forkName?: string;
  baseSource?: BaseSource;
  /** Where a finder found the base ("SkillMeat snapshot …", "commit abc1234"): said to the user. */
  baseOrigin?: string;
  /** True when the merge had no base: every difference is a conflict. */
  baseUnknown?: boolean;
  /** Why skipped, failed, or why the base is unknown. */
  reason?: string;
  /** Possible secrets in the files this artifact would write into the collection (value masked). */
  secretFindings?: SecretFinding[];
  conflicts?: ConflictFile[];
  pendingMerge?: PendingMerge;
  /** `--markers`: the project copy written with conflict markers, and what it held before (tree hashes). */
  markers?: { beforeTree: string; markersTree: string };
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
  /** Possible secrets in files the sync would write into the collection (the value masked); see allowSecrets. */
  secretFindings?: SecretFinding[];
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
  constructor(readonly code: 'changed-during-sync' | 'record-missing' | 'fork-taken' | 'unresolved' | 'markers-left' | 'stale-merge' | 'bad-resolution' | 'sync-running' | 'version-missing' | 'not-merging', message: string) {
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
  type?: SyncedType;
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
  /**
   * Merge only: write a clean merge to both sides and make it the baseline (the `Merge…` command). Default: the
   * sync goes only where it was asked (SPEC §5) — update writes the project, pull the collection, and the
   * baseline becomes the version just integrated, so the other side's edits stay visible as drift.
   */
  bothSides?: boolean;
  /**
   * Merge only: an artifact whose merge conflicts is written into the project copy (never the collection) with
   * git-style conflict markers and remembered as a merge in progress (drift state `merging`) until `resolve`.
   */
  markers?: boolean;
  /** Where to look for a merge base the version store does not hold (default: SkillMeat's snapshots, git history). */
  baseFinders?: readonly BaseFinder[];
  /**
   * Write into the collection even when the secret scan finds something (SPEC §8): the CLI's --allow-secrets, the
   * extension's "Allow Once". Default: findings refuse the whole sync (status failed, code secrets-found).
   */
  allowSecrets?: boolean;
  /** Called as the sync moves on, for a progress indicator. */
  onProgress?: (p: SyncProgress) => void;
  hasher?: ArtifactHasher;
  now?: () => Date;
  lock?: LockOptions;
  faults?: SyncFaults;
}

// ---- the plan of one artifact (planned by plan.ts, carried out by execute.ts) ----

/** One artifact written: `root` is the project or the collection directory it must stay inside. */
export interface WriteOp { side: Side; root: string; path: string; content: ArtifactContent; hashes: ContentHashes; beforeTree: string | null; artifactKey: string }
export interface RecordOp {
  rootDir: string; type: SyncedType; name: string; relPath: string; root: string; collectionName: string;
  baseline: ContentHashes; localModifications: boolean; isNew: boolean; beforeText: string | null;
  /** The artifact in the collection; with the project copy, where SkillMeat's hash of the baseline is taken after the writes. */
  collectionPath: string;
}
export interface LockOp { collectionDir: string; name: string; type: ArtifactType; path: string; beforeHash: string | null }
export interface StoreOp { artifactKey: string; content: ArtifactContent; origin: 'pre-sync' | 'sync'; note: string }

export interface ArtifactPlan {
  ref: ArtifactRef;
  result: ArtifactSyncResult;
  verify: { path: string; tree: string | null }[];
  writes: WriteOp[];
  records: RecordOp[];
  locks: LockOp[];
  stores: StoreOp[];
}

export interface Ctx {
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
  /** See SyncOptions.allowSecrets. */
  allowSecrets: boolean;
  /** Where to look for a merge base the store does not hold (see baseFinders.ts). */
  baseFinders: readonly BaseFinder[];
}
