// A simulated month of editing through the capture policy (SPEC §6, issue 6): 50 artifacts × 40 saves a day
// × 30 days, on a fake clock, with syncs, background re-scans and daily pruning. Reports how many entries
// the policy produces (what the version store will hold) and its cost per 1 000 watcher events.
import { performance } from 'node:perf_hooks';
import { CapturePolicy, type CaptureEntry, type CaptureAction } from '../src/core/history/capturePolicy';
import { artifactKey } from '../src/core/model';
import { prng } from './prng';
import { ARTIFACTS, DAY, HOUR, editingMonth } from './month';

const DAYS = 30;

type SimEvent =
  | { at: number; kind: 'save'; key: string; files: number; changesContent: boolean }
  | { at: number; kind: 'sync'; key: string }
  | { at: number; kind: 'prune' };

/** The shared editing month (bench/month.ts) on these keys, plus a nightly prune. */
function simulateMonth(start: number, keys: string[], rand: () => number): SimEvent[] {
  const events: SimEvent[] = editingMonth({ start, days: DAYS, rand, maxFilesPerSave: 3 }).map((e) =>
    e.kind === 'save' ? { at: e.at, kind: 'save', key: keys[e.a], files: e.files, changesContent: e.changes } : { at: e.at, kind: 'sync', key: keys[e.a] });
  for (let day = 0; day < DAYS; day++) events.push({ at: start + day * DAY + 27 * HOUR, kind: 'prune' }); // 03:00 the next night
  return events.sort((x, y) => x.at - y.at);
}

/** Runs the month; `report(label, value, unit)` receives each figure. */
export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  const rand = prng(6);
  const start = Date.UTC(2026, 0, 5);
  const keys = Array.from({ length: ARTIFACTS }, (_, i) => artifactKey('.claude', i % 3 === 0 ? 'command' : 'skill', `artifact-${i}`));
  const events = simulateMonth(start, keys, rand);

  // The "disk": current content hash per artifact. 64 hex characters, like the real SHA-256 tree hashes.
  let contentSeq = 0;
  const newHash = (): string => (contentSeq++).toString(16).padStart(64, '0');
  const onDisk = new Map(keys.map((k) => [k, newHash()]));
  const protectedHashes = new Set<string>(); // sync snapshots and baselines
  let entries: CaptureEntry[] = [];
  const counts = { captured: 0, 'skipped-duplicate': 0, rate_limited: 0, pending: 0 };
  let watcherEvents = 0;
  let pruned = 0;
  let pruneMs = 0;
  let wakes = 0;

  const policy = new CapturePolicy();
  const record = (a: CaptureAction, now: number): void => {
    const e = policy.recordCapture(a.artifactKey, onDisk.get(a.artifactKey) ?? '', now, a.origin);
    counts[e.status]++;
    entries.push(e);
  };
  // What the watcher glue does when its single timer fires.
  const wake = (now: number): void => {
    wakes++;
    for (const a of policy.tick(now)) record(a, now);
    if (policy.rescanDue(now)) for (const a of policy.rescan(onDisk, now)) record(a, now);
  };

  const t0 = performance.now();
  let clock = start;
  for (const ev of events) {
    // A wake time in the past (the first re-scan is due "at 0") means: now.
    for (let w = policy.nextWakeAt(); w <= ev.at; w = policy.nextWakeAt()) wake((clock = Math.max(w, clock)));
    clock = ev.at;
    if (ev.kind === 'save') {
      if (ev.changesContent) onDisk.set(ev.key, newHash());
      for (let f = 0; f < ev.files; f++) policy.noteChange(ev.key, ev.at + f * 20);
      watcherEvents += ev.files;
    } else if (ev.kind === 'sync') {
      // A sync snapshots what it replaces (protected), writes, and lets the watcher echo reach the policy.
      const before = onDisk.get(ev.key) ?? '';
      protectedHashes.add(before);
      record({ kind: 'capture', artifactKey: ev.key, origin: 'sync' }, ev.at);
      policy.noteOwnWrite(ev.key, ev.at, 'sync');
      const written = newHash();
      onDisk.set(ev.key, written);
      protectedHashes.add(written);
      for (let f = 0; f < 3; f++) policy.noteChange(ev.key, ev.at + 50 + f * 10);
      watcherEvents += 3;
    } else {
      const p0 = performance.now();
      const drop = new Set(policy.selectPrunable(entries, ev.at, protectedHashes).map((e) => e.id));
      pruneMs += performance.now() - p0;
      pruned += drop.size;
      entries = entries.filter((e) => !drop.has(e.id));
    }
  }
  const elapsed = performance.now() - t0;

  const entryBytes = entries.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
  report('watcher events', watcherEvents, 'events');
  report('capture requests', counts.captured + counts['skipped-duplicate'] + counts.rate_limited, 'entries');
  report('captured', counts.captured, 'entries');
  report('skipped-duplicate', counts['skipped-duplicate'], 'entries');
  report('rate_limited', counts.rate_limited, 'entries');
  report('pruned', pruned, 'entries');
  report('entries kept after the month', entries.length, 'entries');
  report('entry size (JSON, mean)', entries.length ? entryBytes / entries.length : 0, 'bytes');
  report('policy state (toJSON)', Buffer.byteLength(JSON.stringify(policy.toJSON())), 'bytes');
  report('timer wakes', wakes, 'wakes');
  // Ticks, re-scans and recordCapture are included (they are what the events cause); nightly prunes are not.
  report('policy time per 1 000 watcher events', ((elapsed - pruneMs) / watcherEvents) * 1000, 'ms');
  report('selectPrunable, mean per nightly run', pruneMs / DAYS, 'ms');
}

if (require.main === module) {
  void run((label, value, unit) => console.log(`${label}: ${Number.isInteger(value) ? value : value.toFixed(3)} ${unit}`));
}
