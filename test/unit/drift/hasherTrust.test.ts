import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArtifactHasher } from '../../../src/core/drift/hashing';

describe('ArtifactHasher trusting a file watcher', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-trust-'));
    fs.mkdirSync(path.join(dir, 'skill'));
    fs.writeFileSync(path.join(dir, 'skill', 'SKILL.md'), 'one\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reuses the cached hash without looking at the disk until the watcher names a path in the artifact', () => {
    const h = new ArtifactHasher(undefined, { trustWatcher: true });
    const skill = path.join(dir, 'skill');
    const before = h.hash(skill)!.tree;
    fs.writeFileSync(path.join(skill, 'SKILL.md'), 'two, a longer line\n');
    assert.equal(h.hash(skill)!.tree, before, 'trusted: the unreported change is not seen');
    h.invalidate(path.join(skill, 'SKILL.md'));
    assert.notEqual(h.hash(skill)!.tree, before, 'after the watcher event the change is seen');
  });

  it('sees a new file once the watcher reports it, and everything after distrustAll', () => {
    const h = new ArtifactHasher(undefined, { trustWatcher: true });
    const skill = path.join(dir, 'skill');
    const before = h.hash(skill)!.tree;
    fs.writeFileSync(path.join(skill, 'extra.md'), 'x\n');
    assert.equal(h.hash(skill)!.tree, before);
    h.distrustAll();
    const after = h.hash(skill)!;
    assert.notEqual(after.tree, before);
    assert.deepEqual(after.files.map((f) => f.rel), ['SKILL.md', 'extra.md']);
  });

  it('without trustWatcher, every call verifies by stats', () => {
    const h = new ArtifactHasher();
    const skill = path.join(dir, 'skill');
    const before = h.hash(skill)!.tree;
    fs.writeFileSync(path.join(skill, 'SKILL.md'), 'two, a longer line\n');
    assert.notEqual(h.hash(skill)!.tree, before);
  });

  it('drops the trust of every artifact under a deleted directory', () => {
    const h = new ArtifactHasher(undefined, { trustWatcher: true });
    const skill = path.join(dir, 'skill');
    assert.ok(h.hash(skill));
    fs.rmSync(skill, { recursive: true });
    h.invalidate(dir);
    assert.equal(h.hash(skill), undefined);
  });
});
