// SYNC.json generators (SPEC §7, issue 5): generating the structured-notes example from 10 000 state rows
// end to end (runner → bash → ambrogioctl shim → `state list` → python3 → atomic rename), its parts, and
// `sync validate` over 200 skills. Medians of a few runs; temp directories only.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { generatorsCommand } from '../src/cli/generators';
import type { CliIO } from '../src/cli/generators';
import { AmbrogioStateSource, OwnStateStore, generatorStatus, runGenerator, validateManifest } from '../src/core/generators';
import type { ShimCommand } from '../src/core/generators';

const ROWS = 10_000;
const SKILLS = 200;
const REPO = path.resolve(__dirname, '..');
const EXAMPLE = path.join(REPO, 'examples', 'generators', 'structured-notes');
const TYPES = ['idea', 'decision', 'todo', 'reference', 'question'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The stand-in CLI the tests use (routes `state …` to stateCommand), bundled like dist/cli.js. */
async function bundledStateCli(dir: string): Promise<ShimCommand> {
  const outfile = path.join(dir, 'cli.js');
  await esbuild.build({
    entryPoints: [path.join(REPO, 'test', 'fixtures', 'generators', 'state-cli.ts')],
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error',
  });
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dir, 'sql-wasm.wasm'));
  return { nodePath: process.execPath, cliPath: outfile };
}

function noteRows(): { key: string; value: string }[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    key: `notes:entry:${String(i).padStart(5, '0')}`,
    value: JSON.stringify({ type: TYPES[i % TYPES.length], title: `Note number ${i}`, body: `Body of note ${i}: ${'lorem ipsum '.repeat(4)}` }),
  }));
}

function silentIO(cwd: string, env: NodeJS.ProcessEnv): CliIO & { text: string } {
  const io = { text: '', cwd, env, isTTY: false, out(s: string) { io.text += `${s}\n`; }, err(s: string) { io.text += `${s}\n`; } };
  return io;
}

/** Runs the generator benchmarks and reports each figure. */
export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-bench-gen-')));
  try {
    const home = path.join(root, 'home');
    const env: NodeJS.ProcessEnv = { ...process.env, SKILLMEAT_HOME: home };
    delete env.SKILLMEAT_SYNC_STATE_DB;
    delete env.SKILLMEAT_SYNC_STATE_KIND;
    const shim = await bundledStateCli(fs.mkdtempSync(path.join(root, 'cli-')));

    // --- 10 000 rows through the example generator ---
    const ws = path.join(root, 'ws');
    const skillDir = path.join(ws, '.claude', 'skills', 'structured-notes');
    fs.cpSync(EXAMPLE, skillDir, { recursive: true });
    const dbFile = path.join(home, 'state.db');
    const store = await OwnStateStore.open(dbFile);
    const rows = noteRows();
    const seedMs = await timeIt(1, () => store.setMany(rows));
    report('state store: write 10 000 rows in one atomic replacement', seedMs, 'ms');
    report('state store: database size', fs.statSync(dbFile).size / 1024, 'KiB');
    report('state store: list 10 000 rows in process', await timeIt(5, () => store.list(['notes:entry:*'])), 'ms');

    const shimDir = path.join(root, 'shim');
    fs.mkdirSync(shimDir);
    const opts = { state: store, shim, shimDir, isTrusted: () => true, runRecordFile: path.join(home, 'generators.json'), env, force: true };
    const manifest = path.join(skillDir, 'SYNC.json');
    const first = await runGenerator({ file: manifest, workspaceFolder: ws }, opts);
    if (!first.ok) throw new Error(`bench generator failed: ${first.message}\n${first.stderr}`);
    const shimList = await timeIt(3, () => execFileSync(path.join(shimDir, 'ambrogioctl'), ['state', 'list', '--pattern', 'notes:entry:*', '--json'], { env, maxBuffer: 64 << 20 }));
    report('ambrogioctl state list --json, 10 000 rows (process start included)', shimList, 'ms');
    const genMs = await timeIt(3, async () => {
      const r = await runGenerator({ file: manifest, workspaceFolder: ws }, opts);
      if (!r.ok) throw new Error(r.message);
    });
    report('generate NOTES.md from 10 000 rows (example bash + python3 generator, end to end)', genMs, 'ms');
    report('generated NOTES.md size', fs.statSync(path.join(ws, 'NOTES.md')).size / 1024, 'KiB');
    const v = validateManifest(manifest, ws);
    report('generator status (stale + hand-edit check) over 10 000 rows', await timeIt(5, () => generatorStatus(v, { state: store, runRecordFile: opts.runRecordFile })), 'ms');

    // --- the same rows committed only to an ambrogio WAL database, when the sqlite3 program is installed ---
    if (spawnSync('sqlite3', ['-version']).status === 0) {
      const amb = path.join(root, 'amb', 'state.db');
      fs.mkdirSync(path.dirname(amb));
      const q = (x: string): string => `'${x.replace(/'/g, "''")}'`;
      const sql = ['PRAGMA journal_mode=WAL;', 'PRAGMA wal_autocheckpoint=0;', 'CREATE TABLE runtime_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);', 'BEGIN;',
        ...rows.map((r) => `INSERT INTO runtime_kv VALUES (${q(r.key)}, ${q(r.value)}, '2026-02-13 10:00:00');`), 'COMMIT;', "SELECT 'ready';", ''].join('\n');
      // the connection stays open while we read, so the rows stay in the -wal file (closing would checkpoint)
      const sqlite = spawn('sqlite3', ['-batch', amb], { stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        sqlite.stdout.setEncoding('utf8');
        sqlite.stdout.on('data', (d: string) => { out += d; if (out.includes('ready')) resolve(); });
        sqlite.on('close', (code) => reject(new Error(`sqlite3 exited ${code}`)));
        sqlite.stdin.write(sql);
      });
      try {
        report('ambrogio state.db: -wal size holding the 10 000 rows', fs.statSync(`${amb}-wal`).size / 1024, 'KiB');
        report('ambrogio state.db: WAL replay + list 10 000 rows (fresh reader)', await timeIt(5, async () => {
          const source = await AmbrogioStateSource.open(amb);
          if (source.list(['notes:entry:*']).length !== ROWS) throw new Error('rows missing from the WAL replay');
        }), 'ms');
      } finally {
        await new Promise<void>((resolve) => { sqlite.removeAllListeners('close'); sqlite.on('close', () => resolve()); sqlite.stdin.end(); });
      }
    }

    // --- sync validate over 200 skills ---
    const many = path.join(root, 'many');
    for (let i = 0; i < SKILLS; i++) {
      const dir = path.join(many, '.claude', 'skills', `skill-${String(i).padStart(3, '0')}`);
      fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'SKILL.md'), `---\nname: skill-${i}\n---\n`);
      fs.writeFileSync(path.join(dir, 'scripts', 'sync.sh'), '#!/bin/sh\necho x > "$SYNC_OUTPUT_FILE"\n', { mode: 0o755 });
      // one in ten is invalid, so the error path is measured too
      const m = i % 10 === 0
        ? { version: 1, outputFile: '../escape.md', patterns: [], generator: './scripts/sync.sh' }
        : { version: '1', outputFile: `docs/out-${i}.md`, patterns: [`skill${i}:*`], generator: './scripts/sync.sh', description: `Skill ${i}` };
      fs.writeFileSync(path.join(dir, 'SYNC.json'), JSON.stringify(m, null, 2));
    }
    let exit = -1;
    const validateMs = await timeIt(5, async () => { exit = await generatorsCommand(['validate', '--json', '--project', many], silentIO(many, env)); });
    if (exit !== 1) throw new Error(`sync validate over ${SKILLS} skills exited ${exit}, expected 1 (20 invalid)`);
    report('sync validate over 200 skills (20 invalid), in process', validateMs, 'ms');
    report('sync validate, per skill', validateMs / SKILLS, 'ms');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void run((label, value, unit) => console.log(`${label}: ${Number.isInteger(value) ? value : value.toFixed(2)} ${unit}`));
}
