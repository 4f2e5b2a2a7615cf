// Figures that need a real VS Code: activation time and save → updated drift report (through the API's
// onDidChangeReport), measured by the bench-ui integration session in the real extension host.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type Report = (label: string, value: number, unit: string) => void;

export async function run(report: Report): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const setup = spawnSync('bash', [path.join(root, 'scripts/setup-vscode-runtime.sh')], { encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`runtime setup failed: ${setup.stderr}`);
  const env = { ...process.env };
  for (const m of setup.stdout.trim().split('\n').pop()!.replace(/^export /, '').split(' ')) {
    const [k, v] = m.split('=');
    env[k] = v;
  }
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-bench-ui-')), 'figures.json');
  env.SKILLMEAT_BENCH_OUT = out;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/run-vscode-tests.js'), '--only', 'bench-ui'], { cwd: root, env, encoding: 'utf8' });
  if (!fs.existsSync(out)) throw new Error(`the bench-ui session wrote no figures (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-2000)}`);
  const f = JSON.parse(fs.readFileSync(out, 'utf8')) as {
    activationMs: number; saveToReportMedianMs: number; saveToReportMinMs: number; saveToReportMaxMs: number; debounceMs: number;
    editorSaveMedianMs: number; editorSaveMaxMs: number; saveDebounceMs: number;
  };
  report('extension activation', f.activationMs, 'ms');
  report(`editor save → updated report, median (includes ${f.saveDebounceMs} ms debounce)`, f.editorSaveMedianMs, `ms (max ${Math.round(f.editorSaveMaxMs)} ms)`);
  report('editor save → updated report, median, excluding the debounce', f.editorSaveMedianMs - f.saveDebounceMs, 'ms');
  report(`external write → updated report, median (file watcher + ${f.debounceMs} ms debounce)`, f.saveToReportMedianMs, `ms (min ${Math.round(f.saveToReportMinMs)}, max ${Math.round(f.saveToReportMaxMs)} ms)`);
  report('external write → updated report, median, excluding the debounce', f.saveToReportMedianMs - f.debounceMs, 'ms');
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
}
