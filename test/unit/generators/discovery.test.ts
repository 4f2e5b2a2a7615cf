import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverGenerators, parseSkillsDirs, selectGenerators } from '../../../src/core/generators';
import { cleanupTemp, makeSkill, manifestOf, tempDir, write } from './helpers';

const GEN = '#!/bin/sh\necho x > "$SYNC_OUTPUT_FILE"\n';

describe('generator discovery', () => {
  afterEach(cleanupTemp);

  it('finds SYNC.json in the skills of every profile root, in root order', () => {
    const ws = tempDir('ws');
    for (const root of ['.cursor', '.gemini', '.codex', '.claude']) makeSkill(ws, `s${root}`, manifestOf({ outputFile: `${root.slice(1)}.md` }), GEN, root);
    const found = discoverGenerators([ws]);
    assert.deepEqual(found.map((g) => [g.root, g.id]), [
      ['.claude', '.claude/skills/s.claude'],
      ['.codex', '.codex/skills/s.codex'],
      ['.gemini', '.gemini/skills/s.gemini'],
      ['.cursor', '.cursor/skills/s.cursor'],
    ]);
    assert.ok(found.every((g) => g.valid && g.hasSkillMd));
  });

  it('ignores skills without SYNC.json and files that are not skill directories', () => {
    const ws = tempDir('ws');
    makeSkill(ws, 'with', manifestOf(), GEN);
    write(path.join(ws, '.claude', 'skills', 'without', 'SKILL.md'), '# no sync');
    write(path.join(ws, '.claude', 'skills', 'stray.md'), 'not a skill');
    assert.deepEqual(discoverGenerators([ws]).map((g) => g.name), ['with']);
  });

  it('returns invalid manifests with their errors instead of dropping them', () => {
    const ws = tempDir('ws');
    makeSkill(ws, 'bad', '{ "version": "1", ', GEN);
    makeSkill(ws, 'good', manifestOf(), GEN);
    const found = discoverGenerators([ws]);
    assert.deepEqual(found.map((g) => [g.name, g.valid]), [['bad', false], ['good', true]]);
    assert.equal(found[0].errors[0].code, 'malformed-json');
  });

  it('searches each workspace folder, resolving outputs against the skill\'s own folder', () => {
    const a = tempDir('a');
    const b = tempDir('b');
    makeSkill(a, 'one', manifestOf(), GEN);
    makeSkill(b, 'two', manifestOf(), GEN);
    const found = discoverGenerators([a, b]);
    assert.deepEqual(found.map((g) => g.outputPath), [path.join(a, 'OUT.md'), path.join(b, 'OUT.md')]);
  });

  it('adds skills from extra skill directories, inside or outside the workspace', () => {
    const ws = tempDir('ws');
    const shared = tempDir('shared');
    makeSkill(ws, 'local', manifestOf(), GEN);
    // an extra dir holding skills, and one that is itself a skill
    const sharedSkill = path.join(shared, 'skills', 'memory');
    write(path.join(sharedSkill, 'SKILL.md'), '---\nname: memory\n---\n');
    write(path.join(sharedSkill, 'SYNC.json'), JSON.stringify(manifestOf({ outputFile: 'MEMORY.md' })));
    write(path.join(sharedSkill, 'scripts', 'sync.sh'), GEN, 0o755);
    const inWs = path.join(ws, 'skills', 'todo');
    write(path.join(inWs, 'SYNC.json'), JSON.stringify(manifestOf({ outputFile: 'TODO.md' })));
    write(path.join(inWs, 'scripts', 'sync.sh'), GEN, 0o755);
    const found = discoverGenerators([ws], { extraSkillDirs: [path.join(shared, 'skills'), 'skills/todo'] });
    assert.deepEqual(found.map((g) => [g.name, g.root]), [['local', '.claude'], ['memory', null], ['todo', null]]);
    const memory = found[1];
    assert.equal(memory.id, sharedSkill, 'a skill outside the workspace is identified by its path');
    assert.equal(memory.outputPath, path.join(ws, 'MEMORY.md'), 'relative outputs land in the workspace');
    assert.equal(found[2].id, 'skills/todo');
    assert.equal(found[2].hasSkillMd, false);
  });

  it('lists a skill reachable twice only once', () => {
    const ws = tempDir('ws');
    makeSkill(ws, 'notes', manifestOf(), GEN);
    fs.symlinkSync(path.join(ws, '.claude', 'skills', 'notes'), path.join(ws, 'alias'));
    const found = discoverGenerators([ws], { extraSkillDirs: [path.join(ws, '.claude', 'skills'), path.join(ws, 'alias')] });
    assert.deepEqual(found.map((g) => g.id), ['.claude/skills/notes']);
  });

  it('parses SKILLS_DIRS as a colon-separated list, ignoring empty entries', () => {
    assert.deepEqual(parseSkillsDirs('/data/.codex/skills::./skills:'), ['/data/.codex/skills', './skills']);
    assert.deepEqual(parseSkillsDirs(undefined), []);
  });

  it('selects a skill by id or by name, reporting every match of an ambiguous name', () => {
    const ws = tempDir('ws');
    makeSkill(ws, 'notes', manifestOf(), GEN, '.claude');
    makeSkill(ws, 'notes', manifestOf({ outputFile: 'B.md' }), GEN, '.codex');
    const all = discoverGenerators([ws]);
    assert.equal(selectGenerators(all, 'notes').length, 2);
    assert.deepEqual(selectGenerators(all, '.codex/skills/notes').map((g) => g.root), ['.codex']);
    assert.deepEqual(selectGenerators(all, path.join(ws, '.claude', 'skills', 'notes')).map((g) => g.root), ['.claude']);
    assert.deepEqual(selectGenerators(all, 'other'), []);
  });
});
