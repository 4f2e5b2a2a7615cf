// The product's vocabulary: artifacts, profile roots, drift states and the report a check returns.

/** Artifact types the product syncs. */
export type ArtifactType = 'skill' | 'command' | 'agent';
export const ARTIFACT_TYPES: readonly ArtifactType[] = ['skill', 'command', 'agent'];

/**
 * SkillMeat's context entities: single files (`CLAUDE.md`, `.claude/specs/x.md`…) whose collection copy is a row
 * of SkillMeat's cache database, not a file of the collection folder. Checked and updated like a command; never
 * pulled (SkillMeat Sync does not write SkillMeat's database).
 */
export type ContextType = 'spec_file' | 'rule_file' | 'context_file' | 'project_config' | 'progress_template';
export const CONTEXT_TYPES: readonly ContextType[] = ['spec_file', 'rule_file', 'context_file', 'project_config', 'progress_template'];
export function isContextType(t: string): t is ContextType {
  return (CONTEXT_TYPES as readonly string[]).includes(t);
}

/** Every type the drift report lists: the artifacts, and SkillMeat's context entities. */
export type SyncedType = ArtifactType | ContextType;

/** Record types SkillMeat may write; `hook` and `mcp` are read and kept but never synced. */
export type RecordType = SyncedType | 'hook' | 'mcp';

/** Profile roots, in the order they are reported. `.claude` is the default. */
export const PROFILE_ROOTS: readonly string[] = ['.claude', '.codex', '.gemini', '.cursor'];
export const DEFAULT_ROOT = '.claude';

/** Sub-directory of a root / collection for each type. */
export const TYPE_DIRS: Record<ArtifactType, string> = { skill: 'skills', command: 'commands', agent: 'agents' };

/**
 * True for a name that stays inside its type's folder wherever it is used as a path: a skill or an agent is one
 * path segment, a command one or more (`git/sync`); no segment is empty, `.` or `..`, and none holds a
 * backslash, a NUL or another control character (a record's name is input: it must not write elsewhere).
 */
export function isSafeArtifactName(type: ArtifactType, name: string): boolean {
  const segments = name.split('/');
  if (type !== 'command' && segments.length !== 1) return false;
  return segments.every((s) => s !== '' && s !== '.' && s !== '..' && !/[\\\u0000-\u001f\u007f]/.test(s));
}

/**
 * The drift states of SPEC §4, as written in JSON: the ten of its table, and `unreachable` for an artifact
 * whose collection could not be read (the check could not look, so it says so instead of guessing), and `merging` for
 * a conflicting merge written into the project copy with conflict markers (`--markers`) and not yet resolved.
 */
export type DriftState =
  | 'in-sync' | 'modified' | 'outdated' | 'conflict' | 'converged'
  | 'added' | 'removed' | 'deleted' | 'untracked' | 'invalid' | 'unreachable' | 'merging';

/** Every state, in the order reports list them: what could not be checked first, then what needs attention. */
export const DRIFT_STATES: readonly DriftState[] = [
  'unreachable', 'merging', 'conflict', 'modified', 'outdated', 'deleted', 'removed', 'invalid', 'converged', 'added', 'untracked', 'in-sync',
];

/** States that count as divergence for exit codes, badges and the status bar. */
export const DIVERGED_STATES: ReadonlySet<DriftState> = new Set(['modified', 'outdated', 'conflict', 'merging', 'removed', 'deleted', 'invalid']);
/** States `check --strict` also counts. */
export const STRICT_EXTRA_STATES: ReadonlySet<DriftState> = new Set(['added', 'untracked', 'converged']);

export function isDiverged(state: DriftState, strict = false): boolean {
  return DIVERGED_STATES.has(state) || (strict && STRICT_EXTRA_STATES.has(state));
}

/** States a check could not judge: they are neither drift nor "nothing diverged", and make `check` exit 2. */
export const UNCHECKED_STATES: ReadonlySet<DriftState> = new Set(['unreachable']);

/** One file inside an artifact that differs between two sides (path relative to the artifact). */
export interface FileChange {
  path: string;
  change: 'modified' | 'added' | 'deleted';
}

/** Drift of one artifact in one profile root. Hashes are the product's tree hashes (sha256 hex). */
export interface ArtifactDrift {
  type: SyncedType;
  /** Name as Claude Code shows it; namespaced commands are `ns/name`. */
  name: string;
  /** Profile root, e.g. `.claude`. */
  root: string;
  state: DriftState;
  collectionHash: string | null;
  projectHash: string | null;
  /** The deployed baseline: our tree hash when known, else the record's `content_hash`. */
  baselineHash: string | null;
  recommendation: string;
  /** Path relative to the profile root / collection, e.g. `skills/review` or `commands/ns/x.md`. */
  relPath: string;
  /** Absolute paths of the two sides (present or where they would be). */
  projectPath: string;
  collectionPath: string | null;
  /**
   * A context entity's collection copy: a row of SkillMeat's cache database (its `collectionPath` is null, there is
   * no file).
   */
  contextRow?: { db: string; id: string };
  /** Name of the collection the record (or the default) points at. */
  collectionName: string | null;
  /** The record's `deployed_at`, when deployed. */
  deployedAt?: string;
  /** The record's SkillMeat `content_hash`, when deployed. */
  recordContentHash?: string;
  /** True when the baseline could not be compared (e.g. an enterprise version string). */
  baselineUnknown?: boolean;
  /**
   * Files that differ: project vs baseline (or vs collection when the baseline's files are unknown); for
   * an outdated artifact, collection vs baseline.
   */
  files?: FileChange[];
  /** Why the artifact is invalid, or another note for the user. */
  detail?: string;
  /**
   * Set when the collection is a git work tree behind its upstream and the upstream (as of the last fetch) holds
   * another version of this artifact: the upstream ref (`origin/main`) and its version's tree hash (null: gone there).
   */
  upstream?: { ref: string; hash: string | null };
}

/**
 * Where a collection that is a git work tree stands (read-only: `git status`, no fetch). Ahead / behind count
 * against the remote-tracking ref as of the last fetch.
 */
export interface CollectionGitState {
  /** Top level of the work tree. */
  root: string;
  /** The collection's folder inside it (POSIX; '' when the collection is the top level). */
  prefix: string;
  /** Undefined when HEAD is detached. */
  branch?: string;
  head?: string;
  /** `origin/main`; undefined when the branch tracks nothing. */
  upstream?: string;
  /** False when the upstream is configured but its ref was never fetched (or is gone): ahead / behind are unknown. */
  upstreamKnown: boolean;
  ahead: number;
  behind: number;
  /** Uncommitted changes (staged, unstaged, untracked) below the collection folder, relative to it (POSIX). */
  dirty: string[];
}

export type WarningCode =
  | 'name-collision' | 'unreadable-file' | 'symlink-skipped' | 'collection-missing' | 'record-invalid'
  | 'records-unreadable' | 'store-unavailable' | 'unmanaged-record' | 'baseline-unknown' | 'project-missing';

/** Something the user should see that is not a drift state. Always names the file. */
export interface CheckWarning {
  code: WarningCode;
  message: string;
  file?: string;
}

/** A `hook` / `mcp` record: kept and reported, never synced. */
export interface UnmanagedRecord {
  type: string;
  name: string;
  root: string;
  recordFile: string;
}

export interface DriftReport {
  project: string;
  /**
   * Collections consulted: name → absolute path and whether it was reachable. `required` when the check needs
   * it: the caller named it (`--collection`, the setting) or a deployment record points at it. The default
   * collection consulted only for `added` artifacts is not required: without it those are merely not listed.
   */
  collections: { name: string; path: string; reachable: boolean; required?: boolean; git?: CollectionGitState }[];
  artifacts: ArtifactDrift[];
  unmanaged: UnmanagedRecord[];
  warnings: CheckWarning[];
  /**
   * What stopped the check from looking: a project folder that does not exist, a records file that cannot be
   * parsed (its records are reported as `invalid`, by name where the text allows). Each names its file.
   */
  errors: CheckWarning[];
  checkedAt: string;
  durationMs: number;
  /**
   * Set on a report given while a check is still hashing (checkDriftPrepared's onPartial): it lists only the
   * artifacts whose every side is already hashed, and says nothing about the others. Never a conclusion.
   */
  partial?: { known: number; total: number };
}

/** Counts per state, for badges and summaries. */
export function countStates(report: Pick<DriftReport, 'artifacts'>): Record<DriftState, number> {
  const counts = Object.fromEntries(DRIFT_STATES.map((s) => [s, 0])) as Record<DriftState, number>;
  for (const a of report.artifacts) counts[a.state]++;
  return counts;
}

/** Number of artifacts needing attention (divergence, SPEC §4). */
export function divergedCount(report: Pick<DriftReport, 'artifacts'>, strict = false): number {
  return report.artifacts.filter((a) => isDiverged(a.state, strict)).length;
}

/**
 * Why a check is incomplete, if it is: errors (a missing project, an unreadable records file), artifacts whose
 * collection could not be read, or the explicitly named collection being unreachable. Empty when it looked at
 * everything. A check that is incomplete exits 2 and never says "nothing diverged".
 */
export function incompleteCheck(report: Pick<DriftReport, 'artifacts' | 'errors' | 'collections'>): { errors: number; unreachable: number; collections: string[] } | undefined {
  const unreachable = report.artifacts.filter((a) => UNCHECKED_STATES.has(a.state)).length;
  const collections = report.collections.filter((c) => !c.reachable && c.required).map((c) => c.path);
  if (!report.errors.length && !unreachable && !collections.length) return undefined;
  return { errors: report.errors.length, unreachable, collections };
}

/** A stable key for an artifact in a root: `.claude:skill:review`. */
export function artifactKey(root: string, type: SyncedType, name: string): string {
  return `${root}:${type}:${name}`;
}
