// A project, a collection that can be moved away (an unmounted drive) and back, a real version store, the
// persisted offline queue and the offline loop on a clock the test moves by hand, for the offline tests.
import * as fs from 'node:fs';
import { checkDrift } from '../../../src/core/drift/drift';
import { runSync, type SyncResult } from '../../../src/core/sync';
import { OfflineQueue, type QueuedOperation } from '../../../src/core/offline/queue';
import { OfflineSync, type QueuedOutcome } from '../../../src/core/offline/offlineSync';
import type { BackoffPolicy } from '../../../src/core/offline/backoff';
import type { DriftReport } from '../../../src/core/model';
import { makeSyncWorld, type SyncWorld } from '../sync/syncWorld';

export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
export const POLICY: BackoffPolicy = { baseMs: 1_000, factor: 2, capMs: 60_000, jitter: 0 };

export interface OfflineWorld extends SyncWorld {
  clock: { t: number };
  /** Drift checks the loop (or observe) ran. */
  counts: { checks: number };
  queue: OfflineQueue;
  loop: OfflineSync;
  /** Every state the loop entered, in order ("offline", "syncing", …). */
  states: string[];
  outcomes: QueuedOutcome[];
  /** Runs a drift check and hands it to the loop. */
  observe(): Promise<DriftReport>;
  moveCollectionAway(): void;
  moveCollectionBack(): void;
  /** The loop of a new process on the same store folder (a restart): a new queue object on the same file. */
  restart(): OfflineSync;
  /** Replaces how a queued operation runs (to inject failures); default `runSync`. */
  runner: (op: QueuedOperation) => Promise<SyncResult>;
}

export async function makeOfflineWorld(tmp: (tag?: string) => string): Promise<OfflineWorld> {
  const w = await makeSyncWorld(tmp);
  const clock = { t: T0 };
  const away = `${w.collection}.unmounted`;
  const counts = { checks: 0 };
  const check = async (): Promise<DriftReport> => { counts.checks++; return checkDrift({ project: w.project, env: w.env, store: w.store }); };
  const world = {
    ...w, clock, counts, states: [] as string[], outcomes: [] as QueuedOutcome[],
    runner: (op: QueuedOperation) => runSync({
      project: w.project, env: w.env, store: w.store, direction: op.direction, strategy: op.strategy,
      names: [op.artifact.name], type: op.artifact.type, root: op.artifact.root, now: () => new Date(clock.t),
    }),
  } as OfflineWorld;
  const make = (): OfflineSync => new OfflineSync({
    queue: new OfflineQueue(w.storeDir, w.project), now: () => clock.t, backoff: POLICY, check,
    run: (op) => world.runner(op),
    onTransition: (t) => world.states.push(t.to.state),
    onOutcome: (o) => world.outcomes.push(o),
  });
  world.loop = make();
  world.queue = world.loop.queue;
  world.observe = async () => { const r = await check(); await world.loop.observe(r); return r; };
  world.moveCollectionAway = () => fs.renameSync(w.collection, away);
  world.moveCollectionBack = () => fs.renameSync(away, w.collection);
  world.restart = () => { world.loop = make(); world.queue = world.loop.queue; return world.loop; };
  return world;
}
