// The offline-first loop of one project (issue 14): drift checks move the state machine (Offline when the
// collection cannot be read, back when it can), updates and pulls asked for while Offline go to the persisted
// queue, and on reconnect each queued operation is re-planned against the drift as it is now — if the side it
// writes changed since it was asked, it becomes a Conflict for the user, never a silent overwrite — then run.
// Failures retry with exponential backoff. The clock is injected and no timer is set here: the glue (VS Code,
// `skillmeat-sync watch`, a test) asks `nextWakeAt()` and calls `tick()` then.
import { sameArtifact, type OfflineQueue, type QueuedOperation, type QueuedStrategy } from './queue';
import { accepts, initialSnapshot, transition, type SyncEvent, type SyncSnapshot } from './syncState';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import { artifactKey, type ArtifactDrift, type DriftReport } from '../model';
import type { SyncDirection, SyncResult } from '../sync/types';

export interface OfflineSyncOptions {
  queue: OfflineQueue;
  /** The clock, in ms since the epoch. */
  now: () => number;
  backoff?: BackoffPolicy;
  /** Runs one queued operation (the glue's way: through the operations service in VS Code, `runSync` in the CLI). */
  run: (op: QueuedOperation) => Promise<SyncResult>;
  /** A drift report of the project made now, verifying every artifact (before re-planning, after each operation). */
  check: () => Promise<DriftReport>;
  /** Every change of state (not a self-transition), with the event that caused it. */
  onTransition?: (t: { from: SyncSnapshot; to: SyncSnapshot; event: SyncEvent }) => void;
  /** What became of each queued operation that ran or was refused on reconnect. */
  onOutcome?: (o: QueuedOutcome) => void;
}

/** The end of one queued operation's attempt. */
export interface QueuedOutcome {
  op: QueuedOperation;
  /** `applied`: it ran (or had nothing left to do: `detail` says so); `conflict`: the user decides; `failed`: it will be retried. */
  outcome: 'applied' | 'conflict' | 'failed';
  detail?: string;
  result?: SyncResult;
}

/** True when the report could not read a collection it needed: the project is Offline. */
export function isOffline(report: Pick<DriftReport, 'artifacts' | 'collections'>): boolean {
  return report.artifacts.some((a) => a.state === 'unreachable') || report.collections.some((c) => c.required && !c.reachable);
}

/** Artifacts in conflict in a report (drift conflicts and merges in progress). */
export function driftConflicts(report: Pick<DriftReport, 'artifacts'>): number {
  return report.artifacts.filter((a) => a.state === 'conflict' || a.state === 'merging').length;
}

const COLLECTION_CHANGED: ReadonlySet<string> = new Set(['outdated', 'conflict', 'removed']);

/**
 * Whether the side a queued operation writes changed since it was asked for (the re-planning of issue 14); a
 * sentence naming what changed, or undefined when it may run. Update writes the project: its copy must be the
 * one the user saw. Pull writes the collection: its copy must be the one last seen, or — never seen since the
 * deploy — still the deployed baseline.
 */
export function staleReason(op: QueuedOperation, a: ArtifactDrift | undefined): string | undefined {
  const what = `${op.artifact.type} ${op.artifact.name} (${op.artifact.root})`;
  if (!a) return `${what} is no longer deployed in the project; nothing was synced`;
  if (op.direction === 'update') {
    if (a.projectHash !== op.expect.project) return `the project copy of ${what} (${a.projectPath}) changed after the update was queued at ${op.askedAt}; update it again to choose what to keep`;
    return undefined;
  }
  const changed = op.expect.collection !== null ? a.collectionHash !== op.expect.collection : COLLECTION_CHANGED.has(a.state);
  if (changed) return `the collection copy of ${what} (${a.collectionPath ?? 'its collection'}) changed while the pull was queued (asked at ${op.askedAt}); pull it again to choose what to keep`;
  return undefined;
}

/**
 * The queue entry for an update or a pull of `a` asked for at `now`: against the project copy the user sees, and
 * the collection copy as last seen (`seenCollection`, from a check that could read it; null: the baseline).
 */
export function queuedRequest(direction: SyncDirection, strategy: QueuedStrategy, a: ArtifactDrift, now: number, seenCollection?: string | null): Omit<QueuedOperation, 'id' | 'status' | 'attempts'> {
  return {
    direction, strategy, artifact: { type: a.type, name: a.name, root: a.root }, askedAt: new Date(now).toISOString(),
    expect: { project: a.projectHash, collection: a.collectionHash ?? seenCollection ?? null },
  };
}

/** How the result of running a queued operation ends it. */
function judge(op: QueuedOperation, r: SyncResult): { outcome: QueuedOutcome['outcome']; detail?: string } {
  // A refusal the same operation would meet again is for the user, not for a retry.
  if (r.status === 'failed' && (r.error?.code === 'secrets-found' || r.error?.code === 'not-found')) return { outcome: 'conflict', detail: r.error.message };
  const a = r.artifacts.find((x) => sameArtifact(x, op.artifact));
  if (r.status === 'failed' || a?.status === 'failed') return { outcome: 'failed', detail: r.error?.message ?? a?.reason ?? 'the sync failed' };
  if (a?.status === 'conflict' || a?.status === 'merging') {
    const files = a.conflicts?.map((c) => c.targetPath).join(', ');
    return { outcome: 'conflict', detail: `the ${op.direction} of ${op.artifact.name} conflicts${files ? ` in ${files}` : ''}; resolve the merge` };
  }
  return { outcome: 'applied', ...(a?.status === 'skipped' && a.reason ? { detail: a.reason } : {}) };
}

/** The offline-first loop of one project. */
export class OfflineSync {
  private snap: SyncSnapshot;
  private readonly backoff: BackoffPolicy;
  /** The collection copy's tree hash of each artifact at the last check that could read it. */
  private readonly lastSeen = new Map<string, string | null>();
  private draining: Promise<void> | undefined;
  private lastReport: DriftReport | undefined;

  constructor(private readonly o: OfflineSyncOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.snap = initialSnapshot(o.now());
  }

  get snapshot(): SyncSnapshot { return this.snap; }
  get queue(): OfflineQueue { return this.o.queue; }

  /** Applies `event` when the state accepts it; returns false (and changes nothing) when it refuses it. */
  fire(event: SyncEvent): boolean {
    if (!accepts(this.snap.state, event.type)) return false;
    const from = this.snap;
    this.snap = transition(from, event, this.o.now(), this.backoff);
    if (from.state !== this.snap.state) this.o.onTransition?.({ from, to: this.snap, event });
    return true;
  }

  /** Conflicts to show: the drift's, and queued operations that became conflicts. */
  private conflicts(report: DriftReport | undefined): number {
    return (report ? driftConflicts(report) : 0) + this.o.queue.list().filter((q) => q.status === 'conflict').length;
  }

  /**
   * Takes a drift check's report: Offline when it could not read the collection; back (and the queue applied)
   * when it could again; else the conflict count. Resolves once a drain it started has finished.
   */
  async observe(report: DriftReport): Promise<void> {
    this.lastReport = report;
    if (isOffline(report)) { this.fire({ type: 'collection-unreachable' }); return; }
    for (const a of report.artifacts) if (a.collectionHash) this.lastSeen.set(artifactKey(a.root, a.type, a.name), a.collectionHash);
    const pending = this.o.queue.list().filter((q) => q.status !== 'conflict');
    if (this.snap.state === 'offline') {
      this.fire({ type: 'collection-back', queued: pending.length, conflicts: this.conflicts(report) });
      if (pending.length) await this.drain(report);
      return;
    }
    this.fire({ type: 'check-result', conflicts: this.conflicts(report) });
    // Something was queued while the last check still said Offline, or a retry was due and ran meanwhile.
    if (this.snap.state !== 'syncing' && this.snap.state !== 'error' && pending.some((q) => q.status === 'queued')) {
      if (this.fire({ type: 'sync-started' })) await this.drain(report);
    }
  }

  /**
   * Queues an update or a pull of `a` (asked while Offline), against the hashes the user sees now: the project
   * copy, and the collection copy last seen by a check that could read it.
   */
  async enqueue(direction: SyncDirection, strategy: QueuedStrategy, a: ArtifactDrift): Promise<QueuedOperation> {
    return this.o.queue.add(queuedRequest(direction, strategy, a, this.o.now(), this.lastSeen.get(artifactKey(a.root, a.type, a.name))));
  }

  /**
   * When `tick()` should next run (a retry), or undefined when nothing waits for the clock: the machine's retry
   * after a failure, or — after a restart, when the machine starts afresh — the earliest retry the queue file holds.
   */
  nextWakeAt(): number | undefined {
    if (this.snap.state === 'error') return this.snap.error?.nextRetryAt;
    if (this.snap.state === 'offline' || this.snap.state === 'syncing') return undefined;
    const times = this.o.queue.list().filter((q) => q.status === 'retrying' && q.nextRetryAt).map((q) => Date.parse(q.nextRetryAt!));
    return times.length ? Math.min(...times) : undefined;
  }

  /** Runs what the clock says is due: the retry after a failure (with a fresh check first). */
  async tick(): Promise<void> {
    const due = this.nextWakeAt();
    if (due === undefined || this.o.now() < due) return;
    if (!this.fire(this.snap.state === 'error' ? { type: 'retry-due' } : { type: 'sync-started' })) return;
    const report = await this.o.check();
    this.lastReport = report;
    if (isOffline(report)) { this.fire({ type: 'collection-unreachable' }); return; }
    await this.drain(report, true);
  }

  /**
   * Runs the queue (one drain at a time) against `report`; the machine is Syncing. `fresh`: the report was made for
   * this drain (a retry's own check), so it is not checked again.
   */
  private drain(report: DriftReport, fresh = false): Promise<void> {
    this.draining ??= this.runQueue(report, fresh).finally(() => { this.draining = undefined; });
    return this.draining;
  }

  private async runQueue(report: DriftReport, fresh: boolean): Promise<void> {
    const failures: string[] = [];
    const failed: QueuedOperation[] = [];
    // Re-planned against a check made now, not the one that noticed the collection: an edit made just before the
    // reconnect may not have reached a watcher-trusting check yet.
    let latest = report;
    if (!fresh) { try { latest = await this.o.check(); } catch { /* the check that brought us here stands */ } }
    for (const op of this.o.queue.list().filter((q) => q.status !== 'conflict')) {
      if (this.snap.state !== 'syncing') break; // the collection went away meanwhile
      const a = latest.artifacts.find((x) => sameArtifact(x, op.artifact));
      if (a?.state === 'unreachable') { this.fire({ type: 'collection-unreachable' }); break; }
      const stale = staleReason(op, a);
      if (stale) { await this.settle(op, { outcome: 'conflict', detail: stale }); continue; }
      let result: SyncResult | undefined;
      let verdict: { outcome: QueuedOutcome['outcome']; detail?: string };
      try {
        result = await this.o.run(op);
        verdict = judge(op, result);
      } catch (e) {
        verdict = { outcome: 'failed', detail: (e as Error).message ?? String(e) };
      }
      if (verdict.outcome === 'failed') { failures.push(`${op.direction} ${op.artifact.name}: ${verdict.detail}`); failed.push(op); }
      await this.settle(op, verdict, result);
      // The next operation is re-planned against the drift after this one's writes.
      if (result) latest = await this.o.check();
    }
    this.lastReport = latest;
    if (this.snap.state !== 'syncing') return;
    if (failures.length) {
      this.fire({ type: 'sync-failed', message: failures.join('\n') });
      const at = new Date(this.snap.error!.nextRetryAt).toISOString();
      for (const op of failed) {
        const now = this.o.queue.list().find((q) => q.id === op.id);
        if (now) await this.o.queue.update({ ...now, nextRetryAt: at });
      }
      return;
    }
    const conflicts = this.conflicts(latest);
    this.fire(conflicts > 0 ? { type: 'sync-conflict', conflicts } : { type: 'sync-succeeded', conflicts: 0 });
  }

  private async settle(op: QueuedOperation, v: { outcome: QueuedOutcome['outcome']; detail?: string }, result?: SyncResult): Promise<void> {
    if (v.outcome === 'applied') await this.o.queue.remove([op.id]);
    else if (v.outcome === 'conflict') await this.o.queue.update({ ...op, status: 'conflict', reason: v.detail });
    else await this.o.queue.update({ ...op, status: 'retrying', attempts: op.attempts + 1, reason: v.detail });
    this.o.onOutcome?.({ op, outcome: v.outcome, ...(v.detail ? { detail: v.detail } : {}), ...(result ? { result } : {}) });
  }

  /**
   * Forgets queued operations (the user discarded them, or ran that sync themselves); the Conflict ends when
   * none is left and the drift has none.
   */
  async discard(ids: readonly string[]): Promise<void> {
    await this.o.queue.remove(ids);
    if (this.snap.state === 'conflict' && this.conflicts(this.lastReport) === 0) this.fire({ type: 'conflicts-resolved' });
  }
}
