// The hash pool and the prepared check (issue 13): worker threads give byte-identical hashes to the single-thread
// path (tree, per-file, SkillMeat's three forms; CRLF, binary, junk, a file larger than one read chunk); a prepared
// check (dry run, walk, pool) gives the same report as a plain check; a file changed within the racy window is read
// again by the next check. Real worker threads (from the TypeScript source, through tsx), real files.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactHasher } from '../../../src/core/drift/hashing';
import { startHashPool } from '../../../src/core/drift/hashPool';
import { checkDrift, checkDriftPrepared } from '../../../src/core/drift/drift';
import type { DriftReport } from '../../../src/core/model';
import { StatCache, STAT_CACHE_DIR } from '../../../src/core/drift/statCache';
import { useTempDirs, makeWorld, addSkill, addCommand, deploy, edit, stateOf, writeTree } from '../helpers';

/** Every pool started by a test, to check it was used and closed. */
function countingPool(started: { n: number }) {
  return () => { started.n++; return startHashPool(2); };
}

describe('hash pool (worker threads) and the prepared check', function () {
  this.timeout(60_000);
  const tmp = useTempDirs();
  const ALWAYS = { bytes: 0, files: 0, artifacts: Infinity }; // start the pool for any unknown content; walk here
  const WORKERS_WALK = { bytes: 0, files: 0, artifacts: 0 }; // the workers walk as well

  it('hashes byte-identically to the main thread, walked here or in the workers: tree, files, SkillMeat forms; CRLF, binary, junk, a file over 1 MiB', async () => {
    const root = tmp('pool');
    const big = Buffer.alloc((1 << 20) + 5, 'a');
    big[(1 << 20) - 1] = 0x0d; // a CR ending the first read chunk, its LF starting the next
    big[1 << 20] = 0x0a;
    writeTree(path.join(root, 'crlf'), { 'SKILL.md': 'a\r\nb\r\n', 'big.txt': big, 'bin.dat': Buffer.from([0, 13, 10, 1]), '.DS_Store': 'junk', 'sub/x.pyc': 'junk', 'sub/y.md': 'y\r' });
    writeTree(path.join(root, 'plain'), { 'SKILL.md': 'plain\n', 'ref/a.md': 'a\n' });
    fs.writeFileSync(path.join(root, 'single.md'), 'one file\r\n');
    const paths = ['crlf', 'plain', 'single.md'].map((p) => path.join(root, p));
    for (const [skillmeat, threshold] of [[false, ALWAYS], [true, ALWAYS], [false, WORKERS_WALK], [true, WORKERS_WALK]] as const) {
      const single = new ArtifactHasher();
      const expected = paths.map((p) => single.hash(p, { skillmeat }));
      const pooled = new ArtifactHasher();
      const started = { n: 0 };
      const { hashedInPool } = await pooled.prepare(paths.map((absPath) => ({ absPath, skillmeat })), { threshold, pool: countingPool(started) });
      assert.equal(started.n, 1);
      assert.equal(hashedInPool, 3);
      const read = pooled.filesRead;
      assert.ok(read > 0, 'the workers read the files');
      const got = paths.map((p) => pooled.hash(p, { skillmeat }));
      assert.equal(pooled.filesRead, read, 'hash() used what the pool computed');
      assert.deepEqual(got, expected);
      if (skillmeat) assert.notEqual(got[0]!.skillmeat!.all, got[0]!.skillmeat!.cleanLf);
    }
  });

  it('starts no pool below the threshold, and gives the same answers on the main thread', async () => {
    const root = tmp('small');
    writeTree(path.join(root, 'a'), { 'SKILL.md': 'a\r\n' });
    const started = { n: 0 };
    const h = new ArtifactHasher();
    const { hashedInPool } = await h.prepare([{ absPath: path.join(root, 'a'), skillmeat: false }], { pool: countingPool(started) });
    assert.equal(started.n, 0);
    assert.equal(hashedInPool, 0);
    assert.deepEqual(h.hash(path.join(root, 'a')), new ArtifactHasher().hash(path.join(root, 'a')));
  });

  it('a prepared check reports exactly what a plain check does (drift of every kind, on the pool)', async () => {
    const w = makeWorld(tmp);
    for (const n of ['a', 'b', 'c', 'd']) addSkill(w.collection, n, { 'notes.md': `${n}\r\n` });
    addCommand(w.collection, 'go');
    for (const n of ['a', 'b', 'c']) await deploy(w, 'skill', n);
    await deploy(w, 'command', 'go');
    edit(path.join(w.claude, 'skills', 'a', 'SKILL.md'));
    edit(path.join(w.collection, 'skills', 'b', 'SKILL.md'));
    addSkill(w.claude, 'local');
    const started = { n: 0 };
    const hasher = new ArtifactHasher();
    const prepared = await checkDriftPrepared({ project: w.project, env: w.env, hasher, pool: countingPool(started), poolThreshold: ALWAYS });
    const walkedInPool = await checkDriftPrepared({ project: w.project, env: w.env, pool: countingPool(started), poolThreshold: WORKERS_WALK });
    const plain = checkDrift({ project: w.project, env: w.env });
    assert.equal(started.n, 2);
    const strip = (r: typeof plain) => ({ ...r, checkedAt: '', durationMs: 0 });
    assert.deepEqual(strip(prepared), strip(plain));
    assert.deepEqual(strip(walkedInPool), strip(plain));
    assert.deepEqual(['a', 'b', 'c', 'd', 'local'].map((n) => stateOf(prepared, 'skill', n)), ['modified', 'outdated', 'in-sync', 'added', 'untracked']);
    // The walks prepare() made are used once: the next check walks (and sees) anew.
    edit(path.join(w.claude, 'skills', 'c', 'SKILL.md'));
    assert.equal(stateOf(checkDrift({ project: w.project, env: w.env, hasher }), 'skill', 'c'), 'modified');
  });

  it('a file changed within the racy window is not trusted from the cache: the next check reads it again', async () => {
    const w = makeWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': 'n\n' });
    await deploy(w, 'skill', 'review');
    const cacheDir = path.join(w.home, 'sync', STAT_CACHE_DIR);
    const run = async () => {
      const cache = StatCache.open(cacheDir); // the default racy window (2 s): everything was written just now
      const hasher = new ArtifactHasher(undefined, { persistent: cache });
      const report = await checkDriftPrepared({ project: w.project, env: w.env, hasher, recordsCache: cache, pool: () => startHashPool(2), poolThreshold: WORKERS_WALK });
      cache.save();
      return { report, read: hasher.filesRead };
    };
    const first = await run();
    assert.ok(first.read > 0);
    // Same size, and whatever mtime the clock gives within the window: only a re-read can see it.
    const f = path.join(w.claude, 'skills', 'review', 'notes.md');
    fs.writeFileSync(f, 'N\n');
    const second = await run();
    assert.ok(second.read >= first.read, `every racy file is read again (${second.read} of ${first.read})`);
    assert.equal(stateOf(second.report, 'skill', 'review'), 'modified');
  });

  it('gives partial reports while it hashes: only artifacts already hashed, each exactly as the final report has it', async () => {
    const w = makeWorld(tmp);
    for (let i = 0; i < 60; i++) addSkill(w.collection, `s${String(i).padStart(2, '0')}`, { 'ref/a.md': `a ${i}\n` });
    for (let i = 0; i < 60; i += 2) await deploy(w, 'skill', `s${String(i).padStart(2, '0')}`);
    edit(path.join(w.claude, 'skills', 's10', 'SKILL.md'));
    const partials: DriftReport[] = [];
    // Batches of 16 walked in the pool and here, a partial report after each (the interval is timing; 0 here).
    const final = await checkDriftPrepared({ project: w.project, env: w.env, pool: () => startHashPool(1), poolThreshold: WORKERS_WALK, onPartial: (r) => partials.push(r), partialEveryMs: 0 });
    assert.equal(final.partial, undefined, 'the final report is whole');
    assert.ok(partials.length >= 2, `partial reports: ${partials.length}`);
    const key = (a: { root: string; type: string; name: string }) => `${a.root}|${a.type}|${a.name}`;
    const byKey = new Map(final.artifacts.map((a) => [key(a), a]));
    let previous = -1;
    for (const p of partials) {
      assert.equal(p.partial!.total, final.artifacts.length);
      assert.equal(p.partial!.known, p.artifacts.length);
      assert.ok(p.artifacts.length >= previous, 'what is known only grows');
      previous = p.artifacts.length;
      for (const a of p.artifacts) assert.deepEqual(a, byKey.get(key(a)), `${key(a)} as in the final report`);
    }
    assert.ok(partials[0].artifacts.length < final.artifacts.length, 'the first partial report came before everything was hashed');
  });

  // Prefetch: what the pool hashed before the dry run is used as the walk, not walked or read again. Without the
  // forms (records carry our tree hash), one artifact that then needs SkillMeat's forms is read again for them (all 3
  // of its files: the junk too, SkillMeat hashes it); with them (records SkillMeat wrote), nothing is read again.
  for (const forms of [false, true]) {
    it(`prefetch ${forms ? 'with' : 'without'} SkillMeat's forms: the pool's work before the dry run is the check's, read once${forms ? '' : '; one that wants the forms later is read again for them'}`, async () => {
      const root = tmp('prefetch');
      const paths = Array.from({ length: 40 }, (_, i) => path.join(root, `s${i}`));
      paths.forEach((p, i) => writeTree(p, { 'SKILL.md': `skill ${i}\r\n`, 'ref/a.md': `a ${i}\n`, '.DS_Store': 'junk' }));
      const pool = startHashPool(1)!;
      try {
        const h = new ArtifactHasher();
        const prefetched = forms ? 40 : 24;
        assert.equal(h.prefetch(paths, pool, prefetched, forms), prefetched);
        const wantsForms = (p: string) => forms || p === paths[0];
        await h.prepare(paths.map((absPath) => ({ absPath, skillmeat: wantsForms(absPath) })), { pool: () => pool, threshold: WORKERS_WALK });
        const single = new ArtifactHasher();
        for (const p of paths) assert.deepEqual(h.hash(p, { skillmeat: wantsForms(p) }), single.hash(p, { skillmeat: wantsForms(p) }), p);
        assert.equal(h.filesRead, forms ? paths.length * 3 : paths.length * 2 + 3);
      } finally {
        await pool.close();
      }
    });
  }

  it('a walk done in a worker brings its folders\' keys across: the next check verifies those artifacts without a walk', async () => {
    const w = makeWorld(tmp);
    for (const n of ['a', 'b', 'c']) addSkill(w.collection, n, { 'ref/deep/x.md': `${n}\n`, 'empty/.keep': '' });
    for (const n of ['a', 'b']) await deploy(w, 'skill', n);
    // Files and folders changed in the millisecond of a check are rightly not trusted (racy): let the clock move past them.
    const deadline = Date.now() + 5_000;
    while (Date.now() <= Math.max(...[w.project, w.collection].flatMap((d) => fs.readdirSync(d, { recursive: true }).map((e) => fs.statSync(path.join(d, String(e))).ctimeMs))) + 1 && Date.now() < deadline) { /* a millisecond or two */ }
    const dir = path.join(w.home, 'sync', STAT_CACHE_DIR);
    const first = StatCache.open(dir, { racyMs: 0 });
    const before = await checkDriftPrepared({ project: w.project, env: w.env, hasher: new ArtifactHasher(undefined, { persistent: first }), recordsCache: first, pool: () => startHashPool(1), poolThreshold: WORKERS_WALK });
    assert.equal(first.save(), true);
    const second = StatCache.open(dir, { racyMs: 0 });
    const hasher = new ArtifactHasher(undefined, { persistent: second });
    const after = checkDrift({ project: w.project, env: w.env, hasher, recordsCache: second });
    assert.equal(second.verifiedWithoutListing, 5, 'a and b on both sides, c in the collection');
    assert.equal(hasher.filesRead, 0);
    assert.deepEqual(after.artifacts, before.artifacts);
  });

  it('a worker that dies fails only its own batches; the others go on, and a pool with none left fails at once (never hangs)', async () => {
    const root = tmp('dying');
    const paths = Array.from({ length: 8 }, (_, i) => path.join(root, `s${i}`));
    paths.forEach((p, i) => writeTree(p, { 'SKILL.md': `${i}\n` }));
    // A walk job with junk rules the worker cannot compile: its matcher throws, uncaught, and the worker dies.
    const poison = [{ abs: paths[0], skillmeat: false, exclude: [42 as unknown as string] }];
    const good = (p: string) => [{ abs: p, skillmeat: false, exclude: [] as string[] }];
    const two = startHashPool(2)!;
    try {
      const settled = await Promise.allSettled([two.hash(poison), ...paths.slice(1).map((p) => two.hash(good(p)))]);
      assert.equal(settled[0].status, 'rejected');
      assert.ok(settled.slice(1).some((r) => r.status === 'fulfilled'), 'the live worker answered');
      const after = await two.hash(good(paths[1]));
      assert.deepEqual(after[0].hash, new ArtifactHasher().hash(paths[1]));
    } finally {
      await two.close();
    }
    const one = startHashPool(1)!;
    try {
      const settled = await Promise.allSettled([one.hash(poison), one.hash(good(paths[1])), one.hash(good(paths[2]))]);
      assert.equal(settled[0].status, 'rejected');
      await assert.rejects(one.hash(good(paths[3])), /no hash worker is left/);
    } finally {
      await one.close();
    }
  });
});
