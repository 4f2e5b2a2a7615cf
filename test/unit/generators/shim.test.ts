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
    execFile('ambrogioctl', args, { env: { ...env, PATH: `${shimDir}${path.delimiter}${env.PATH ?? ''}` } }, (err, stdout, stderr) => {
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

  it('treats % and _ literally and ? as one character', async () => {
    const { env, dir } = await ownStore({ 'p:50%': 'x', 'p:500': 'y', 'p:a_b': 'z', 'p:axb': 'w' });
    const list = async (p: string): Promise<string[]> =>
      JSON.parse((await ambrogioctl(dir, ['state', 'list', '--pattern', p, '--json'], env)).stdout).entries.map((e: { key: string }) => e.key);
    assert.deepEqual(await list('p:50%'), ['p:50%']);
    assert.deepEqual(await list('p:a_b'), ['p:a_b']);
    assert.deepEqual(await list('p:a?b'), ['p:a_b', 'p:axb']);
    assert.deepEqual(await list('P:5*'), ['p:50%', 'p:500']);
  });

  it('lists everything without --pattern, and an empty result as an empty array', async () => {
    const { env, dir } = await ownStore({ 'x:1': '1', 'y:1': '2' });
    assert.equal(JSON.parse((await ambrogioctl(dir, ['state', 'list', '--json'], env)).stdout).entries.length, 2);
    assert.deepEqual(JSON.parse((await ambrogioctl(dir, ['state', 'list', '--pattern', 'none:*', '--json'], env)).stdout), { entries: [] });
  });

  it('gets a key as text or JSON, and exits 3 for a missing key', async () => {
    const { env, dir } = await ownStore({ 'k': 'line one' });
    assert.deepEqual(await ambrogioctl(dir, ['state', 'get', 'k'], env), { code: 0, stdout: 'line one\n', stderr: '' });
    assert.deepEqual(JSON.parse((await ambrogioctl(dir, ['state', 'get', 'k', '--json'], env)).stdout), { key: 'k', value: 'line one', updatedAt: '2026-02-13T10:00:00.000Z' });
    const missing = await ambrogioctl(dir, ['state', 'get', 'nope'], env);
    assert.equal(missing.code, 3);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /no state key "nope"/);
  });

  it('sets and deletes keys in the product\'s store', async () => {
    const { env, dir, state } = await ownStore({});
    assert.equal((await ambrogioctl(dir, ['state', 'set', 'notes:entry:1', '{"type":"todo"}'], env)).code, 0);
    const store = await OwnStateStore.open(state.path);
    assert.equal(store.get('notes:entry:1')?.value, '{"type":"todo"}');
    assert.equal((await ambrogioctl(dir, ['state', 'delete', 'notes:entry:1'], env)).code, 0);
    assert.equal(store.get('notes:entry:1'), undefined);
    assert.equal((await ambrogioctl(dir, ['state', 'delete', 'notes:entry:1'], env)).code, 3);
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
      assert.equal(set.code, 2);
      assert.match(set.stderr, /only reads/);
    } finally {
      await sqlite.close();
    }
  });

  it('refuses commands other than state', async () => {
    const { env, dir } = await ownStore({});
    const r = await ambrogioctl(dir, ['sync', 'generate', '--all'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /only 'ambrogioctl state/);
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
    assert.match(text, /exec '\/opt\/my node\/bin\/node' '\/it'\\''s\/cli\.js' 'state' "\$@"/);
    assert.match(text, /SKILLMEAT_SYNC_STATE_KIND='ambrogio'/);
    assert.match(text, /ELECTRON_RUN_AS_NODE='1'; export ELECTRON_RUN_AS_NODE/);
    const ino = fs.statSync(file).ino;
    ensureAmbrogioctlShim(cmd, state, dir);
    assert.equal(fs.statSync(file).ino, ino, 'unchanged script, untouched file');
    ensureAmbrogioctlShim(cmd, { ...state, path: '/other.db' }, dir);
    assert.match(fs.readFileSync(file, 'utf8'), /\/other\.db/);
  });
});
