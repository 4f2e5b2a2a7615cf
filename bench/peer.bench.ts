// SkillMeat Sync against the real SkillMeat, side by side in one run (issue 13): `skillmeat-sync check --json`
// as a new process (dist/cli.js) — cold (no stat cache) and warm (nothing changed since the last run) — and
// SkillMeat 0.9's own `SyncManager.check_drift` in its best mode (in a Python process after a discarded first
// run, imports not counted), on the same generated data (scripts/bench-peer-data.ts: 1 000 skills + 50 commands +
// 50 agents, ~10 000 files and 130 MB a side, 3 % drifted; ours cold also on a copy whose records are as SkillMeat
// deploys them, without our tree hash). Min / median of ≥ 5 rounds, each running every
// contender once (interleaved: the machine is shared and its load drifts over minutes), and the ratios. Then the
// scale curve (time and memory per artifact at 100 / 1 000 / 5 000 artifacts) and a 10 000-line three-way merge.
//
//   npm run bench -- --peer skillmeat                 everything (SkillMeat from SMSYNC_SKILLMEAT_PYTHON, or
//                                                     the venv SMSYNC_SKILLMEAT_VENV names: see docs/testing.md)
//   npm run bench -- --peer skillmeat --scale 0.1     a tenth of the data, for a quick run
//   npm run bench -- peer                             ours only (no SkillMeat), same data
//   npm run bench -- --peer skillmeat --before OLD/dist/cli.js
//                                                     also an older build of ours, in the same run (before → after)
// Options are also read from SMSYNC_BENCH_PEER, SMSYNC_BENCH_SCALE, SMSYNC_BENCH_RUNS, SMSYNC_BENCH_CURVE=0,
// SMSYNC_BENCH_BEFORE.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generatePeerBenchData, type PeerBenchData } from '../scripts/bench-peer-data';
import { RECORDS_FILE, TREE_HASH_KEY } from '../src/core/store/deploymentRecords';
import { mergeText } from '../src/core/sync/merge3';
import { prng } from './prng';

type Report = (label: string, value: number, unit: string) => void;

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The Python of a venv with SkillMeat installed, or undefined. */
function skillmeatPython(): string | undefined {
  const fromEnv = process.env.SMSYNC_SKILLMEAT_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = process.env.SMSYNC_SKILLMEAT_VENV;
  if (!venv) return undefined;
  const py = path.join(venv, 'bin', 'python');
  return fs.existsSync(py) ? py : undefined;
}

/** Wall time, CPU time (user + system, all threads: steadier than wall on a shared machine), peak memory. */
interface OurRun { ms: number; cpuMs: number; maxRssMb: number; states: Record<string, number> }

/**
 * The environment our CLI runs in: a user's. This machine sets NODE_EXTRA_CA_CERTS, which makes every Node process
 * parse the whole CA bundle before running a line of JavaScript (~65 ms here, a third of a warm check) — a check opens
 * no TLS connection, and a user's shell rarely sets it. The bench also measures the warm check with it set, and says so.
 */
function userEnv(data: PeerBenchData, keepMachineEnv = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKILLMEAT_HOME: data.skillmeatHome, HOME: data.home };
  if (!keepMachineEnv) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/**
 * One `skillmeat-sync check --json` in a new process; its wall time, peak memory and state counts. Each build has its
 * own store folder (`--store`): its stat cache is its own (a newer build removes an older format's file).
 */
function ourCheck(data: PeerBenchData, cli = CLI, keepMachineEnv = false, project = data.project): OurRun {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, cli, 'check', '--json', '--project', project, '--store', storeOf(data, cli)], {
    env: userEnv(data, keepMachineEnv), encoding: 'utf8', maxBuffer: 1 << 30,
  });
  const ms = performance.now() - t0;
  if (r.status !== 1) throw new Error(`check exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const report = JSON.parse(r.stdout) as { artifacts: { state: string }[] };
  const states: Record<string, number> = {};
  for (const a of report.artifacts) states[a.state] = (states[a.state] ?? 0) + 1;
  if (states.modified !== data.modified.length || states.outdated !== data.outdated.length || states['in-sync'] !== data.artifacts - data.modified.length - data.outdated.length) {
    throw new Error(`unexpected drift: ${JSON.stringify(states)}`);
  }
  const [rss, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, cpuMs: (user + sys) * 1000, maxRssMb: rss / 1024, states };
}

const storeOf = (data: PeerBenchData, cli: string): string => path.join(data.skillmeatHome, cli === CLI ? 'sync' : 'sync-before');
const dropCache = (data: PeerBenchData, cli: string): void => { fs.rmSync(path.join(storeOf(data, cli), 'stat-cache'), { recursive: true, force: true }); };

/** One round of one build: a cold check (no stat cache), one unmeasured check (it may complete the cache), a warm one. */
function ourRound(data: PeerBenchData, cli = CLI): { cold: OurRun; warm: OurRun } {
  dropCache(data, cli);
  const cold = ourCheck(data, cli);
  ourCheck(data, cli);
  return { cold, warm: ourCheck(data, cli) };
}

/** SkillMeat's check_drift `runs` times in one process, after one discarded run (it records versions first). */
function skillmeat(py: string, data: PeerBenchData, project: string, runs: number): number[] {
  const r = spawnSync(py, [path.join(__dirname, 'peers', 'skillmeat_check_drift.py'), project, String(runs + 1)], {
    env: { ...process.env, HOME: data.home, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8', maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`SkillMeat driver exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { times_ms: number[]; drift: Record<string, number> };
  if ((out.drift.modified ?? 0) !== data.modified.length || (out.drift.outdated ?? 0) !== data.outdated.length) {
    throw new Error(`SkillMeat saw other drift than generated: ${JSON.stringify(out.drift)}`);
  }
  return out.times_ms.slice(1);
}

function withData<T>(scale: number, fn: (d: PeerBenchData) => T): T {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-bench-peer-')));
  try { return fn(generatePeerBenchData(dir, scale)); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

export async function run(report: Report): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: npm run build');
  const peer = process.env.SMSYNC_BENCH_PEER;
  const scale = Number(process.env.SMSYNC_BENCH_SCALE ?? 1);
  const runs = Math.max(5, Number(process.env.SMSYNC_BENCH_RUNS ?? 5));
  const py = peer === 'skillmeat' ? skillmeatPython() : undefined;
  if (peer === 'skillmeat' && !py) throw new Error('--peer skillmeat: no SkillMeat venv (set SMSYNC_SKILLMEAT_PYTHON to its bin/python)');
  if (peer && peer !== 'skillmeat') throw new Error(`--peer ${peer}: only skillmeat is known`);

  const beforeCli = process.env.SMSYNC_BENCH_BEFORE ? path.resolve(process.env.SMSYNC_BENCH_BEFORE) : undefined;
  if (beforeCli && !fs.existsSync(beforeCli)) throw new Error(`--before ${beforeCli}: no such file (an older build's dist/cli.js)`);
  withData(scale, (data) => {
    report('artifacts (skills + commands + agents)', data.artifacts, 'artifacts');
    report('files per side', data.files, 'files');
    report('bytes per side', data.bytes / 1e6, 'MB');
    const ms = (rs: OurRun[]) => rs.map((r) => r.ms);
    // SkillMeat rewrites the records file it checks (and drops keys it does not know): give it its own copy.
    const smProject = data.project + '-skillmeat';
    if (py) {
      const cp = spawnSync('cp', ['-a', data.project, smProject]);
      if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr.toString()}`);
    }
    // Rounds, interleaved: each round runs every contender once (an older build, ours, ours with this machine's
    // environment, SkillMeat), so a change in the machine's load (it is shared) weighs on all of them alike.
    const machineEnvSet = !!process.env.NODE_EXTRA_CA_CERTS;
    // The same project as SkillMeat's deploy leaves it: records without our tree hash (SkillMeat Sync adds it when
    // it deploys or syncs). A first check of such a project compares SkillMeat's hash forms, from the same bytes.
    const smDeployed = data.project + '-skillmeat-deployed';
    const cp = spawnSync('cp', ['-a', data.project, smDeployed]);
    if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr.toString()}`);
    const recordsFile = path.join(smDeployed, '.claude', RECORDS_FILE);
    fs.writeFileSync(recordsFile, fs.readFileSync(recordsFile, 'utf8').replace(new RegExp(`^${TREE_HASH_KEY} = .*\\n`, 'gm'), ''));
    const coldSmDeployed: OurRun[] = [];
    for (const cli of [CLI, ...(beforeCli ? [beforeCli] : [])]) { dropCache(data, cli); ourCheck(data, cli); } // page cache warm-up
    const before = { cold: [] as OurRun[], warm: [] as OurRun[], coldSmDeployed: [] as OurRun[] };
    const now = { cold: [] as OurRun[], warm: [] as OurRun[] };
    const warmMachine: OurRun[] = [];
    const sm: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (beforeCli) {
        const r = ourRound(data, beforeCli);
        before.cold.push(r.cold);
        before.warm.push(r.warm);
        dropCache(data, beforeCli);
        before.coldSmDeployed.push(ourCheck(data, beforeCli, false, smDeployed));
      }
      const r = ourRound(data);
      now.cold.push(r.cold);
      now.warm.push(r.warm);
      // The same warm check with this machine's environment as it is (see userEnv).
      if (machineEnvSet) warmMachine.push(ourCheck(data, CLI, true));
      // After the warm checks: it leaves the stat cache holding the other project.
      dropCache(data, CLI);
      coldSmDeployed.push(ourCheck(data, CLI, false, smDeployed));
      if (py) sm.push(...skillmeat(py, data, smProject, 1));
    }
    if (beforeCli) {
      report(`before (${path.relative(REPO, beforeCli) || beforeCli}) cold: min of ${runs}`, Math.min(...ms(before.cold)), 'ms');
      report('before cold: median', median(ms(before.cold)), 'ms');
      report(`before warm: min of ${runs}`, Math.min(...ms(before.warm)), 'ms');
      report('before warm: median', median(ms(before.warm)), 'ms');
      report(`before cold, records as SkillMeat deploys them: min of ${runs}`, Math.min(...ms(before.coldSmDeployed)), 'ms');
      report('before cold, records as SkillMeat deploys them: median', median(ms(before.coldSmDeployed)), 'ms');
      report('before peak memory, cold / warm', Math.max(...before.cold.map((r) => r.maxRssMb)), 'MB');
      report('  warm', Math.max(...before.warm.map((r) => r.maxRssMb)), 'MB');
    }
    const { cold, warm } = now;
    report(`ours cold (no stat cache), new process: min of ${runs}`, Math.min(...ms(cold)), 'ms');
    report('ours cold: median', median(ms(cold)), 'ms');
    report(`ours warm (nothing changed), new process: min of ${runs}`, Math.min(...ms(warm)), 'ms');
    report('ours warm: median', median(ms(warm)), 'ms');
    const cpu = (rs: OurRun[]) => rs.map((r) => r.cpuMs);
    if (beforeCli) {
      report('before cold CPU (user + system): min', Math.min(...cpu(before.cold)), 'ms');
      report('before cold CPU: median', median(cpu(before.cold)), 'ms');
    }
    report('ours cold CPU (user + system, all threads): min', Math.min(...cpu(cold)), 'ms');
    report('ours cold CPU: median', median(cpu(cold)), 'ms');
    report(`ours cold, records as SkillMeat deploys them (no tree hash of ours): min of ${runs}`, Math.min(...ms(coldSmDeployed)), 'ms');
    report('ours cold, records as SkillMeat deploys them: median', median(ms(coldSmDeployed)), 'ms');
    report('ours peak memory, cold / warm', Math.max(...cold.map((r) => r.maxRssMb)), 'MB');
    report('  warm', Math.max(...warm.map((r) => r.maxRssMb)), 'MB');
    if (machineEnvSet) {
      report(`ours warm with this machine's NODE_EXTRA_CA_CERTS: min of ${runs}`, Math.min(...ms(warmMachine)), 'ms');
      report('ours warm with NODE_EXTRA_CA_CERTS: median', median(ms(warmMachine)), 'ms');
    }
    if (!py) return;
    report(`SkillMeat check_drift (in process, after a discarded first run): min of ${runs}`, Math.min(...sm), 'ms');
    report('SkillMeat check_drift: median', median(sm), 'ms');
    report('ratio SkillMeat / ours cold, min (target >= 4)', Math.min(...sm) / Math.min(...ms(cold)), 'x');
    report('ratio SkillMeat / ours cold, median', median(sm) / median(ms(cold)), 'x');
    report('ratio SkillMeat / ours cold on records as SkillMeat deploys them, min', Math.min(...sm) / Math.min(...ms(coldSmDeployed)), 'x');
    report('ratio SkillMeat / ours cold on records as SkillMeat deploys them, median', median(sm) / median(ms(coldSmDeployed)), 'x');
    report('ratio SkillMeat / ours warm, min (target >= 10)', Math.min(...sm) / Math.min(...ms(warm)), 'x');
    report('ratio SkillMeat / ours warm, median', median(sm) / median(ms(warm)), 'x');
    if (machineEnvSet) {
      report('ratio SkillMeat / ours warm with NODE_EXTRA_CA_CERTS, min', Math.min(...sm) / Math.min(...ms(warmMachine)), 'x');
      report('ratio SkillMeat / ours warm with NODE_EXTRA_CA_CERTS, median', median(sm) / median(ms(warmMachine)), 'x');
    }
    if (beforeCli) {
      report('before: ratio SkillMeat / cold, min', Math.min(...sm) / Math.min(...ms(before.cold)), 'x');
      report('before: ratio SkillMeat / cold, median', median(sm) / median(ms(before.cold)), 'x');
      report('before: ratio SkillMeat / warm, min', Math.min(...sm) / Math.min(...ms(before.warm)), 'x');
      report('before: ratio SkillMeat / warm, median', median(sm) / median(ms(before.warm)), 'x');
    }
  });

  mergeBench(report);
  if (process.env.SMSYNC_BENCH_CURVE === '0') return;
  // ---- scale curve: 100 / 1 000 / 5 000 artifacts (times `scale`) ----
  for (const s of [0.1, 1, 5].map((x) => x * scale)) {
    withData(s, (data) => {
      const rounds = [0, 1, 2].map(() => ourRound(data));
      const [cold, warm] = [rounds.map((r) => r.cold), rounds.map((r) => r.warm)];
      const n = data.artifacts;
      report(`curve ${n} artifacts: cold check per artifact (min of 3)`, (Math.min(...cold.map((r) => r.ms)) / n) * 1000, 'µs');
      report(`curve ${n} artifacts: warm check per artifact (min of 3)`, (Math.min(...warm.map((r) => r.ms)) / n) * 1000, 'µs');
      report(`curve ${n} artifacts: peak memory cold`, Math.max(...cold.map((r) => r.maxRssMb)), 'MB');
      report(`curve ${n} artifacts: peak memory warm`, Math.max(...warm.map((r) => r.maxRssMb)), 'MB');
      report(`curve ${n} artifacts: peak memory cold per artifact`, (Math.max(...cold.map((r) => r.maxRssMb)) * 1024) / n, 'KB');
    });
  }
}

/** A 10 000-line three-way merge (median of 5). */
export function mergeBench(report: Report): void {
  const rand = prng(11);
  const base = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${Math.floor(rand() * 1e9)}`);
  // 200 edits a side, never on the same or neighbouring lines (97/89 strides met: a conflict, so it never ran clean).
  const ours3 = base.map((l, i) => (i % 50 === 10 ? l + ' ours' : l));
  const theirs3 = base.map((l, i) => (i % 50 === 35 ? l + ' theirs' : l));
  const join = (ls: string[]) => ls.join('\n') + '\n';
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const m = mergeText(join(ours3), join(base), join(theirs3));
    if (!m.clean) throw new Error('the bench merge should be clean');
    if (m.text.split('\n').filter((l) => l.endsWith(' ours') || l.endsWith(' theirs')).length !== 400) throw new Error('the merge lost an edit');
    times.push(performance.now() - t0);
  }
  report('three-way merge, 10 000 lines, 200 edits a side: median of 5', median(times), 'ms');
}
