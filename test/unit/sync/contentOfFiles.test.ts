// Content held in memory (a git tree, a snapshot tarball) read the way a folder on disk is: junk set aside, what
// SkillMeat's copy leaves out dropped — from the content and from every hash form a record could hold.
import * as assert from 'node:assert/strict';
import { DEFAULT_EXCLUSIONS, isSkillmeatIgnored, skillmeatHashOf } from '../../../src/core/drift/hashing';
import { contentOfFiles, isRecordedBaseline } from '../../../src/core/sync/content';

describe('contentOfFiles', () => {
  const file = (rel: string, text: string) => ({ rel, data: Buffer.from(text), mode: 0o644 });

  it('leaves what SkillMeat never copies out of the content and out of its SkillMeat hash forms', () => {
    const kept = [file('SKILL.md', '# Review\n'), file('notes.swp', 'editor swap\n')];
    const ignored = file('.gitignore', 'dist/\n');
    assert.ok(isSkillmeatIgnored(ignored.rel), 'the fixture needs a name SkillMeat leaves out');
    const { content, forms } = contentOfFiles([...kept, ignored], 'dir', DEFAULT_EXCLUSIONS);
    assert.deepEqual(content.files.map((f) => f.rel), ['SKILL.md']);
    assert.deepEqual(content.extras?.map((f) => f.rel), ['notes.swp']);
    // SkillMeat's hash of the deployed copy (which holds SKILL.md and the swap file, not .gitignore) is one of the forms
    const deployed = skillmeatHashOf(kept, 'dir');
    assert.equal(forms.skillmeat.all, deployed);
    assert.ok(isRecordedBaseline(forms, { contentHash: deployed }));
  });
});
