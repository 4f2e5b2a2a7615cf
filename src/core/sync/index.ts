// Sync (SPEC §5): `update` brings collection changes into the project, `pull` brings project changes into
// the collection, each with a strategy — overwrite, three-way merge, fork, or prompt (ask per artifact).
// Nothing is lost on either side: the versions a sync replaces go to the version store first, a failure
// part-way puts every artifact of the sync back, and `undoLastSync` restores the last one.
//
// A sync runs in four steps (plan.ts, then execute.ts): plan every artifact (read both sides, merge in memory, ask the user) without
// writing anything — that is also the dry run; store the versions about to be replaced and a pending
// journal; write artifact by artifact (files, then the record, then collection.lock), checking first that
// neither side changed since it was read; journal the finished sync for undo (undo.ts undoes it). The VS Code glue calls
// `runSync` and, for each artifact left in conflict, `completeMerge` once the user has resolved its files.
export type { ConflictFile, MergedFile, BaseSource } from './artifactMerge';
export type { Side, SyncJournal } from './transaction';
export { hasConflictMarkers } from './content';
export * from './types';
export { runSync, completeMerge, type CompleteMergeOptions } from './execute';
export { undoLastSync, type UndoOptions, type UndoResult } from './undo';
export { mergesInProgress, findMergeInProgress, markersLeft, resolveMergeInProgress, abortMergeInProgress, type MergeInProgress, type ResolveOptions } from './resolve';
export { markerLines } from './markers';
