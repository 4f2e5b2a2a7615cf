// The git-base search's cache of versions' baseline forms (core/git/historyBase.ts): a journal that each search
// appends to (a sync of many artifacts rewrote the whole cache, up to 50 000 versions, after every search), rewritten
// only when it has doubled; a line cut short by a crash is skipped, never misread; the older format is replaced.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FormsCache } from '../../../src/core/git/historyBase';
import type { BaselineForms } from '../../../src/core/sync/content';
import { useTempDirs } from '../helpers';

const forms = (i: number): BaselineForms => {
  const h = (c: string) => `${c}${String(i).padStart(63, '0')}`;
  return { treeHash: h('a'), skillmeat: { all: h('b'), clean: h('c'), cleanLf: h('d') } };
};
const oid = (i: number) => String(i).padStart(40, '0');

describe('git bases: the cache of versions\' forms', () => {
  const tmp = useTempDirs();

  it('appends what a search hashed: the lines written before stay as they were, and another process reads them all', () => {
    const file = path.join(tmp('c'), 'git-bases', 'repo.jsonl');
    const c = new FormsCache(file);
    for (let i = 0; i < 3; i++) c.set(oid(i), forms(i));
    c.save();
    const first = fs.readFileSync(file, 'utf8');
    const ino = fs.statSync(file).ino;
    for (let i = 3; i < 5; i++) c.set(oid(i), forms(i));
    c.save();
    const after = fs.readFileSync(file, 'utf8');
    assert.ok(after.startsWith(first), 'appended, not rewritten');
    assert.equal(fs.statSync(file).ino, ino);
    assert.equal(after.trim().split('\n').length, 1 + 5);
    const other = new FormsCache(file);
    assert.equal(other.size, 5);
    for (let i = 0; i < 5; i++) assert.deepEqual(other.get(oid(i)), forms(i));
    c.save();
    assert.equal(fs.readFileSync(file, 'utf8'), after, 'nothing new: nothing written');
  });

  it('skips a line a crash cut short, and what comes after it starts on a line of its own', () => {
    const file = path.join(tmp('c'), 'repo.jsonl');
    const c = new FormsCache(file);
    c.set(oid(1), forms(1));
    c.save();
    fs.appendFileSync(file, JSON.stringify([oid(2), forms(2)]).slice(0, 50));
    c.set(oid(3), forms(3));
    c.save();
    const other = new FormsCache(file);
    assert.deepEqual([other.get(oid(1)), other.get(oid(2)), other.get(oid(3))], [forms(1), undefined, forms(3)]);
  });

  it('rewrites the journal with the newest versions once it has doubled', () => {
    const file = path.join(tmp('c'), 'repo.jsonl');
    const c = new FormsCache(file, 4);
    for (let i = 0; i < 8; i++) { c.set(oid(i), forms(i)); c.save(); }
    assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 1 + 8, 'appended up to twice the limit');
    c.set(oid(8), forms(8));
    c.save();
    const other = new FormsCache(file, 4);
    assert.equal(fs.readFileSync(file, 'utf8').trim().split('\n').length, 1 + 4);
    assert.deepEqual([5, 6, 7, 8].map((i) => other.get(oid(i))), [5, 6, 7, 8].map(forms));
    assert.equal(other.get(oid(4)), undefined, 'the oldest dropped');
  });

  it('shared by two processes (the CLI and the extension): the file stays bounded, and a rewrite keeps what the other appended', () => {
    const file = path.join(tmp('c'), 'repo.jsonl');
    const a = new FormsCache(file, 4);
    const b = new FormsCache(file, 4);
    for (let i = 0; i < 10; i++) {
      a.set(oid(i), forms(i)); a.save();
      b.set(oid(100 + i), forms(100 + i)); b.save();
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length - 1;
      assert.ok(lines <= 2 * 4, `${lines} lines after round ${i}`);
    }
    // A rewrite by one keeps what the other appended since it loaded: here a's rewrite, after b appended 200.
    const file2 = path.join(tmp('c'), 'repo.jsonl');
    const c = new FormsCache(file2, 4);
    const d = new FormsCache(file2, 4);
    for (let i = 0; i < 6; i++) { c.set(oid(i), forms(i)); c.save(); }
    d.set(oid(200), forms(200)); d.save();
    c.set(oid(6), forms(6)); c.save();
    assert.equal(fs.readFileSync(file2, 'utf8').trim().split('\n').length - 1, 8);
    c.set(oid(7), forms(7)); c.save(); // the ninth line: rewritten with the newest four
    const fresh = new FormsCache(file2, 4);
    assert.equal(fresh.size, 4);
    assert.deepEqual([5, 200, 6, 7].map((i) => fresh.get(oid(i))), [5, 200, 6, 7].map(forms));
    assert.deepEqual(c.get(oid(200)), forms(200), 'the rewriting process now knows it too');
  });

  it('replaces a cache of the older format (one JSON object) instead of reading it', () => {
    const dir = tmp('c');
    const old = path.join(dir, 'repo.json');
    fs.writeFileSync(old, JSON.stringify({ v: 1, forms: { [oid(9)]: forms(9) } }));
    const file = path.join(dir, 'repo.jsonl');
    fs.writeFileSync(file, '{"v":1}\n' + JSON.stringify([oid(7), forms(7)]) + '\n');
    const c = new FormsCache(file);
    assert.equal(c.size, 0, 'another format is not read');
    c.set(oid(1), forms(1));
    c.save();
    assert.equal(fs.existsSync(old), false);
    assert.deepEqual(fs.readFileSync(file, 'utf8').split('\n').slice(0, 2), ['{"v":2}', JSON.stringify([oid(1), forms(1)])]);
  });
});
