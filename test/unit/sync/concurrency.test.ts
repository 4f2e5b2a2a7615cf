// Real processes: two CLIs syncing different artifacts of one project at the same time keep each other's
// records (and version-store entries), and a sync killed part-way is finished off by `undo`.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { readRecords, viewRecord } from '../../../src/core/store/deploymentRecords';
import { undoLastSync } from '../../../src/core/sync';
import { describeRecovery, recoverInterruptedOperations } from '../../../src/core/sync/recover';
import { recoverProjectWrites } from '../../../src/core/store/recovery';
import { useTempDirs, addSkill } from '../helpers';
import { makeSyncWorld, deploy, check, lines, editLine, contentSnapshot, type SyncWorld } from './syncWorld';

const TSX = require.resolve('tsx/cjs');
const CLI = path.resolve(__dirname, '../../../src/cli/main.ts');
const SYNC = path.resolve(__dirname, '../../../src/core/sync/index.ts');
const STORE = path.resolve(__dirname, '../../../src/core/store/versionStore.ts');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TSX, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('sync with real processes', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  afterEach(() => w?.store.close());

  it('two writers syncing different artifacts of one project both keep their records', async function () {
    this.timeout(60_000);
    w = await makeSyncWorld(tmp);
    const names = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const n of names) {
      addSkill(w.collection, n, { 'notes.md': lines() });
      await deploy(w, 'skill', n);
      editLine(path.join(w.claude, 'skills', n, 'notes.md'), 3, `${n} edited in the project`);
    }
    const [first, second] = [names.filter((_, i) => i % 2 === 0), names.filter((_, i) => i % 2 === 1)];
    const results = await Promise.all([first, second].map((group) => run([CLI, 'pull', ...group, '--strategy', 'merge', '--project', w.project, '--json'], w.env)));
    for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const [r, group] of [[results[0], first], [results[1], second]] as const) {
      assert.deepEqual((JSON.parse(r.stdout) as { artifacts: { name: string; status: string }[] }).artifacts.map((a) => [a.name, a.status]), group.map((n) => [n, 'synced']));
    }
    const views = readRecords(w.claude).records.map(viewRecord);
    assert.deepEqual(views.map((v) => v.name).sort(), names);
    const report = check(w);
    assert.deepEqual(report.artifacts.map((a) => [a.name, a.state]), names.map((n) => [n, 'in-sync']));
    for (const n of names) assert.match(fs.readFileSync(path.join(w.collection, 'skills', n, 'notes.md'), 'utf8'), new RegExp(`${n} edited in the project`));
  });

  /**
   * Three skills edited on both sides (clean merges), then a pull --strategy merge in another process killed
   * (SIGKILL) at `hook`. Returns both sides as they were before it.
   */
  async function killPullOfThree(world: SyncWorld, hook: string) {
    for (const n of ['a', 'b', 'c']) {
      addSkill(world.collection, n, { 'notes.md': lines() });
      await deploy(world, 'skill', n);
      editLine(path.join(world.claude, 'skills', n, 'notes.md'), 2, `${n}: mine`);
      editLine(path.join(world.collection, 'skills', n, 'notes.md'), 9, `${n}: theirs`);
    }
    const before = { project: contentSnapshot(world.project), collection: contentSnapshot(world.collection) };
    const script = `
      const { runSync } = require(${JSON.stringify(SYNC)});
      const { VersionStore } = require(${JSON.stringify(STORE)});
      (async () => {
        const store = await VersionStore.open(${JSON.stringify(world.storeDir)});
        await runSync({ project: ${JSON.stringify(world.project)}, env: process.env, store, direction: 'pull', strategy: 'merge', faults: { ${hook} } });
      })();`;
    const r = await run(['-e', script], world.env);
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    return before;
  }

  for (const [where, hook] of [['between two artifacts', "afterArtifact: (i) => { if (i === 1) process.kill(process.pid, 'SIGKILL'); }"], ['after the records, before the journal', "afterRecords: () => process.kill(process.pid, 'SIGKILL')"]] as const) {
    it(`undo finishes a sync that was killed ${where}, putting both sides and the records back`, async function () {
      this.timeout(60_000);
      w = await makeSyncWorld(tmp);
      const before = await killPullOfThree(w, hook);
      assert.notDeepEqual({ project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) }, before);
      const u = await undoLastSync({ project: w.project, store: w.store });
      assert.equal(u.status, 'undone', JSON.stringify(u));
      assert.equal(u.interrupted, true);
      assert.deepEqual({ project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) }, before);
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'nothing');
    });

    it(`the next start rolls back a sync that was killed ${where}: files and records agree again, and nothing is left over`, async function () {
      this.timeout(60_000);
      w = await makeSyncWorld(tmp);
      const before = await killPullOfThree(w, hook);
      const files = recoverProjectWrites({ projects: [w.project], collections: [w.collection], storeDir: w.storeDir });
      assert.deepEqual(files.problems, []);
      const ops = await recoverInterruptedOperations({ project: w.project, store: w.store });
      assert.deepEqual(ops.map((o) => [o.journal.operation, o.outcome]), [['pull', 'rolled-back']]);
      assert.match(describeRecovery(ops[0]), /pull of skill "a", skill "b", skill "c" .* was interrupted; everything it had written was put back/);
      // Byte for byte as before the sync: the records file included, and no staging copy anywhere.
      assert.deepEqual({ project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) }, before);
      assert.deepEqual(check(w).artifacts.map((a) => a.state), ['conflict', 'conflict', 'conflict']);
      assert.deepEqual(await recoverInterruptedOperations({ project: w.project, store: w.store }), [], 'a second start finds nothing to do');
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'nothing', 'the rolled-back sync is not offered for undo');
    });
  }
});
