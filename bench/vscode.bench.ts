// Figures that need a real VS Code, measured by the bench-ui integration session in the real extension host:
// activation, view opened (activation) → first full drift report, a refresh, and save → updated report (through
// the API's onDidChangeReport) — on the example (15 artifacts) and on the generated 1 000-artifact set of the peer
// bench (scripts/bench-peer-data.ts, ~20 000 files). SMSYNC_BENCH_UI_LARGE=0 skips the large set.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePeerBenchData } from '../scripts/bench-peer-data';

type Report = (label: string, value: number, unit: string) => void;

interface Figures {
  activationMs: number; firstReportMs: number; firstPartialMs: number; refreshMs: number; artifacts: number;
  saveToReportMedianMs: number; saveToReportMinMs: number; saveToReportMaxMs: number; debounceMs: number;
  editorSaveMedianMs: number; editorSaveMaxMs: number; saveDebounceMs: number;
}

function session(root: string, env: NodeJS.ProcessEnv, fixture?: string): Figures {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-bench-ui-')), 'figures.json');
  const args = [path.join(root, 'scripts/run-vscode-tests.js'), '--only', 'bench-ui', ...(fixture ? ['--fixture', fixture] : [])];
  const r = spawnSync(process.execPath, args, { cwd: root, env: { ...env, SKILLMEAT_BENCH_OUT: out }, encoding: 'utf8' });
  try {
    if (!fs.existsSync(out)) throw new Error(`the bench-ui session wrote no figures (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-2000)}`);
    return JSON.parse(fs.readFileSync(out, 'utf8')) as Figures;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

function reportFigures(report: Report, f: Figures, label: string): void {
  report(`${label}: extension activation`, f.activationMs, 'ms');
  report(`${label}: activation → first full report (target <= ${f.artifacts > 100 ? 2000 : 1000})`, f.firstReportMs, 'ms');
  // -1: no partial report came (a small first check is whole before the first partial would be due).
  if (f.firstPartialMs >= 0) report(`${label}: activation → first rows in the tree (partial report, while hashing)`, f.firstPartialMs, 'ms');
  report(`${label}: refresh (every artifact verified by stats)`, f.refreshMs, 'ms');
  report(`${label}: editor save → updated report, median (includes ${f.saveDebounceMs} ms debounce)`, f.editorSaveMedianMs, `ms (max ${Math.round(f.editorSaveMaxMs)} ms)`);
  report(`${label}: editor save → updated report, median, excluding the debounce`, f.editorSaveMedianMs - f.saveDebounceMs, 'ms');
  report(`${label}: external write → updated report, median (file watcher + ${f.debounceMs} ms debounce)`, f.saveToReportMedianMs, `ms (min ${Math.round(f.saveToReportMinMs)}, max ${Math.round(f.saveToReportMaxMs)} ms)`);
  report(`${label}: external write → updated report, median, excluding the debounce`, f.saveToReportMedianMs - f.debounceMs, 'ms');
}

export async function run(report: Report): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const setup = spawnSync('bash', [path.join(root, 'scripts/setup-vscode-runtime.sh')], { encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`runtime setup failed: ${setup.stderr}`);
  const env = { ...process.env };
  for (const m of setup.stdout.trim().split('\n').pop()!.replace(/^export /, '').split(' ')) {
    const [k, v] = m.split('=');
    env[k] = v;
  }
  const small = session(root, env);
  reportFigures(report, small, `example (${small.artifacts} artifacts)`);
  if (process.env.SMSYNC_BENCH_UI_LARGE === '0') return;
  // The peer bench's data as a fixture: home/ is the SkillMeat home, project/ the workspace.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-bench-ui-large-')));
  try {
    const data = generatePeerBenchData(path.join(dir, 'gen'), 1);
    const fixture = path.join(dir, 'fixture');
    fs.mkdirSync(fixture);
    fs.renameSync(data.skillmeatHome, path.join(fixture, 'home'));
    fs.renameSync(data.project, path.join(fixture, 'project'));
    const large = session(root, env, fixture);
    reportFigures(report, large, `generated (${large.artifacts} artifacts)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
