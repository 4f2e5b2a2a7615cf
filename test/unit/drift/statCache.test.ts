// The CLI's persisted stat cache (issue 13): a hit only when every file's (device, inode, size, mtime, ctime)
// is unchanged; content changed behind an unchanged mtime (same size, `cp -p`) is seen; a corrupt cache is
// ignored and rebuilt; a check with the cache writes nothing in the project or the collection.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactHasher } from '../../../src/core/drift/hashing';
import { StatCache, STAT_CACHE_DIR, STAT_CACHE_FILE } from '../../../src/core/drift/statCache';
import { checkDrift } from '../../../src/core/drift/drift';
import { main } from '../../../src/cli/main';
import { useTempDirs, makeWorld, addSkill, deploy, stateOf, snapshotDir, captureIO, type World } from '../helpers';

/** Runs `change` until the file's ctime differs from `before` (a coarse clock can keep it within one tick), with a deadline. */
function changeCtime(file: string, before: number, change: () => void): void {
  const deadline = Date.now() + 5_000;
  do change(); while (fs.statSync(file).ctimeMs === before && Date.now() < deadline);
  assert.notEqual(fs.statSync(file).ctimeMs, before, `the ctime of ${file} did not move`);
}

describe('stat cache (persisted between CLI runs)', () => {
  const tmp = useTempDirs();
  let w: World;
  let cacheDir: string;
  beforeEach(async () => {
    w = makeWorld(tmp);
    cacheDir = path.join(w.home, 'sync', STAT_CACHE_DIR);
    addSkill(w.collection, 'review', { 'ref/guide.md': 'guide\n', 'notes.txt': 'a\r\nb\r\n' });
    await deploy(w, 'skill', 'review');
  });

  /** One "process": a fresh hasher over the cache as it is on disk; racy files trusted (the test is fast). */
  const runCheck = (opts: { skillmeat?: boolean } = {}) => {
    const cache = StatCache.open(cacheDir, { racyMs: 0 });
    const hasher = new ArtifactHasher(undefined, { persistent: cache });
    const report = checkDrift({ project: w.project, env: w.env, hasher, recordsCache: cache });
    const sm = opts.skillmeat ? hasher.hash(path.join(w.claude, 'skills', 'review'), { skillmeat: true }) : undefined;
    assert.equal(cache.save(), true);
    return { report, read: hasher.filesRead, cache, sm };
  };

  it('a second run with nothing changed reads no file and answers the same', () => {
    const first = runCheck();
    assert.ok(first.read > 0);
    const second = runCheck();
    assert.equal(second.read, 0);
    assert.deepEqual(second.report.artifacts, first.report.artifacts);
    assert.equal(stateOf(second.report, 'skill', 'review'), 'in-sync');
  });

  it('keeps SkillMeat\'s hash forms too once computed, and gives them back byte-exact', () => {
    const first = runCheck({ skillmeat: true });
    const second = runCheck({ skillmeat: true });
    assert.equal(second.read, 0);
    assert.deepEqual(second.sm?.skillmeat, first.sm?.skillmeat);
    assert.deepEqual(second.sm?.skillmeat, new ArtifactHasher().hash(path.join(w.claude, 'skills', 'review'), { skillmeat: true })?.skillmeat);
  });

  it('sees new content of the same size with the old mtime put back (ctime changed)', () => {
    const f = path.join(w.claude, 'skills', 'review', 'ref', 'guide.md');
    const old = Math.floor(Date.now() / 1000) - 3600; // whole seconds: utimes puts it back exactly
    fs.utimesSync(f, old, old);
    // utimes set the ctime to now: the first check must hash every file in a later millisecond than it last
    // changed, or the cache rightly refuses to trust it (racy) and the second check reads every file again.
    const changedAt = Math.max(...[w.project, w.collection].flatMap((d) => fs.readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.statSync(path.join(e.parentPath, e.name)).ctimeMs)));
    const deadline = Date.now() + 5_000;
    while (Date.now() <= changedAt + 1 && Date.now() < deadline) { /* a millisecond or two */ }
    runCheck();
    const st = fs.statSync(f);
    changeCtime(f, st.ctimeMs, () => { fs.writeFileSync(f, 'GUIDE\n'); fs.utimesSync(f, old, old); }); // same size, old mtime
    assert.equal(fs.statSync(f).mtimeMs, st.mtimeMs);
    assert.equal(fs.statSync(f).size, st.size);
    const r = runCheck();
    assert.equal(stateOf(r.report, 'skill', 'review'), 'modified');
    assert.equal(r.read, 1, 'only the changed file is read again');
  });

  it('sees a file replaced by `cp -p` of other content with an older mtime', () => {
    runCheck();
    const f = path.join(w.claude, 'skills', 'review', 'SKILL.md');
    const other = path.join(tmp('other'), 'SKILL.md');
    fs.writeFileSync(other, fs.readFileSync(f, 'utf8').replace('Do the thing', 'Do THE thing'));
    fs.utimesSync(other, new Date(fs.statSync(f).mtimeMs - 60_000), new Date(fs.statSync(f).mtimeMs - 60_000));
    changeCtime(f, fs.statSync(f).ctimeMs, () => assert.equal(spawnSync('cp', ['-p', other, f]).status, 0));
    assert.equal(stateOf(runCheck().report, 'skill', 'review'), 'modified');
  });

  it('ignores a corrupt or foreign cache file and rebuilds it', () => {
    runCheck();
    const file = path.join(cacheDir, STAT_CACHE_FILE);
    const good = fs.readFileSync(file, 'utf8').split('\n');
    const line = good.findIndex((l) => l.split('\t')[0].endsWith('review'));
    const [abs, entry] = [good[line].slice(0, good[line].indexOf('\t')), good[line].slice(good[line].indexOf('\t') + 1)];
    const broken = (s: string) => good.map((l, i) => (i === line ? `${abs}\t${s}` : l)).join('\n');
    for (const bad of [good[0] + '\n{', 'not a cache', good.join('\n').replace(/v2$/m, 'v99'), [good[0], JSON.stringify({ x: { h: 'no', v: [1] } }), `${abs}\tx`].join('\n'),
      broken(entry.slice(0, -3)), broken(entry.replace(/\t[0-9a-f]{64}/, '\tzz' + 'f'.repeat(62))), broken(entry.replace(/^dir\t/, 'directory\t')), broken(entry + '\tx')]) {
      fs.writeFileSync(file, bad);
      const r = runCheck();
      assert.equal(stateOf(r.report, 'skill', 'review'), 'in-sync');
      assert.ok(r.read > 0, `nothing trusted from ${bad.slice(0, 20)}`);
      assert.equal(runCheck().read, 0, 'the rebuilt cache is used');
    }
  });

  it('never trusts an entry whose key no longer matches, even with the cache file edited to agree on everything else', () => {
    runCheck();
    const file = path.join(cacheDir, STAT_CACHE_FILE);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    // Each artifact line: its path, 8 fields of the artifact, then 7 per file (rel, dev, ino, size, mtime, ctime,
    // junk): every ctime off by 1 ms.
    const edited = lines.map((l, n) => (n < 2 || !l ? l : l.split('\t').map((x, i) => (i >= 9 && (i - 9) % 7 === 5 ? String(Number(x) + 1) : x)).join('\t')));
    assert.notDeepEqual(edited, lines);
    fs.writeFileSync(file, edited.join('\n'));
    assert.ok(runCheck().read > 0);
  });

  it('does not persist files changed just before they were hashed (racy)', () => {
    const cache = StatCache.open(cacheDir); // default margin: the files were written a moment ago
    const hasher = new ArtifactHasher(undefined, { persistent: cache });
    checkDrift({ project: w.project, env: w.env, hasher });
    cache.save();
    assert.equal(StatCache.open(cacheDir).size, 0);
  });

  it('is bounded', () => {
    for (const n of ['a', 'b', 'c']) addSkill(w.collection, n);
    const cache = StatCache.open(cacheDir, { racyMs: 0, maxArtifacts: 2 });
    checkDrift({ project: w.project, env: w.env, hasher: new ArtifactHasher(undefined, { persistent: cache }) });
    cache.save();
    assert.equal(StatCache.open(cacheDir).size, 2);
  });

  it('`check` through the CLI writes its cache under $SKILLMEAT_HOME/sync and nothing in the project or the collection', async () => {
    const before = { project: snapshotDir(w.project), home: snapshotDir(w.collection) };
    for (let i = 0; i < 2; i++) {
      const io = captureIO({ env: w.env, cwd: w.project });
      assert.equal(await main(['check', '--json'], io), 0);
    }
    assert.deepEqual(snapshotDir(w.project), before.project);
    assert.deepEqual(snapshotDir(w.collection), before.home);
    assert.ok(fs.existsSync(path.join(cacheDir, STAT_CACHE_FILE)));
  });
});
