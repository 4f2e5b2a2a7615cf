// The offline-first loop in VS Code (issue 14): one core OfflineSync per workspace folder, fed by the drift
// service's reports (Offline when the collection cannot be read, back when it can) and by the operations service
// (a user's update or pull starting, ending, failing). Queued operations run through the operations service like
// any other write. The core sets no timer: this class schedules the next retry the machine asks for.
import * as vscode from 'vscode';
import { runSync, type SyncDirection, type SyncResult } from '../../core/sync';
import { folderSyncOptions } from '../sync/commands';
import { defaultStoreDir } from '../../core/store/versionStore';
import { OfflineQueue, sameArtifact, type QueuedOperation, type QueuedStrategy } from '../../core/offline/queue';
import { OfflineSync, driftConflicts, type QueuedOutcome } from '../../core/offline/offlineSync';
import type { SyncMachineState, SyncSnapshot } from '../../core/offline/syncState';
import type { ArtifactDrift } from '../../core/model';
import type { DriftService, FolderReport } from '../drift/driftService';
import type { Operations } from '../platform/operations';

/** What the status bar shows of the offline loop, over every folder. */
export interface OfflineSummary {
  /** The most pressing state of any folder: Syncing, Error, Offline, Conflict, then Up-to-Date. */
  state: SyncMachineState;
  /** Operations waiting for the collection or for a retry. */
  queued: QueuedOperation[];
  /** Queued operations that became conflicts (their `reason` says why). */
  conflicts: QueuedOperation[];
  /** When the next retry runs (ms since the epoch), if one is scheduled. */
  nextRetryAt?: number;
  /** Why the last attempt failed, when in Error. */
  error?: string;
}

/**
 * While a folder is Offline its collection is re-checked this often: a folder that does not exist cannot be
 * watched, so polling is how a remounted drive is noticed.
 */
export const OFFLINE_POLL_MS = 3_000;

const PRIORITY: readonly SyncMachineState[] = ['syncing', 'error', 'offline', 'conflict', 'up-to-date'];

interface FolderLoop { loop: OfflineSync; folder: FolderReport; queueRunning: boolean }

export class OfflineController implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** Fires when a state, the queue or the next retry changes. */
  readonly onDidChange = this._onDidChange.event;
  private readonly loops = new Map<string, FolderLoop>();
  private readonly subs: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private wasSyncing = false;
  private lastFailure: unknown;

  constructor(private readonly service: DriftService, private readonly operations: Operations, private readonly log: vscode.LogOutputChannel) {
    this.subs = [
      this._onDidChange,
      service.onDidChangeReport((reports) => { for (const r of reports) void this.observe(r); }),
      operations.onDidChangeOperations(() => this.onOperations()),
    ];
  }

  private loopFor(folder: FolderReport): FolderLoop {
    const key = folder.folder.uri.toString();
    let l = this.loops.get(key);
    if (l) { l.folder = folder; return l; }
    const project = folder.folder.uri.fsPath;
    const entry: FolderLoop = {
      folder, queueRunning: false,
      loop: new OfflineSync({
        queue: new OfflineQueue(defaultStoreDir(this.service.home), project),
        now: Date.now,
        check: async () => {
          // Verified by stats, not trusting the watcher: a queued operation is judged on what the files hold now.
          const reports = await this.service.refresh();
          return (reports.find((r) => r.folder.uri.toString() === key) ?? entry.folder).report;
        },
        run: (op) => this.runQueued(entry, op),
        onTransition: (t) => {
          this.log.info(`${folder.folder.name}: ${t.from.state} → ${t.to.state} (${t.event.type})`);
          // The collection is back where it was: its old file watcher does not follow the folder that came back.
          if (t.event.type === 'collection-back') this.service.rewatch(true);
          this.changed();
        },
        onOutcome: (o) => this.onOutcome(folder, o),
      }),
    };
    this.loops.set(key, l = entry);
    return l;
  }

  private async observe(folder: FolderReport): Promise<void> {
    try {
      await this.loopFor(folder).loop.observe(folder.report);
    } catch (e) {
      this.log.error(`offline queue of ${folder.folder.name}: ${(e as Error).message}`);
    }
    this.changed();
  }

  /** A queued operation, run as a product write: progress, own-write marking, drift re-check. */
  private runQueued(entry: FolderLoop, op: QueuedOperation): Promise<SyncResult> {
    const f = entry.folder;
    const a = f.report.artifacts.find((x) => sameArtifact(x, op.artifact));
    const paths = a ? [a.projectPath, ...(a.collectionPath ? [a.collectionPath] : [])] : [];
    const title = op.direction === 'update'
      ? vscode.l10n.t('Running the queued update of {0}', op.artifact.name)
      : vscode.l10n.t('Running the queued pull of {0}', op.artifact.name);
    entry.queueRunning = true;
    return this.operations.run(op.direction, paths, async (running) => {
      const store = await this.service.versionStore();
      const r = await runSync({
        ...folderSyncOptions(f), direction: op.direction, strategy: op.strategy, store, names: [op.artifact.name], type: op.artifact.type, root: op.artifact.root,
      });
      // A queued fork lands at paths nobody knew when it was queued: marked as the product's writes too.
      running.wrote(r.artifacts.flatMap((x) => x.writes.map((w) => w.path)));
      return r;
    }, { title, failure: (r) => (r.status === 'failed' ? r.error?.message ?? vscode.l10n.t('the sync failed') : undefined) })
      .finally(() => { entry.queueRunning = false; });
  }

  private onOutcome(folder: FolderReport, o: QueuedOutcome): void {
    const what = `${o.op.direction} ${o.op.artifact.type} ${o.op.artifact.name}`;
    if (o.outcome === 'applied') this.log.info(`${folder.folder.name}: queued ${what} applied${o.detail ? ` (${o.detail})` : ''}`);
    else if (o.outcome === 'conflict') {
      this.log.warn(`${folder.folder.name}: queued ${what} is a conflict: ${o.detail ?? ''}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('SkillMeat Sync: the queued {0} of {1} was not run: {2}', o.op.direction, o.op.artifact.name, o.detail ?? ''));
    } else this.log.warn(`${folder.folder.name}: queued ${what} failed, will retry: ${o.detail ?? ''}`);
  }

  /**
   * A user's update or pull (not a queued one) moves the machine too: Syncing while it runs, then Error (with a
   * next retry) or back to what the drift says.
   */
  private onOperations(): void {
    const syncing = this.operations.syncing;
    if (syncing === this.wasSyncing) return;
    this.wasSyncing = syncing;
    for (const l of this.loops.values()) {
      if (l.queueRunning) continue;
      if (syncing) { l.loop.fire({ type: 'sync-started' }); continue; }
      const failure = this.operations.lastFailure;
      const fresh = failure && failure !== this.lastFailure && (failure.kind === 'update' || failure.kind === 'pull');
      if (fresh) l.loop.fire({ type: 'sync-failed', message: `${failure.title}: ${failure.message}` });
      else l.loop.fire({ type: 'sync-succeeded', conflicts: driftConflicts(l.folder.report) });
    }
    this.lastFailure = this.operations.lastFailure;
    this.changed();
  }

  private changed(): void {
    this.schedule();
    const offline = [...this.loops.values()].some((l) => l.loop.snapshot.state === 'offline');
    if (offline && !this.poll) this.poll = setInterval(() => void this.service.check(), OFFLINE_POLL_MS);
    else if (!offline && this.poll) { clearInterval(this.poll); this.poll = undefined; }
    this._onDidChange.fire();
  }

  /** One timer for the earliest retry of any folder. */
  private schedule(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    const next = Math.min(...[...this.loops.values()].map((l) => l.loop.nextWakeAt() ?? Infinity));
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.retryDue(); }, Math.max(0, next - Date.now()));
  }

  private async retryDue(): Promise<void> {
    const failure = this.operations.lastFailure;
    // A user's failed update or pull runs again as it was asked (the same artifacts and strategy), once for all folders.
    const userRetry = failure && failure === this.lastFailure && (failure.kind === 'update' || failure.kind === 'pull') ? failure : undefined;
    let retried = false;
    for (const l of this.loops.values()) {
      const due = l.loop.nextWakeAt();
      if (due === undefined || due > Date.now()) continue;
      if (userRetry && l.loop.snapshot.state === 'error' && l.loop.queue.list().every((q) => q.status === 'conflict')) {
        l.loop.fire({ type: 'retry-due' });
        if (!retried) { retried = true; this.lastFailure = undefined; void userRetry.retry(); }
        continue;
      }
      try { await l.loop.tick(); } catch (e) { this.log.error(`retry: ${(e as Error).message}`); }
    }
    this.changed();
  }

  /** Queues an update or a pull of an artifact whose collection is unreachable; it runs when the collection is back. */
  async enqueue(folder: FolderReport, direction: SyncDirection, strategy: QueuedStrategy, a: ArtifactDrift): Promise<QueuedOperation> {
    const op = await this.loopFor(folder).loop.enqueue(direction, strategy, a);
    this.log.info(`${folder.folder.name}: queued ${direction} --strategy ${strategy} of ${a.type} ${a.name} (${a.root}) until the collection is reachable`);
    this.changed();
    return op;
  }

  /** Forgets what was queued for these artifacts in `direction`: the user ran that sync now. */
  async settled(folder: FolderReport, direction: SyncDirection, artifacts: readonly ArtifactDrift[]): Promise<void> {
    const l = this.loopFor(folder);
    const ids = l.loop.queue.list().filter((q) => q.direction === direction && artifacts.some((a) => sameArtifact(a, q.artifact))).map((q) => q.id);
    if (ids.length) { await l.loop.discard(ids); this.changed(); }
  }

  /** Every queued operation with the folder it belongs to (a bad queue file lists nothing: its error is logged). */
  entries(): { folder: FolderReport; op: QueuedOperation }[] {
    return [...this.loops.values()].flatMap((l) => {
      try { return l.loop.queue.list().map((op) => ({ folder: l.folder, op })); } catch (e) { this.log.error((e as Error).message); return []; }
    });
  }

  /** Forgets queued operations the user chose to drop; a Conflict they caused ends with them. */
  async discard(entries: readonly { folder: FolderReport; op: QueuedOperation }[]): Promise<void> {
    for (const l of this.loops.values()) {
      const ids = entries.filter((e) => e.folder.folder.uri.toString() === l.folder.folder.uri.toString()).map((e) => e.op.id);
      if (ids.length) await l.loop.discard(ids);
    }
    this.changed();
  }

  /** Every folder's machine state (by folder URI), for the API and tests. */
  snapshots(): Map<string, SyncSnapshot> {
    return new Map([...this.loops].map(([k, l]) => [k, l.loop.snapshot]));
  }

  summary(): OfflineSummary {
    const loops = [...this.loops.values()];
    const safeList = (l: FolderLoop): QueuedOperation[] => { try { return l.loop.queue.list(); } catch { return []; } };
    const ops = loops.flatMap(safeList);
    const states = loops.map((l) => l.loop.snapshot);
    const state = PRIORITY.find((p) => states.some((s) => s.state === p)) ?? 'up-to-date';
    const retries = states.map((s) => s.error?.nextRetryAt).filter((t): t is number => t !== undefined);
    const failed = states.find((s) => s.state === 'error');
    return {
      state, queued: ops.filter((o) => o.status !== 'conflict'), conflicts: ops.filter((o) => o.status === 'conflict'),
      ...(retries.length ? { nextRetryAt: Math.min(...retries) } : {}), ...(failed?.error ? { error: failed.error.message } : {}),
    };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    for (const s of this.subs) s.dispose();
  }
}
