// The store lock never blocks the extension host (issue 9): writers of one process queue in memory, another
// process's lock is waited for with timers, and a wait that outlasts its deadline fails with a clear message.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireLock, acquireLockSync, LockTimeoutError } from '../../../src/core/store/fsutil';
import { VersionStore } from '../../../src/core/store/versionStore';
import { updateRecords, readRecords } from '../../../src/core/store/deploymentRecords';
import { useTempDirs } from '../helpers';

const REPO = path.resolve(__dirname, '../../..');
const FSUTIL = path.join(REPO, 'src/core/store/fsutil.ts');

/** A second process that takes `<file>.lock`, says "locked", holds it for `ms`, then releases and exits. */
function holdLockInAnotherProcess(file: string, ms: number): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const code = `const { acquireLockSync } = require(${JSON.stringify(FSUTIL)});
const release = acquireLockSync(${JSON.stringify(file)});
process.stdout.write('locked\\n');
setTimeout(() => { release(); process.exit(0); }, ${ms});`;
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve({ child, exited }));
    child.once('exit', (c) => reject(new Error(`the lock holder exited early (${c})`)));
  });
}

/** Records the longest gap between ticks of a 5 ms interval: how long the event loop was blocked at worst. */
function watchEventLoop(): () => number {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 5); last = now; }, 5);
  return () => { clearInterval(t); return worst; };
}

describe('store lock', () => {
  const tmp = useTempDirs();

  it('lets two overlapping transactions of one process both complete, one after the other', async () => {
    const store = await VersionStore.open(path.join(tmp(), 'sync'));
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((r) => { releaseFirst = r; });
    const first = store.transact(async (s) => {
      order.push('first in');
      await firstMayFinish; // holds the lock across an await, as a capture batch or a sync does
      s.addVersion({ artifactKey: 'skill:.claude/a', treeHash: 'a'.repeat(64), origin: 'capture' });
      order.push('first out');
    });
    const second = store.transact((s) => {
      order.push('second in');
      s.addVersion({ artifactKey: 'skill:.claude/b', treeHash: 'b'.repeat(64), origin: 'capture' });
    });
    await new Promise((r) => setImmediate(r));
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second in']);
    assert.equal(store.history('skill:.claude/a').length, 1);
    assert.equal(store.history('skill:.claude/b').length, 1);
    store.close();
  });

  it('queues writers of one process in arrival order and tells a waiting one for whom it waits', async () => {
    const file = path.join(tmp(), 'f');
    const release = await acquireLock(file);
    const heard: string[] = [];
    const said = (h: string | undefined) => h ?? 'done waiting';
    const done: number[] = [];
    const waiters = [1, 2, 3].map((n) => acquireLock(file, { onWait: (h) => heard.push(`${n}: ${said(h)}`) }).then((r) => { done.push(n); r(); }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(done, []);
    release();
    await Promise.all(waiters);
    assert.deepEqual(done, [1, 2, 3]);
    assert.deepEqual(heard, [
      '1: another operation of this process', '2: another operation of this process', '3: another operation of this process',
      '1: done waiting', '2: done waiting', '3: done waiting',
    ]);
    assert.ok(!fs.existsSync(file + '.lock'));
  });

  it('fails a queued writer of this process at its deadline without losing the queue order', async () => {
    const file = path.join(tmp(), 'f');
    const release = await acquireLock(file);
    await assert.rejects(acquireLock(file, { timeoutMs: 20 }), (e: unknown) => e instanceof LockTimeoutError && /still held by another operation of this process/.test(e.message));
    const next = acquireLock(file);
    release();
    (await next)();
    assert.ok(!fs.existsSync(file + '.lock'));
  });

  it('refuses at once a synchronous taker of a lock this process holds, instead of waiting for itself', async () => {
    const file = path.join(tmp(), 'f');
    const release = await acquireLock(file);
    const started = Date.now();
    assert.throws(() => acquireLockSync(file, { timeoutMs: 5_000 }), LockTimeoutError);
    assert.ok(Date.now() - started < 1_000, 'the synchronous taker waited for its own process');
    release();
  });

  it('waits for another process holding the lock for 5 s without blocking the event loop, then proceeds', async function () {
    this.timeout(30_000);
    const dir = tmp();
    const waited: (string | undefined)[] = [];
    const store = await VersionStore.open(path.join(dir, 'sync'), { lock: { onWait: (h) => waited.push(h) } });
    const other = await VersionStore.open(path.join(dir, 'sync'));
    const records = path.join(dir, '.claude');
    fs.mkdirSync(records);
    const holder = await holdLockInAnotherProcess(store.indexFile, 5_000);
    const worstGap = watchEventLoop();
    const started = Date.now();
    // Two overlapping transactions wait (the second queued behind the first in memory) while other work
    // of this process goes on: a records write on another file.
    const transaction = store.transact((s) => { s.addVersion({ artifactKey: 'skill:.claude/a', treeHash: 'a'.repeat(64), origin: 'capture' }); });
    const patient = other.transact((s) => { s.addVersion({ artifactKey: 'skill:.claude/b', treeHash: 'b'.repeat(64), origin: 'capture' }); });
    await updateRecords(records, (f) => { f.records.push({ fields: { artifact_name: 'x', artifact_type: 'skill', content_hash: 'c'.repeat(64) } }); });
    assert.ok(Date.now() - started < 2_000, 'an unrelated write waited for the store lock');
    await Promise.all([transaction, patient]);
    const elapsed = Date.now() - started;
    const gap = worstGap();
    await holder.exited;
    assert.ok(elapsed >= 4_000, `the transactions did not wait for the other process (${elapsed} ms)`);
    // A blocking wait would show the whole hold (about 5 s); 1 s leaves room for a loaded machine (typical figure: 15–25 ms).
    assert.ok(gap < 1_000, `the event loop was blocked for ${gap.toFixed(1)} ms`);
    assert.equal(waited.length, 2, 'told who holds the lock, then that the wait is over');
    assert.match(waited[0]!, new RegExp(`^pid ${holder.child.pid} on `));
    assert.equal(waited[1], undefined);
    assert.equal(readRecords(records).records.length, 1);
    store.close();
    other.close();
    const reopened = await VersionStore.open(path.join(dir, 'sync'));
    assert.equal(reopened.history('skill:.claude/a').length + reopened.history('skill:.claude/b').length, 2);
    reopened.close();
  });

  it('never leaves an empty lock file: the lock appears with its owner already in it', async () => {
    const file = path.join(tmp(), 'f');
    const release = await acquireLock(file);
    const text = fs.readFileSync(file + '.lock', 'utf8');
    assert.equal(JSON.parse(text).pid, process.pid);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['f.lock'], 'no temp file is left beside it');
    release();
  });

  it('takes over an empty lock file (a writer died between creating and filling it) once it is a few seconds old', async () => {
    const file = path.join(tmp(), 'f');
    fs.writeFileSync(file + '.lock', '');
    await assert.rejects(acquireLock(file, { timeoutMs: 50 }), (e: unknown) => e instanceof LockTimeoutError && /the lock file is empty/.test(e.message));
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(file + '.lock', old, old);
    const release = await acquireLock(file, { timeoutMs: 50 });
    release();
    assert.ok(!fs.existsSync(file + '.lock'));
  });

  it('judges a lock from another machine dated in the future by the age of its file', async () => {
    const file = path.join(tmp(), 'f');
    fs.writeFileSync(file + '.lock', JSON.stringify({ pid: 1, host: 'elsewhere', at: '2999-01-01T00:00:00.000Z' }));
    await assert.rejects(acquireLock(file, { timeoutMs: 50, staleMs: 5_000 }), LockTimeoutError);
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(file + '.lock', old, old);
    (await acquireLock(file, { timeoutMs: 50, staleMs: 5_000 }))();
  });

  it('fails with a message naming the holder when another process keeps the lock past the deadline', async function () {
    this.timeout(30_000);
    const dir = tmp();
    const store = await VersionStore.open(path.join(dir, 'sync'), { lock: { timeoutMs: 300 } });
    const holder = await holdLockInAnotherProcess(store.indexFile, 3_000);
    const worstGap = watchEventLoop();
    await assert.rejects(store.transact(() => undefined), (e: unknown) => e instanceof LockTimeoutError
      && e.message.includes(`${store.indexFile}.lock is held by another writer (pid ${holder.child.pid} on `)
      && /Wait for it to finish, or delete the lock file if that process is gone\.$/.test(e.message));
    const gap = worstGap();
    // A blocking wait would show the whole hold (about 5 s); 1 s leaves room for a loaded machine (typical figure: 15–25 ms).
    assert.ok(gap < 1_000, `the event loop was blocked for ${gap.toFixed(1)} ms`);
    holder.child.kill();
    await holder.exited;
    store.close();
  });
});
