// `skillmeat-sync watch` and `update|pull --queue` (issue 14): the offline loop in a terminal, on real files.
// `--once` runs in-process; the long-running loop runs as a real child process, stopped with SIGINT.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { main } from '../../../src/cli/main';
import { OfflineQueue } from '../../../src/core/offline/queue';
import { useTempDirs, makeWorld, addSkill, captureIO, deploy, writeTree, type World } from '../helpers';

const CLI = path.resolve(__dirname, '../../../src/cli/main.ts');

async function run(w: World, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO({ env: w.env, cwd: w.project });
  const code = await main(args, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

/** Polls `probe` until it returns true or `ms` pass (no fixed sleeps). */
async function until(probe: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('skillmeat-sync watch (issue 14)', () => {
  const tmp = useTempDirs();
  let w: World;
  const away = () => `${w.collection}.unmounted`;
  beforeEach(async () => {
    w = makeWorld(tmp);
    addSkill(w.collection, 'review');
    await deploy(w, 'skill', 'review');
  });

  it('--once on a project in sync prints Up-to-Date and exits 0', async () => {
    const r = await run(w, 'watch', '--once');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\d\d:\d\d:\d\d Up-to-Date$/m);
  });

  it('--once with the collection unreachable prints Offline and exits 2', async () => {
    fs.renameSync(w.collection, away());
    const r = await run(w, 'watch', '--once');
    assert.equal(r.code, 2);
    assert.match(r.out, /Offline: the collection is unreachable/);
  });

  it('update --queue while Offline queues; watch --once runs it when the collection is back', async () => {
    fs.renameSync(w.collection, away());
    writeTree(away(), { 'skills/review/SKILL.md': 'new in the collection\n' });
    const q = await run(w, 'update', 'review', '--queue', '--strategy', 'overwrite');
    assert.equal(q.code, 0, q.err);
    assert.match(q.out, /^queued {6}update skill review \(\.claude\) --strategy overwrite$/m);
    const queue = new OfflineQueue(path.join(w.home, 'sync'), w.project);
    assert.equal(queue.list().length, 1);
    const offline = await run(w, 'watch', '--once');
    assert.match(offline.out, /Offline · 1 queued/);
    fs.renameSync(away(), w.collection);
    const r = await run(w, 'watch', '--once');
    assert.equal(r.code, 0, r.err + r.out);
    const lines = r.out.split('\n').map((l) => l.slice(9));
    assert.deepEqual(lines, ['Syncing · 1 queued', '  applied: update skill review (.claude)', 'Up-to-Date']);
    assert.equal(fs.readFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'utf8'), 'new in the collection\n');
    assert.deepEqual(queue.list(), []);
  });

  it('--queue refuses --strategy prompt: nobody may be there to answer when it runs', async () => {
    fs.renameSync(w.collection, away());
    const r = await run(w, 'update', 'review', '--queue', '--strategy', 'prompt');
    assert.equal(r.code, 2);
    assert.match(r.err, /--queue cannot use --strategy prompt/);
    assert.deepEqual(new OfflineQueue(path.join(w.home, 'sync'), w.project).list(), []);
  });

  it('an update run by hand replaces what was queued for the same artifact (a conflict left by watch included)', async () => {
    fs.renameSync(w.collection, away());
    await run(w, 'update', 'review', '--queue');
    writeTree(w.claude, { 'skills/review/SKILL.md': 'edited after asking\n' });
    fs.renameSync(away(), w.collection);
    const watched = await run(w, 'watch', '--once');
    assert.equal(watched.code, 1, watched.out);
    assert.match(watched.out, /conflict: update skill review \(\.claude\): the project copy of skill review .* changed after the update was queued/);
    const queue = new OfflineQueue(path.join(w.home, 'sync'), w.project);
    assert.equal(queue.list()[0].status, 'conflict');
    const r = await run(w, 'update', 'review');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /1 queued update of the same artifact dropped/);
    assert.deepEqual(queue.list(), []);
    assert.equal(fs.readFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'utf8'), 'edited after asking\n');
  });

  it('--queue with the collection reachable runs the command as usual', async () => {
    writeTree(w.collection, { 'skills/review/SKILL.md': 'v2\n' });
    const r = await run(w, 'update', 'review', '--queue', '--strategy', 'overwrite');
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.readFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'utf8'), 'v2\n');
  });

  it('runs until SIGINT, printing each state change as the collection goes and comes back', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', CLI, 'watch', '--interval', '100', '--project', w.project], { env: { ...process.env, ...w.env, NO_COLOR: '1' }, cwd: path.resolve(__dirname, '../../..') });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { out += String(d); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /Up-to-Date/.test(out), 30_000, `Up-to-Date in:\n${out}`);
      fs.renameSync(w.collection, away());
      await until(() => /Offline/.test(out), 30_000, `Offline in:\n${out}`);
      fs.renameSync(away(), w.collection);
      await until(() => /Offline[^]*Up-to-Date/.test(out), 30_000, `Up-to-Date again in:\n${out}`);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, out);
    assert.deepEqual(out.trim().split('\n').map((l) => l.slice(9).replace(/:.*/, '')), ['Up-to-Date', 'Offline', 'Up-to-Date', 'stopped']);
  });
});
