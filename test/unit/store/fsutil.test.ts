// File-system primitives: atomic writes (old or new, never half), directory swaps, and the writers' lock.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  writeFileAtomic, swapIntoPlace, removeAtomic, acquireLockSync, withFileLockSync, LockTimeoutError, isInside, readIfExists, isStagingPath, siblingTemp, ensureDir,
} from '../../../src/core/store/fsutil';
import { updateRecords, RECORDS_FILE } from '../../../src/core/store/deploymentRecords';
import { useTempDirs, writeTree, snapshotDir } from '../helpers';

describe('fsutil', () => {
  const tmp = useTempDirs();

  describe('isStagingPath', () => {
    it('knows every name the writers stage with, and what is inside a staged tree', () => {
      const skill = path.join(tmp(), '.claude', 'skills', 'review');
      let temp = '';
      writeFileAtomic(path.join(skill, 'SKILL.md'), 'x', { beforeRename: (t) => { temp = t; } });
      assert.ok(isStagingPath(temp), temp);
      for (const tag of ['tmp', 'old', 'del', 'deploy', 'prev', 'undeploy', 'presync', 'restore', 'gen', 'sync']) {
        const staged = siblingTemp(skill, tag);
        assert.ok(isStagingPath(staged), staged);
        assert.ok(isStagingPath(path.join(staged, 'SKILL.md')), `inside ${staged}`);
      }
      assert.ok(isStagingPath(path.join(skill, '..', '..', '.skillmeat-deployed.toml.lock')));
      assert.ok(isStagingPath(path.join(tmp(), 'index.sqlite.lock.stale-123-0a1b2c3d')));
    });

    it("leaves the user's files alone, SkillMeat's collection.lock included", () => {
      for (const p of ['SKILL.md', '.hidden/notes.md', 'notes.tmp.md', 'collection.lock', 'run.tmp-notes', '.env.local']) {
        assert.equal(isStagingPath(path.join('/p/.claude/skills/review', p)), false, p);
      }
    });
  });

  describe('ensureDir', () => {
    it('names the real reason an ancestor cannot be created (a file in the way), not ENOENT', () => {
      const dir = tmp();
      fs.writeFileSync(path.join(dir, 'file'), 'x');
      assert.throws(() => ensureDir(path.join(dir, 'file', 'a', 'b')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST');
      ensureDir(path.join(dir, 'ok', 'a', 'b'));
      assert.ok(fs.statSync(path.join(dir, 'ok', 'a', 'b')).isDirectory());
    });

    it('on a read-only file system says EROFS with the folder, where the recursive mkdir of Node says ENOENT', () => {
      // A read-only mount needs privileges CI may not have, so the file system's answers are played here as
      // Node gives them on one (checked on a real read-only tmpfs): ENOENT for the recursive call, EROFS for one level.
      const real = module.require('node:fs') as typeof fs;
      const orig = real.mkdirSync;
      const dir = tmp();
      const ro = path.join(dir, 'ro');
      real.mkdirSync = ((p: fs.PathLike, o?: fs.MakeDirectoryOptions) => {
        if (!String(p).startsWith(ro)) return orig(p, o);
        const err = Object.assign(new Error(o?.recursive ? `ENOENT: no such file or directory, mkdir '${String(p)}'` : `EROFS: read-only file system, mkdir '${String(p)}'`), { code: o?.recursive ? 'ENOENT' : 'EROFS', path: String(p) });
        throw err;
      }) as typeof fs.mkdirSync;
      try {
        assert.throws(() => ensureDir(path.join(ro, 'sync', 'blobs')), (e: NodeJS.ErrnoException) => e.code === 'EROFS' && e.path === ro);
      } finally { real.mkdirSync = orig; }
    });
  });

  describe('writeFileAtomic', () => {
    it('leaves the old file byte-identical and no temp file when interrupted before the rename', () => {
      const d = tmp();
      const file = path.join(d, 'records.toml');
      fs.writeFileSync(file, 'old content\n');
      let sawTemp = '';
      assert.throws(() => writeFileAtomic(file, 'new content\n', {
        beforeRename: (tempPath) => {
          sawTemp = tempPath;
          assert.equal(fs.readFileSync(tempPath, 'utf8'), 'new content\n', 'the temp file is complete before the rename');
          throw new Error('killed');
        },
      }), /killed/);
      assert.equal(fs.readFileSync(file, 'utf8'), 'old content\n');
      assert.equal(path.dirname(sawTemp), d, 'the temp file is a sibling (same file system, so rename is atomic)');
      assert.deepEqual(fs.readdirSync(d), ['records.toml']);
    });

    it('replaces the content when not interrupted', () => {
      const file = path.join(tmp(), 'f');
      fs.writeFileSync(file, 'old');
      writeFileAtomic(file, 'new');
      assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    });

    it('keeps the permissions of the file it replaces', () => {
      const file = path.join(tmp(), 'gen.sh');
      fs.writeFileSync(file, '#!/bin/sh\n');
      fs.chmodSync(file, 0o750);
      writeFileAtomic(file, '#!/bin/sh\necho hi\n');
      assert.equal(fs.statSync(file).mode & 0o777, 0o750);
    });

    it('creates missing parent directories', () => {
      const file = path.join(tmp(), 'a', 'b', 'c.txt');
      writeFileAtomic(file, 'x');
      assert.equal(fs.readFileSync(file, 'utf8'), 'x');
    });

    it('leaves the old records file when an update is interrupted before the rename, and frees the lock', async () => {
      const root = path.join(tmp(), '.claude');
      const old = '[[deployed]]\nartifact_name = "a"\nartifact_type = "skill"\ncontent_hash = "v1"\n';
      writeTree(root, { [RECORDS_FILE]: old });
      await assert.rejects(updateRecords(root, (f) => { f.records.length = 0; }, { hooks: { beforeRename: () => { throw new Error('killed'); } } }), /killed/);
      assert.equal(fs.readFileSync(path.join(root, RECORDS_FILE), 'utf8'), old);
      assert.deepEqual(fs.readdirSync(root), [RECORDS_FILE]);
      await updateRecords(root, (f) => { f.records.length = 0; });
      assert.equal(fs.readFileSync(path.join(root, RECORDS_FILE), 'utf8'), '');
    });
  });

  describe('swapIntoPlace', () => {
    it('replaces a directory by a staged one and removes the old tree', () => {
      const d = tmp();
      writeTree(d, { 'final/old.md': 'old', 'staged/new.md': 'new' });
      swapIntoPlace(path.join(d, 'staged'), path.join(d, 'final'));
      assert.deepEqual(fs.readdirSync(d), ['final']);
      assert.deepEqual(fs.readdirSync(path.join(d, 'final')), ['new.md']);
    });

    it('moves a staged tree into a place that did not exist', () => {
      const d = tmp();
      writeTree(d, { 'staged/new.md': 'new' });
      swapIntoPlace(path.join(d, 'staged'), path.join(d, 'x', 'final'));
      assert.equal(fs.readFileSync(path.join(d, 'x', 'final', 'new.md'), 'utf8'), 'new');
    });

    it('puts the old tree back when the staged one cannot be moved in', () => {
      const d = tmp();
      writeTree(d, { 'final/old.md': 'old' });
      const before = snapshotDir(path.join(d, 'final'));
      assert.throws(() => swapIntoPlace(path.join(d, 'missing-staged'), path.join(d, 'final')));
      assert.deepEqual(snapshotDir(path.join(d, 'final')), before);
      assert.deepEqual(fs.readdirSync(d), ['final']);
    });
  });

  describe('removeAtomic', () => {
    it('removes a directory and leaves nothing aside', () => {
      const d = tmp();
      writeTree(d, { 'skill/a.md': 'a', 'skill/b/c.md': 'c' });
      removeAtomic(path.join(d, 'skill'));
      assert.deepEqual(fs.readdirSync(d), []);
    });

    it('does nothing for a missing path', () => {
      assert.doesNotThrow(() => removeAtomic(path.join(tmp(), 'absent')));
    });
  });

  describe('lock', () => {
    it('makes a second writer wait and then time out with an error naming the lock', () => {
      const file = path.join(tmp(), 'f');
      const release = acquireLockSync(file);
      try {
        assert.throws(() => acquireLockSync(file, { timeoutMs: 50 }), (e: unknown) => e instanceof LockTimeoutError && e.message.includes(`${file}.lock`));
      } finally { release(); }
      assert.equal(fs.existsSync(`${file}.lock`), false);
    });

    it('takes over a lock whose owner process is gone', () => {
      const file = path.join(tmp(), 'f');
      // 2^22 + 1 is above the largest pid Linux can hand out (pid_max ≤ 2^22), so no process has it
      fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: 4194305, at: new Date().toISOString() }));
      assert.equal(withFileLockSync(file, () => 'ran', { timeoutMs: 200 }), 'ran');
    });

    it('takes over a lock from another machine older than the stale limit', () => {
      const file = path.join(tmp(), 'f');
      fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: 'another-machine', at: new Date(Date.now() - 120_000).toISOString() }));
      assert.equal(withFileLockSync(file, () => 'ran', { timeoutMs: 200, staleMs: 60_000 }), 'ran');
    });

    it('leaves a lock held by a live process on this machine, however old (a long sync keeps its lock)', () => {
      const file = path.join(tmp(), 'f');
      fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: os.hostname(), at: new Date(Date.now() - 120_000).toISOString() }));
      assert.throws(() => withFileLockSync(file, () => 'ran', { timeoutMs: 100, staleMs: 60_000 }), (e: Error & { code?: string }) => e.code === 'ELOCKED');
    });

    it('does not release a lock that is no longer its own', () => {
      const file = path.join(tmp(), 'f');
      withFileLockSync(file, () => {
        // another writer took the lock over meanwhile
        fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.ppid, host: os.hostname(), at: new Date().toISOString(), token: 'theirs' }));
      });
      assert.equal(fs.existsSync(`${file}.lock`), true, "the other writer's lock survives our release");
    });

    it('is released when the locked function throws', () => {
      const file = path.join(tmp(), 'f');
      assert.throws(() => withFileLockSync(file, () => { throw new Error('boom'); }), /boom/);
      assert.equal(fs.existsSync(`${file}.lock`), false);
    });
  });

  describe('paths', () => {
    it('tells a path inside a directory from one that escapes it', () => {
      assert.equal(isInside('/p/.claude', '/p/.claude/skills/x'), true);
      assert.equal(isInside('/p/.claude', '/p/.claude'), true);
      assert.equal(isInside('/p/.claude', '/p/.claude/../../etc'), false);
      assert.equal(isInside('/p/.claude', '/p/.claude-other/x'), false);
      assert.equal(isInside('/p/.claude', '/p'), false);
    });

    it('takes a name that merely starts with two dots as inside', () => {
      assert.equal(isInside('/p/.claude/skills', '/p/.claude/skills/..hidden'), true);
      assert.equal(isInside('/p/.claude/skills', '/p/.claude/skills/...'), true);
    });

    it('reads a missing file as undefined', () => {
      assert.equal(readIfExists(path.join(tmp(), 'absent')), undefined);
    });
  });
});
