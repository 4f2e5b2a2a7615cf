// `skillmeat-sync watch`: the offline-first loop of the extension in a terminal (SkillMeat has `watch` too). It
// watches the project's profile roots (fs.watch, plus a poll every --interval, which also notices the collection
// coming back: a folder that does not exist cannot be watched), re-checks the drift, prints each state change on
// one line, runs the operations queued while the collection was unreachable once it is back, retries failures with
// backoff, and stops on SIGINT / SIGTERM. `--once`: one check and one pass over the queue, for scripts and tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDrift } from '../core/drift/drift';
import { ArtifactHasher } from '../core/drift/hashing';
import { PROFILE_ROOTS, type DriftReport } from '../core/model';
import { loadSqlJs } from '../core/store/sqlite';
import { isStagingPath } from '../core/store/fsutil';
import { runSync } from '../core/sync';
import { OfflineQueue, type QueuedOperation } from '../core/offline/queue';
import { OfflineSync, type QueuedOutcome } from '../core/offline/offlineSync';
import type { SyncMachineState, SyncSnapshot } from '../core/offline/syncState';
import { flagString, UsageError } from './args';
import { colours, type Colour } from './output';
import { openStore, storeDir, type CommandContext } from './context';

const COLOUR: Record<SyncMachineState, Colour> = { offline: 'yellow', syncing: 'cyan', conflict: 'red', 'up-to-date': 'green', error: 'red' };

/** Default poll interval, in ms. */
export const WATCH_INTERVAL_MS = 2_000;
/** Quiet time after a file event before the re-check (an editor's save is several events). */
const DEBOUNCE_MS = 200;

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** One line for a state: "Offline · 2 queued", "Error — next retry 12:34:56: why". */
export function stateLine(s: SyncSnapshot, ops: readonly QueuedOperation[]): string {
  const queued = ops.filter((o) => o.status !== 'conflict').length;
  const conflicts = ops.filter((o) => o.status === 'conflict');
  switch (s.state) {
    case 'offline': return `Offline${queued ? ` · ${queued} queued` : ''}: the collection is unreachable; local edits are still captured`;
    case 'syncing': return `Syncing${queued ? ` · ${queued} queued` : ''}`;
    case 'conflict': return `Conflict · ${s.conflicts}${conflicts.length ? `: ${conflicts.map((o) => o.reason).join('; ')}` : ''}`;
    case 'up-to-date': return 'Up-to-Date';
    case 'error': return `Error — next retry ${clock(s.error!.nextRetryAt)} (attempt ${s.error!.attempts + 1}): ${s.error!.message}`;
  }
}

function outcomeLine(o: QueuedOutcome): string {
  const what = `${o.op.direction} ${o.op.artifact.type} ${o.op.artifact.name} (${o.op.artifact.root})`;
  return o.outcome === 'applied' ? `  applied: ${what}${o.detail ? ` — ${o.detail}` : ''}` : `  ${o.outcome === 'conflict' ? 'conflict' : 'failed'}: ${what}: ${o.detail ?? ''}`;
}

export async function watch(ctx: CommandContext): Promise<number> {
  const once = ctx.args.flags.has('once');
  const intervalText = flagString(ctx.args, 'interval');
  const interval = intervalText === undefined ? WATCH_INTERVAL_MS : Number(intervalText);
  if (!Number.isInteger(interval) || interval < 100) throw new UsageError('--interval must be a whole number of milliseconds, at least 100');
  if (!fs.existsSync(ctx.project)) { ctx.io.err(`error: ${ctx.project}: no such folder. Check the path (--project DIR), or run the command inside the project.`); return 2; }
  const c = colours(ctx.io);
  const collection = flagString(ctx.args, 'collection');
  const store = await openStore(ctx);
  const sqlJs = await loadSqlJs();
  // Not trusting a watcher: every check verifies each artifact by stats, re-hashing only what changed.
  const hasher = new ArtifactHasher();
  const say = (ms: number, text: string, colour?: Colour): void => {
    if (ctx.json) ctx.io.out(JSON.stringify({ at: new Date(ms).toISOString(), line: text }));
    else ctx.io.out(`${clock(ms)} ${colour ? c(colour, text) : text}`);
  };
  const check = async (): Promise<DriftReport> => {
    await store.reload(); // another process (the extension, a CLI command) may have written meanwhile
    return checkDrift({ project: ctx.project, collection, env: ctx.io.env, store, hasher, sqlJs });
  };
  const queue = new OfflineQueue(storeDir(ctx), ctx.project);
  let changed = false;
  const loop: OfflineSync = new OfflineSync({
    queue, now: Date.now, check,
    run: (op) => runSync({
      project: ctx.project, env: ctx.io.env, store, direction: op.direction, strategy: op.strategy,
      names: [op.artifact.name], type: op.artifact.type, root: op.artifact.root, ...(collection ? { collection } : {}),
    }),
    onTransition: (t) => { changed = true; say(Date.now(), stateLine(t.to, queue.list()), COLOUR[t.to.state]); },
    onOutcome: (o) => say(Date.now(), outcomeLine(o)),
  });

  let busy: Promise<void> = Promise.resolve();
  let failure: unknown;
  const pass = (): Promise<void> => {
    busy = busy.then(async () => {
      try {
        const report = await check();
        for (const e of report.errors) ctx.io.err(`error: ${e.message}`);
        await loop.observe(report);
        await loop.tick();
      } catch (e) { failure = e; ctx.io.err(`error: ${(e as Error).message}`); }
    });
    return busy;
  };

  try {
    await pass();
    // The first state is printed even when no transition led to it (a project that is up to date, or in conflict).
    if (!changed && !failure) say(Date.now(), stateLine(loop.snapshot, queue.list()), COLOUR[loop.snapshot.state]);
    if (once) return failure ? 2 : loop.snapshot.state === 'up-to-date' ? 0 : loop.snapshot.state === 'conflict' ? 1 : 2;

    return await new Promise<number>((resolve) => {
      let debounce: NodeJS.Timeout | undefined;
      const onChange = (file: string | null): void => {
        if (file && isStagingPath(file)) return;
        if (debounce) clearTimeout(debounce);
        debounce = setTimeout(() => void pass(), DEBOUNCE_MS);
      };
      const watchers: fs.FSWatcher[] = [];
      for (const r of PROFILE_ROOTS) {
        const dir = path.join(ctx.project, r);
        if (!fs.existsSync(dir)) continue;
        try { watchers.push(fs.watch(dir, { recursive: true }, (_e, f) => onChange(f ? String(f) : null))); } catch (e) {
          ctx.io.err(`warning: cannot watch ${dir} (${(e as Error).message}); polling every ${interval} ms instead`);
        }
      }
      // Polls for what cannot be watched (the collection coming back, network drives) and for retries falling due.
      const poll = setInterval(() => void pass(), interval);
      const stop = (): void => {
        clearInterval(poll);
        if (debounce) clearTimeout(debounce);
        for (const w of watchers) w.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void busy.then(() => { say(Date.now(), 'stopped'); resolve(0); });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    store.close();
  }
}
