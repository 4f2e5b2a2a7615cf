// The persisted offline queue (issue 14): one file per project, atomic writes, a request replacing an earlier one
// for the same artifact and direction, and two writers that do not lose each other's entries.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OfflineQueue, queueFile, type QueuedOperation } from '../../../src/core/offline/queue';
import { useTempDirs, leftoverTemps } from '../helpers';

type Request = Omit<QueuedOperation, 'id' | 'status' | 'attempts'>;
const request = (name: string, direction: 'update' | 'pull' = 'update', strategy: 'merge' | 'overwrite' | 'fork' = 'merge'): Request => ({
  direction, strategy, artifact: { type: 'skill', name, root: '.claude' }, askedAt: '2026-01-05T09:00:00.000Z', expect: { project: 'a'.repeat(64), collection: null },
});

describe('offline queue (issue 14)', () => {
  const tmp = useTempDirs();

  it('keys the file by project under <store>/offline/, and two projects never share one', () => {
    const store = tmp('store');
    const a = queueFile(store, '/p/one');
    const b = queueFile(store, '/p/two');
    assert.equal(path.dirname(a), path.join(store, 'offline'));
    assert.notEqual(a, b);
    assert.equal(queueFile(store, '/p/one/'), a, 'the same folder, however written');
  });

  it('keeps the order asked; asking again for the same artifact and direction replaces the earlier request', async () => {
    const q = new OfflineQueue(tmp('store'), tmp('project'));
    await q.add(request('review'));
    await q.add(request('commit'));
    await q.add(request('review', 'pull'));
    const again = await q.add(request('review', 'update', 'overwrite'));
    assert.deepEqual(q.list().map((o) => `${o.direction} ${o.artifact.name} ${o.strategy}`), ['update commit merge', 'pull review merge', 'update review overwrite']);
    assert.equal(q.list()[2].id, again.id);
    assert.equal(await q.settled('pull', [{ type: 'skill', name: 'review', root: '.claude' }]), 1);
    assert.deepEqual(q.list().map((o) => `${o.direction} ${o.artifact.name}`), ['update commit', 'update review']);
    assert.deepEqual(leftoverTemps(path.dirname(q.file)), []);
  });

  it('settling artifacts nothing waits for writes nothing (a sync of many artifacts with an empty queue)', async () => {
    const q = new OfflineQueue(tmp('store'), tmp('project'));
    assert.equal(await q.settled('update', [{ type: 'skill', name: 'review', root: '.claude' }, { type: 'command', name: 'commit', root: '.claude' }]), 0);
    assert.equal(fs.existsSync(path.dirname(q.file)), false, 'no queue folder, no file, no lock');
    await q.add(request('commit'));
    const before = fs.readFileSync(q.file, 'utf8');
    assert.equal(await q.settled('update', [{ type: 'skill', name: 'review', root: '.claude' }]), 0);
    assert.equal(fs.readFileSync(q.file, 'utf8'), before);
  });

  it('two queue objects on the same file (the extension and watch) keep each other\'s entries', async () => {
    const store = tmp('store');
    const project = tmp('project');
    const one = new OfflineQueue(store, project);
    const two = new OfflineQueue(store, project);
    await Promise.all([one.add(request('a')), two.add(request('b')), one.add(request('c')), two.add(request('d'))]);
    assert.deepEqual(one.list().map((o) => o.artifact.name).sort(), ['a', 'b', 'c', 'd']);
  });

  it('removing the last entry removes the file', async () => {
    const q = new OfflineQueue(tmp('store'), tmp('project'));
    const op = await q.add(request('review'));
    assert.ok(fs.existsSync(q.file));
    assert.equal(await q.remove([op.id]), 1);
    assert.equal(fs.existsSync(q.file), false);
  });
});
