import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OwnStateStore, ambrogioctlShimScript, ensureAmbrogioctlShim } from '../../../src/core/generators';
import type { ShimState } from '../../../src/core/generators';
import { AMBROGIO_DDL, Sqlite3, cleanupTemp, insertSql, tempDir, testCli, testEnv } from './helpers';

interface Ran { code: number; stdout: string; stderr: string }

/** Runs the shim the way a generator does: `ambrogioctl …` found on PATH. */
function ambrogioctl(shimDir: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile('ambrogioctl', args, { env: { ...env, PATH: `${env.PATH ?? ''}${path.delimiter}${shimDir}` } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the ambrogioctl shim', () => {
  afterEach(cleanupTemp);

  async function ownStore(rows: Record<string, string>): Promise<{ env: NodeJS.ProcessEnv; dir: string; state: ShimState }> {
    const home = tempDir('home');
    const file = path.join(home, 'state.db');
    const store = await OwnStateStore.open(file, { now: () => new Date('2026-02-13T10:00:00Z') });
    for (const [k, v] of Object.entries(rows)) store.set(k, v);
    const env = testEnv(home);
    const state: ShimState = { path: file, kind: 'own' };
    return { env, state, dir: ensureAmbrogioctlShim(await testCli(), state, undefined, env) };
  }

  it('answers state list --json with {"entries":[{key,value,updatedAt}]} sorted by key', async () => {
    const { env, dir } = await ownStore({ 'notes:entry:b': '{"type":"idea"}', 'notes:entry:a': 'plain', 'memory:x': 'm' });
    const r = await ambrogioctl(dir, ['state', 'list', '--pattern', 'notes:entry:*', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      entries: [
        { key: 'notes:entry:a', value: 'plain', updatedAt: '2026-02-13T10:00:00.000Z' },
        { key: 'notes:entry:b', value: '{"type":"idea"}', updatedAt: '2026-02-13T10:00:00.000Z' },
      ],
    });
    assert.deepEqual(Object.keys(JSON.parse(r.stdout).entries[0]), ['key', 'value', 'updatedAt']);
  });

  it('takes several comma-joined patterns, as SYNC_PATTERNS passes them, and each one works', async () => {
    const { env, dir } = await ownStore({ 'a:1': '1', 'a:22': '22', 'b:1': 'b', 'b:12': 'b12', 'c:1': 'c' });
    const r = await ambrogioctl(dir, ['state', 'list', '--pattern', 'b:?,A:*', '--json'], env);
    assert.deepEqual(JSON.parse(r.stdout).entries.map((e: { key: string }) => e.key), ['a:1', 'a:22', 'b:1']);
  });

  it('matches as SQL LIKE, as ambrogio does: % and _ are wildcards too, ? is one character', async () => {
    const { env, dir } = await ownStore({ 'p:50%': 'x', 'p:500': 'y', 'p:a_b': 'z', 'p:axb': 'w' });
    const list = async (p: string): Promise<string[]> =>
      JSON.parse((await ambrogioctl(dir, ['state', 'list', '--pattern', p, '--json'], env)).stdout).entries.map((e: { key: string }) => e.key);
    assert.deepEqual(await list('p:50%'), ['p:50%', 'p:500']);
    assert.deepEqual(await list('p:a_b'), ['p:a_b', 'p:axb']);
    assert.deepEqual(await list('p:a?b'), ['p:a_b', 'p:axb']);
    assert.deepEqual(await list('P:5*'), ['p:50%', 'p:500']);
  });

  it('lists everything without --pattern, and an empty result as an empty array', async () => {
    const { env, dir } = await ownStore({ 'x:1': '1', 'y:1': '2' });
    assert.equal(JSON.parse((await ambrogioctl(dir, ['state', 'list', '--json'], env)).stdout).entries.length, 2);
    assert.deepEqual(JSON.parse((await ambrogioctl(dir, ['state', 'list', '--pattern', 'none:*', '--json'], env)).stdout), { entries: [] });
  });

  it('gets a key as ambrogio prints it (K=value, JSON {key,value}), and exits 3 for a missing key', async () => {
    const { env, dir } = await ownStore({ 'k': 'line one' });
    assert.deepEqual(await ambrogioctl(dir, ['state', 'get', 'k'], env), { code: 0, stdout: 'k=line one\n', stderr: '' });
    assert.deepEqual(await ambrogioctl(dir, ['state', 'get', '--key', 'k', '--json'], env), { code: 0, stdout: '{"key":"k","value":"line one"}\n', stderr: '' });
    assert.deepEqual(await ambrogioctl(dir, ['state', 'get', 'nope'], env), { code: 3, stdout: '', stderr: 'Key not found: nope\n' });
  });

  it('sets and deletes keys in the product\'s store', async () => {
    const { env, dir, state } = await ownStore({});
    assert.deepEqual(await ambrogioctl(dir, ['state', 'set', 'notes:entry:1', '{"type":"todo"}'], env), { code: 0, stdout: 'Set notes:entry:1={"type":"todo"}\n', stderr: '' });
    const store = await OwnStateStore.open(state.path);
    assert.equal(store.get('notes:entry:1')?.value, '{"type":"todo"}');
    await ambrogioctl(dir, ['state', 'set', 'notes:entry:2', 'two'], env);
    assert.deepEqual(await ambrogioctl(dir, ['state', 'delete', 'notes:entry:1', 'notes:entry:2'], env), { code: 0, stdout: 'Deleted 2 key(s)\n', stderr: '' });
    assert.equal(store.get('notes:entry:1'), undefined);
    assert.equal(store.get('notes:entry:2'), undefined);
    // ambrogio counts the keys it was given, deleted or not
    assert.deepEqual(await ambrogioctl(dir, ['state', 'delete', 'notes:entry:1'], env), { code: 0, stdout: 'Deleted 1 key(s)\n', stderr: '' });
  });

  it('serves an ambrogio WAL database read-only, rows in the -wal file included', async () => {
    const file = path.join(tempDir('amb'), 'state.db');
    const sqlite = new Sqlite3(file);
    try {
      await sqlite.exec(`${AMBROGIO_DDL}\n${insertSql([['notes:entry:1', '{"type":"idea"}']])}`);
      assert.ok(fs.statSync(`${file}-wal`).size > 0);
      const env = testEnv(tempDir('home'));
      const dir = ensureAmbrogioctlShim(await testCli(), { path: file, kind: 'ambrogio' }, undefined, env);
      const r = await ambrogioctl(dir, ['state', 'list', '--pattern', 'notes:*', '--json'], env);
      assert.deepEqual(JSON.parse(r.stdout).entries.map((e: { key: string }) => e.key), ['notes:entry:1']);
      const set = await ambrogioctl(dir, ['state', 'set', 'x', 'y'], env);
      assert.equal(set.code, 10);
      assert.match(set.stderr, /only reads; change it with ambrogio's own ambrogioctl/);
    } finally {
      await sqlite.close();
    }
  });

  it('answers memory sync, which ambrogio\'s memory-manager generator calls', async () => {
    const { env, dir } = await ownStore({ 'memory:fact:m1': JSON.stringify({ id: 'm1', content: 'A fact', confidence: 90, source: 'explicit', status: 'active', createdAt: '2026-01-05T12:00:00Z', updatedAt: '2026-01-05T12:00:00Z' }) });
    const out = path.join(env.SKILLMEAT_HOME as string, 'out', 'MEMORY.md');
    const r = await ambrogioctl(dir, ['memory', 'sync', '--output', out], { ...env, TZ: 'UTC' });
    assert.deepEqual(r, { code: 0, stdout: `MEMORY.md synced successfully to: ${out}\nTotal memories: 1\n`, stderr: '' });
    assert.match(fs.readFileSync(out, 'utf8'), /## Facts & Knowledge\n\n### A fact\n\n- \*\*ID\*\*: `m1`\n- \*\*Confidence\*\*: 90%\n- \*\*Source\*\*: explicit\n- \*\*Created\*\*: 1\/5\/2026\n/);
  });

  it('answers the scopes that need a running ambrogio by naming what is missing', async () => {
    const { env, dir } = await ownStore({});
    const r = await ambrogioctl(dir, ['jobs', 'list'], env);
    assert.equal(r.code, 10);
    assert.match(r.stderr, /answers only 'state' and 'memory'/);
    assert.match(r.stderr, /put ambrogio's own ambrogioctl on the PATH/);
    const usage = await ambrogioctl(dir, ['frobnicate'], env);
    assert.deepEqual(usage, { code: 2, stdout: '', stderr: 'Usage: ambrogioctl <jobs|tasks|status|telegram|state|conversation|memory|sync> [options]\n' });
  });

  it('is an executable sh script that quotes every path and is rewritten only when it changes', async () => {
    const dir = tempDir('shim');
    const cmd = { nodePath: "/opt/my node/bin/node", cliPath: "/it's/cli.js", nodeEnv: { ELECTRON_RUN_AS_NODE: '1' } };
    const state: ShimState = { path: '/data/runtime/state.db', kind: 'ambrogio' };
    assert.equal(ensureAmbrogioctlShim(cmd, state, dir), dir);
    const file = path.join(dir, 'ambrogioctl');
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text, ambrogioctlShimScript(cmd, state));
    assert.ok(fs.statSync(file).mode & 0o100);
    assert.match(text, /exec '\/opt\/my node\/bin\/node' '\/it'\\''s\/cli\.js' 'ambrogioctl' "\$@"/);
    assert.match(text, /SKILLMEAT_SYNC_STATE_KIND='ambrogio'/);
    assert.match(text, /ELECTRON_RUN_AS_NODE='1'; export ELECTRON_RUN_AS_NODE/);
    const ino = fs.statSync(file).ino;
    ensureAmbrogioctlShim(cmd, state, dir);
    assert.equal(fs.statSync(file).ino, ino, 'unchanged script, untouched file');
    ensureAmbrogioctlShim(cmd, { ...state, path: '/other.db' }, dir);
    assert.match(fs.readFileSync(file, 'utf8'), /\/other\.db/);
  });
});
