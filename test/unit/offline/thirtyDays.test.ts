// The seed's quality gate (issue 14): thirty simulated days with the collection unreachable. The user edits
// artifacts every day (the real capture service records each edit in the real version store), asks for pulls and
// updates that are queued, restarts halfway, and reconnects on day 30: every edit is in history, queued operations
// apply or surface as conflicts, and nothing is lost on either side.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CaptureService } from '../../../src/core/history/capture';
import { DEFAULT_CAPTURE_SETTINGS } from '../../../src/core/history/capturePolicy';
import { artifactKey, type ArtifactType } from '../../../src/core/model';
import { useTempDirs, addSkill, addCommand, addAgent, find, skillMd } from '../helpers';
import { deploy, read, write } from '../sync/syncWorld';
import { FakeTime, DAY, HOUR, MIN } from '../history/world';
import { makeOfflineWorld, T0 } from './offlineWorld';

describe('30 days offline (issue 14, the seed\'s quality gate)', () => {
  const tmp = useTempDirs();

  it('captures every edit, queues pulls and updates, and on reconnect applies them or surfaces conflicts, losing nothing', async function () {
    this.timeout(120_000);
    const w = await makeOfflineWorld(tmp);
    addSkill(w.collection, 'review');
    addSkill(w.collection, 'notes');
    addCommand(w.collection, 'commit');
    addAgent(w.collection, 'helper');
    for (const [type, name] of [['skill', 'review'], ['skill', 'notes'], ['command', 'commit'], ['agent', 'helper']] as const) await deploy(w, type, name);
    const time = new FakeTime(T0);
    const sync = () => { w.clock.t = time.t; };
    // Retention longer than the trip: the default 7 days would prune older capture records, by design (SPEC §6).
    const capture = new CaptureService({
      project: w.project, store: w.store, now: time.now, scheduler: time,
      settings: { ...DEFAULT_CAPTURE_SETTINGS, retentionMs: 60 * DAY, rescanIntervalMs: 6 * HOUR },
    });
    capture.start();
    await time.advanceTo(T0 + MIN, capture);
    sync();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'up-to-date');

    w.moveCollectionAway();
    const away = `${w.collection}.unmounted`;
    const files: Record<string, { type: ArtifactType; file: string }> = {
      review: { type: 'skill', file: path.join(w.claude, 'skills', 'review', 'SKILL.md') },
      commit: { type: 'command', file: path.join(w.claude, 'commands', 'commit.md') },
      helper: { type: 'agent', file: path.join(w.claude, 'agents', 'helper.md') },
    };
    const edits: { name: string; text: string }[] = [];
    const editLocally = async (name: string, text: string): Promise<void> => {
      write(files[name].file, text);
      capture.noteFileChange(files[name].file);
      edits.push({ name, text });
      await time.advanceTo(time.t + 2 * MIN, capture); // past the quiet window: captured
    };
    const queue = async (direction: 'update' | 'pull', strategy: 'merge' | 'overwrite', type: ArtifactType, name: string) => {
      sync();
      const report = await w.observe();
      await w.loop.enqueue(direction, strategy, find(report, type, name));
    };

    for (let day = 1; day <= 30; day++) {
      await time.advanceTo(T0 + day * DAY, capture);
      sync();
      const report = await w.observe();
      assert.equal(w.loop.snapshot.state, 'offline', `day ${day}: still Offline`);
      assert.ok(report.artifacts.every((a) => a.state === 'unreachable'));
      await editLocally('review', skillMd('review', `Edited on day ${day}.`));
      if (day === 2 || day === 10 || day === 25) await editLocally('commit', `commit, my version of day ${day}\n`);
      if (day === 3) await queue('pull', 'merge', 'skill', 'review');
      if (day === 5) await queue('update', 'overwrite', 'skill', 'notes');
      if (day === 7) await queue('pull', 'overwrite', 'command', 'commit');
      // Elsewhere, the collection moves on: another machine edits commit and notes on the unmounted drive.
      if (day === 8) write(path.join(away, 'commands', 'commit.md'), 'commit, from another machine\n');
      if (day === 9) await queue('update', 'merge', 'agent', 'helper');
      if (day === 12) await editLocally('helper', 'helper, edited after asking for its update\n');
      if (day === 15) {
        write(path.join(away, 'skills', 'notes', 'SKILL.md'), skillMd('notes', 'Updated in the collection on day 15.'));
        w.restart(); // the editor was closed and opened again: the queue is read back from disk
        sync();
        await w.observe();
      }
    }
    assert.equal(w.queue.list().length, 4);

    w.moveCollectionBack();
    await time.advanceTo(time.t + HOUR, capture);
    sync();
    await w.observe();

    // Every edit is in history: its exact text in a stored version of that artifact.
    for (const { name, text } of edits) {
      const key = artifactKey('.claude', files[name].type, name);
      const texts = w.store.history(key).flatMap((v) => w.store.getTree(v.treeHash)?.files.map((f) => w.store.readBlob(f.blob).toString('utf8')) ?? []);
      assert.ok(texts.includes(text), `${name}: "${text.trim()}" is in history`);
    }
    assert.equal(edits.filter((e) => e.name === 'review').length, 30);
    assert.equal(w.store.history(artifactKey('.claude', 'skill', 'review')).filter((v) => v.origin === 'edit' && v.status === 'captured').length, 30, 'one capture per day');

    // Applied: the pull took the latest project version into the collection; the update brought day 15's notes.
    assert.equal(read(w.collection, 'skills', 'review', 'SKILL.md'), skillMd('review', 'Edited on day 30.'));
    assert.equal(read(w.claude, 'skills', 'notes', 'SKILL.md'), skillMd('notes', 'Updated in the collection on day 15.'));
    // Conflicts: both sides kept as they are, the queue says why.
    assert.equal(read(w.collection, 'commands', 'commit.md'), 'commit, from another machine\n');
    assert.equal(read(w.claude, 'commands', 'commit.md'), 'commit, my version of day 25\n');
    assert.equal(read(w.claude, 'agents', 'helper.md'), 'helper, edited after asking for its update\n');
    const left = w.queue.list();
    assert.deepEqual(left.map((q) => `${q.direction} ${q.artifact.name} ${q.status}`).sort(), ['pull commit conflict', 'update helper conflict']);
    assert.equal(w.loop.snapshot.state, 'conflict');
    assert.deepEqual(w.outcomes.map((o) => `${o.op.artifact.name} ${o.outcome}`).sort(), ['commit conflict', 'helper conflict', 'notes applied', 'review applied']);
    // What the pull replaced in the collection (the deployed review) is still in the version store.
    const stored = w.store.history(artifactKey('.claude', 'skill', 'review')).flatMap((v) => w.store.getTree(v.treeHash)?.files.map((f) => w.store.readBlob(f.blob).toString('utf8')) ?? []);
    assert.ok(stored.includes(skillMd('review')));
    capture.dispose();
  });
});
