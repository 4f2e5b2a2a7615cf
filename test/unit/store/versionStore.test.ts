// The version store (SPEC §1): content-addressed blobs (write-once, deduplicated) and a sql.js index;
// any version can be materialised; corruption is detected and reported, never silently used.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { VersionStore, StoreError, openStoreForCheck } from '../../../src/core/store/versionStore';
import { ArtifactHasher } from '../../../src/core/drift/hashing';
import { useTempDirs, writeTree, independentSkillmeatHash, snapshotDir } from '../helpers';

describe('version store', () => {
  const tmp = useTempDirs();
  const open = (dir = path.join(tmp('store'), 'sync')) => VersionStore.open(dir);
  const blobFiles = (s: VersionStore): string[] => {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => out.push(p))(path.join(d, e.name));
    };
    if (fs.existsSync(s.blobDir)) walk(s.blobDir);
    return out;
  };

  it('stores two identical files as one blob', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'same bytes', 'copy.md': 'same bytes', 'other.md': 'different' });
    const tree = await s.transact((st) => st.putArtifact(d));
    assert.equal(tree.files.find((f) => f.rel === 'SKILL.md')!.blob, tree.files.find((f) => f.rel === 'copy.md')!.blob);
    assert.equal(blobFiles(s).length, 2);
    assert.equal(s.diskUsage().blobCount, 2);
    s.close();
  });

  it('names a blob by the SHA-256 of its bytes and never rewrites it', async () => {
    const s = await open();
    const data = Buffer.from('hello');
    const hash = s.putBlob(data);
    assert.equal(hash, crypto.createHash('sha256').update(data).digest('hex'));
    const file = blobFiles(s)[0];
    const before = fs.statSync(file);
    s.putBlob(Buffer.from('hello'));
    const after = fs.statSync(file);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
    assert.equal(after.mode & 0o222, 0, 'blobs are read-only');
    s.close();
  });

  it('materialises a stored directory back to the same content, modes included', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'skill\r\n', 'scripts/run.sh': '#!/bin/sh\necho hi\n', 'bin/data': Buffer.from([0, 1, 2, 255]) });
    fs.chmodSync(path.join(d, 'scripts', 'run.sh'), 0o755);
    const tree = await s.transact((st) => st.putArtifact(d));
    const out = path.join(tmp(), 'restored');
    s.materialize(tree.treeHash, out);
    const strip = (m: Map<string, { kind: string; sha256?: string; mode: number }>) => [...m].map(([k, v]) => [k, v.kind, v.sha256, v.kind === 'file' ? v.mode & 0o777 : 0]);
    assert.deepEqual(strip(snapshotDir(out)), strip(snapshotDir(d)));
    s.close();
  });

  it('materialises a single-file artifact as a file', async () => {
    const s = await open();
    const f = path.join(tmp(), 'commit.md');
    fs.writeFileSync(f, 'Write a commit message.\n');
    const tree = await s.transact((st) => st.putArtifact(f));
    assert.equal(tree.kind, 'file');
    const out = path.join(tmp(), 'out.md');
    s.materialize(tree.treeHash, out);
    assert.equal(fs.readFileSync(out, 'utf8'), 'Write a commit message.\n');
    s.close();
  });

  it('gives a stored tree the same tree hash the drift check computes, and SkillMeat\'s hash of the clean copy', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'a\r\nb\n', 'ref/x.md': 'x', '.DS_Store': 'junk', '.git/HEAD': 'h' });
    const tree = await s.transact((st) => st.putArtifact(d));
    assert.equal(tree.treeHash, new ArtifactHasher().hash(d)!.tree);
    assert.deepEqual(tree.files.map((f) => f.rel), ['SKILL.md', 'ref/x.md'], 'junk is not stored');
    fs.rmSync(path.join(d, '.DS_Store'));
    fs.rmSync(path.join(d, '.git'), { recursive: true });
    assert.equal(tree.contentHash, independentSkillmeatHash(d));
  });

  it('detects a corrupt blob and names it', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'original' });
    const tree = await s.transact((st) => st.putArtifact(d));
    const blob = blobFiles(s)[0];
    fs.chmodSync(blob, 0o644);
    fs.writeFileSync(blob, 'tampered');
    assert.throws(() => s.readFile(tree.treeHash, 'SKILL.md'), (e: unknown) => e instanceof StoreError && e.file === blob && /corrupt/.test(e.message));
    assert.throws(() => s.materialize(tree.treeHash, path.join(tmp(), 'out')), StoreError);
    s.close();
  });

  it('reports a missing blob as a StoreError', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'x' });
    const tree = await s.transact((st) => st.putArtifact(d));
    fs.rmSync(blobFiles(s)[0]);
    assert.throws(() => s.readFile(tree.treeHash, 'SKILL.md'), (e: unknown) => e instanceof StoreError && /missing/.test(e.message));
    s.close();
  });

  it('refuses to open a corrupt index, names it, and leaves it untouched', async () => {
    const dir = path.join(tmp(), 'sync');
    writeTree(dir, { 'index.sqlite': 'this is not a database, it is garbage'.repeat(50) });
    const before = fs.readFileSync(path.join(dir, 'index.sqlite'));
    await assert.rejects(VersionStore.open(dir), (e: unknown) => e instanceof StoreError && e.file === path.join(dir, 'index.sqlite') && /Move it aside/.test(e.message));
    const r = await openStoreForCheck(dir);
    assert.equal(r.store, undefined);
    assert.match(r.problem ?? '', /index\.sqlite/);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'index.sqlite')), before);
  });

  it('opens nothing for a check when there is no store yet, and creates nothing', async () => {
    const dir = path.join(tmp(), 'sync');
    assert.deepEqual(await openStoreForCheck(dir), {});
    assert.equal(fs.existsSync(dir), false);
  });

  it('keeps history across reopen, newest first', async () => {
    const dir = path.join(tmp(), 'sync');
    const s = await open(dir);
    await s.transact((st) => {
      st.addVersion({ artifactKey: '.claude:skill:review', treeHash: 't1', origin: 'deploy', at: '2026-01-01T00:00:00Z' });
      st.addVersion({ artifactKey: '.claude:skill:review', treeHash: 't2', origin: 'edit', at: '2026-01-02T00:00:00Z', pinned: true, note: 'n' });
      st.addVersion({ artifactKey: '.claude:skill:other', treeHash: 't3', origin: 'deploy' });
    });
    s.close();
    const again = await open(dir);
    const h = again.history('.claude:skill:review');
    assert.deepEqual(h.map((v) => [v.treeHash, v.origin, v.pinned]), [['t2', 'edit', true], ['t1', 'deploy', false]]);
    assert.equal(h[0].note, 'n');
    again.close();
  });

  it('keeps the versions two store instances add one after the other', async () => {
    const dir = path.join(tmp(), 'sync');
    const a = await open(dir);
    const b = await open(dir);
    await a.transact((s) => { s.addVersion({ artifactKey: 'k', treeHash: 'from-a', origin: 'edit' }); });
    await b.transact((s) => { s.addVersion({ artifactKey: 'k', treeHash: 'from-b', origin: 'edit' }); });
    a.close();
    b.close();
    const c = await open(dir);
    assert.deepEqual(c.history('k').map((v) => v.treeHash), ['from-b', 'from-a']);
    c.close();
  });

  it('finds a baseline by tree hash or by SkillMeat content hash', async () => {
    const s = await open();
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'x' });
    const tree = await s.transact((st) => st.putArtifact(d));
    assert.equal(s.baselineFiles({ treeHash: tree.treeHash })?.tree, tree.treeHash);
    assert.equal(s.baselineFiles({ contentHash: tree.contentHash.toUpperCase() })?.tree, tree.treeHash);
    assert.equal(s.baselineFiles({ treeHash: 'f'.repeat(64) }), undefined);
    s.close();
  });

  it('removes the blobs of deleted versions only once the index no longer names them', async () => {
    const dir = path.join(tmp('store'), 'sync');
    const s = await open(dir);
    const d = tmp();
    writeTree(d, { 'SKILL.md': 'first' });
    const first = await s.transact((st) => { const t = st.putArtifact(d); return st.addVersion({ artifactKey: 'skill:.claude/a', treeHash: t.treeHash, origin: 'capture' }); });
    writeTree(d, { 'SKILL.md': 'second' });
    await s.transact((st) => { const t = st.putArtifact(d); st.addVersion({ artifactKey: 'skill:.claude/a', treeHash: t.treeHash, origin: 'capture' }); });
    const before = blobFiles(s).sort();
    // The index write fails (a full disk, or a kill at that point): the deletion must leave every blob the index names.
    const failing = s as unknown as { flush: () => void };
    const flush = failing.flush;
    failing.flush = () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); };
    await assert.rejects(s.transact((st) => st.deleteVersions([first])), /ENOSPC/);
    failing.flush = flush;
    s.close();
    const again = await open(dir);
    assert.equal(again.history('skill:.claude/a').length, 2, 'both versions are still listed');
    assert.deepEqual(blobFiles(again).sort(), before, 'and every blob they name is still there');
    const r = await again.transact((st) => st.deleteVersions([first]));
    assert.equal(r.blobs, 1);
    assert.equal(blobFiles(again).length, before.length - 1, 'a committed deletion removes the blob');
    again.close();
  });

  it('keeps small bookkeeping values', async () => {
    const s = await open();
    await s.transact((st) => { st.setMeta('last-sync', '1'); st.setMeta('last-sync', '2'); });
    assert.equal(s.getMeta('last-sync'), '2');
    assert.equal(s.getMeta('absent'), undefined);
    s.close();
  });
});
