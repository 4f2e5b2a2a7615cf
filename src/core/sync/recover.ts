// Finishing operations an earlier process did not finish (killed, Ctrl-C, power loss), at the next start of the CLI
// or the extension. Every multi-file operation (update, pull, merge, undo, deploy, undeploy) records its intent in
// the version store before it writes (a "pending" journal: the paths with their trees before and after, the
// records and lock entries with their text before). core/store/recovery first makes each path whole again (the
// copies set aside put back, staging removed); then, for each pending journal of a process that is gone:
//   - an operation that reached its commit point is rolled forward: only the journal is dropped (a deploy whose
//     record already names what it placed; an undeploy whose record is gone);
//   - anything else is rolled back: every path it replaced gets its version from before (from the store; the
//     current content is stored first, so nothing is lost), and its records and lock entries are put back one by
//     one (another writer's records are kept).
// Afterwards each artifact is entirely old or entirely new and its record agrees with it.
import * as path from 'node:path';
import { readRecords, viewRecord } from '../store/deploymentRecords';
import { pidAlive, type LockOptions } from '../store/fsutil';
import type { VersionStore } from '../store/versionStore';
import type { ArtifactHasher } from '../drift/hashing';
import { dropPendingJournal, pendingJournals, type SyncJournal } from './transaction';
import { undoJournal, type UndoResult } from './undo';

export interface InterruptedOperation {
  journal: Pick<SyncJournal, 'id' | 'operation' | 'at' | 'pid' | 'artifacts'>;
  /** `rolled-back`: its writes were undone; `completed`: it had finished its writes (only the journal was left). */
  outcome: 'rolled-back' | 'completed' | 'failed';
  message?: string;
  result?: UndoResult;
}

/** True when a deploy or undeploy had written its record: the operation is complete. */
function reachedCommit(j: SyncJournal): boolean {
  if (j.operation !== 'deploy' && j.operation !== 'undeploy') return false; // syncs commit in the store itself
  const change = j.shared[0]?.records[0];
  const target = j.paths[0];
  if (!change || !target) return false;
  let views;
  try { views = readRecords(path.dirname(j.shared[0].file)).records.map(viewRecord); } catch { return false; }
  const rec = views.find((v) => !v.invalid && v.type === change.type && v.relPath === change.relPath);
  return j.operation === 'deploy' ? rec?.treeHash === target.afterTree : rec === undefined;
}

/**
 * Rolls every interrupted operation of `project` forward or back (see the header). Operations of live processes
 * are left alone. Returns what it did, for the user to be told.
 */
export async function recoverInterruptedOperations(o: { project: string; store: VersionStore; lock?: LockOptions; hasher?: ArtifactHasher }): Promise<InterruptedOperation[]> {
  const project = path.resolve(o.project);
  const out: InterruptedOperation[] = [];
  const dead = (j: SyncJournal) => !!j.pid && j.pid !== process.pid && !pidAlive(j.pid);
  // Newest first: a later operation may have written over what an earlier one wrote.
  // Read inside a transaction: the index is brought up to date with other processes' writes first.
  const pending = await o.store.transact((s) => pendingJournals(s, project));
  for (const j of [...pending].reverse()) {
    if (!dead(j)) continue;
    const journal = { id: j.id, operation: j.operation, at: j.at, pid: j.pid, artifacts: j.artifacts };
    if (reachedCommit(j)) {
      await o.store.transact((s) => dropPendingJournal(s, project, j.id));
      out.push({ journal, outcome: 'completed' });
      continue;
    }
    // Forced: a path changed after the kill is stored first, then put back like the rest.
    const result = await undoJournal({ project, store: o.store, force: true, lock: o.lock, hasher: o.hasher }, j);
    out.push({ journal, outcome: result.status === 'undone' ? 'rolled-back' : 'failed', result, ...(result.error ? { message: result.error.message } : {}) });
  }
  return out;
}

/** One line per interrupted operation, for the CLI's stderr and the extension's log. */
export function describeRecovery(r: InterruptedOperation): string {
  const what = `${r.journal.operation} of ${r.journal.artifacts.map((a) => `${a.type} "${a.name}"`).join(', ')} started at ${r.journal.at}${r.journal.pid ? ` (process ${r.journal.pid})` : ''}`;
  if (r.outcome === 'completed') return `recovered: the ${what} had finished its writes; nothing to put back`;
  if (r.outcome === 'rolled-back') return `recovered: the ${what} was interrupted; everything it had written was put back (run it again to finish it)`;
  return `warning: the ${what} was interrupted and could not be put back: ${r.message ?? 'unknown error'}`;
}
