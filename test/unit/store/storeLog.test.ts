// The version store's index on disk: a snapshot plus an append-only log, so a capture every few seconds
// writes a line, not the whole database (issue 6). Crash leftovers are recognised and never applied twice.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VersionStore, StoreError } from '../../../src/core/store/versionStore';
import { useTempDirs } from '../helpers';

describe('version store log', () => {
  const tmp = useTempDirs();
  const add = (s: VersionStore, n: number) => s.transact((st) => {
    for (let i = 0; i < n; i++) st.addVersion({ artifactKey: '.claude:skill:review', treeHash: `t${i}`, origin: 'edit', project: '/p' });
  });
  const ids = (s: VersionStore) => s.history('.claude:skill:review').map((v) => v.id);

  it('appends a transaction to the log and leaves the snapshot alone', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir);
    await add(s, 1); // the first commit writes a snapshot
    const snap = fs.statSync(s.indexFile);
    const log = fs.statSync(s.logFile).size;
    await add(s, 1);
    const after = fs.statSync(s.indexFile);
    assert.deepEqual([after.ino, after.mtimeMs], [snap.ino, snap.mtimeMs], 'snapshot not rewritten');
    assert.ok(fs.statSync(s.logFile).size > log, 'the log grew');
    assert.ok(fs.statSync(s.logFile).size - log < 1024, 'by one short line');
    s.close();
  });

  it('writes nothing for a transaction that changed nothing', async () => {
    const s = await VersionStore.open(path.join(tmp(), 'sync'));
    await add(s, 1);
    const before = [fs.statSync(s.indexFile).mtimeMs, fs.statSync(s.logFile).size];
    await s.transact((st) => st.history('.claude:skill:review'));
    assert.deepEqual([fs.statSync(s.indexFile).mtimeMs, fs.statSync(s.logFile).size], before);
    s.close();
  });

  it('gives another instance (another process) the appended versions, with the same ids', async () => {
    const dir = path.join(tmp(), 'sync');
    const a = await VersionStore.open(dir);
    const b = await VersionStore.open(dir);
    await add(a, 2);
    await add(b, 1); // b reloads a's snapshot, then appends
    await add(a, 1); // a replays b's line, then appends
    await b.reload();
    assert.deepEqual(ids(a), [4, 3, 2, 1]);
    assert.deepEqual(ids(b), [4, 3, 2, 1]);
    const c = await VersionStore.open(dir);
    assert.deepEqual(ids(c), [4, 3, 2, 1]);
    [a, b, c].forEach((s) => s.close());
  });

  it('folds the log into a new snapshot once it outgrows the limit, losing nothing', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir, { checkpointBytes: 2048 });
    await add(s, 1);
    const first = fs.statSync(s.indexFile).ino;
    for (let i = 0; i < 20; i++) await add(s, 1);
    assert.notEqual(fs.statSync(s.indexFile).ino, first, 'a new snapshot was written');
    assert.ok(fs.statSync(s.logFile).size <= 2048);
    const again = await VersionStore.open(dir);
    assert.equal(ids(again).length, 21);
    s.close();
    again.close();
  });

  it('ignores and then overwrites a half-written last line (a writer killed mid-append)', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir);
    await add(s, 2);
    fs.appendFileSync(s.logFile, '{"tx":[["INSERT INTO versions (artifact_key, tree_hash, origin, at) VALUES (?,?,?,?)",["x","y","edit","z"]'); // no newline
    const reader = await VersionStore.open(dir);
    assert.equal(ids(reader).length, 2, 'the torn line is not applied');
    await add(reader, 1);
    const later = await VersionStore.open(dir);
    assert.deepEqual(ids(later), [3, 2, 1]);
    assert.ok(fs.readFileSync(s.logFile, 'utf8').endsWith('\n'));
    [s, reader, later].forEach((x) => x.close());
  });

  it('ignores a log left from before the last snapshot (a crash between the two writes)', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir, { checkpointBytes: 400 });
    await add(s, 1);
    const oldLog = fs.readFileSync(s.logFile);
    const oldSnapshot = fs.statSync(s.indexFile).ino;
    await add(s, 1);
    await add(s, 1); // past 400 bytes: a new snapshot holding all three
    assert.notEqual(fs.statSync(s.indexFile).ino, oldSnapshot);
    fs.writeFileSync(s.logFile, Buffer.concat([oldLog, Buffer.from(JSON.stringify({ tx: [['INSERT INTO versions (id, artifact_key, tree_hash, origin, at) VALUES (?,?,?,?,?)', [99, '.claude:skill:review', 't', 'edit', 'z']]] }) + '\n')]));
    const reader = await VersionStore.open(dir);
    assert.deepEqual(ids(reader), [3, 2, 1], 'the stale log is not applied twice, nor its extra line');
    await add(reader, 1); // and the next commit starts a fresh snapshot and log
    assert.deepEqual(ids(await VersionStore.open(dir)), [4, 3, 2, 1]);
    s.close();
    reader.close();
  });

  it('keeps nothing of a transaction that threw, on disk or in memory', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir);
    await add(s, 1);
    await assert.rejects(s.transact((st) => { st.addVersion({ artifactKey: '.claude:skill:review', treeHash: 'bad', origin: 'edit' }); throw new Error('boom'); }), /boom/);
    assert.deepEqual(ids(s), [1]);
    await add(s, 1);
    assert.deepEqual(ids(await VersionStore.open(dir)), [2, 1]);
    s.close();
  });

  it('reports a corrupt line in the middle of the log, naming the file', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await VersionStore.open(dir);
    await add(s, 1);
    await add(s, 1);
    await add(s, 1);
    const lines = fs.readFileSync(s.logFile, 'utf8').split('\n');
    lines[1] = 'garbage';
    fs.writeFileSync(s.logFile, lines.join('\n'));
    await assert.rejects(VersionStore.open(dir), (e: unknown) => e instanceof StoreError && e.file === s.logFile && /corrupt at byte \d+/.test(e.message) && /Move index\.log aside/.test(e.message));
    s.close();
  });

  it('counts the log in the index size', async () => {
    const s = await VersionStore.open(path.join(tmp(), 'sync'));
    await add(s, 1);
    await add(s, 1);
    assert.equal(s.diskUsage().index, fs.statSync(s.indexFile).size + fs.statSync(s.logFile).size);
    s.close();
  });
});
