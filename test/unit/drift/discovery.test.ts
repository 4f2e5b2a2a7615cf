// Discovery of skills, commands (namespaced) and agents, and where SkillMeat keeps its home and collections.
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { discoverArtifacts, artifactPath } from '../../../src/core/drift/discovery';
import { skillmeatHome, readHomeConfig, collectionResolver } from '../../../src/core/store/skillmeatHome';
import { useTempDirs, writeTree, addSkill, addCommand, addAgent } from '../helpers';

describe('discovery', () => {
  const tmp = useTempDirs();

  it('finds skills (directories), commands (namespaced too) and agents', () => {
    const d = tmp();
    addSkill(d, 'review');
    addCommand(d, 'commit');
    addCommand(d, 'git/sync-branch');
    addAgent(d, 'docs-writer');
    const found = discoverArtifacts(d).map((a) => [a.type, a.name, a.relPath]);
    assert.deepEqual(found, [
      ['skill', 'review', 'skills/review'],
      ['command', 'commit', 'commands/commit.md'],
      ['command', 'git/sync-branch', 'commands/git/sync-branch.md'],
      ['agent', 'docs-writer', 'agents/docs-writer.md'],
    ]);
  });

  it('ignores hidden entries, junk directories, stray files in skills/ and non-markdown commands', () => {
    const d = tmp();
    writeTree(d, {
      'skills/.hidden/SKILL.md': 's', 'skills/__pycache__/x.pyc': 'p', 'skills/README.md': 'not a skill', 'skills/.DS_Store': 'j',
      'commands/notes.txt': 't', 'commands/.#commit.md': 'lock', 'commands/.git/x.md': 'g', 'agents/a.md~': 'backup',
    });
    assert.deepEqual(discoverArtifacts(d), []);
  });

  it('follows a symlinked skill directory', () => {
    const d = tmp();
    const real = addSkill(tmp(), 'shared');
    fs.mkdirSync(path.join(d, 'skills'), { recursive: true });
    fs.symlinkSync(real, path.join(d, 'skills', 'shared'));
    assert.deepEqual(discoverArtifacts(d).map((a) => a.name), ['shared']);
  });

  it('returns nothing for a missing directory', () => {
    assert.deepEqual(discoverArtifacts(path.join(tmp(), 'absent')), []);
  });

  it('places an artifact where its type lives', () => {
    assert.deepEqual(artifactPath('/c', 'command', 'ns/x'), { relPath: 'commands/ns/x.md', absPath: path.join('/c', 'commands', 'ns', 'x.md') });
    assert.deepEqual(artifactPath('/c', 'skill', 'r').relPath, 'skills/r');
  });
});

describe('SkillMeat home', () => {
  const tmp = useTempDirs();

  it('is SKILLMEAT_HOME when set, else ~/.skillmeat', () => {
    assert.equal(skillmeatHome({ SKILLMEAT_HOME: '/x/home' }), path.resolve('/x/home'));
    assert.equal(skillmeatHome({}), path.join(os.homedir(), '.skillmeat'));
    assert.equal(skillmeatHome({ SKILLMEAT_HOME: '  ' }), path.join(os.homedir(), '.skillmeat'));
  });

  it('reads the default collection from config.toml', () => {
    const home = tmp();
    writeTree(home, { 'config.toml': '[settings]\ndefault-collection = "team"\n' });
    assert.deepEqual(readHomeConfig(home), { defaultCollection: 'team' });
  });

  it('uses "default" when there is no config', () => {
    assert.deepEqual(readHomeConfig(tmp()), { defaultCollection: 'default' });
  });

  it('reports a malformed config naming file and line, and uses "default"', () => {
    const home = tmp();
    writeTree(home, { 'config.toml': '[settings]\ndefault-collection = \n' });
    const cfg = readHomeConfig(home);
    assert.equal(cfg.defaultCollection, 'default');
    assert.match(cfg.problem ?? '', new RegExp(`${path.join(home, 'config.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2`));
  });

  it('resolves a record\'s collection by name, the default when unnamed, and an override for all', () => {
    const home = tmp();
    writeTree(home, { 'config.toml': '[settings]\ndefault-collection = "team"\n' });
    const r = collectionResolver({ home });
    assert.deepEqual(r.resolve('mine'), { name: 'mine', path: path.join(home, 'collections', 'mine') });
    assert.deepEqual(r.resolve(undefined), { name: 'team', path: path.join(home, 'collections', 'team') });
    const o = collectionResolver({ home, collection: '/somewhere/shared' });
    assert.deepEqual(o.resolve('mine'), { name: 'shared', path: path.resolve('/somewhere/shared') });
  });
});
