// The drift engine (SPEC §4): every state built from real deploys and edits, and the SkillMeat
// compatibility quirks of SPEC §2–3 and §12.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RECOMMENDATIONS, checkDrift } from '../../../src/core/drift/drift';
import { deployArtifact } from '../../../src/core/sync/deploy';
import { ArtifactHasher } from '../../../src/core/drift/hashing';
import { readRecords, updateRecords, RECORDS_FILE, TREE_HASH_KEY } from '../../../src/core/store/deploymentRecords';
import { VersionStore } from '../../../src/core/store/versionStore';
import { divergedCount, incompleteCheck } from '../../../src/core/model';
import {
  useTempDirs, makeWorld, addSkill, addCommand, addAgent, deploy, check, find, stateOf, edit, writeTree, skillMd,
  independentSkillmeatHash, skillmeatRecordText, writeRecordsFile, makeUnreadable, type World,
} from '../helpers';

describe('drift', () => {
  const tmp = useTempDirs();
  let w: World;
  beforeEach(() => { w = makeWorld(tmp); });

  const skillFile = (base: string, name: string, file = 'SKILL.md') => path.join(base, 'skills', name, file);

  describe('states', () => {
    it('in sync: collection, project and baseline agree', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'in-sync');
      assert.equal(a.recommendation, '');
      assert.equal(a.collectionHash, a.projectHash);
      assert.equal(a.baselineHash, a.projectHash);
    });

    it('modified: only the project changed', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      edit(skillFile(w.claude, 'review'));
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'modified');
      assert.equal(a.recommendation, RECOMMENDATIONS.modified);
      assert.deepEqual(a.files, [{ path: 'SKILL.md', change: 'modified' }]);
    });

    it('outdated: only the collection changed', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      edit(skillFile(w.collection, 'review'));
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'outdated');
      assert.equal(a.recommendation, RECOMMENDATIONS.outdated);
    });

    it('conflict: both sides changed differently', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      edit(skillFile(w.collection, 'review'), '\ncollection edit\n');
      edit(skillFile(w.claude, 'review'), '\nproject edit\n');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'conflict');
    });

    it('converged: both sides made the same change', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      edit(skillFile(w.collection, 'review'), '\nsame\n');
      edit(skillFile(w.claude, 'review'), '\nsame\n');
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'converged');
      assert.equal(a.collectionHash, a.projectHash);
      assert.notEqual(a.baselineHash, a.projectHash);
    });

    it('added: in the collection, never deployed, absent from the project', () => {
      addSkill(w.collection, 'review');
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'added');
      assert.equal(a.recommendation, 'deploy');
      assert.equal(a.projectPath, path.join(w.claude, 'skills', 'review'));
      assert.equal(a.collectionHash, new ArtifactHasher().hash(path.join(w.collection, 'skills', 'review'))?.tree, 'an added row carries the hash of the collection copy');
    });

    it('removed: deployed, then dropped from the collection', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      fs.rmSync(path.join(w.collection, 'skills', 'review'), { recursive: true });
      assert.equal(stateOf(check(w), 'skill', 'review'), 'removed');
    });

    it('deleted: deployed, then deleted locally', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      fs.rmSync(path.join(w.claude, 'skills', 'review'), { recursive: true });
      const a = find(check(w), 'skill', 'review');
      assert.equal(a.state, 'deleted');
      assert.equal(a.projectHash, null);
    });

    it('untracked: in the project with no record', () => {
      addSkill(w.claude, 'mine');
      const a = find(check(w), 'skill', 'mine');
      assert.equal(a.state, 'untracked');
      assert.equal(a.recommendation, RECOMMENDATIONS.untracked);
    });

    it('invalid: a record whose artifact_path escapes the root', () => {
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'etc', type: 'skill', path: '../../etc', hash: 'a'.repeat(64) })]);
      const r = check(w);
      const a = find(r, 'skill', 'etc');
      assert.equal(a.state, 'invalid');
      assert.match(a.detail ?? '', /escapes the profile root/);
      assert.ok(r.warnings.some((x) => x.code === 'record-invalid' && x.file === path.join(w.claude, RECORDS_FILE)));
    });

    it('counts only divergence, not added / untracked / converged, unless strict', async () => {
      addSkill(w.collection, 'available');
      addSkill(w.claude, 'local-only');
      addSkill(w.collection, 'same');
      await deploy(w, 'skill', 'same');
      edit(skillFile(w.collection, 'same'), 'x');
      edit(skillFile(w.claude, 'same'), 'x');
      const r = check(w);
      assert.deepEqual(r.artifacts.map((a) => a.state).sort(), ['added', 'converged', 'untracked']);
      assert.equal(divergedCount(r), 0);
      assert.equal(divergedCount(r, true), 3);
    });
  });

  describe('artifact types and roots', () => {
    it('checks a command (SkillMeat reports commands as removed)', async () => {
      addCommand(w.collection, 'commit');
      await deploy(w, 'command', 'commit');
      assert.equal(stateOf(check(w), 'command', 'commit'), 'in-sync');
      edit(path.join(w.claude, 'commands', 'commit.md'));
      assert.equal(stateOf(check(w), 'command', 'commit'), 'modified');
    });

    it('checks a namespaced command as ns/name', async () => {
      addCommand(w.collection, 'git/sync-branch');
      await deploy(w, 'command', 'git/sync-branch');
      const a = find(check(w), 'command', 'git/sync-branch');
      assert.deepEqual([a.state, a.relPath], ['in-sync', 'commands/git/sync-branch.md']);
      edit(path.join(w.collection, 'commands', 'git', 'sync-branch.md'));
      assert.equal(stateOf(check(w), 'command', 'git/sync-branch'), 'outdated');
    });

    it('checks an agent', async () => {
      addAgent(w.collection, 'security-reviewer');
      await deploy(w, 'agent', 'security-reviewer');
      assert.equal(stateOf(check(w), 'agent', 'security-reviewer'), 'in-sync');
      edit(path.join(w.collection, 'agents', 'security-reviewer.md'));
      assert.equal(stateOf(check(w), 'agent', 'security-reviewer'), 'outdated');
    });

    it('reports a locally deleted command as deleted (SkillMeat shows no drift)', async () => {
      addCommand(w.collection, 'commit');
      await deploy(w, 'command', 'commit');
      fs.rmSync(path.join(w.claude, 'commands', 'commit.md'));
      assert.equal(stateOf(check(w), 'command', 'commit'), 'deleted');
    });

    it('checks every profile root', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { root: '.codex' });
      edit(skillFile(path.join(w.project, '.codex'), 'review'));
      assert.equal(stateOf(check(w), 'skill', 'review', '.codex'), 'modified');
    });

    it('warns when a command and a skill share a name', () => {
      addSkill(w.claude, 'review');
      addCommand(w.claude, 'review');
      const r = check(w);
      assert.ok(r.warnings.some((x) => x.code === 'name-collision' && /uses the skill/.test(x.message)));
    });

    it('lists file-level changes against the stored baseline', async () => {
      addSkill(w.collection, 'review', { 'gone.md': 'g', 'kept.md': 'k' });
      const store = await VersionStore.open(path.join(w.home, 'sync'));
      await deploy(w, 'skill', 'review', { store });
      edit(skillFile(w.claude, 'review', 'kept.md'));
      fs.rmSync(skillFile(w.claude, 'review', 'gone.md'));
      writeTree(path.join(w.claude, 'skills', 'review'), { 'new.md': 'n' });
      const a = find(check(w, { store }), 'skill', 'review');
      store.close();
      assert.deepEqual(a.files, [{ path: 'gone.md', change: 'deleted' }, { path: 'kept.md', change: 'modified' }, { path: 'new.md', change: 'added' }]);
    });
  });

  describe('SkillMeat compatibility', () => {
    it('ignores a .DS_Store that exists only in the collection', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      writeTree(path.join(w.collection, 'skills', 'review'), { '.DS_Store': '\0\0\0\x01Bud1' });
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('ignores junk that exists only in the project', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      writeTree(path.join(w.claude, 'skills', 'review'), { '.DS_Store': 'x', '.SKILL.md.swp': 'x', '__pycache__/a.pyc': 'x' });
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('ignores a CRLF checkout of a text file', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const p = skillFile(w.claude, 'review');
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/\n/g, '\r\n'));
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('compares a record SkillMeat wrote (no tree hash of ours) by its content_hash', () => {
      addSkill(w.collection, 'review', { 'ref/notes.md': 'n' });
      addSkill(w.claude, 'review', { 'ref/notes.md': 'n' });
      const hash = independentSkillmeatHash(path.join(w.collection, 'skills', 'review'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash })]);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
      edit(skillFile(w.claude, 'review'));
      assert.equal(stateOf(check(w), 'skill', 'review'), 'modified');
    });

    it('sees a collection change against a record SkillMeat wrote', () => {
      addCommand(w.collection, 'commit');
      addCommand(w.claude, 'commit');
      const hash = independentSkillmeatHash(path.join(w.collection, 'commands', 'commit.md'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'commit', type: 'command', path: 'commands/commit.md', hash })]);
      edit(path.join(w.collection, 'commands', 'commit.md'));
      assert.equal(stateOf(check(w), 'command', 'commit'), 'outdated');
    });

    it('finds no drift when SkillMeat hashed a .DS_Store that the project copy no longer has', () => {
      // SkillMeat hashed the collection with its .DS_Store; the project was cloned from git, where
      // .DS_Store is ignored, so only the collection still has it.
      addSkill(w.collection, 'review', { '.DS_Store': '\0\0\0\x01Bud1' });
      addSkill(w.claude, 'review');
      const hash = independentSkillmeatHash(path.join(w.collection, 'skills', 'review'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash })]);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('finds no drift when SkillMeat hashed CRLF files and the project has an LF checkout', () => {
      const crlf = skillMd('review').replace(/\n/g, '\r\n');
      writeTree(path.join(w.collection, 'skills', 'review'), { 'SKILL.md': crlf });
      writeTree(path.join(w.claude, 'skills', 'review'), { 'SKILL.md': skillMd('review') });
      const hash = independentSkillmeatHash(path.join(w.collection, 'skills', 'review'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash })]);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('matches a .md-suffixed agent name (x.md at agents/x.md.md) to agents/x.md', () => {
      addAgent(w.collection, 'x');
      addAgent(w.claude, 'x');
      const hash = independentSkillmeatHash(path.join(w.collection, 'agents', 'x.md'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'x.md', type: 'agent', path: 'agents/x.md.md', hash })]);
      const r = check(w);
      assert.equal(stateOf(r, 'agent', 'x'), 'in-sync');
      assert.equal(r.artifacts.length, 1, 'not also reported as untracked or added');
    });

    it('handles an enterprise record (a version string, not a hash) without crashing', () => {
      addSkill(w.collection, 'review');
      addSkill(w.claude, 'review');
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: 'v1.2.0' })]);
      const a = find(check(w), 'skill', 'review');
      assert.deepEqual([a.state, a.baselineUnknown, a.baselineHash], ['in-sync', true, 'v1.2.0']);
    });

    it('treats differences against an enterprise record as a conflict with an unknown base', () => {
      addSkill(w.collection, 'review');
      addSkill(w.claude, 'review');
      edit(skillFile(w.claude, 'review'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: 'v1.2.0' })]);
      const a = find(check(w), 'skill', 'review');
      assert.deepEqual([a.state, a.baselineUnknown], ['conflict', true]);
      assert.match(a.recommendation, /baseline is unknown/);
    });

    it('reports a record with neither content_hash nor collection_sha as invalid, once', () => {
      addSkill(w.collection, 'review');
      addSkill(w.claude, 'review');
      writeRecordsFile(w.claude, ['[[deployed]]\nartifact_name = "review"\nartifact_type = "skill"\nartifact_path = "skills/review"\n']);
      const r = check(w);
      assert.equal(stateOf(r, 'skill', 'review'), 'invalid');
      assert.deepEqual(r.artifacts.map((a) => a.state), ['invalid'], 'the recorded artifact is not also untracked or added');
    });

    it('falls back to collection_sha when content_hash is missing', () => {
      addSkill(w.collection, 'review');
      addSkill(w.claude, 'review');
      const hash = independentSkillmeatHash(path.join(w.collection, 'skills', 'review'));
      writeRecordsFile(w.claude, [`[[deployed]]\nartifact_name = "review"\nartifact_type = "skill"\nfrom_collection = "default"\nartifact_path = "skills/review"\nlocal_modifications = false\ncollection_sha = "${hash}"\n`]);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
      edit(skillFile(w.collection, 'review'));
      assert.equal(stateOf(check(w), 'skill', 'review'), 'outdated');
    });

    it('reports hook and mcp records as unmanaged and keeps them when the file is rewritten', async () => {
      const hook = skillmeatRecordText({ name: 'pre-commit', type: 'hook', path: 'hooks/pre-commit.json', hash: 'e'.repeat(64) });
      const mcp = skillmeatRecordText({ name: 'github', type: 'mcp', path: 'mcp/github.json', hash: 'f'.repeat(64), extra: 'server_url = "https://example.invalid"' });
      const file = writeRecordsFile(w.claude, [hook, mcp]);
      addSkill(w.collection, 'review');
      const r = check(w);
      assert.deepEqual(r.unmanaged.map((u) => [u.type, u.name, u.root]), [['hook', 'pre-commit', '.claude'], ['mcp', 'github', '.claude']]);
      await deploy(w, 'skill', 'review');
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.startsWith(hook + '\n' + mcp), 'both records are kept byte for byte');
      assert.equal(readRecords(w.claude).records.length, 3);
    });

    it('uses the tree hash it recorded, whatever SkillMeat-form hash sits beside it', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const rec = readRecords(w.claude).records[0].fields;
      assert.match(String(rec[TREE_HASH_KEY]), /^[0-9a-f]{64}$/);
      assert.equal(rec.content_hash, independentSkillmeatHash(path.join(w.claude, 'skills', 'review')));
    });
  });

  describe('problems', () => {
    it('reports a malformed records file as an error naming file and line, and checks the other roots', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { root: '.codex' });
      writeTree(w.claude, { [RECORDS_FILE]: '[[deployed]]\nartifact_name = \n' });
      const r = check(w);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0].file, path.join(w.claude, RECORDS_FILE));
      assert.match(r.errors[0].message, /\.skillmeat-deployed\.toml:2/);
      assert.equal(stateOf(r, 'skill', 'review', '.codex'), 'in-sync');
    });

    it('reports every artifact of an unreachable collection as unreachable, first, with what is known locally', async () => {
      addSkill(w.collection, 'review');
      addSkill(w.collection, 'lint');
      addCommand(w.collection, 'commit');
      await deploy(w, 'skill', 'review');
      await deploy(w, 'skill', 'lint');
      await deploy(w, 'command', 'commit');
      addSkill(w.claude, 'local-only');
      fs.renameSync(w.collection, w.collection + '-unmounted');
      edit(skillFile(w.claude, 'review'));
      fs.rmSync(path.join(w.claude, 'commands', 'commit.md'));
      const r = check(w);
      assert.deepEqual(r.artifacts.map((a) => [a.name, a.state]), [['review', 'unreachable'], ['lint', 'unreachable'], ['commit', 'unreachable'], ['local-only', 'untracked']]);
      assert.match(find(r, 'skill', 'review').detail!, /not reachable at .*; edited locally since it was deployed$/);
      assert.match(find(r, 'skill', 'lint').detail!, /unchanged locally since it was deployed$/);
      assert.match(find(r, 'command', 'commit').detail!, /deleted locally$/);
      assert.equal(find(r, 'skill', 'review').collectionPath, null);
      assert.ok(r.warnings.some((x) => x.code === 'collection-missing' && x.file === w.collection));
      assert.deepEqual(r.collections, [{ name: 'default', path: w.collection, reachable: false, required: true }]);
      assert.deepEqual(incompleteCheck(r), { errors: 0, unreachable: 3, collections: [w.collection] });
      assert.equal(divergedCount(r), 0, 'unreachable is not counted as drift: it is not known');
    });

    it('is complete when only the default collection, needed for nothing deployed, is missing', () => {
      addSkill(w.claude, 'local-only');
      fs.rmSync(w.collection, { recursive: true });
      const r = check(w);
      assert.deepEqual(r.collections, [{ name: 'default', path: w.collection, reachable: false, required: false }]);
      assert.equal(incompleteCheck(r), undefined);
    });

    it('is incomplete when the collection named by the caller is missing, even with nothing deployed', () => {
      addSkill(w.claude, 'local-only');
      const r = check(w, { collection: path.join(w.home, 'nope') });
      assert.deepEqual(incompleteCheck(r), { errors: 0, unreachable: 0, collections: [path.join(w.home, 'nope')] });
    });

    it('reports a project folder that does not exist as an error, with no artifacts', () => {
      addSkill(w.collection, 'review');
      const missing = path.join(w.home, 'no-such-project');
      const r = checkDrift({ project: missing, env: w.env });
      assert.deepEqual(r.artifacts, []);
      assert.deepEqual(r.errors.map((e) => [e.code, e.file]), [['project-missing', missing]]);
      assert.match(r.errors[0].message, /no such folder/);
      assert.ok(incompleteCheck(r));
    });

    it('reports the records of an unparseable records file as invalid by name, never added', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'git/commit');
      addSkill(w.collection, 'available');
      await deploy(w, 'skill', 'review');
      await deploy(w, 'command', 'git/commit');
      addSkill(w.claude, 'local-only');
      const file = path.join(w.claude, RECORDS_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^local_modifications = false$/m, 'local_modifications = = no'));
      const r = check(w);
      assert.equal(r.errors.length, 1);
      assert.equal(r.errors[0].code, 'records-unreadable');
      assert.match(r.errors[0].message, /\.skillmeat-deployed\.toml:8:/);
      assert.deepEqual(r.artifacts.map((a) => [a.type, a.name, a.state]).sort(), [
        ['command', 'git/commit', 'invalid'], ['skill', 'available', 'added'], ['skill', 'local-only', 'untracked'], ['skill', 'review', 'invalid'],
      ], 'every record was named, so what is only in the collection is still available and the rest untracked');
      assert.match(find(r, 'skill', 'review').detail!, /its record \(line 1\) is in .*cannot be parsed \(line 8: /);
      assert.equal(find(r, 'skill', 'review').projectHash, new ArtifactHasher().hash(path.join(w.claude, 'skills', 'review'))?.tree);
    });

    it('lists nothing as added or untracked when the broken text may hide a record', async () => {
      addSkill(w.collection, 'review');
      addSkill(w.collection, 'available');
      await deploy(w, 'skill', 'review');
      addSkill(w.claude, 'local-only');
      writeTree(w.claude, { [RECORDS_FILE]: '[[deployed]]\nartifact_name = "review"\nartifact_type = "skill"\n[[deployed]]\nartifact_name = \n' });
      const r = check(w);
      assert.deepEqual(r.artifacts.map((a) => [a.name, a.state]).sort(), [['local-only', 'invalid'], ['review', 'invalid']]);
      assert.match(find(r, 'skill', 'local-only').detail!, /whether it is deployed is unknown/);
    });

    it('surfaces an unreadable file as a warning naming it', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const bad = skillFile(w.claude, 'review', 'locked.md');
      const undo = makeUnreadable(bad, tmp());
      let r;
      try { r = check(w); } finally { undo(); }
      assert.ok(r.warnings.some((x) => x.code === 'unreadable-file' && x.file === bad));
    });

    it('reports a record whose from_collection escapes the SkillMeat home as invalid, and reads nothing there', () => {
      const outside = path.join(path.dirname(w.home), 'not-a-collection');
      addSkill(outside, 'review');
      addSkill(w.claude, 'review');
      const hash = independentSkillmeatHash(path.join(outside, 'skills', 'review'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash, collection: '../../not-a-collection' })]);
      const r = check(w);
      const a = find(r, 'skill', 'review');
      assert.equal(a.state, 'invalid');
      assert.match(a.detail ?? '', /from_collection/);
      assert.ok(r.collections.every((c) => !c.path.startsWith(outside)), JSON.stringify(r.collections));
    });

    it('follows a record to the collection it names', async () => {
      const other = path.join(w.home, 'collections', 'team');
      addSkill(other, 'review');
      await deployArtifact({ project: w.project, collectionPath: other, collectionName: 'team', type: 'skill', name: 'review' });
      edit(skillFile(other, 'review'));
      const r = check(w);
      assert.equal(stateOf(r, 'skill', 'review'), 'outdated');
      assert.equal(find(r, 'skill', 'review').collectionName, 'team');
    });
  });

  describe('speed', () => {
    it('reads no file on a second check with the same hasher when nothing changed', async () => {
      addSkill(w.collection, 'review', { 'a.md': 'a' });
      addCommand(w.collection, 'commit');
      await deploy(w, 'skill', 'review');
      await deploy(w, 'command', 'commit');
      const hasher = new ArtifactHasher();
      const first = check(w, { hasher });
      const read = hasher.filesRead;
      const second = check(w, { hasher });
      assert.equal(hasher.filesRead, read);
      assert.deepEqual(second.artifacts, first.artifacts);
    });

    it('sees a records file that changed between two checks with the same hasher', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const hasher = new ArtifactHasher();
      assert.equal(stateOf(check(w, { hasher }), 'skill', 'review'), 'in-sync');
      await updateRecords(w.claude, (f) => { f.records.length = 0; });
      assert.equal(stateOf(check(w, { hasher }), 'skill', 'review'), 'untracked');
    });

    it('re-reads only the changed file on the next check', async () => {
      addSkill(w.collection, 'review', { 'a.md': 'a', 'b.md': 'b' });
      await deploy(w, 'skill', 'review');
      const hasher = new ArtifactHasher();
      check(w, { hasher });
      const read = hasher.filesRead;
      edit(skillFile(w.claude, 'review', 'a.md'));
      assert.equal(stateOf(check(w, { hasher }), 'skill', 'review'), 'modified');
      assert.equal(hasher.filesRead, read + 1);
    });
  });

  it('writes records readable by SkillMeat: POSIX paths and its own hash form', async () => {
    addCommand(w.collection, 'git/sync');
    await deploy(w, 'command', 'git/sync');
    await updateRecords(w.claude, () => undefined);
    const rec = readRecords(w.claude).records[0].fields;
    assert.equal(rec.artifact_path, 'commands/git/sync.md');
    assert.equal(rec.content_hash, independentSkillmeatHash(path.join(w.claude, 'commands', 'git', 'sync.md')));
  });
});
