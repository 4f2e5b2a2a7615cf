// Twins (issue 13): a project artifact and its collection copy, expected equal, are walked and read together — the
// copy compared byte for byte as the original is hashed, hashed itself only where it differs. Every answer must be
// the one each side gets on its own, however they differ (content of the same size, the last byte of a file over
// one read chunk, an extra file, CRLF, junk, a missing copy), on the worker threads and on the calling thread, for
// our hashes and SkillMeat's forms. Real worker threads (from source, through tsx), real files.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactHasher, hashFileSync, type HashJob, type HashPool } from '../../../src/core/drift/hashing';
import { startHashPool } from '../../../src/core/drift/hashPool';
import { useTempDirs, writeTree } from '../helpers';

const WORKERS_WALK = { bytes: 0, files: 0, artifacts: 0 };
const CHUNK = 1 << 20;

/** A one-worker pool that counts the jobs (and twin jobs) it was given: the rest ran on the calling thread. */
function countingPool(): { pool: HashPool; jobs: HashJob[] } {
  const inner = startHashPool(1)!;
  const jobs: HashJob[] = [];
  return { jobs, pool: { size: inner.size, hash: (js) => { jobs.push(...js); return inner.hash(js); }, close: () => inner.close() } };
}

describe('twins: a project artifact and its collection copy hashed together', function () {
  this.timeout(60_000);
  const tmp = useTempDirs();

  /** `n` equal pairs, then one pair per way of differing; returns [original, copy] paths. */
  function world(n: number): { pairs: [string, string][]; files: number } {
    const root = tmp('twins');
    const pairs: [string, string][] = [];
    let files = 0;
    const pair = (name: string, a: Record<string, string | Buffer>, b: Record<string, string | Buffer> | undefined) => {
      const pa = path.join(root, 'project', name);
      const pb = path.join(root, 'collection', name);
      writeTree(pa, a);
      if (b) writeTree(pb, b);
      files += Object.keys(a).length + Object.keys(b ?? {}).length;
      pairs.push([pa, pb]);
    };
    for (let i = 0; i < n; i++) {
      const skill = { 'SKILL.md': `skill ${i}\n`, 'ref/a.md': `a ${i}\r\n`, 'bin.dat': Buffer.from([0, 13, 10, i]) };
      pair(`same-${i}`, skill, skill);
    }
    const big = Buffer.alloc(CHUNK + 7, 'b');
    const bigChanged = Buffer.from(big);
    bigChanged[bigChanged.length - 1] = 0x63;
    pair('same-size-edit', { 'SKILL.md': 'abc\n', 'z.md': 'z\n' }, { 'SKILL.md': 'abd\n', 'z.md': 'z\n' });
    pair('last-byte-of-big', { 'SKILL.md': 'x\n', 'big.txt': big }, { 'SKILL.md': 'x\n', 'big.txt': bigChanged });
    pair('big-equal', { 'SKILL.md': 'x\n', 'big.txt': big }, { 'SKILL.md': 'x\n', 'big.txt': Buffer.from(big) });
    pair('extra-file', { 'SKILL.md': 'x\n' }, { 'SKILL.md': 'x\n', 'new.md': 'new\n' });
    pair('crlf-copy', { 'SKILL.md': 'x\ny\n' }, { 'SKILL.md': 'x\r\ny\r\n' });
    pair('junk-differs', { 'SKILL.md': 'x\n', '.DS_Store': 'one' }, { 'SKILL.md': 'x\n', '.DS_Store': 'two' });
    pair('missing-copy', { 'SKILL.md': 'x\n' }, undefined);
    return { pairs, files };
  }

  for (const skillmeat of [false, true]) {
    it(`gives each side the hash it has on its own, in the workers and on this thread (${skillmeat ? 'with SkillMeat\'s forms' : 'our hashes'})`, async () => {
      const { pairs } = world(40);
      const h = new ArtifactHasher();
      const requests = h.record(() => {
        for (const [a, b] of pairs) { h.expectSame(a, b); h.hash(a, { skillmeat }); h.hash(b, { skillmeat }); }
      });
      assert.equal(requests.filter((r) => r.twin).length, pairs.length, 'every original names its copy');
      const { pool, jobs } = countingPool();
      const { hashedInPool } = await h.prepare(requests, { threshold: WORKERS_WALK, pool: () => pool });
      assert.ok(jobs.every((j) => j.twin !== undefined), 'the pool got pairs');
      assert.ok(jobs.length > 0 && jobs.length < pairs.length, `both threads hashed pairs (the worker ${jobs.length} of ${pairs.length})`);
      assert.equal(hashedInPool, 2 * jobs.length);
      for (const p of pairs.flat()) assert.deepEqual(h.hash(p, { skillmeat }), new ArtifactHasher().hash(p, { skillmeat }), p);
      assert.equal(h.hash(pairs.at(-1)![1]), undefined, 'a missing copy is missing');
    });
  }

  it('reads each file of equal pairs once, and hashes nothing twice', async () => {
    const { pairs } = world(30);
    const equal = pairs.slice(0, 30);
    const h = new ArtifactHasher();
    const requests = h.record(() => { for (const [a, b] of equal) { h.expectSame(a, b); h.hash(a); h.hash(b); } });
    const { pool } = countingPool();
    await h.prepare(requests, { threshold: WORKERS_WALK, pool: () => pool });
    assert.equal(h.filesRead, 30 * 6);
    const read = h.filesRead;
    for (const p of equal.flat()) assert.ok(h.hash(p));
    assert.equal(h.filesRead, read, 'hash() takes what prepare() computed');
  });

  it('a copy named by a prefetch guess that the check then does not ask for costs a walk, never a wrong answer', async () => {
    const { pairs } = world(20);
    const h = new ArtifactHasher();
    const { pool } = countingPool();
    // The guess pairs each original with the next pair's copy: wrong everywhere.
    const guessed = pairs.slice(0, 20).map(([a], i) => ({ abs: a, twin: pairs[(i + 1) % 20][1] }));
    assert.equal(h.prefetch(guessed, pool, 10), 10);
    const requests = h.record(() => { for (const [a, b] of pairs) { h.expectSame(a, b); h.hash(a); h.hash(b); } });
    await h.prepare(requests, { threshold: WORKERS_WALK, pool: () => pool });
    for (const p of pairs.flat()) assert.deepEqual(h.hash(p), new ArtifactHasher().hash(p), p);
  });

  it('a copy that grew after the walk is not the same, even where every byte the original has matches', () => {
    const d = tmp('grown');
    const a = path.join(d, 'a');
    const b = path.join(d, 'b');
    for (const size of [10, CHUNK, CHUNK + 3]) {
      const data = Buffer.alloc(size, 'x');
      fs.writeFileSync(a, data);
      fs.writeFileSync(b, Buffer.concat([data, Buffer.from('more')]));
      // With the walk's size (the copy rewritten since its own walk, at the same size), and without it (or with a
      // size the file no longer has: the original is read to its end), the copy must end where the original does.
      for (const expected of [size, undefined]) {
        const twin = { abs: b, same: true };
        hashFileSync(a, undefined, expected, twin);
        assert.equal(twin.same, false, `${size} bytes, expected size ${expected}`);
      }
      fs.writeFileSync(b, data);
      const equal = { abs: b, same: true };
      hashFileSync(a, undefined, undefined, equal);
      assert.equal(equal.same, true, `${size} bytes, equal`);
    }
  });

  it('a copy that cannot be read makes the copy differ, never the original unreadable', () => {
    const d = tmp('eisdir');
    const a = path.join(d, 'a');
    const b = path.join(d, 'b');
    fs.mkdirSync(b); // opens, but reading it fails (EISDIR)
    for (const data of ['', 'text\n', Buffer.alloc(CHUNK, 'y')]) {
      fs.writeFileSync(a, data);
      const twin = { abs: b, same: true };
      assert.deepEqual(hashFileSync(a, undefined, Buffer.byteLength(data), twin), hashFileSync(a));
      assert.equal(twin.same, false, `${Buffer.byteLength(data)} bytes`);
    }
  });

  it('expectSame outside a dry run is forgotten: the next dry run pairs only what it was told', () => {
    const { pairs } = world(1);
    const [a, b] = pairs[0];
    const h = new ArtifactHasher();
    h.expectSame(a, b);
    assert.deepEqual(h.record(() => { h.hash(a); h.hash(b); }), [{ absPath: a, skillmeat: false }, { absPath: b, skillmeat: false }]);
    assert.deepEqual(h.record(() => { h.expectSame(a, b); h.hash(a); h.hash(b); }), [{ absPath: a, skillmeat: false, twin: b }, { absPath: b, skillmeat: false }]);
  });
});
