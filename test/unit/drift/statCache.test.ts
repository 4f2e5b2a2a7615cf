// The CLI's persisted stat cache (issue 13): a hit only when every file's (device, inode, size, mtime, ctime)
// is unchanged; content changed behind an unchanged mtime (same size, `cp -p`) is seen; a corrupt cache is
// ignored and rebuilt; a check with the cache writes nothing in the project or the collection.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactHasher, ExclusionMatcher } from '../../../src/core/drift/hashing';
import { StatCache, STAT_CACHE_DIR, STAT_CACHE_FILE } from '../../../src/core/drift/statCache';
import { checkDrift, checkDriftPrepared } from '../../../src/core/drift/drift';
import { main } from '../../../src/cli/main';
import { useTempDirs, makeWorld, addSkill, deploy, stateOf, snapshotDir, captureIO, type World } from '../helpers';

/** Runs `change` until the file's ctime differs from `before` (a coarse clock can keep it within one tick), with a deadline. */
function changeCtime(file: string, before: number, change: () => void): void {
  const deadline = Date.now() + 5_000;
  do change(); while (fs.statSync(file).ctimeMs === before && Date.now() < deadline);
  assert.notEqual(fs.statSync(file).ctimeMs, before, `the ctime of ${file} did not move`);
}

/** Packed keys (base64 of doubles, `per` to an entry, the ctime last) with every ctime moved by 1 ms. */
function shiftCtimes(packed: string, per: number): string {
  const b = Buffer.from(packed, 'base64');
  for (let o = (per - 1) * 8; o < b.length; o += per * 8) b.writeDoubleLE(b.readDoubleLE(o) + 1, o);
  return b.toString('base64');
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
    for (const bad of [good[0] + '\n{', 'not a cache', good.join('\n').replace(/v3$/m, 'v99'), [good[0], JSON.stringify({ x: { h: 'no', v: [1] } }), `${abs}\tx`].join('\n'),
      broken(entry.slice(0, entry.length >> 1)), broken(entry.replace(/\t[0-9a-f]{64}/, '\tzz' + 'f'.repeat(62))), broken(entry.replace(/^dir\t/, 'directory\t')), broken(entry + '\tx'),
      broken(entry.split('\t').map((x, i) => (i === 5 ? x.slice(0, 70) + 'zz' + x.slice(72) : x)).join('\t'))]) { // a per-file hash that is not hex
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
    // Each artifact line: its path, then 15 fields; the 12th holds the folders' keys and the 16th the files' keys,
    // packed (dev, ino, size, mtime, ctime per file; dev, ino, mtime, ctime per folder): every ctime off by 1 ms.
    const edited = lines.map((l, n) => (n < 2 || !l ? l : l.split('\t').map((x, i) => (i === 11 ? shiftCtimes(x, 4) : i === 15 ? shiftCtimes(x, 5) : x)).join('\t')));
    assert.notDeepEqual(edited, lines);
    fs.writeFileSync(file, edited.join('\n'));
    assert.ok(runCheck().read > 0);
  });

  it('verifies an unchanged artifact by stats alone: its folders are not listed again', () => {
    runCheck();
    const r = runCheck();
    assert.equal(r.read, 0);
    assert.equal(r.cache.verifiedWithoutListing, 2, 'the project copy and the collection copy');
    assert.equal(stateOf(r.report, 'skill', 'review'), 'in-sync');
  });

  it('a first check of another project verifies the collection the cache already knows without walking it', async () => {
    runCheck();
    const other = path.join(tmp('other-project'), 'project');
    fs.cpSync(w.project, other, { recursive: true });
    const cache = StatCache.open(cacheDir, { racyMs: 0 });
    const hasher = new ArtifactHasher(undefined, { persistent: cache });
    const report = await checkDriftPrepared({ project: other, env: w.env, hasher, recordsCache: cache });
    assert.equal(cache.verifiedWithoutListing, 1, 'the collection copy of review');
    assert.equal(hasher.filesRead, 3, 'the new project copy is read (SKILL.md, ref/guide.md, notes.txt), nothing of the collection');
    assert.equal(stateOf(report, 'skill', 'review'), 'in-sync');
  });

  it('with trustFolders off (SKILLMEAT_SYNC_TRUST_FOLDERS=0 in the CLI) every artifact is walked, and still read from the cache', async () => {
    runCheck();
    const cache = StatCache.open(cacheDir, { racyMs: 0, trustFolders: false });
    const hasher = new ArtifactHasher(undefined, { persistent: cache });
    checkDrift({ project: w.project, env: w.env, hasher, recordsCache: cache });
    assert.equal(cache.verifiedWithoutListing, 0);
    assert.equal(hasher.filesRead, 0);
    const io = captureIO({ env: { ...w.env, SKILLMEAT_SYNC_TRUST_FOLDERS: '0' }, cwd: w.project });
    assert.equal(await main(['check', '--json'], io), 0);
  });

  it('folder keys that no longer match make the artifact walked again, never trusted blindly', () => {
    runCheck();
    const file = path.join(cacheDir, STAT_CACHE_FILE);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, lines.map((l, n) => (n < 2 || !l ? l : l.split('\t').map((x, i) => (i === 11 ? shiftCtimes(x, 4) : x)).join('\t'))).join('\n'));
    const r = runCheck();
    assert.equal(r.cache.verifiedWithoutListing, 0);
    assert.equal(r.read, 0, 'the walk finds the same keys: nothing is read');
    assert.equal(stateOf(r.report, 'skill', 'review'), 'in-sync');
  });

  /** Runs `change` until the folder's mtime moves (a coarse clock can keep it within one tick), with a deadline. */
  const changeFolder = (dir: string, change: (i: number) => void) => {
    const before = fs.statSync(dir).mtimeMs;
    const deadline = Date.now() + 5_000;
    let i = 0;
    do change(i++); while (fs.statSync(dir).mtimeMs === before && Date.now() < deadline);
    assert.notEqual(fs.statSync(dir).mtimeMs, before, `the mtime of ${dir} did not move`);
    // A folder changed in the very millisecond of a check is rightly not trusted (racy): let the clock move past it.
    const changedAt = Math.max(fs.statSync(dir).mtimeMs, fs.statSync(dir).ctimeMs);
    while (Date.now() <= changedAt + 1 && Date.now() < deadline) { /* a millisecond or two */ }
  };

  for (const [what, change] of [
    ['a file added in a sub-folder', (skill: string, i: number) => fs.writeFileSync(path.join(skill, 'ref', `new${i}.md`), 'new\n')],
    ['a file removed', (skill: string) => fs.rmSync(path.join(skill, 'notes.txt'), { force: true })],
    ['a file renamed', (skill: string, i: number) => fs.renameSync(path.join(skill, i ? `renamed${i - 1}.txt` : 'notes.txt'), path.join(skill, `renamed${i}.txt`))],
    ['a file added in a new empty folder', (skill: string, i: number) => fs.mkdirSync(path.join(skill, `empty${i}`))],
  ] as const) {
    it(`sees ${what} although every other file kept its keys`, () => {
      fs.mkdirSync(path.join(w.claude, 'skills', 'review', 'empty'));
      runCheck();
      const skill = path.join(w.claude, 'skills', 'review');
      const dir = what.includes('sub-folder') ? path.join(skill, 'ref') : skill;
      changeFolder(dir, (i) => change(skill, i));
      const r = runCheck();
      assert.equal(r.cache.verifiedWithoutListing, 1, 'only the collection copy is verified without a walk');
      const expected = what.includes('empty folder') ? 'in-sync' : 'modified'; // an empty folder holds no file: no drift
      assert.equal(stateOf(r.report, 'skill', 'review'), expected);
      // The folder's new keys are stored: the next run verifies without a walk again.
      assert.equal(runCheck().cache.verifiedWithoutListing, 2);
    });
  }

  it('sees a file added in a folder that was empty', () => {
    const empty = path.join(w.claude, 'skills', 'review', 'empty');
    fs.mkdirSync(empty);
    runCheck();
    changeFolder(empty, (i) => fs.writeFileSync(path.join(empty, `f${i}.md`), 'x\n'));
    assert.equal(stateOf(runCheck().report, 'skill', 'review'), 'modified');
  });

  it('always walks an artifact holding a link (a link can change without its folder changing)', () => {
    const skill = path.join(w.claude, 'skills', 'review');
    fs.symlinkSync('notes.txt', path.join(skill, 'alias.txt'));
    runCheck();
    const r = runCheck();
    assert.equal(r.cache.verifiedWithoutListing, 1, 'the collection copy only');
    assert.equal(r.read, 0, 'walked, then found in the cache: nothing read');
  });

  it('does not verify without a walk under other junk rules than those the flags were stored with', () => {
    runCheck();
    const cache = StatCache.open(cacheDir, { racyMs: 0 });
    const hasher = new ArtifactHasher(new ExclusionMatcher(['*.txt']), { persistent: cache });
    const report = checkDrift({ project: w.project, env: w.env, hasher, recordsCache: cache });
    assert.equal(cache.verifiedWithoutListing, 0);
    // notes.txt is junk under these rules: both copies now differ from the baseline alike.
    const uncached = checkDrift({ project: w.project, env: w.env, hasher: new ArtifactHasher(new ExclusionMatcher(['*.txt'])) });
    assert.equal(stateOf(report, 'skill', 'review'), 'converged');
    assert.deepEqual(report.artifacts, uncached.artifacts);
  });

  it('a line cut short is dropped: the right answer still, from the files', () => {
    runCheck();
    const file = path.join(cacheDir, STAT_CACHE_FILE);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, lines.map((l, n) => (n < 2 || !l ? l : l.slice(0, -3))).join('\n'));
    const f = path.join(w.claude, 'skills', 'review', 'notes.txt');
    changeCtime(f, fs.statSync(f).ctimeMs, () => fs.writeFileSync(f, 'A\r\nB\r\n'));
    const r = runCheck();
    assert.equal(stateOf(r.report, 'skill', 'review'), 'modified');
    assert.ok(r.read >= 1);
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
