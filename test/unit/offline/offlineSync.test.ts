// The offline loop on real files (issue 14): an unreachable collection makes the project Offline, updates and
// pulls asked for meanwhile are queued on disk, survive a restart, and run on reconnect re-planned against the
// drift as it is then — a side that changed since becomes a Conflict — and failures retry with backoff.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTempDirs, addSkill, addCommand, find } from '../helpers';
import { deploy, read, write } from '../sync/syncWorld';
import { QueueFileError, queueFile } from '../../../src/core/offline/queue';
import { makeOfflineWorld, T0, type OfflineWorld } from './offlineWorld';

async function worldWithReview(tmp: (tag?: string) => string): Promise<OfflineWorld> {
  const w = await makeOfflineWorld(tmp);
  addSkill(w.collection, 'review');
  addCommand(w.collection, 'commit');
  await deploy(w, 'skill', 'review');
  await deploy(w, 'command', 'commit');
  await w.observe();
  return w;
}

/** Unmounts the collection, queues an update of `review`, and gives the unmounted collection a new version of it. */
async function queueReviewUpdate(w: OfflineWorld, strategy: 'merge' | 'overwrite'): Promise<void> {
  w.moveCollectionAway();
  const offline = await w.observe();
  await w.loop.enqueue('update', strategy, find(offline, 'skill', 'review'));
  write(path.join(`${w.collection}.unmounted`, 'skills', 'review', 'SKILL.md'), 'collection v2\n');
}

describe('offline loop (issue 14)', () => {
  const tmp = useTempDirs();

  it('an unreachable collection makes the project Offline; reachable again with nothing queued, Up-to-Date', async () => {
    const w = await worldWithReview(tmp);
    assert.equal(w.loop.snapshot.state, 'up-to-date');
    w.moveCollectionAway();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'offline');
    w.moveCollectionBack();
    await w.observe();
    assert.deepEqual(w.states, ['offline', 'up-to-date']);
  });

  it('an update asked for while Offline is queued on disk and applied when the collection is back', async () => {
    const w = await worldWithReview(tmp);
    w.moveCollectionAway();
    const offline = await w.observe();
    // Meanwhile the collection (on its unmounted drive) got a new version.
    write(path.join(`${w.collection}.unmounted`, 'skills', 'review', 'SKILL.md'), 'new in the collection\n');
    const op = await w.loop.enqueue('update', 'merge', find(offline, 'skill', 'review'));
    assert.equal(op.status, 'queued');
    const onDisk = JSON.parse(fs.readFileSync(queueFile(w.storeDir, w.project), 'utf8'));
    assert.deepEqual(onDisk.operations.map((o: { id: string }) => o.id), [op.id]);
    assert.equal(read(w.claude, 'skills', 'review', 'SKILL.md').includes('new in the collection'), false, 'nothing runs while Offline');
    w.moveCollectionBack();
    await w.observe();
    assert.deepEqual(w.states, ['offline', 'syncing', 'up-to-date']);
    assert.equal(read(w.claude, 'skills', 'review', 'SKILL.md'), 'new in the collection\n');
    assert.deepEqual(w.queue.list(), []);
    assert.equal(fs.existsSync(queueFile(w.storeDir, w.project)), false, 'an empty queue leaves no file');
    assert.deepEqual(w.outcomes.map((o) => o.outcome), ['applied']);
  });

  it('the queue survives a restart: a new loop on the same store applies it on reconnect', async () => {
    const w = await worldWithReview(tmp);
    w.moveCollectionAway();
    write(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'my local edit\n');
    const review = find(await w.observe(), 'skill', 'review');
    assert.equal(review.state, 'unreachable');
    await w.loop.enqueue('pull', 'overwrite', review);
    w.restart();
    assert.equal(w.queue.list().length, 1, 'read back from disk');
    w.moveCollectionBack();
    await w.observe();
    assert.equal(read(w.collection, 'skills', 'review', 'SKILL.md'), 'my local edit\n', 'the pull ran into the collection');
    assert.deepEqual(w.queue.list(), []);
    assert.equal(w.loop.snapshot.state, 'up-to-date');
  });

  it('a queued pull whose collection copy changed meanwhile becomes a Conflict; neither side is overwritten', async () => {
    const w = await worldWithReview(tmp);
    w.moveCollectionAway();
    write(path.join(w.claude, 'commands', 'commit.md'), 'mine\n');
    const offline = await w.observe();
    await w.loop.enqueue('pull', 'overwrite', find(offline, 'command', 'commit'));
    write(path.join(`${w.collection}.unmounted`, 'commands', 'commit.md'), 'theirs, from another machine\n');
    w.moveCollectionBack();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'conflict');
    assert.equal(read(w.collection, 'commands', 'commit.md'), 'theirs, from another machine\n');
    assert.equal(read(w.claude, 'commands', 'commit.md'), 'mine\n');
    const [q] = w.queue.list();
    assert.equal(q.status, 'conflict');
    assert.match(q.reason!, /collection copy of command commit .* changed while the pull was queued/);
    assert.deepEqual(w.outcomes.map((o) => o.outcome), ['conflict']);
  });

  it('a queued update whose project copy was edited after it was asked becomes a Conflict; the edit stays', async () => {
    const w = await worldWithReview(tmp);
    await queueReviewUpdate(w, 'overwrite');
    write(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'edited after asking\n');
    w.moveCollectionBack();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'conflict');
    assert.equal(read(w.claude, 'skills', 'review', 'SKILL.md'), 'edited after asking\n');
    assert.match(w.queue.list()[0].reason!, /project copy of skill review .* changed after the update was queued/);
    // Discarding it leaves the drift's own conflict (both sides changed): still Conflict, nothing queued.
    await w.loop.discard([w.queue.list()[0].id]);
    assert.deepEqual(w.queue.list(), []);
  });

  it('a failing queued operation retries with exponential backoff and a visible next-retry time', async () => {
    const w = await worldWithReview(tmp);
    await queueReviewUpdate(w, 'merge');
    const real = w.runner;
    let failures = 2;
    w.runner = async (op) => { if (failures-- > 0) throw new Error('EIO: the network drive dropped'); return real(op); };
    w.moveCollectionBack();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'error');
    assert.equal(w.loop.nextWakeAt(), T0 + 1_000);
    const [q] = w.queue.list();
    assert.equal(q.status, 'retrying');
    assert.equal(q.attempts, 1);
    assert.equal(q.nextRetryAt, new Date(T0 + 1_000).toISOString());
    assert.match(q.reason!, /network drive dropped/);
    w.clock.t = T0 + 999;
    await w.loop.tick();
    assert.equal(w.loop.snapshot.state, 'error', 'not due yet');
    w.clock.t = T0 + 1_000;
    await w.loop.tick();
    assert.equal(w.loop.snapshot.state, 'error');
    assert.equal(w.loop.nextWakeAt(), T0 + 1_000 + 2_000, 'the second failure waits twice as long');
    w.clock.t = T0 + 3_000;
    const checks = w.counts.checks;
    await w.loop.tick();
    assert.equal(w.counts.checks, checks + 2, 'a retry checks once and runs the queue against that check; then once after the operation wrote');
    assert.equal(w.loop.snapshot.state, 'up-to-date');
    assert.equal(read(w.claude, 'skills', 'review', 'SKILL.md'), 'collection v2\n');
    assert.deepEqual(w.queue.list(), []);
    assert.deepEqual(w.states, ['offline', 'syncing', 'error', 'syncing', 'error', 'syncing', 'up-to-date']);
  });

  it('after a restart, an operation waiting for its retry runs when its retry time comes', async () => {
    const w = await worldWithReview(tmp);
    await queueReviewUpdate(w, 'merge');
    const real = w.runner;
    w.runner = async () => { throw new Error('EIO: the network drive dropped'); };
    w.moveCollectionBack();
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'error');
    w.restart();
    w.runner = real;
    await w.observe();
    assert.equal(w.loop.snapshot.state, 'up-to-date', 'a new process starts afresh');
    assert.equal(w.loop.nextWakeAt(), T0 + 1_000, 'the retry time comes from the queue file');
    await w.loop.tick();
    assert.equal(w.queue.list().length, 1, 'not due yet');
    w.clock.t = T0 + 1_000;
    await w.loop.tick();
    assert.deepEqual(w.queue.list(), []);
    assert.equal(read(w.claude, 'skills', 'review', 'SKILL.md'), 'collection v2\n');
    assert.equal(w.loop.snapshot.state, 'up-to-date');
  });

  it('a queue file that does not parse is refused naming the file, and left as it is', async () => {
    const w = await worldWithReview(tmp);
    const file = queueFile(w.storeDir, w.project);
    write(file, '{ not json');
    assert.throws(() => w.queue.list(), (e: unknown) => e instanceof QueueFileError && e.message.includes(file) && /Move it aside/.test(e.message));
    await assert.rejects(w.queue.add({ direction: 'update', strategy: 'merge', artifact: { type: 'skill', name: 'review', root: '.claude' }, askedAt: 'x', expect: { project: null, collection: null } }), QueueFileError);
    assert.equal(fs.readFileSync(file, 'utf8'), '{ not json');
  });
});
