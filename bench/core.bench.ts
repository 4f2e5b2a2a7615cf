// The core engine's speed bars (SPEC §11, issue 2): hash throughput against raw SHA-256 on the same bytes,
// and cold / warm drift checks of 1 000 artifacts (~10 000 files a side). Data is generated in a temp dir
// by scripts/bench-core-data.ts; figures are medians of several runs on a warm page cache.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkDrift } from '../src/core/drift/drift';
import { ArtifactHasher } from '../src/core/drift/hashing';
import { updateRecords, TREE_HASH_KEY } from '../src/core/store/deploymentRecords';
import { generateCoreBenchData, writeBigText, BIG_BYTES } from '../scripts/bench-core-data';

type Report = (label: string, value: number, unit: string) => void;

const REPO = path.resolve(__dirname, '..');
const MB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median time of `runs` calls, in ms; `best` receives the fastest (less sensitive to a busy machine). */
function timeRuns(runs: number, fn: () => void, best?: (ms: number) => void): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  best?.(Math.min(...times));
  return median(times);
}

/** sha256 of a file read in 1 MiB chunks: what any streaming file hasher must at least do. */
function rawStreamingSha256(file: string): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.allocUnsafe(MB);
  const fd = fs.openSync(file, 'r');
  try {
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, MB, null)) > 0) h.update(buf.subarray(0, n));
  } finally { fs.closeSync(fd); }
  return h.digest('hex');
}

/** Every file stat'ed and every directory listed, nothing else: the floor of a stat-based warm check. */
function statFloor(roots: string[]): () => void {
  const dirs: string[] = [];
  const files: string[] = [];
  const walk = (d: string): void => {
    dirs.push(d);
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else files.push(p);
    }
  };
  roots.forEach(walk);
  return () => {
    for (const d of dirs) fs.readdirSync(d, { withFileTypes: true });
    for (const f of files) fs.statSync(f);
  };
}

/** Generates the data, runs every measurement, reports the figures. */
export async function run(report: Report): Promise<void> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-bench-core-')));
  try {
    const data = generateCoreBenchData(root);
    const env = { SKILLMEAT_HOME: data.home };
    report('artifacts deployed (skills, commands, agents)', data.artifacts, 'artifacts');
    report('files per side (collection, project)', data.files, 'files');
    report('bytes per side', data.bytes / MB, 'MiB');

    // ---- hash throughput on the 100 MB artifact ----
    const bytes = fs.statSync(data.bigFile).size + fs.statSync(path.join(data.bigSkill, 'SKILL.md')).size;
    const inMemory = fs.readFileSync(data.bigFile);
    const mbps = (ms: number) => bytes / MB / (ms / 1000);
    const rawMem = mbps(timeRuns(5, () => crypto.createHash('sha256').update(inMemory).digest('hex')));
    const rawStream = mbps(timeRuns(5, () => rawStreamingSha256(data.bigFile)));
    const ours = mbps(timeRuns(5, () => new ArtifactHasher().hash(data.bigSkill)));
    report('raw crypto sha256, bytes in memory', rawMem, 'MB/s');
    report('raw crypto sha256, file read in 1 MiB chunks', rawStream, 'MB/s');
    report('ArtifactHasher tree hash (LF text)', ours, 'MB/s');
    report('ratio ours / raw in-memory sha256 (target >= 0.7)', ours / rawMem, 'x');
    report('ratio ours / raw streaming sha256', ours / rawStream, 'x');

    const crlfSkill = path.join(root, 'big-crlf', 'skills', 'huge-crlf');
    fs.mkdirSync(crlfSkill, { recursive: true });
    writeBigText(path.join(crlfSkill, 'data.txt'), BIG_BYTES, true);
    const crlf = (BIG_BYTES / MB) / (timeRuns(3, () => new ArtifactHasher().hash(crlfSkill)) / 1000);
    report('ArtifactHasher tree hash (CRLF text, normalised)', crlf, 'MB/s');
    report('ratio ours (CRLF) / raw in-memory sha256', crlf / rawMem, 'x');
    const sm = mbps(timeRuns(3, () => new ArtifactHasher().hash(data.bigSkill, { skillmeat: true })));
    report('ArtifactHasher with SkillMeat-form hashes (records SkillMeat wrote)', sm, 'MB/s');

    // ---- drift checks of 1 000 artifacts ----
    const expectInSync = (r: ReturnType<typeof checkDrift>): void => {
      const bad = r.artifacts.filter((a) => a.state !== 'in-sync');
      if (r.artifacts.length !== data.artifacts || bad.length) throw new Error(`bench data is not in sync: ${r.artifacts.length} artifacts, ${bad.length} not in sync`);
    };
    expectInSync(checkDrift({ project: data.project, env, hasher: new ArtifactHasher() })); // page cache + JIT warm-up
    let best = 0;
    const keep = (ms: number): void => { best = ms; };
    const cold = timeRuns(7, () => checkDrift({ project: data.project, env, hasher: new ArtifactHasher() }), keep);
    report('cold check, 1 000 artifacts, median (fresh hasher; target <= 1000)', cold, 'ms');
    report('  cold check, best of 7', best, 'ms');

    const hasher = new ArtifactHasher();
    expectInSync(checkDrift({ project: data.project, env, hasher }));
    const warm = timeRuns(21, () => checkDrift({ project: data.project, env, hasher }), keep);
    report('warm check, nothing changed, median (same hasher; target <= 50)', warm, 'ms');
    report('  warm check, best of 21', best, 'ms');
    const floor = timeRuns(21, statFloor([path.join(data.project, '.claude'), data.collection]), keep);
    report('  floor: stat every file + list every dir of both sides, median', floor, 'ms');
    report('  floor, best of 21', best, 'ms');

    // The extension's mode: its file watcher invalidates what changed, so unchanged artifacts cost no stat.
    const trusting = new ArtifactHasher(undefined, { trustWatcher: true });
    expectInSync(checkDrift({ project: data.project, env, hasher: trusting }));
    const trusted = timeRuns(21, () => checkDrift({ project: data.project, env, hasher: trusting }), keep);
    report('warm check, nothing changed, watcher-trusted cache (the extension), median', trusted, 'ms');
    report('  watcher-trusted warm check, best of 21', best, 'ms');

    const edited = path.join(data.project, '.claude', 'skills', 'skill-0007', 'SKILL.md');
    const after = timeRuns(5, () => {
      fs.appendFileSync(edited, 'x');
      const r = checkDrift({ project: data.project, env, hasher });
      if (r.artifacts.find((a) => a.name === 'skill-0007')?.state !== 'modified') throw new Error('the edit was not seen');
    });
    report('warm check after one file changed', after, 'ms');

    // The same project as SkillMeat itself would have recorded it: no tree hash of ours, so both sides are
    // hashed in SkillMeat's form too (exact, without junk, without junk and CRLF).
    await updateRecords(path.join(data.project, '.claude'), (f) => {
      for (const r of f.records) { delete r.fields[TREE_HASH_KEY]; r.sourceText = undefined; }
    });
    const smCold = timeRuns(3, () => {
      const r = checkDrift({ project: data.project, env, hasher: new ArtifactHasher() });
      if (r.artifacts.filter((a) => a.state === 'in-sync').length !== data.artifacts - 1) throw new Error('records written by SkillMeat: unexpected drift');
    });
    report('cold check, records as SkillMeat writes them (no tree hash)', smCold, 'ms');

    const cli = path.join(REPO, 'dist', 'cli.js');
    if (fs.existsSync(cli)) {
      const e2e = timeRuns(3, () => {
        const r = spawnSync(process.execPath, [cli, 'check', '--json', '--project', data.project], { env: { ...process.env, ...env }, encoding: 'utf8' });
        if (r.status !== 1 || !r.stdout.includes('"modified"')) throw new Error(`dist/cli.js check failed (${r.status}): ${r.stderr}`);
      });
      report('`skillmeat-sync check` end to end (new process, dist/cli.js)', e2e, 'ms');
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
