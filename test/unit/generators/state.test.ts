import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  OwnStateStore, StateError, compileKeyPatterns, defaultStateDbPath, detectStateKind, globToLike, openStateSource, patternsOfArgument, splitPatternList,
} from '../../../src/core/generators';
import { loadSqlJs } from '../../../src/core/store/sqlite';
import { cleanupTemp, tempDir, write } from './helpers';

describe('state key patterns', () => {
  const matches = (pattern: string, key: string): boolean => compileKeyPatterns([pattern])(key);

  it('"*" matches any run of characters, including none', () => {
    assert.ok(matches('notes:*', 'notes:'));
    assert.ok(matches('notes:*', 'notes:entry:1'));
    assert.ok(matches('*:1', 'notes:entry:1'));
    assert.ok(matches('n*s:*y:*', 'notes:entry:1'));
    assert.ok(!matches('notes:*', 'note:entry'));
  });

  it('"?" matches exactly one character (one code point)', () => {
    assert.ok(matches('a?c', 'abc'));
    assert.ok(!matches('a?c', 'ac'));
    assert.ok(!matches('a?c', 'abbc'));
    assert.ok(matches('a?c', 'a😀c'));
  });

  it('ignores ASCII case only', () => {
    assert.ok(matches('NOTES:*', 'notes:x'));
    assert.ok(matches('notes:*', 'NoTeS:x'));
    assert.ok(!matches('é', 'É'), 'non-ASCII letters are compared exactly, as SQLite LIKE does');
  });

  it('treats "%" and "_" as wildcards too, as ambrogio\'s SQL LIKE does (recorded)', () => {
    assert.ok(matches('50%', '50%'));
    assert.ok(matches('50%', '500'));
    assert.ok(matches('a_b', 'a_b'));
    assert.ok(matches('a_b', 'axb'));
    assert.ok(!matches('a\\_b', 'a_b'), 'no escape character: a backslash is literal');
    assert.ok(matches('a\\_b', 'a\\xb'));
  });

  it('treats regular-expression characters literally', () => {
    assert.ok(matches('a.b+(c)', 'a.b+(c)'));
    assert.ok(!matches('a.b', 'axb'));
  });

  it('matches when any of several patterns does', () => {
    const m = compileKeyPatterns(['a:*', 'b:?']);
    assert.ok(m('a:long'));
    assert.ok(m('b:1'));
    assert.ok(!m('b:12'));
    assert.ok(!compileKeyPatterns([])('anything'));
  });

  it('agrees with SQLite\'s own LIKE (ambrogio\'s query) on random keys and patterns', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    try {
      const stmt = db.prepare('SELECT ? LIKE ?');
      const alphabet = fc.constantFrom('a', 'B', 'b', ':', '%', '_', '*', '?', '.', '\\', 'é', 'É', '😀');
      fc.assert(fc.property(fc.array(alphabet, { maxLength: 8 }), fc.array(alphabet, { maxLength: 10 }), (p, k) => {
        const pattern = p.join('');
        const key = k.join('');
        stmt.bind([key, globToLike(pattern)]);
        stmt.step();
        const sqlite = stmt.get()[0] === 1;
        stmt.reset();
        assert.equal(compileKeyPatterns([pattern])(key), sqlite, `${pattern} vs ${key}`);
      }), { numRuns: 2000 });
      stmt.free();
    } finally {
      db.close();
    }
  });

  it('splits a comma-joined pattern list, dropping empty parts', () => {
    assert.deepEqual(splitPatternList('notes:entry:*,memory:*'), ['notes:entry:*', 'memory:*']);
    assert.deepEqual(splitPatternList('a,,b, '), ['a', 'b']);
  });

  it('answers a comma-joined argument as ambrogio does (one pattern) and each part too', () => {
    assert.deepEqual(patternsOfArgument('notes:*'), ['notes:*']);
    assert.deepEqual(patternsOfArgument('a:*,b:*'), ['a:*,b:*', 'a:*', 'b:*']);
  });
});

describe('the product\'s own state store', () => {
  afterEach(cleanupTemp);

  it('lives under SKILLMEAT_HOME, per workspace, by default', () => {
    const p = defaultStateDbPath('/srv/project', { SKILLMEAT_HOME: '/home/u/.sm' });
    assert.match(p, /^\/home\/u\/\.sm\/sync\/workspaces\/[0-9a-f]{16}\/state\.db$/);
    assert.notEqual(p, defaultStateDbPath('/srv/other', { SKILLMEAT_HOME: '/home/u/.sm' }));
  });

  it('reads nothing and creates nothing when the database does not exist yet', async () => {
    const file = path.join(tempDir('st'), 'sub', 'state.db');
    const store = await OwnStateStore.open(file);
    assert.deepEqual(store.list(['*']), []);
    assert.equal(store.get('x'), undefined);
    assert.equal(store.delete('x'), false);
    assert.equal(fs.existsSync(file), false);
  });

  it('sets, gets, lists sorted by key, and deletes', async () => {
    const file = path.join(tempDir('st'), 'state.db');
    const store = await OwnStateStore.open(file, { now: () => new Date('2026-02-13T10:00:00Z') });
    store.set('notes:entry:b', 'B');
    store.set('notes:entry:a', 'A');
    store.set('memory:x', 'M');
    assert.deepEqual(store.get('notes:entry:a'), { key: 'notes:entry:a', value: 'A', updatedAt: '2026-02-13T10:00:00.000Z' });
    assert.deepEqual(store.list(['notes:*']).map((e) => e.key), ['notes:entry:a', 'notes:entry:b']);
    store.set('notes:entry:a', 'A2');
    assert.equal(store.get('notes:entry:a')?.value, 'A2');
    assert.equal(store.delete('notes:entry:a'), true);
    assert.deepEqual(store.list(['*']).map((e) => e.key), ['memory:x', 'notes:entry:b']);
  });

  it('returns the union of several patterns, deduplicated and sorted', async () => {
    const store = await OwnStateStore.open(path.join(tempDir('st'), 'state.db'));
    for (const k of ['b:2', 'a:1', 'c:3', 'a:22']) store.set(k, k);
    assert.deepEqual(store.list(['c:*', 'a:*', 'A:1']).map((e) => e.key), ['a:1', 'a:22', 'c:3']);
  });

  it('writes a plain SQLite file with the runtime_kv table, atomically and privately', async () => {
    const dir = tempDir('st');
    const file = path.join(dir, 'state.db');
    const store = await OwnStateStore.open(file);
    store.set('k', 'v');
    assert.equal(fs.readFileSync(file).toString('latin1', 0, 15), 'SQLite format 3');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['state.db'], 'no temp or lock file is left behind');
    assert.equal(detectStateKind(file), 'own');
  });

  it('never loses another writer\'s rows: each write starts from the file on disk', async () => {
    const file = path.join(tempDir('st'), 'state.db');
    const a = await OwnStateStore.open(file);
    const b = await OwnStateStore.open(file);
    a.set('from:a', '1');
    b.set('from:b', '2');
    a.set('from:a2', '3');
    const fresh = await OwnStateStore.open(file);
    assert.deepEqual(fresh.list(['*']).map((e) => e.key), ['from:a', 'from:a2', 'from:b']);
    assert.deepEqual(b.list(['*']).map((e) => e.key), ['from:a', 'from:a2', 'from:b'], 'a reader sees later writes of others');
  });

  it('refuses a file that is not a SQLite database, naming it and leaving it untouched', async () => {
    const file = write(path.join(tempDir('st'), 'state.db'), 'this is not sqlite, just a long enough text file to look like a header...........');
    const before = fs.readFileSync(file);
    await assert.rejects(() => openStateSource({ path: file, kind: 'own' }), (e: unknown) => {
      assert.ok(e instanceof StateError);
      assert.equal(e.file, file);
      assert.match(e.message, /not a readable SQLite state database/);
      return true;
    });
    assert.deepEqual(fs.readFileSync(file), before);
  });
});

describe('the product\'s own state store, bulk writes', () => {
  afterEach(cleanupTemp);

  it('writes many rows in one atomic replacement', async () => {
    const file = path.join(tempDir('st'), 'state.db');
    const store = await OwnStateStore.open(file);
    store.set('keep', 'k');
    assert.equal(store.setMany(Array.from({ length: 500 }, (_, i) => ({ key: `bulk:${String(i).padStart(3, '0')}`, value: String(i) }))), 500);
    const fresh = await OwnStateStore.open(file);
    assert.equal(fresh.list(['bulk:*']).length, 500);
    assert.equal(fresh.get('bulk:499')?.value, '499');
    assert.equal(fresh.get('keep')?.value, 'k');
  });
});
