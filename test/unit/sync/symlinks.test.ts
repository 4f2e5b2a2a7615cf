// Symbolic links (issue 12, item 4): a link inside an artifact that leads out of it is never followed — not by
// pull (into the collection), capture (into the store) or deploy (into the project) — and nothing is written
// through a symlinked profile folder that leads out of the project.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployArtifact, undeployArtifact } from '../../../src/core/sync/deploy';
import { PathEscapeError } from '../../../src/core/store/fsutil';
import { useTempDirs, addSkill, snapshotDir } from '../helpers';
import { makeSyncWorld, deploy, pull, lines, editLine, type SyncWorld } from './syncWorld';

describe('symbolic links', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  afterEach(() => w?.store.close());

  const secretFile = () => {
    const secret = path.join(tmp('elsewhere'), 'secret.env');
    fs.writeFileSync(secret, 'TOKEN=hunter2\n');
    return secret;
  };
  const anywhereHolds = (dir: string, text: string): string[] =>
    [...snapshotDir(dir).keys()].filter((rel) => { const p = path.join(dir, rel); return fs.statSync(p).isFile() && fs.readFileSync(p, 'utf8').includes(text); });

  it('pull does not carry a link to a file outside the skill into the collection or the store, and says why', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    await deploy(w, 'skill', 'review');
    const skill = path.join(w.claude, 'skills', 'review');
    editLine(path.join(skill, 'notes.md'), 2, 'mine');
    fs.symlinkSync(secretFile(), path.join(skill, 'secret.md'));
    const r = await pull(w, 'overwrite', ['review']);
    assert.equal(r.status, 'success', JSON.stringify(r.error));
    assert.ok(!fs.existsSync(path.join(w.collection, 'skills', 'review', 'secret.md')), 'the link was copied into the collection');
    assert.deepEqual(anywhereHolds(w.collection, 'hunter2'), []);
    assert.deepEqual(anywhereHolds(w.storeDir, 'hunter2'), []);
    assert.ok(r.warnings.some((x) => x.file === path.join(skill, 'secret.md') && x.message.includes('outside the artifact; not read, copied or synced')), JSON.stringify(r.warnings));
  });

  it('deploy does not copy a collection skill’s link to a file outside it into the project', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    fs.symlinkSync(secretFile(), path.join(w.collection, 'skills', 'review', 'secret.md'));
    await deploy(w, 'skill', 'review');
    assert.ok(fs.existsSync(path.join(w.claude, 'skills', 'review', 'notes.md')));
    assert.ok(!fs.existsSync(path.join(w.claude, 'skills', 'review', 'secret.md')));
    assert.deepEqual(anywhereHolds(w.project, 'hunter2'), []);
  });

  it('deploy and undeploy refuse to write through a symlinked .claude/skills that leads out of the project', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    addSkill(w.collection, 'other', { 'notes.md': lines() });
    await deploy(w, 'skill', 'other');
    const outside = tmp('shared-skills');
    fs.cpSync(path.join(w.claude, 'skills'), outside, { recursive: true });
    fs.rmSync(path.join(w.claude, 'skills'), { recursive: true });
    fs.symlinkSync(outside, path.join(w.claude, 'skills'));
    const before = snapshotDir(outside);
    await assert.rejects(deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type: 'skill', name: 'review', store: w.store }),
      (e: unknown) => e instanceof PathEscapeError && e.message.includes(`${path.join(w.claude, 'skills')} is a symbolic link to`) && e.message.includes('does not write through it'));
    await assert.rejects(undeployArtifact({ project: w.project, type: 'skill', name: 'other', store: w.store }), PathEscapeError);
    assert.deepEqual(snapshotDir(outside), before, 'nothing was written or deleted outside the project');
  });
});
