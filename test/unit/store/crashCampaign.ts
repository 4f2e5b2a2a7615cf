// The crash campaign (issue 12): the CLI, as it ships (one bundle), is killed with SIGKILL at injected write
// points (SKILLMEAT_SYNC_CRASH_AT, see fsutil's writePoint) across deploy, update, pull, undo, restore and capture,
// of one artifact and of twelve. After
// each kill: every artifact is entirely old or entirely new, the records file parses and lists the artifact, every
// stored version's content is there, and a re-run of the same command leaves no leftovers and converges on the
// state an uninterrupted run gives. Shared by the unit test (a sample) and `npm run bench` (every point).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { readRecords, viewRecord } from '../../../src/core/store/deploymentRecords';
import { VersionStore } from '../../../src/core/store/versionStore';
import { isStagingPath } from '../../../src/core/store/fsutil';
import { recoverProjectWrites } from '../../../src/core/store/recovery';
import { addSkill, addCommand, snapshotDir, makeWorld } from '../helpers';
import { artifactKey } from '../../../src/core/model';
import { recoverInterruptedOperations } from '../../../src/core/sync/recover';
import { prng } from '../../../bench/prng';

const REPO = path.resolve(__dirname, '../../..');

export interface Trial { command: string; point: number; violations: string[] }
export interface CampaignResult { trials: Trial[]; points: Record<string, number> }

interface Scenario { name: string; argv: (world: string) => string[]; watched: string[]; prepare?: string[][] }

/** A world (home + project) prepared once and copied for every trial. */
async function makeTemplate(dir: string, cli: string): Promise<string> {
  const w = makeWorld((tag = 'w') => { const d = path.join(dir, tag); fs.mkdirSync(d, { recursive: true }); return d; });
  addSkill(w.collection, 'review', { 'notes.md': 'one\ntwo\nthree\n' });
  addSkill(w.collection, 'other', { 'notes.md': 'x\n' });
  addCommand(w.collection, 'ship', 'Ship it.\n');
  addCommand(w.collection, 'notes', 'Take notes.\n');
  addSkill(w.collection, 'guide', { 'a.md': 'a\n', 'b.md': 'b\n' });
  const run = (...argv: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...argv, '--project', w.project], { env: { ...process.env, SKILLMEAT_HOME: w.home }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`template: ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  };
  // Twelve skills and twelve commands for the scenarios that write many artifacts in one run.
  const BULK = Array.from({ length: 12 }, (_, i) => `bulk-${i}`);
  for (const n of BULK) { addSkill(w.collection, n, { 'notes.md': `${n}\n` }); addCommand(w.collection, `ops/${n}`, `${n}\n`); }
  run('deploy', 'review', 'ship', 'notes', 'guide', ...BULK);
  run('deploy', '--type', 'command', ...BULK.map((n) => `ops/${n}`));
  for (const n of BULK) {
    fs.appendFileSync(path.join(w.claude, 'skills', n, 'notes.md'), 'edited in the project\n');
    fs.appendFileSync(path.join(w.collection, 'commands', 'ops', `${n}.md`), 'edited in the collection\n');
    addSkill(w.collection, `new-${n}`, { 'notes.md': `new ${n}\n` });
  }
  fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'notes.md'), 'four (project)\n');
  fs.appendFileSync(path.join(w.collection, 'commands', 'ship.md'), 'Carefully.\n');
  run('capture', 'review');
  // For the undo scenario (whose update runs in each copy: the version store keeps a sync per project path).
  fs.appendFileSync(path.join(w.collection, 'commands', 'notes.md'), 'In full sentences.\n');
  fs.appendFileSync(path.join(w.collection, 'skills', 'guide', 'a.md'), 'more a\n');
  fs.writeFileSync(path.join(w.collection, 'skills', 'guide', 'c.md'), 'c\n');
  // For the prune scenario: forty captures of "other" from a month ago, each with content of its own.
  const store = await VersionStore.open(path.join(w.home, 'sync'));
  try {
    const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
    await store.transact((s) => {
      for (let i = 0; i < 40; i++) {
        const t = s.putContent('dir', [{ rel: 'SKILL.md', data: Buffer.from(`# other\nold capture ${i}\n`) }, { rel: 'notes.md', data: Buffer.from(`${i}\n`.repeat(i + 1)) }]);
        s.addVersion({ artifactKey: artifactKey('.claude', 'skill', 'other'), treeHash: t.treeHash, origin: 'capture', at: old, project: w.project });
      }
    });
  } finally { store.close(); }
  return path.dirname(w.home);
}

const SCENARIOS: Scenario[] = [
  { name: 'deploy', argv: () => ['deploy', 'other'], watched: ['project/.claude/skills/other'] },
  { name: 'pull', argv: () => ['pull', 'review', '--strategy', 'overwrite'], watched: ['project/.claude/skills/review', 'home/collections/default/skills/review'] },
  { name: 'update', argv: () => ['update', 'ship', '--strategy', 'overwrite'], watched: ['project/.claude/commands/ship.md'] },
  { name: 'restore', argv: () => ['restore', 'review', '1'], watched: ['project/.claude/skills/review'] },
  { name: 'capture', argv: () => ['capture'], watched: [] },
  { name: 'deploy many', argv: () => ['deploy', ...Array.from({ length: 12 }, (_, i) => `new-bulk-${i}`)], watched: Array.from({ length: 12 }, (_, i) => `project/.claude/skills/new-bulk-${i}`) },
  { name: 'pull many', argv: () => ['pull', '--strategy', 'merge', ...Array.from({ length: 12 }, (_, i) => `bulk-${i}`)], watched: Array.from({ length: 12 }, (_, i) => `home/collections/default/skills/bulk-${i}`) },
  { name: 'update many', argv: () => ['update', '--strategy', 'merge', '--type', 'command'], watched: Array.from({ length: 12 }, (_, i) => `project/.claude/commands/ops/bulk-${i}.md`) },
  {
    name: 'undo many', argv: () => ['undo'], watched: Array.from({ length: 12 }, (_, i) => `project/.claude/commands/ops/bulk-${i}.md`),
    prepare: [['update', '--strategy', 'merge', '--type', 'command']],
  },
  { name: 'prune', argv: () => ['prune'], watched: [] },
  {
    name: 'undo', argv: () => ['undo'], watched: ['project/.claude/commands/notes.md', 'project/.claude/skills/guide'],
    prepare: [['update', 'notes', 'guide', '--strategy', 'overwrite']],
  },
];

function cliRun(cli: string, world: string, argv: string[], crashAt?: string) {
  return spawnSync(process.execPath, [cli, ...argv, '--project', path.join(world, 'project')], {
    env: { ...process.env, SKILLMEAT_HOME: path.join(world, 'home'), ...(crashAt ? { SKILLMEAT_SYNC_CRASH_AT: crashAt } : {}) }, encoding: 'utf8',
  });
}

function contentOf(p: string): string {
  if (!fs.existsSync(p)) return '(absent)';
  return JSON.stringify([...snapshotDir(p).entries()].map(([rel, e]) => [rel, e.kind, e.sha256 ?? '']));
}

/** A watched artifact's content together with its record's baseline: after recovery both must be old, or both new. */
function stateOf(world: string, watched: string): string {
  const rel = watched.replace(/^project\/\.claude\/|^home\/collections\/default\//, '');
  let baseline = '(unreadable records)';
  try {
    const rec = readRecords(path.join(world, 'project', '.claude')).records.map(viewRecord).find((v) => !v.invalid && v.relPath === rel);
    baseline = rec ? `${rec.contentHash} ${rec.treeHash ?? ''}` : '(no record)';
  } catch { /* reported below */ }
  return `${contentOf(path.join(world, watched))} @ ${baseline}`;
}

function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (isStagingPath(abs) && !e.name.endsWith('.lock')) out.push(abs);
      else if (e.isDirectory()) walk(abs);
    }
  };
  walk(dir);
  return out;
}

async function storeProblems(world: string): Promise<string[]> {
  const problems: string[] = [];
  let store: VersionStore;
  try { store = await VersionStore.open(path.join(world, 'home', 'sync')); } catch (e) { return [`the version store does not open: ${(e as Error).message}`]; }
  try {
    for (const v of store.projectVersions(path.join(world, 'project'))) {
      const t = store.getTree(v.treeHash);
      if (!t) { problems.push(`version #${v.id} has no tree`); continue; }
      for (const f of t.files) { try { store.readBlob(f.blob); } catch { problems.push(`version #${v.id}: the content of ${f.rel} is gone`); } }
    }
  } finally { store.close(); }
  return problems;
}

/** Runs the campaign: every write point of every scenario (or `sample` evenly spread ones), then `timed` kills at random times. */
export async function runCrashCampaign(opts: { sample?: number; timed?: number } = {}): Promise<CampaignResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-crash-'));
  try {
    const cli = path.join(dir, 'cli.js');
    await esbuild.build({ entryPoints: [path.join(REPO, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: cli, logLevel: 'silent' });
    fs.copyFileSync(path.join(REPO, 'node_modules/sql.js/dist/sql-wasm.wasm'), path.join(dir, 'sql-wasm.wasm'));
    const template = await makeTemplate(path.join(dir, 'template'), cli);
    const copy = (tag: string, s?: Scenario) => {
      const d = path.join(dir, tag);
      fs.cpSync(template, d, { recursive: true });
      for (const argv of s?.prepare ?? []) {
        const r = cliRun(cli, d, argv);
        if (r.status !== 0) throw new Error(`${s!.name}: preparing with ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
      }
      return d;
    };
    const result: CampaignResult = { trials: [], points: {} };
    for (const s of SCENARIOS) {
      const ref = copy(`${s.name}-ref`, s);
      const before = Object.fromEntries(s.watched.map((w) => [w, stateOf(ref, w)]));
      const t0 = Date.now();
      const counted = cliRun(cli, ref, s.argv(ref), 'count');
      const refMs = Date.now() - t0;
      if (counted.status !== 0) throw new Error(`${s.name}: the uninterrupted run exited ${counted.status}: ${counted.stderr}`);
      const total = Number(/write points: (\d+)/.exec(counted.stderr)?.[1] ?? 0);
      result.points[s.name] = total;
      const after = Object.fromEntries(s.watched.map((w) => [w, stateOf(ref, w)]));
      const points = Array.from({ length: total }, (_, i) => i + 1);
      const chosen = opts.sample && opts.sample < total ? Array.from({ length: opts.sample }, (_, i) => points[Math.floor((i * total) / opts.sample!)]) : points;
      const verify = async (world: string, trial: string, killed: boolean): Promise<string[]> => {
        const violations: string[] = [];
        if (!killed) violations.push(`not killed at ${trial}`);
        // The next start (of the CLI or the extension) finishes what the killed run left; then every artifact is whole.
        const recovered = recoverProjectWrites({ projects: [path.join(world, 'project')], collections: [path.join(world, 'home', 'collections', 'default')], storeDir: path.join(world, 'home', 'sync') });
        violations.push(...recovered.problems);
        const store = await VersionStore.open(path.join(world, 'home', 'sync'));
        try {
          for (const op of await recoverInterruptedOperations({ project: path.join(world, 'project'), store })) {
            if (op.outcome === 'failed') violations.push(`the interrupted ${op.journal.operation} could not be recovered: ${op.message}`);
          }
        } finally { store.close(); }
        for (const w of s.watched) {
          const now = stateOf(world, w);
          if (now !== before[w] && now !== after[w]) violations.push(`${w} (content @ record) is neither old nor new after the kill and the next start: ${now}`);
        }
        try { readRecords(path.join(world, 'project', '.claude')).records.forEach(viewRecord); } catch (e) { violations.push(`records unreadable: ${(e as Error).message}`); }
        violations.push(...await storeProblems(world));
        const again = cliRun(cli, world, s.argv(world));
        if (again.status !== 0) violations.push(`the re-run exited ${again.status}: ${again.stderr.trim().split('\n').pop()}`);
        for (const w of s.watched) if (contentOf(path.join(world, w)) !== after[w].split(' @ ')[0]) violations.push(`${w} did not converge on the uninterrupted result`);
        const left = [...leftovers(path.join(world, 'project')), ...leftovers(path.join(world, 'home'))];
        if (left.length) violations.push(`leftovers after the re-run: ${left.map((p) => path.relative(world, p)).join(', ')}`);
        if (!readRecords(path.join(world, 'project', '.claude')).records.map(viewRecord).some((v) => v.name === 'review')) violations.push('the record of review was lost');
        violations.push(...await storeProblems(world));
        fs.rmSync(world, { recursive: true, force: true });
        return violations;
      };
      for (const k of chosen) {
        const world = copy(`${s.name}-${k}`, s);
        const crashed = cliRun(cli, world, s.argv(world), String(k));
        result.trials.push({ command: s.name, point: k, violations: await verify(world, `write point ${k}`, crashed.signal === 'SIGKILL') });
      }
      // Kills at random times as well (not only at write points): anywhere in the run, or after it finished.
      const rand = prng(0x5eed + total);
      for (let i = 0; i < (opts.timed ?? 0); i++) {
        const world = copy(`${s.name}-t${i}`, s);
        const delay = Math.floor(rand() * refMs * 1.2);
        const child = spawn(process.execPath, [cli, ...s.argv(world), '--project', path.join(world, 'project')], { env: { ...process.env, SKILLMEAT_HOME: path.join(world, 'home') }, stdio: 'ignore' });
        const timer = setTimeout(() => child.kill('SIGKILL'), delay);
        await new Promise((r) => child.on('exit', r));
        clearTimeout(timer);
        result.trials.push({ command: `${s.name} (timed)`, point: delay, violations: await verify(world, `${delay} ms`, true) });
      }
    }
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
