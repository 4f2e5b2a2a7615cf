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
  selectCollection: 'skillmeatSync.selectCollection',
  showLog: 'skillmeatSync.showLog',
  revealInExplorer: 'skillmeatSync.revealInExplorer',
  copyPath: 'skillmeatSync.copyPath',
  focusView: 'skillmeatSync.drift.focus',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const CONTEXT = {
  hasRoots: 'skillmeatSync.hasProfileRoots',
  hasCollection: 'skillmeatSync.hasCollection',
  checked: 'skillmeatSync.checked',
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
