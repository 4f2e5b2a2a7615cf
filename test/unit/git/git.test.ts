import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as git from '../../../src/core/git/git';
import { GitError } from '../../../src/core/git/git';
import { useTempDirs } from '../helpers';
import { gitWorld } from './gitWorld';

async function rejectsWith(p: Promise<unknown>, code: git.GitErrorCode, ...words: RegExp[]): Promise<GitError> {
  try { await p; } catch (e) {
    assert.ok(e instanceof GitError, `expected a GitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const w of words) assert.match(e.message, w);
    return e;
  }
  assert.fail(`expected a GitError ${code}`);
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('git adapter', () => {
  const tmp = useTempDirs();

  describe('errors', () => {
    it('says git is missing (no-git) when PATH holds no git', async () => {
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      const emptyBin = tmp('bin');
      await rejectsWith(git.status(a, { env: { ...w.env, PATH: emptyBin } }), 'no-git', /Git was not found/, new RegExp(a.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')), /install git/);
    });

    it('says a folder outside any repository is not a repo, and findRepo answers undefined there', async () => {
      const w = gitWorld(tmp('git'));
      const plain = tmp('plain');
      // The temp dir may sit below a repository on some machines: GIT_CEILING_DIRECTORIES stops the search.
      const env = { ...w.env, GIT_CEILING_DIRECTORIES: path.dirname(plain) };
      const e = await rejectsWith(git.status(plain, { env }), 'not-a-repo', /is not in a git repository/, /git init/);
      assert.equal(e.dir, plain);
      assert.equal(await git.findRepo(plain, { env }), undefined);
      assert.equal(await git.findRepo(path.join(plain, 'missing'), { env }), undefined);
    });

    it('says credentials are needed (auth-needed) when the remote answers 401, without prompting', async () => {
      // A local HTTP "forge" that demands credentials; with prompts off git gives up at once.
      const server = http.createServer((_req, res) => { res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="forge"' }); res.end(); });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const w = gitWorld(tmp('git'));
        const a = w.clone('a');
        w.git(a, 'remote', 'set-url', 'origin', `http://127.0.0.1:${(server.address() as AddressInfo).port}/team.git`);
        await rejectsWith(git.fetch(a, { env: w.env, timeoutMs: 30000 }), 'auth-needed', /needs credentials/, /credential helper/);
      } finally {
        server.close();
      }
    });

    it('says the remote cannot be reached (failed) for a closed port', async () => {
      // A connection error is not an auth error: it maps to `failed` with the network named. (An SSH remote that
      // asks for a key could not be produced here without an SSH server; its stderr is matched by pattern.)
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      w.git(a, 'remote', 'set-url', 'origin', `http://127.0.0.1:${await closedPort()}/x.git`);
      await rejectsWith(git.fetch(a, { env: w.env, timeoutMs: 30000 }), 'failed', /could not reach the remote/, /git remote -v/);
    });

    it('refuses to fast-forward diverged history (diverged) and changes nothing', async () => {
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      const b = w.clone('b');
      w.commitFiles(a, { 'skills/x/SKILL.md': 'from a\n' }, 'a');
      w.git(a, 'push', '--quiet');
      const bHead = w.commitFiles(b, { 'skills/y/SKILL.md': 'from b\n' }, 'b');
      await git.fetch(b, { env: w.env });
      await rejectsWith(git.fastForward(b, { env: w.env }), 'diverged', /1 commit\(s\) of its own and is 1 behind origin\/main/, /nothing was changed/);
      assert.equal(w.git(b, 'rev-parse', 'HEAD'), bHead);
    });

    it('refuses a non-fast-forward push (push-rejected) and keeps the local commit', async () => {
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      const b = w.clone('b');
      const aHead = w.commitFiles(a, { 'skills/x/SKILL.md': 'from a\n' }, 'a');
      w.git(a, 'push', '--quiet');
      const bHead = w.commitFiles(b, { 'skills/y/SKILL.md': 'from b\n' }, 'b');
      await rejectsWith(git.push(b, { env: w.env }), 'push-rejected', /remote has commits you do not have/, /Your commit stays local/, /git pull --rebase/, /update with --fetch/);
      assert.equal(w.git(b, 'rev-parse', 'HEAD'), bHead);
      assert.equal(w.git(w.remote, 'rev-parse', 'main'), aHead);
    });

    it('says where the folder is when it does not exist', async () => {
      await rejectsWith(git.run(['status'], { cwd: path.join(tmp('x'), 'nope') }), 'failed', /folder does not exist/);
    });
  });

  describe('status', () => {
    it('reports branch, upstream, ahead/behind as of the last fetch, and dirty files by kind', async () => {
      const w = gitWorld(tmp('git'), { 'skills/x/SKILL.md': 'x\n', 'agents/a.md': 'a\n' });
      const a = w.clone('a');
      const b = w.clone('b');
      w.commitFiles(a, { 'skills/x/SKILL.md': 'x2\n' }, 'a1');
      w.commitFiles(a, { 'skills/x/SKILL.md': 'x3\n' }, 'a2');
      w.git(a, 'push', '--quiet');
      w.commitFiles(b, { 'commands/c.md': 'c\n' }, 'b1');
      let st = await git.status(b, { env: w.env });
      assert.deepEqual([st.branch, st.upstream, st.ahead, st.behind, st.upstreamKnown], ['main', 'origin/main', 1, 0, true]);
      await git.fetch(b, { env: w.env });
      fs.writeFileSync(path.join(b, 'agents', 'a.md'), 'changed\n');
      fs.mkdirSync(path.join(b, 'skills', 'new dir'), { recursive: true });
      fs.writeFileSync(path.join(b, 'skills', 'new dir', 'SKILL.md'), 'n\n');
      w.git(b, 'mv', 'commands/c.md', 'commands/d.md');
      st = await git.status(b, { env: w.env });
      assert.deepEqual([st.ahead, st.behind], [1, 2]);
      assert.equal(st.root, fs.realpathSync(b));
      assert.equal(st.head, w.git(b, 'rev-parse', 'HEAD'));
      const byPath = Object.fromEntries(st.files.map((f) => [f.path, f]));
      assert.deepEqual(Object.keys(byPath).sort(), ['agents/a.md', 'commands/d.md', 'skills/new dir/SKILL.md']);
      assert.deepEqual([byPath['agents/a.md'].kind, byPath['agents/a.md'].workTree], ['changed', 'M']);
      assert.deepEqual([byPath['commands/d.md'].kind, byPath['commands/d.md'].origPath], ['renamed', 'commands/c.md']);
      assert.equal(byPath['skills/new dir/SKILL.md'].kind, 'untracked');
    });

    it('finds the top level from a folder inside the work tree', async () => {
      const w = gitWorld(tmp('git'), { 'collections/default/skills/x/SKILL.md': 'x\n' });
      const a = w.clone('a');
      assert.equal(await git.findRepo(path.join(a, 'collections', 'default'), { env: w.env }), fs.realpathSync(a));
    });

    it('has no upstream for a branch that tracks nothing, and fastForward says how to set one', async () => {
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      w.git(a, 'switch', '--quiet', '-c', 'local');
      const st = await git.status(a, { env: w.env });
      assert.deepEqual([st.branch, st.upstream, st.ahead, st.behind], ['local', undefined, 0, 0]);
      await rejectsWith(git.fastForward(a, { env: w.env }), 'failed', /tracks no remote branch/, /set-upstream-to/);
    });
  });

  it('never runs a program the repository\'s config names as core.fsmonitor', async () => {
    const w = gitWorld(tmp('git'));
    const a = w.clone('a');
    const marker = path.join(tmp('marker'), 'ran');
    const hook = path.join(tmp('hook'), 'fsmonitor.sh');
    fs.writeFileSync(hook, `#!/bin/sh\necho ran > '${marker}'\nexit 1\n`, { mode: 0o755 });
    w.git(a, 'config', 'core.fsmonitor', hook);
    w.git(a, 'status', '--porcelain'); // plain git runs it: the test can fail
    assert.ok(fs.existsSync(marker), 'git itself ran the fsmonitor hook');
    fs.rmSync(marker);
    await git.status(a, { env: w.env });
    assert.equal(fs.existsSync(marker), false);
  });

  describe('writes', () => {
    it('fast-forwards to the fetched upstream', async () => {
      const w = gitWorld(tmp('git'));
      const a = w.clone('a');
      const b = w.clone('b');
      const aHead = w.commitFiles(a, { 'skills/x/SKILL.md': 'x\n' }, 'a');
      w.git(a, 'push', '--quiet');
      await git.fetch(b, { env: w.env });
      const r = await git.fastForward(b, { env: w.env });
      assert.deepEqual([r.to, r.commits, r.upstream], [aHead, 1, 'origin/main']);
      assert.equal(fs.readFileSync(path.join(b, 'skills', 'x', 'SKILL.md'), 'utf8'), 'x\n');
      assert.equal((await git.fastForward(b, { env: w.env })).commits, 0);
    });

    it('commits exactly the given paths, leaving other staged and unstaged changes alone, and pushes', async () => {
      const w = gitWorld(tmp('git'), { 'skills/x/SKILL.md': 'x\n', 'agents/a.md': 'a\n', 'notes.md': 'n\n' });
      const a = w.clone('a');
      fs.writeFileSync(path.join(a, 'skills', 'x', 'SKILL.md'), 'x2\n');
      fs.writeFileSync(path.join(a, 'skills', 'x', 'extra.md'), 'e\n');
      fs.writeFileSync(path.join(a, 'agents', 'a.md'), 'a2\n');
      fs.writeFileSync(path.join(a, 'notes.md'), 'n2\n');
      w.git(a, 'add', 'notes.md'); // someone else's staged change
      await git.add(a, [path.join(a, 'skills', 'x')], { env: w.env });
      const head = await git.commit(a, 'Pull skill x', [path.join(a, 'skills', 'x')], { env: w.env });
      assert.equal(w.git(a, 'show', '--format=%s', '--name-only', head), 'Pull skill x\n\nskills/x/SKILL.md\nskills/x/extra.md');
      const st = await git.status(a, { env: w.env });
      assert.deepEqual(st.files.map((f) => `${f.index}${f.workTree} ${f.path}`).sort(), ['.M agents/a.md', 'M. notes.md']);
      const pushed = await git.push(a, { env: w.env });
      assert.deepEqual([pushed.remote, pushed.ref], ['origin', 'refs/heads/main']);
      assert.equal(w.git(w.remote, 'rev-parse', 'main'), head);
    });
  });

  describe('reads', () => {
    it('lists a tree, reads blobs in one batch, and shows a file at a revision', async () => {
      const w = gitWorld(tmp('git'), { 'skills/x/SKILL.md': 'x\n', 'skills/x/ref/guide.md': 'g\n', 'agents/a.md': 'a\n' });
      const a = w.clone('a');
      const entries = await git.lsTree(a, 'origin/main', 'skills/x', { env: w.env });
      assert.deepEqual(entries.map((e) => [e.path, e.type]), [['skills/x/SKILL.md', 'blob'], ['skills/x/ref/guide.md', 'blob']]);
      const blobs = await git.readBlobs(a, [...entries.map((e) => e.object), '0'.repeat(40)], { env: w.env });
      assert.deepEqual(entries.map((e) => blobs.get(e.object)?.toString()), ['x\n', 'g\n']);
      assert.equal(blobs.size, 2);
      assert.equal((await git.show(a, 'HEAD', 'agents/a.md', { env: w.env }))?.toString(), 'a\n');
      assert.equal(await git.show(a, 'HEAD', 'agents/none.md', { env: w.env }), undefined);
      assert.deepEqual(await git.lsTree(a, 'HEAD', 'nothing/here', { env: w.env }), []);
      assert.equal(await git.revParse(a, 'origin/main', { env: w.env }), w.git(a, 'rev-parse', 'HEAD'));
      assert.equal(await git.revParse(a, 'no-such-branch', { env: w.env }), undefined);
    });
  });
});
