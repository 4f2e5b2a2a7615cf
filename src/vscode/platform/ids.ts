// Command ids, view ids, context keys and settings in one typed table (no stray strings elsewhere).
export const VIEW_CONTAINER = 'skillmeatSync';
export const VIEWS = { drift: 'skillmeatSync.drift' } as const;

export const COMMANDS = {
  refresh: 'skillmeatSync.refresh',
  checkDrift: 'skillmeatSync.checkDrift',
  deploy: 'skillmeatSync.deploy',
  undeploy: 'skillmeatSync.undeploy',
  openDiff: 'skillmeatSync.openDiff',
  openDiffWithCollection: 'skillmeatSync.openDiffWithCollection',
  openCollectionCopy: 'skillmeatSync.openCollectionCopy',
  openRecordsFile: 'skillmeatSync.openRecordsFile',
  selectCollection: 'skillmeatSync.selectCollection',
  showLog: 'skillmeatSync.showLog',
  revealInExplorer: 'skillmeatSync.revealInExplorer',
  copyPath: 'skillmeatSync.copyPath',
  retry: 'skillmeatSync.retryLastOperation',
  focusView: 'skillmeatSync.drift.focus',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const CONTEXT = {
  hasRoots: 'skillmeatSync.hasProfileRoots',
  hasCollection: 'skillmeatSync.hasCollection',
  checked: 'skillmeatSync.checked',
  /** An operation failed and can be retried (the status bar shows Error). */
  operationFailed: 'skillmeatSync.operationFailed',
} as const;

export const SETTINGS = {
  section: 'skillmeatSync',
  collectionPath: 'collectionPath',
  profileRoots: 'profileRoots',
  exclude: 'exclude',
  autoRefresh: 'autoRefresh',
} as const;

/** URI scheme of the read-only virtual documents (baseline / collection versions). */
export const CONTENT_SCHEME = 'skillmeat-sync';
/** URI scheme used only to hang colour decorations on tree items. */
export const DECORATION_SCHEME = 'skillmeat-sync-state';

// SYNC.json generators (issue 5). A table of their own, so the drift commands' typed handler table in
// commands.ts does not have to know about them.
export const GENERATOR_VIEW = 'skillmeatSync.generators';

export const GENERATOR_COMMANDS = {
  refresh: 'skillmeatSync.generators.refresh',
  list: 'skillmeatSync.generators.list',
  validate: 'skillmeatSync.generators.validate',
  generate: 'skillmeatSync.generators.generate',
  generateItem: 'skillmeatSync.generators.generateItem',
  openOutput: 'skillmeatSync.generators.openOutput',
  openManifest: 'skillmeatSync.generators.openManifest',
  showLastLog: 'skillmeatSync.generators.showLastLog',
} as const;
export type GeneratorCommandId = (typeof GENERATOR_COMMANDS)[keyof typeof GENERATOR_COMMANDS];

/** Encrypted backups of a folder's generator state (the CLI's `state export` / `state import`). */
export const STATE_BACKUP_COMMANDS = {
  exportBackup: 'skillmeatSync.state.exportBackup',
  importBackup: 'skillmeatSync.state.importBackup',
} as const;

export const GENERATOR_CONTEXT = {
  checked: 'skillmeatSync.generators.checked',
} as const;

export const GENERATOR_SETTINGS = {
  section: 'skillmeatSync.generators',
  extraSkillDirs: 'extraSkillDirs',
  allowedOutputDirs: 'allowedOutputDirs',
  timeoutSeconds: 'timeoutSeconds',
  autoRegenerate: 'autoRegenerate',
  stateDatabase: 'stateDatabase',
  dataRoot: 'dataRoot',
  allowGeneratorsOutsideSkill: 'allowGeneratorsOutsideSkill',
} as const;

/** Task type of the generator tasks (`tasks.json`: `{ "type": "skillmeat-sync", "skill": "…" }`). */
export const GENERATOR_TASK_TYPE = 'skillmeat-sync';
/** URI scheme of the read-only "last log" documents of generators. */
export const GENERATOR_LOG_SCHEME = 'skillmeat-sync-generator-log';
/** Read-only documents of the values an import shows side by side. */
export const STATE_BACKUP_SCHEME = 'skillmeat-sync-backup-value';

// Capture and history (issue 6). A table of their own, like the generators', so commands.ts's typed table
// does not have to know about them.
export const HISTORY_VIEW = 'skillmeatSync.history';

export const HISTORY_COMMANDS = {
  showHistory: 'skillmeatSync.showHistory',
  refresh: 'skillmeatSync.history.refresh',
  captureNow: 'skillmeatSync.history.captureNow',
  compareWithCurrent: 'skillmeatSync.history.compareWithCurrent',
  compareWithPrevious: 'skillmeatSync.history.compareWithPrevious',
  compareWithBaseline: 'skillmeatSync.history.compareWithBaseline',
  restore: 'skillmeatSync.history.restore',
  pin: 'skillmeatSync.history.pin',
  unpin: 'skillmeatSync.history.unpin',
  prune: 'skillmeatSync.history.prune',
} as const;
export type HistoryCommandId = (typeof HISTORY_COMMANDS)[keyof typeof HISTORY_COMMANDS];

export const HISTORY_CONTEXT = {
  /** True while the History view shows an artifact. */
  hasArtifact: 'skillmeatSync.history.hasArtifact',
} as const;

export const CAPTURE_SETTINGS = {
  section: 'skillmeatSync.capture',
  enabled: 'enabled',
  quietWindowSeconds: 'quietWindowSeconds',
  maxPerHour: 'maxPerHour',
  rescanMinutes: 'rescanMinutes',
  retentionDays: 'retentionDays',
} as const;

/** URI scheme of the read-only documents of stored versions (History view diffs). */
export const VERSION_SCHEME = 'skillmeat-sync-version';
/** URI scheme used only to dim History view rows (rate-limited, duplicate, pending). */
export const HISTORY_DECORATION_SCHEME = 'skillmeat-sync-history';

// Sync (issue 4): update / pull / merge / fork / undo and the merge editor. A table of their own, like the
// generators', so the drift commands' typed handler table in commands.ts stays as it is.
export const SYNC_COMMANDS = {
  update: 'skillmeatSync.update',
  pull: 'skillmeatSync.pull',
  merge: 'skillmeatSync.merge',
  fork: 'skillmeatSync.fork',
  undo: 'skillmeatSync.undoLastSync',
  acceptMerge: 'skillmeatSync.acceptMerge',
  revokeConsent: 'skillmeatSync.revokeCollectionConsent',
  discardQueued: 'skillmeatSync.discardQueuedOperations',
} as const;
export type SyncCommandId = (typeof SYNC_COMMANDS)[keyof typeof SYNC_COMMANDS];

export const SYNC_CONTEXT = {
  /** True while the active editor is a merge editor whose result is one of this extension's pending merges. */
  mergeResultActive: 'skillmeatSync.mergeResultActive',
} as const;

/** URI scheme of the read-only sides (base, collection, project) shown in the merge editor. */
export const MERGE_SIDE_SCHEME = 'skillmeat-sync-merge';
/** URI scheme of the merge editor's result documents: writable, held in memory until "Accept Merge". */
export const MERGE_RESULT_SCHEME = 'skillmeat-sync-merge-result';
