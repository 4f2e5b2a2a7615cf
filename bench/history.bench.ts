// A simulated month of editing through the real capture service and the real version store (SPEC §6,
// issue 6): 50 artifacts × 40 saves a day × 30 days on a fake clock, with real files, blobs and index, a
// daily sync of a few artifacts and the service's own retention. Reports what the store holds at the end
// (blobs on disk, index size), what it cost to get there (transactions, bytes written to the index) and the
// time to list one artifact's history.
//
//   node --import tsx bench/history.bench.ts          (HISTORY_BENCH_DAYS=3 for a quick run)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaptureService, type CaptureScheduler } from '../src/core/history/capture';
import { DEFAULT_CAPTURE_SETTINGS } from '../src/core/history/capturePolicy';
import { artifactKey } from '../src/core/model';
import { VersionStore } from '../src/core/store/versionStore';
import { prng } from './prng';
import { ARTIFACTS, DAY, MIN, editingMonth } from './month';

const DAYS = Number(process.env.HISTORY_BENCH_DAYS ?? 30);

type Report = (label: string, value: number, unit: string) => void;


/** A fake clock and timer queue: the month runs as fast as the disk allows. */
class FakeTime implements CaptureScheduler {
  t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  wakes = 0;
  constructor(start: number) { this.t = start; }
  readonly now = (): number => this.t;
  set(fn: () => void, delayMs: number): number { const id = ++this.seq; this.timers.set(id, { at: this.t + delayMs, fn }); return id; }
  clear(h: unknown): void { this.timers.delete(h as number); }
  async advanceTo(t: number, service: CaptureService): Promise<void> {
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= t && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      this.wakes++;
      due[1].fn();
      await service.whenIdle();
    }
    this.t = Math.max(this.t, t);
  }
}

interface Artifact { key: string; files: string[]; lines: string[][] }

function dirSize(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return n;
}

export async function run(report: Report): Promise<void> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-history-bench-'));
  try {
    const rand = prng(6);
    const start = Date.UTC(2026, 0, 5);
    const project = path.join(base, 'project');
    const claude = path.join(project, '.claude');
    // Skills of two files (~1.5 KB and ~1 KB of markdown), commands of one: a typical small artifact.
    const artifacts: Artifact[] = [];
    for (let i = 0; i < ARTIFACTS; i++) {
      const command = i % 3 === 0;
      const name = `artifact-${i}`;
      const files = command ? [path.join(claude, 'commands', `${name}.md`)] : [path.join(claude, 'skills', name, 'SKILL.md'), path.join(claude, 'skills', name, 'reference.md')];
      const lines = files.map((_, f) => Array.from({ length: f === 0 ? 30 : 20 }, (_x, l) => `Line ${l} of ${name}: ${'guidance '.repeat(5)}`));
      files.forEach((f, j) => { fs.mkdirSync(path.dirname(f), { recursive: true }); fs.writeFileSync(f, lines[j].join('\n') + '\n'); });
      artifacts.push({ key: artifactKey('.claude', command ? 'command' : 'skill', name), files, lines });
    }
    const storeDir = path.join(base, 'home', 'sync');
    const store = await VersionStore.open(storeDir);
    let transactions = 0;
    let indexBytesWritten = 0;
    const indexFiles = () => fs.readdirSync(storeDir).filter((f) => f.startsWith('index') && !f.endsWith('.lock')).reduce((n, f) => n + fs.statSync(path.join(storeDir, f)).size, 0);
    // What a transaction writes: the whole index file when it is replaced (a new inode, by the atomic rename),
    // plus whatever an append-only log beside it grew by.
    let lastIno = 0;
    let lastLog = 0;
    // For comparison: sql.js exports the whole database, so committing by rewriting the index would have
    // written about the index's size at every commit.
    let wholeIndexRewrites = 0;
    const transact = store.transact.bind(store);
    store.transact = (async (fn) => {
      const r = await transact(fn);
      transactions++;
      const st = fs.statSync(store.indexFile);
      if (st.ino !== lastIno) { indexBytesWritten += st.size; lastIno = st.ino; }
      const log = indexFiles() - st.size;
      indexBytesWritten += log >= lastLog ? log - lastLog : log;
      lastLog = log;
      wholeIndexRewrites += st.size + log;
      return r;
    }) as VersionStore['transact'];

    const time = new FakeTime(start);
    const service = new CaptureService({ project, store, roots: ['.claude'], settings: DEFAULT_CAPTURE_SETTINGS, now: time.now, scheduler: time });
    service.start();
    await time.advanceTo(start, service);

    let edits = 0;
    let serial = 0;
    const t0 = performance.now();
    for (const ev of editingMonth({ start: start + MIN, days: DAYS, rand, maxFilesPerSave: 2 })) {
      await time.advanceTo(ev.at, service);
      const a = artifacts[ev.a];
      if (ev.kind === 'save') {
        for (let f = 0; f < Math.min(ev.files, a.files.length); f++) {
          if (ev.changes) {
            const lines = a.lines[f];
            // Most edits rewrite a line, some add one; files stay about the same size over the month.
            const at = Math.floor(rand() * lines.length);
            if (rand() < 0.3 && lines.length < 60) lines.splice(at, 0, `Added ${serial++}: ${'detail '.repeat(6)}`);
            else lines[at] = `Rewritten ${serial++}: ${'guidance '.repeat(5)}`;
          }
          fs.writeFileSync(a.files[f], a.lines[f].join('\n') + '\n');
          service.noteFileChange(a.files[f]);
          edits++;
        }
      } else {
        // An update from the collection: the sync stores the version it writes, the service only learns of it.
        await service.ownWrite([a.files[0]], 'sync', async () => {
          a.lines[0][0] = `Synced ${serial++} from the collection`;
          fs.writeFileSync(a.files[0], a.lines[0].join('\n') + '\n');
          service.noteFileChange(a.files[0]);
          await store.transact((s) => s.addVersion({ artifactKey: a.key, treeHash: s.putArtifact(path.dirname(a.files[0]).endsWith('commands') ? a.files[0] : path.dirname(a.files[0])).treeHash, origin: 'sync', at: new Date(time.t).toISOString() }));
        });
      }
    }
    await time.advanceTo(start + (DAYS + 1) * DAY, service);
    const elapsed = performance.now() - t0;

    const counts = new Map<string, number>();
    let versions = 0;
    for (const a of artifacts) for (const v of store.history(a.key)) { versions++; counts.set(v.status, (counts.get(v.status) ?? 0) + 1); }
    const usage = store.diskUsage();
    const busiest = artifacts.map((a) => ({ a, n: store.history(a.key).length })).sort((x, y) => y.n - x.n)[0];

    // Listing: the raw rows, and the rows with the size of each change (what the History view and the CLI show).
    const l0 = performance.now();
    const runs = 20;
    for (let i = 0; i < runs; i++) store.history(busiest.a.key, { project });
    const rawMs = (performance.now() - l0) / runs;
    const cold = performance.now();
    const listed = await new CaptureService({ project, store, roots: ['.claude'] }).history(busiest.a.key);
    const coldMs = performance.now() - cold;
    const w0 = performance.now();
    for (let i = 0; i < runs; i++) await service.history(busiest.a.key);
    const warmMs = (performance.now() - w0) / runs;

    report('days simulated', DAYS, 'days');
    report('saves (file writes) seen by the watcher', edits, 'saves');
    report('history entries kept', versions, 'entries');
    report('  captured', counts.get('captured') ?? 0, 'entries');
    report('  skipped-duplicate', counts.get('skipped-duplicate') ?? 0, 'entries');
    report('  rate_limited', counts.get('rate_limited') ?? 0, 'entries');
    report('blobs on disk', usage.blobs / 1024, 'KiB');
    report('blob files', usage.blobCount, 'files');
    report('index on disk: snapshot', fs.statSync(store.indexFile).size / 1024, 'KiB');
    report('index on disk: log since the snapshot', (indexFiles() - fs.statSync(store.indexFile).size) / 1024, 'KiB');
    report('store on disk (all files)', dirSize(storeDir) / 1024, 'KiB');
    report('store transactions', transactions, 'transactions');
    report('bytes written to the index over the run', indexBytesWritten / (1024 * 1024), 'MiB');
    report('  the same commits as whole-index rewrites (estimate)', wholeIndexRewrites / (1024 * 1024), 'MiB');
    report('timer wakes', time.wakes, 'wakes');
    report(`history of the busiest artifact (${busiest.n} entries): store query`, rawMs, 'ms');
    report('history with change sizes, cold (blobs read, diffed)', coldMs, 'ms');
    report('history with change sizes, warm (cached)', warmMs, 'ms');
    report('rows listed', listed.length, 'rows');
    report('wall time of the simulation', elapsed / 1000, 's');
    service.dispose();
    store.close();
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void run((label, value, unit) => console.log(`${label}: ${Number.isInteger(value) ? value : value.toFixed(3)} ${unit}`));
}
