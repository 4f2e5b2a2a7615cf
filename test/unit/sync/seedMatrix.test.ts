// The test matrix of SkillMeat's sync reference (seed 002): deploy, detect unmodified / modified /
// outdated / conflict, pull with overwrite, merge (clean and with conflict markers) and fork — each
// followed by a drift check that shows the state the user should see next.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, viewRecord } from '../../../src/core/store/deploymentRecords';
import { useTempDirs, addSkill, find, stateOf } from '../helpers';
import { makeSyncWorld, deploy, check, pull, update, read, lines, editLine, contentSnapshot, type SyncWorld } from './syncWorld';

describe('sync: the seed test matrix', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  let projectSkill: string;
  let collectionSkill: string;

  beforeEach(async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    await deploy(w, 'skill', 'review');
    projectSkill = path.join(w.claude, 'skills', 'review');
    collectionSkill = path.join(w.collection, 'skills', 'review');
  });
  afterEach(() => w.store.close());

  it('1. deploy writes the records file, the copy, and the baseline hash', () => {
    const recs = readRecords(w.claude).records.map(viewRecord);
    assert.equal(recs.length, 1);
    assert.equal(recs[0].name, 'review');
    assert.match(recs[0].contentHash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(read(projectSkill, 'notes.md'), lines());
  });

  it('2. an unmodified artifact is in sync, its project hash equal to the baseline', () => {
    const a = find(check(w), 'skill', 'review');
    assert.equal(a.state, 'in-sync');
    assert.equal(a.projectHash, a.baselineHash);
  });

  it('3. a project edit is "modified"', () => {
    editLine(path.join(projectSkill, 'notes.md'), 2, 'project edit');
    const a = find(check(w), 'skill', 'review');
    assert.equal(a.state, 'modified');
    assert.notEqual(a.projectHash, a.baselineHash);
  });

  it('4. a collection edit is "outdated"', () => {
    editLine(path.join(collectionSkill, 'notes.md'), 2, 'collection edit');
    const a = find(check(w), 'skill', 'review');
    assert.equal(a.state, 'outdated');
    assert.notEqual(a.collectionHash, a.baselineHash);
  });

  it('5. different edits on both sides are a "conflict" with three different hashes', () => {
    editLine(path.join(projectSkill, 'notes.md'), 2, 'project edit');
    editLine(path.join(collectionSkill, 'notes.md'), 8, 'collection edit');
    const a = find(check(w), 'skill', 'review');
    assert.equal(a.state, 'conflict');
    assert.equal(new Set([a.collectionHash, a.projectHash, a.baselineHash]).size, 3);
  });

  it('6. pull with overwrite copies the project into the collection; the next check is in sync (the baseline follows)', async () => {
    editLine(path.join(projectSkill, 'notes.md'), 2, 'project edit');
    const r = await pull(w, 'overwrite', ['review']);
    assert.equal(r.status, 'success');
    assert.equal(read(collectionSkill, 'notes.md'), read(projectSkill, 'notes.md'));
    // SkillMeat leaves the baseline behind, so its next check says "outdated"; this product records the
    // pulled content as the new baseline.
    assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
  });

  it('7a. pull with merge combines both sides in the collection (the project is not written: it is outdated until updated)', async () => {
    editLine(path.join(projectSkill, 'notes.md'), 2, 'project edit');
    editLine(path.join(collectionSkill, 'notes.md'), 8, 'collection edit');
    const project = read(projectSkill, 'notes.md');
    const r = await pull(w, 'merge', ['review']);
    assert.equal(r.status, 'success', JSON.stringify(r.artifacts[0].reason));
    const merged = read(collectionSkill, 'notes.md');
    assert.match(merged, /^line 1\nproject edit\n/);
    assert.match(merged, /collection edit\nline 9\n/);
    assert.ok(!merged.includes('<<<<<<<'));
    assert.equal(read(projectSkill, 'notes.md'), project);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'outdated');
    assert.equal((await update(w, 'overwrite', ['review'])).status, 'success');
    assert.equal(read(projectSkill, 'notes.md'), merged);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
  });

  it('7b. pull with merge returns conflict markers for overlapping edits and writes nothing', async () => {
    editLine(path.join(projectSkill, 'notes.md'), 5, 'project says five');
    editLine(path.join(collectionSkill, 'notes.md'), 5, 'collection says five');
    const before = { project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) };
    const r = await pull(w, 'merge', ['review']);
    assert.equal(r.status, 'conflict');
    const a = r.artifacts[0];
    assert.equal(a.status, 'conflict');
    assert.deepEqual(a.conflicts!.map((c) => [c.path, c.reason]), [['notes.md', 'text']]);
    const c = a.conflicts![0];
    assert.match(c.rendered!, /<<<<<<< collection "default"\ncollection says five\n\|\|\|\|\|\|\| deployed baseline [0-9a-f]{12}\nline 5\n=======\nproject says five\n>>>>>>> project \.claude\/skills\/review\n/);
    assert.equal(c.base!.toString(), lines());
    assert.equal(c.targetPath, path.join(collectionSkill, 'notes.md'));
    assert.deepEqual({ project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) }, before);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'conflict');
  });

  it('8. pull with fork creates review-fork in the collection and leaves the original untouched', async () => {
    editLine(path.join(projectSkill, 'notes.md'), 2, 'project edit');
    editLine(path.join(collectionSkill, 'notes.md'), 8, 'collection edit');
    const collBefore = contentSnapshot(collectionSkill);
    const projBefore = contentSnapshot(w.project);
    const r = await pull(w, 'fork', ['review']);
    assert.equal(r.status, 'success');
    assert.equal(r.artifacts[0].forkName, 'review-fork');
    assert.equal(read(w.collection, 'skills', 'review-fork', 'notes.md'), read(projectSkill, 'notes.md'));
    assert.deepEqual(contentSnapshot(collectionSkill), collBefore);
    assert.deepEqual(contentSnapshot(w.project), projBefore);
    const report = check(w);
    assert.equal(stateOf(report, 'skill', 'review'), 'conflict');
    assert.equal(stateOf(report, 'skill', 'review-fork'), 'added');
    assert.ok(!fs.existsSync(path.join(w.claude, 'skills', 'review-fork')));
  });
});
