// Team collections on git through the CLI, on real repositories: the user's collection is a clone of a bare
// remote, a teammate's clone pushes to it. check shows branch / ahead / behind / dirty without fetching;
// behind counts as outdated; update --fetch fast-forwards; pull --commit commits exactly the artifact.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { useTempDirs, makeWorld, addSkill, skillMd, deploy, captureIO, type World } from '../helpers';
import { gitWorld, type GitWorld } from './gitWorld';
import { addCollectionGit, CollectionGitCache, readCollectionGit } from '../../../src/core/git/collectionGit';
import { checkDrift } from '../../../src/core/drift/drift';

describe('team collections on git (CLI)', () => {
  const tmp = useTempDirs();
  let w: World;
  let g: GitWorld;
  let env: NodeJS.ProcessEnv;
  let mate: string;

  beforeEach(async () => {
    w = makeWorld(tmp);
    g = gitWorld(tmp('git'), {
      'skills/review/SKILL.md': skillMd('review'), 'skills/lint/SKILL.md': skillMd('lint'), 'commands/ship.md': 'Ship it.\n',
    });
    fs.rmSync(w.collection, { recursive: true });
    g.clone(w.collection);
    mate = g.clone('mate');
    env = { ...g.env, SKILLMEAT_HOME: w.home };
    await deploy(w, 'skill', 'review');
    await deploy(w, 'skill', 'lint');
  });

  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIO({ env, cwd: w.project });
    const code = await main(argv, io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };
  const matePushes = (files: Record<string, string>, message = 'mate edits'): string => {
    const head = g.commitFiles(mate, files, message);
    g.git(mate, 'push', '--quiet');
    return head;
  };
  const reviewSkill = (base: string): string => path.join(base, 'skills', 'review', 'SKILL.md');

  describe('check', () => {
    it('shows branch, upstream, ahead/behind as of the last fetch and dirty files, in JSON and text', async () => {
      matePushes({ 'commands/other.md': 'x\n' }, 'one');
      matePushes({ 'commands/other.md': 'y\n' }, 'two');
      g.git(w.collection, 'fetch', '--quiet');
      g.commitFiles(w.collection, { 'agents/mine.md': 'mine\n' }, 'local');
      fs.writeFileSync(path.join(w.collection, 'commands', 'ship.md'), 'Ship it now.\n');
      fs.writeFileSync(path.join(w.collection, 'notes.txt'), 'scratch\n');
      const r = await cli('check', '--json');
      const doc = JSON.parse(r.out);
      assert.deepEqual(doc.git, [{
        collection: 'default', path: w.collection, branch: 'main', upstream: 'origin/main', ahead: 1, behind: 2, asOf: 'last-fetch',
        dirty: ['commands/ship.md', 'notes.txt'],
      }]);
      const text = await cli('check');
      assert.match(text.out, /^Git: +branch main, behind origin\/main by 2, ahead by 1 \(as of last fetch\), 2 uncommitted changes \(commands\/ship\.md, notes\.txt\)$/m);
    });

    it('never fetches: what the remote got since the last fetch is not counted', async () => {
      matePushes({ 'skills/review/SKILL.md': skillMd('review', 'Newer.') });
      const before = g.git(w.collection, 'rev-parse', 'origin/main');
      const doc = JSON.parse((await cli('check', '--json')).out);
      assert.deepEqual([doc.git[0].ahead, doc.git[0].behind], [0, 0]);
      assert.equal(doc.artifacts.find((a: { name: string }) => a.name === 'review').state, 'in-sync');
      assert.equal(g.git(w.collection, 'rev-parse', 'origin/main'), before);
    });

    it('says nothing about git for a collection outside any repository', async () => {
      const plain = makeWorld(tmp);
      addSkill(plain.collection, 'x');
      const json = captureIO({ env: { ...env, SKILLMEAT_HOME: plain.home }, cwd: plain.project });
      assert.equal(await main(['check', '--json'], json), 0);
      assert.deepEqual(Object.keys(JSON.parse(json.stdout.join('\n'))), ['project', 'artifacts']);
      const text = captureIO({ env: { ...env, SKILLMEAT_HOME: plain.home }, cwd: plain.project });
      assert.equal(await main(['check'], text), 0);
      assert.doesNotMatch(text.stdout.join('\n'), /^Git:/m);
    });

    it('goes on without git when git is missing: no Git line, a warning that says why, the same drift', async () => {
      const io = captureIO({ env: { ...env, PATH: tmp('no-git-bin') }, cwd: w.project });
      assert.equal(await main(['check'], io), 0, io.stderr.join('\n'));
      assert.doesNotMatch(io.stdout.join('\n'), /^Git:/m);
      assert.match(io.stderr.join('\n'), /warning: git status of the collection .*: Git was not found .*install git/);
    });

    it('counts an artifact the fetched upstream changed as outdated, and leaves the others in sync', async () => {
      const newer = skillMd('review', 'Newer, from the team.');
      matePushes({ 'skills/review/SKILL.md': newer, 'commands/ship.md': 'Shipped.\n' });
      g.git(w.collection, 'fetch', '--quiet');
      const r = await cli('check', '--json');
      assert.equal(r.code, 1, r.err);
      const doc = JSON.parse(r.out);
      const byName = Object.fromEntries(doc.artifacts.map((a: { name: string }) => [a.name, a]));
      assert.equal(byName.review.state, 'outdated');
      assert.equal(byName.review.upstream.ref, 'origin/main');
      assert.match(byName.review.recommendation, /update --fetch/);
      assert.equal(byName.lint.state, 'in-sync');
      assert.equal(fs.readFileSync(reviewSkill(w.collection), 'utf8'), skillMd('review'), 'the check changed nothing');
      assert.match((await cli('check')).out, /review: origin\/main has a newer version \(as of the last fetch; the collection is 1 commit behind\)/);
    });

    it('does not count a change upstream that only touches junk files as a newer version', async () => {
      matePushes({ 'skills/review/notes.tmp': 'scratch\n', 'skills/review/.DS_Store': 'x' });
      g.git(w.collection, 'fetch', '--quiet');
      const doc = JSON.parse((await cli('check', '--json')).out);
      assert.equal(doc.git[0].behind, 1);
      assert.equal(doc.artifacts.find((a: { name: string }) => a.name === 'review').state, 'in-sync');
    });
  });

  it('reads a collection in a sub-folder of a repository: its path there, and only its own uncommitted changes', async () => {
    const t = gitWorld(tmp('sub'), { 'collections/default/skills/x/SKILL.md': 'x\n', 'other/file.md': 'o\n' });
    const clone = t.clone('c');
    fs.writeFileSync(path.join(clone, 'collections', 'default', 'skills', 'x', 'SKILL.md'), 'x2\n');
    fs.writeFileSync(path.join(clone, 'collections', 'default', 'new file.md'), 'n\n');
    fs.writeFileSync(path.join(clone, 'other', 'file.md'), 'o2\n');
    const state = await readCollectionGit(path.join(clone, 'collections', 'default'), { env: t.env });
    assert.deepEqual([state?.prefix, state?.branch, state?.upstream, state?.dirty], ['collections/default', 'main', 'origin/main', ['new file.md', 'skills/x/SKILL.md']]);
  });

  it('a cache keeps the git state until invalidated, and the upstream comparison per pair of commits', async () => {
    matePushes({ 'skills/review/SKILL.md': skillMd('review', 'Newer.') });
    g.git(w.collection, 'fetch', '--quiet');
    const cache = new CollectionGitCache();
    const checked = async () => {
      const report = checkDrift({ project: w.project, env });
      await addCollectionGit(report, { env, cache });
      return report;
    };
    const first = await checked();
    assert.deepEqual([first.collections[0].git?.behind, first.artifacts.find((a) => a.name === 'review')?.state], [1, 'outdated']);
    fs.writeFileSync(path.join(w.collection, 'scratch.txt'), 'x\n');
    const reused = await checked();
    assert.deepEqual(reused.collections[0].git?.dirty, [], 'the cached state is reused');
    assert.equal(reused.artifacts.find((a) => a.name === 'review')?.state, 'outdated', 'the upstream comparison is applied to the new report');
    cache.invalidate();
    assert.deepEqual((await checked()).collections[0].git?.dirty, ['scratch.txt']);
  });

  describe('update --fetch', () => {
    it('fetches, fast-forwards the collection, then updates the project from it', async () => {
      const newer = skillMd('review', 'Newer, from the team.');
      const head = matePushes({ 'skills/review/SKILL.md': newer });
      const r = await cli('update', '--fetch');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Fetched and fast-forwarded the collection .* to origin\/main: 1 commit/);
      assert.equal(g.git(w.collection, 'rev-parse', 'HEAD'), head);
      assert.equal(fs.readFileSync(reviewSkill(w.claude), 'utf8'), newer);
      const doc = JSON.parse((await cli('check', '--json')).out);
      assert.deepEqual([doc.git[0].behind, doc.artifacts.find((a: { name: string }) => a.name === 'review').state], [0, 'in-sync']);
    });

    it('is refused when the collection diverged from its remote, and changes nothing', async () => {
      matePushes({ 'skills/review/SKILL.md': skillMd('review', 'Theirs.') });
      const local = g.commitFiles(w.collection, { 'commands/mine.md': 'mine\n' }, 'local work');
      const project = fs.readFileSync(reviewSkill(w.claude), 'utf8');
      const r = await cli('update', '--fetch');
      assert.equal(r.code, 2);
      assert.match(r.err, /diverged|commit\(s\) of its own/);
      assert.match(r.err, /Merge or rebase it with git yourself \(nothing was changed\)/);
      assert.equal(g.git(w.collection, 'rev-parse', 'HEAD'), local);
      assert.equal(fs.readFileSync(reviewSkill(w.claude), 'utf8'), project);
    });

    it('is refused when uncommitted changes sit in the files the fast-forward changes', async () => {
      matePushes({ 'skills/review/SKILL.md': skillMd('review', 'Theirs.') });
      fs.writeFileSync(reviewSkill(w.collection), skillMd('review', 'Uncommitted.'));
      const r = await cli('update', '--fetch');
      assert.equal(r.code, 2);
      assert.match(r.err, /uncommitted changes in a file origin\/main changes \(skills\/review\/SKILL\.md\): commit or stash them/);
      assert.equal(fs.readFileSync(reviewSkill(w.collection), 'utf8'), skillMd('review', 'Uncommitted.'));
    });
  });

  describe('pull --commit', () => {
    it('stages and commits exactly the artifact\'s files, leaves other changes alone, and pushes', async () => {
      fs.writeFileSync(reviewSkill(w.claude), skillMd('review', 'Improved in the project.'));
      fs.writeFileSync(path.join(w.claude, 'skills', 'review', 'extra.md'), 'a new file\n');
      fs.writeFileSync(path.join(w.collection, 'commands', 'ship.md'), 'Unrelated edit.\n');
      fs.writeFileSync(path.join(w.collection, 'scratch.txt'), 'untracked\n');
      const r = await cli('pull', 'review', '--commit', '--push');
      assert.equal(r.code, 0, r.err);
      const head = g.git(w.collection, 'rev-parse', 'HEAD');
      assert.match(r.out, new RegExp(`Committed ${head.slice(0, 7)} in .*: Pull skill review from project \\(merge\\) \\(2 files; nothing else staged\\)`));
      assert.match(r.out, /Pushed to origin \(main\)\./);
      assert.equal(g.git(w.collection, 'show', '--name-only', '--format=', 'HEAD'), 'skills/review/SKILL.md\nskills/review/extra.md');
      const message = g.git(w.collection, 'log', '-1', '--format=%B');
      assert.match(message, /^Pull skill review from project \(merge\)\n\n- skill review: merge\n\nSource project: /);
      assert.equal(g.git(w.collection, 'diff', '--cached', '--name-only'), '', 'nothing else staged');
      assert.equal(g.git(w.collection, 'diff', '--name-only'), 'commands/ship.md');
      assert.equal(g.git(w.collection, 'ls-files', '--others', '--exclude-standard'), 'scratch.txt');
      assert.equal(g.git(g.remote, 'rev-parse', 'main'), head);
    });

    it('takes --message, and commits without pushing when --push is not given', async () => {
      fs.writeFileSync(reviewSkill(w.claude), skillMd('review', 'Improved.'));
      const r = await cli('pull', 'review', '--commit', '--message', 'Review: sharper checklist', '--json');
      assert.equal(r.code, 0, r.err);
      const doc = JSON.parse(r.out);
      assert.equal(doc.commit[0].status, 'committed');
      assert.deepEqual(doc.commit[0].files, ['skills/review/SKILL.md']);
      assert.equal(g.git(w.collection, 'log', '-1', '--format=%s'), 'Review: sharper checklist');
      assert.notEqual(g.git(g.remote, 'rev-parse', 'main'), doc.commit[0].commit);
    });

    it('refuses a non-fast-forward push, explains it, and keeps the commit locally', async () => {
      const theirs = matePushes({ 'commands/ship.md': 'Shipped by mate.\n' });
      fs.writeFileSync(reviewSkill(w.claude), skillMd('review', 'Improved.'));
      const r = await cli('pull', 'review', '--commit', '--push');
      assert.equal(r.code, 1);
      assert.match(r.err, /the remote has commits you do not have\. Your commit stays local \(nothing is lost\): bring those commits in with `git pull --rebase` there, then push again\. Next time, update with --fetch/);
      assert.equal(g.git(g.remote, 'rev-parse', 'main'), theirs);
      assert.equal(g.git(w.collection, 'log', '-1', '--format=%s'), 'Pull skill review from project (merge)');
      assert.equal(fs.readFileSync(reviewSkill(w.collection), 'utf8'), skillMd('review', 'Improved.'));
      // update --fetch cannot fast-forward now (the commit is ours): diverged, said so, nothing lost.
      const u = await cli('update', '--fetch');
      assert.equal(u.code, 2);
      assert.match(u.err, /1 commit\(s\) of its own and is 1 behind origin\/main/);
    });

    it('says when the collection is not in a git work tree (exit 1, the pull itself done)', async () => {
      const plain = makeWorld(tmp);
      addSkill(plain.collection, 'x');
      await deploy(plain, 'skill', 'x');
      fs.writeFileSync(path.join(plain.claude, 'skills', 'x', 'SKILL.md'), skillMd('x', 'Local.'));
      const io = captureIO({ env: { ...env, SKILLMEAT_HOME: plain.home }, cwd: plain.project });
      assert.equal(await main(['pull', 'x', '--commit'], io), 1);
      assert.match(io.stderr.join('\n'), /not committed: .* is not in a git work tree/);
      assert.equal(fs.readFileSync(path.join(plain.collection, 'skills', 'x', 'SKILL.md'), 'utf8'), skillMd('x', 'Local.'));
    });
  });
});
