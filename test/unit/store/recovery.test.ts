// What a killed writer leaves (issue 12, item 7) is finished by the next writer: each artifact entirely old or
// entirely new, no hidden copies left behind, and a live writer's staging never touched.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recoverInterruptedWrites } from '../../../src/core/store/recovery';
import { main } from '../../../src/cli/main';
import { useTempDirs, addSkill, captureIO, writeTree, snapshotDir } from '../helpers';
import { makeSyncWorld, deploy, type SyncWorld } from '../sync/syncWorld';

/** The pid of a process that has exited (its staging is a dead writer's). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('recovery from interrupted writes', () => {
  const tmp = useTempDirs();

  it('puts a skill back when a swap was killed between moving it aside and moving the new one in', () => {
    const dir = tmp();
    const pid = deadPid();
    writeTree(path.join(dir, `.review.old-${pid}-0a1b2c3d`), { 'SKILL.md': 'before' });
    writeTree(path.join(dir, `.review.deploy-${pid}-1a1b2c3d`), { 'SKILL.md': 'after' });
    const r = recoverInterruptedWrites([dir]);
    assert.deepEqual(r.restored, [path.join(dir, 'review')]);
    assert.equal(fs.readFileSync(path.join(dir, 'review', 'SKILL.md'), 'utf8'), 'before');
    assert.deepEqual(fs.readdirSync(dir), ['review']);
  });

  it('removes the old copy and temp files once the new content is in place', () => {
    const dir = tmp();
    const pid = deadPid();
    writeTree(dir, { 'review/SKILL.md': 'after', [`.review.prev-${pid}-0a1b2c3d/SKILL.md`]: 'before', [`.notes.md.${pid}.0a1b2c3d.tmp`]: 'half', [`x.lock.stale-${pid}-0a1b2c3d`]: '' });
    const r = recoverInterruptedWrites([dir]);
    assert.deepEqual(r.restored, []);
    assert.equal(r.removed.length, 3);
    assert.deepEqual(fs.readdirSync(dir), ['review']);
    assert.equal(fs.readFileSync(path.join(dir, 'review', 'SKILL.md'), 'utf8'), 'after');
  });

  it('never touches the staging of a live writer, nor a user file that merely looks similar', () => {
    const dir = tmp();
    writeTree(dir, { [`.review.deploy-${process.pid}-0a1b2c3d/SKILL.md`]: 'in progress', '.review.old-notes': 'mine', 'notes.1.tmp': 'mine' });
    const before = snapshotDir(dir);
    const r = recoverInterruptedWrites([dir]);
    assert.deepEqual([r.restored, r.removed, r.problems], [[], [], []]);
    assert.deepEqual(snapshotDir(dir), before);
  });

  it('finds leftovers in namespaced command folders', () => {
    const dir = tmp();
    const pid = deadPid();
    writeTree(dir, { [`git/.sync.md.del-${pid}-0a1b2c3d`]: 'before' });
    const r = recoverInterruptedWrites([], [dir]);
    assert.deepEqual(r.restored, [path.join(dir, 'git', 'sync.md')]);
    assert.equal(fs.readFileSync(path.join(dir, 'git', 'sync.md'), 'utf8'), 'before');
  });

  describe('the CLI', () => {
    let w: SyncWorld;
    afterEach(() => w?.store.close());

    it('recovers before a command that writes and says so; a check writes nothing', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review');
      addSkill(w.collection, 'other');
      await deploy(w, 'skill', 'review');
      const skills = path.join(w.claude, 'skills');
      const pid = deadPid();
      fs.renameSync(path.join(skills, 'review'), path.join(skills, `.review.undeploy-${pid}-0a1b2c3d`));
      const io = captureIO({ env: w.env, cwd: w.project });
      const before = snapshotDir(skills);
      await main(['check', '--project', w.project], io);
      assert.deepEqual(snapshotDir(skills), before, 'check is read-only');
      assert.equal(await main(['deploy', 'other', '--project', w.project], io), 0, io.stderr.join('\n'));
      assert.ok(io.stderr.some((l) => l === `recovered: ${path.join(skills, 'review')} put back as it was before an interrupted write`), io.stderr.join('\n'));
      assert.deepEqual(fs.readdirSync(skills).sort(), ['other', 'review']);
    });
  });
});
