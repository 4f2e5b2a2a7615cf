// Content hashes (SPEC §3): SkillMeat's own hash for interop, and the product's tree hash for drift
// decisions (junk excluded, CRLF normalised, unambiguous), with its per-file / per-artifact cache.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import {
  ArtifactHasher, comparePathParts, DEFAULT_EXCLUSIONS, ExclusionMatcher, hashFileSync, hashNormalised, skillmeatHash,
  SkillmeatForms, skillmeatHashOf, treeHashOf, walkArtifact,
} from '../../../src/core/drift/hashing';
import { useTempDirs, writeTree, independentSkillmeatHash, makeUnreadable } from '../helpers';

const sha = (...parts: (string | Buffer)[]): string => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('hashing', () => {
  const tmp = useTempDirs();

  describe("SkillMeat's hash", () => {
    it('is sha256 of the bytes for a single file', () => {
      const d = tmp();
      writeTree(d, { 'x.md': 'hello\r\nworld\n' });
      assert.equal(skillmeatHash(path.join(d, 'x.md')), sha('hello\r\nworld\n'));
    });

    it('matches an independent computation on a nested tree, junk and CRLF included', () => {
      const d = tmp();
      writeTree(d, {
        'SKILL.md': '# s\r\n', 'ref/b.md': 'b', 'ref/a.md': 'a', '.DS_Store': '\0\0junk', 'scripts/run.sh': '#!/bin/sh\n',
        '__pycache__/m.cpython-311.pyc': Buffer.from([0, 1, 2]), 'Z.md': 'upper first',
      });
      assert.equal(skillmeatHash(d), independentSkillmeatHash(d));
    });

    it('orders paths by components, not by string (a/b before a-b)', () => {
      const d = tmp();
      writeTree(d, { 'a/b': 'X', 'a-b': 'Y' });
      // "a-b" < "a/b" as strings ('-' < '/'), but Python's Path order compares "a" with "a-b" first.
      const componentOrder = sha('a/b', 'X', 'a-b', 'Y');
      const stringOrder = sha('a-b', 'Y', 'a/b', 'X');
      assert.notEqual(componentOrder, stringOrder);
      assert.equal(skillmeatHash(d), componentOrder);
      assert.equal(independentSkillmeatHash(d), componentOrder);
    });

    it('orders names by code point past the BMP, as Python does', () => {
      // JavaScript's default sort puts U+1F600 (a surrogate pair, 0xD83D…) before U+FF5A; Python does not.
      assert.ok(comparePathParts('\uff5a', '\u{1F600}') < 0);
      assert.ok(comparePathParts('dir/\uff5a', 'dir/\u{1F600}') < 0);
      const d = tmp();
      writeTree(d, { '\uff5a.md': 'fullwidth z', '\u{1F600}.md': 'emoji' });
      assert.equal(skillmeatHash(d), sha('\uff5a.md', 'fullwidth z', '\u{1F600}.md', 'emoji'));
    });

    it('is ambiguous across file boundaries ({a:"bc"} equals {ab:"c"})', () => {
      const one = tmp();
      const two = tmp();
      writeTree(one, { a: 'bc' });
      writeTree(two, { ab: 'c' });
      assert.equal(skillmeatHash(one), skillmeatHash(two));
    });

    it('computes the same value from memory as from disk', () => {
      const d = tmp();
      writeTree(d, { 'a/b': 'X', 'a-b': 'Y', 'c.md': 'Z\r\n' });
      const mem = skillmeatHashOf([{ rel: 'c.md', data: Buffer.from('Z\r\n') }, { rel: 'a-b', data: Buffer.from('Y') }, { rel: 'a/b', data: Buffer.from('X') }], 'dir');
      assert.equal(mem, skillmeatHash(d));
    });
  });

  describe('tree hash', () => {
    const treeOf = (files: Record<string, string | Buffer>): string => {
      const d = tmp();
      writeTree(d, files);
      return new ArtifactHasher().hash(d)!.tree;
    };

    it('tells {a:"bc"} from {ab:"c"}', () => {
      assert.notEqual(treeOf({ a: 'bc' }), treeOf({ ab: 'c' }));
    });

    it('treats a rename as a change', () => {
      assert.notEqual(treeOf({ 'SKILL.md': 's', 'notes.md': 'n' }), treeOf({ 'SKILL.md': 's', 'notes2.md': 'n' }));
    });

    it('treats moving a file between directories as a change', () => {
      assert.notEqual(treeOf({ 'SKILL.md': 's', 'a/n.md': 'n' }), treeOf({ 'SKILL.md': 's', 'b/n.md': 'n' }));
    });

    it('ignores a CRLF checkout of a text file', () => {
      assert.equal(treeOf({ 'SKILL.md': 'one\r\ntwo\r\n' }), treeOf({ 'SKILL.md': 'one\ntwo\n' }));
    });

    it('keeps a lone CR (not part of CRLF) as content', () => {
      assert.notEqual(treeOf({ 'SKILL.md': 'one\rtwo\n' }), treeOf({ 'SKILL.md': 'onetwo\n' }));
    });

    it('does not normalise CRLF in a binary file', () => {
      assert.notEqual(treeOf({ 'img.bin': Buffer.from('\0PNG\r\n') }), treeOf({ 'img.bin': Buffer.from('\0PNG\n') }));
    });

    it('ignores editor and tool junk at any depth', () => {
      const clean = treeOf({ 'SKILL.md': 's', 'ref/a.md': 'a' });
      const junky = treeOf({
        'SKILL.md': 's', 'ref/a.md': 'a', '.DS_Store': 'x', 'ref/.DS_Store': 'x', 'Thumbs.db': 'x', '.git/HEAD': 'ref',
        '__pycache__/m.pyc': 'x', 'ref/m.pyc': 'x', '.SKILL.md.swp': 'x', 'SKILL.md~': 'x', '._SKILL.md': 'x', '.#SKILL.md': 'x',
      });
      assert.equal(junky, clean);
    });

    it('ignores a change of the executable bit (mode is not content)', () => {
      const d = tmp();
      writeTree(d, { 'run.sh': '#!/bin/sh\n' });
      const before = new ArtifactHasher().hash(d)!.tree;
      fs.chmodSync(path.join(d, 'run.sh'), 0o755);
      assert.equal(new ArtifactHasher().hash(d)!.tree, before);
    });

    it('is computed from (path, normalised file hash) pairs, the same way as for stored versions', () => {
      const d = tmp();
      writeTree(d, { 'b.md': 'B\r\n', 'a/x.md': 'X' });
      const h = new ArtifactHasher().hash(d)!;
      assert.equal(h.tree, treeOf({ 'a/x.md': 'X', 'b.md': 'B\n' }));
      assert.equal(h.tree, treeHashOf([{ rel: 'a/x.md', norm: hashNormalised(Buffer.from('X')) }, { rel: 'b.md', norm: hashNormalised(Buffer.from('B\r\n')) }]));
    });

    it('is the documented byte layout (records written by earlier versions keep matching): prefix, then per file a big-endian length, the UTF-8 path, the 32-byte hash', () => {
      const files = [{ rel: 'dé/ü.md', norm: hashNormalised(Buffer.from('x')) }, { rel: '', norm: hashNormalised(Buffer.from('')) }, { rel: 'b/😀.txt', norm: 'ab'.repeat(32) }];
      const parts: Buffer[] = [Buffer.from('skillmeat-sync-tree-v1\0')];
      for (const f of files) {
        const p = Buffer.from(f.rel, 'utf8');
        const len = Buffer.alloc(4);
        len.writeUInt32BE(p.length);
        parts.push(len, p, Buffer.from(f.norm, 'hex'));
      }
      assert.equal(treeHashOf(files), crypto.createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
      assert.equal(treeHashOf([]), crypto.createHash('sha256').update('skillmeat-sync-tree-v1\0').digest('hex'));
      assert.throws(() => treeHashOf([{ rel: 'a', norm: 'not hex' }]), /not a sha256 hex digest/);
    });
  });

  describe('streaming normalisation', () => {
    const CHUNK = 1 << 20;
    const cases: [string, Buffer][] = [
      ['a CRLF split across the 1 MiB read boundary', Buffer.concat([Buffer.alloc(CHUNK - 1, 'a'), Buffer.from('\r\nend\r\n')])],
      ['a lone CR at the end of the first chunk', Buffer.concat([Buffer.alloc(CHUNK - 1, 'a'), Buffer.from('\rX')])],
      ['a CR ending the first chunk followed by CRLF', Buffer.concat([Buffer.alloc(CHUNK - 1, 'a'), Buffer.from('\r\r\nX')])],
      ['a file ending in CR', Buffer.from('line\r\nlast\r')],
      ['CR CR LF', Buffer.from('x\r\r\ny')],
      ['an empty file', Buffer.alloc(0)],
      ['NUL past the sniffed prefix (text)', Buffer.concat([Buffer.from('a\r\n'), Buffer.alloc(9000, 'b'), Buffer.from([0]), Buffer.from('\r\n')])],
    ];
    for (const [label, data] of cases) {
      it(`hashes ${label} the same from disk as from memory`, () => {
        const p = path.join(tmp(), 'f');
        fs.writeFileSync(p, data);
        assert.equal(hashFileSync(p).norm, hashNormalised(data));
      });
    }

    it('reads the whole file when it is larger than the size the walk saw', () => {
      const p = path.join(tmp(), 'f');
      fs.writeFileSync(p, 'grown after the walk\r\n');
      assert.equal(hashFileSync(p, undefined, 5).norm, sha('grown after the walk\n'));
    });

    it('drops the CR of a CRLF split across the read boundary', () => {
      const p = path.join(tmp(), 'f');
      const body = Buffer.alloc(CHUNK - 1, 'a');
      fs.writeFileSync(p, Buffer.concat([body, Buffer.from('\r\nend')]));
      assert.equal(hashFileSync(p).norm, sha(Buffer.concat([body, Buffer.from('\nend')])));
    });


    // The three forms share one hash stream until they differ (a junk file, a text with a CR): every order of
    // those events, from disk (chunked reads) and from memory, against the three streams computed separately.
    const reference = (files: { rel: string; junk: boolean; data: Buffer }[]) => {
      const all = crypto.createHash('sha256'); const clean = crypto.createHash('sha256'); const cleanLf = crypto.createHash('sha256');
      for (const f of files) {
        all.update(f.rel); all.update(f.data);
        if (f.junk) continue;
        clean.update(f.rel); clean.update(f.data);
        const text = !f.data.subarray(0, 8000).includes(0);
        cleanLf.update(f.rel); cleanLf.update(text ? Buffer.from(f.data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : f.data);
      }
      return { all: all.digest('hex'), clean: clean.digest('hex'), cleanLf: cleanLf.digest('hex') };
    };
    const KINDS: Record<string, { junk: boolean; data: () => Buffer }> = {
      plain: { junk: false, data: () => Buffer.from('# plain\nno carriage return\n') },
      crlf: { junk: false, data: () => Buffer.from('# dos\r\nline\r\n') },
      lateCr: { junk: false, data: () => Buffer.concat([Buffer.alloc(CHUNK + 10, 'a'), Buffer.from('\r\nend')]) },
      loneCr: { junk: false, data: () => Buffer.from('old mac\rline') },
      binaryCr: { junk: false, data: () => Buffer.from([0, 13, 10, 1, 13, 10]) },
      junk: { junk: true, data: () => Buffer.from('junk\r\n') },
    };
    const orders: string[][] = [[], ['plain'], ['crlf'], ['junk'], ['plain', 'junk', 'crlf'], ['crlf', 'junk', 'plain'], ['junk', 'crlf'],
      ['plain', 'lateCr', 'junk'], ['junk', 'plain', 'loneCr'], ['binaryCr', 'plain'], ['binaryCr', 'junk', 'crlf'], ['plain', 'plain']];
    for (const order of orders) {
      it(`gives SkillMeat's three forms of [${order.join(', ')}] as three separate streams would`, () => {
        const files = order.map((k, i) => ({ rel: `f${i}-${k}${KINDS[k].junk ? '.tmp' : '.md'}`, junk: KINDS[k].junk, data: KINDS[k].data() }));
        const d = tmp();
        for (const f of files) fs.writeFileSync(path.join(d, f.rel), f.data);
        const expected = reference(files);
        assert.deepEqual(new ArtifactHasher().hash(d, { skillmeat: true })!.skillmeat, expected, 'from disk');
        const forms = new SkillmeatForms('dir');
        for (const f of files) forms.add(f.rel, f.junk, f.data);
        assert.deepEqual(forms.digest(), expected, 'from memory');
        if (!order.includes('junk')) assert.equal(skillmeatHashOf(files, 'dir'), expected.all);
      });
    }
  });

  describe('SkillMeat-form comparisons', () => {
    it('offers the exact hash, one without junk and one without junk or CRLF', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 'x\r\n', '.DS_Store': 'junk' });
      const sm = new ArtifactHasher().hash(d, { skillmeat: true })!.skillmeat!;
      assert.equal(sm.all, sha('.DS_Store', 'junk', 'SKILL.md', 'x\r\n'));
      assert.equal(sm.clean, sha('SKILL.md', 'x\r\n'));
      assert.equal(sm.cleanLf, sha('SKILL.md', 'x\n'));
    });
  });

  describe('exclusions', () => {
    it('lists the usual junk names as junk and ordinary names as content', () => {
      for (const n of ['.DS_Store', 'Thumbs.db', 'desktop.ini', '._x', 'a.pyc', 'a.pyo', '.a.swp', 'a~', '.#a', '#a#', 'a.tmp']) {
        assert.equal(DEFAULT_EXCLUSIONS.isJunkFile(n, n), true, n);
      }
      for (const n of ['SKILL.md', 'notes~.md', 'tmp', 'run.sh', 'a.py']) assert.equal(DEFAULT_EXCLUSIONS.isJunkFile(n, n), false, n);
      for (const n of ['.git', '__pycache__', '.hg', '.svn']) assert.equal(DEFAULT_EXCLUSIONS.isJunkDir(n, n), true, n);
    });

    it("adds the user's globs to the built-in list", () => {
      const m = new ExclusionMatcher(['*.log', 'build/']);
      assert.equal(m.isJunkFile('x.log', 'deep/x.log'), true);
      assert.equal(m.isJunkDir('build', 'build'), true);
      assert.equal(m.isJunkFile('.DS_Store', '.DS_Store'), true);
      assert.equal(m.isJunkFile('x.md', 'x.md'), false);
    });

    it('marks junk in a walk instead of dropping it (SkillMeat hashes it)', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's', '.git/config': 'c', 'x.pyc': 'p' });
      const files = walkArtifact(d)!.map((e) => [e.rel, e.junk]);
      assert.deepEqual(files, [['.git/config', true], ['SKILL.md', false], ['x.pyc', true]]);
    });
  });

  describe('problems', () => {
    it('skips an unreadable file with a warning naming it, and hashes the rest', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's' });
      const bad = path.join(d, 'secret.md');
      const undo = makeUnreadable(bad, tmp());
      let h;
      try { h = new ArtifactHasher().hash(d)!; } finally { undo(); }
      assert.deepEqual(h.problems.map((p) => [p.code, p.file]), [['unreadable-file', bad]]);
      assert.match(h.problems[0].message, /secret\.md: cannot read/);
      assert.deepEqual(h.files.map((f) => f.rel), ['SKILL.md']);
    });

    it('skips a symlinked directory (it could loop) with a warning', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's' });
      fs.symlinkSync(d, path.join(d, 'loop'));
      const h = new ArtifactHasher().hash(d)!;
      assert.deepEqual(h.problems.map((p) => p.code), ['symlink-skipped']);
      assert.deepEqual(h.files.map((f) => f.rel), ['SKILL.md']);
    });

    it('reads a link to a file inside the artifact as that file, and ignores a dangling link', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's', 'docs/real.md': 'real' });
      fs.symlinkSync(path.join('docs', 'real.md'), path.join(d, 'linked.md'));
      fs.symlinkSync(path.join(d, 'nowhere'), path.join(d, 'dangling.md'));
      const h = new ArtifactHasher().hash(d)!;
      assert.deepEqual(h.files.map((f) => f.rel), ['SKILL.md', 'docs/real.md', 'linked.md']);
      assert.deepEqual(h.problems, []);
    });

    it('never follows a link leading out of the artifact, and says which link and why', () => {
      const d = tmp();
      const secret = path.join(tmp(), 'secret.env');
      fs.writeFileSync(secret, 'TOKEN=hunter2');
      writeTree(d, { 'SKILL.md': 's' });
      fs.symlinkSync(secret, path.join(d, 'notes.md'));
      const h = new ArtifactHasher().hash(d)!;
      assert.deepEqual(h.files.map((f) => f.rel), ['SKILL.md']);
      assert.deepEqual(h.problems.map((p) => [p.code, p.file]), [['symlink-skipped', path.join(d, 'notes.md')]]);
      assert.match(h.problems[0].message, /a symbolic link to .*secret\.env, outside the artifact; not read, copied or synced/);
    });

    it('returns undefined for a missing artifact', () => {
      assert.equal(new ArtifactHasher().hash(path.join(tmp(), 'absent')), undefined);
    });
  });

  describe('cache', () => {
    it('reads no file when nothing changed', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's', 'a.md': 'a', 'b/c.md': 'c' });
      const hasher = new ArtifactHasher();
      const first = hasher.hash(d)!;
      const read = hasher.filesRead;
      assert.equal(read, 3);
      assert.equal(hasher.hash(d)!.tree, first.tree);
      assert.equal(hasher.filesRead, read);
    });

    it('re-reads only the file that changed', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's', 'a.md': 'a', 'b/c.md': 'c' });
      const hasher = new ArtifactHasher();
      const first = hasher.hash(d)!.tree;
      fs.appendFileSync(path.join(d, 'a.md'), 'more');
      const second = hasher.hash(d)!.tree;
      assert.equal(hasher.filesRead, 4);
      assert.notEqual(second, first);
      assert.equal(second, new ArtifactHasher().hash(d)!.tree);
    });

    it('notices a same-size rewrite with a new mtime', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 'aaaa' });
      const hasher = new ArtifactHasher();
      const first = hasher.hash(d)!.tree;
      const p = path.join(d, 'SKILL.md');
      fs.writeFileSync(p, 'bbbb');
      const t = fs.statSync(p).mtime;
      fs.utimesSync(p, t, new Date(t.getTime() + 2000));
      assert.notEqual(hasher.hash(d)!.tree, first);
    });

    it('re-hashes everything after invalidate', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's', 'a.md': 'a' });
      const hasher = new ArtifactHasher();
      hasher.hash(d);
      hasher.invalidate(d);
      hasher.hash(d);
      assert.equal(hasher.filesRead, 4);
    });

    it('computes SkillMeat-form hashes on request even when the tree hash is cached', () => {
      const d = tmp();
      writeTree(d, { 'SKILL.md': 's' });
      const hasher = new ArtifactHasher();
      assert.equal(hasher.hash(d)!.skillmeat, undefined);
      assert.equal(hasher.hash(d, { skillmeat: true })!.skillmeat!.all, independentSkillmeatHash(d));
    });
  });
});
