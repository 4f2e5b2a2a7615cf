// Deploy / redeploy / undeploy (SPEC §5): files land without junk, the record is what SkillMeat writes
// (plus our tree hash), local edits are never clobbered unless forced, undeploy keeps a copy.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deployArtifact, undeployArtifact, SyncError, skillmeatTimestamp } from '../../../src/core/sync/deploy';
import { readRecords, updateRecords, RecordsParseError, RECORDS_FILE, TREE_HASH_KEY, KEY_ORDER } from '../../../src/core/store/deploymentRecords';
import { VersionStore } from '../../../src/core/store/versionStore';
import { ArtifactHasher } from '../../../src/core/drift/hashing';
import {
  useTempDirs, makeWorld, addSkill, addCommand, addAgent, deploy, check, stateOf, edit, writeTree, snapshotDir,
  independentSkillmeatHash, leftoverTemps, skillmeatRecordText, writeRecordsFile, type World,
} from '../helpers';

describe('deploy', () => {
  const tmp = useTempDirs();
  let w: World;
  let store: VersionStore;
  beforeEach(async () => {
    w = makeWorld(tmp);
    store = await VersionStore.open(path.join(w.home, 'sync'));
  });
  afterEach(() => store.close());

  const fields = (i = 0) => readRecords(w.claude).records[i].fields;
  const skillDir = (base: string, name: string) => path.join(base, 'skills', name);
  const at = (iso: string) => () => new Date(iso);

  describe('deploy', () => {
    it("copies a skill into .claude/skills as SkillMeat's deploy does: its ignore rules, not ours", async () => {
      addSkill(w.collection, 'review', {
        'ref/a.md': 'a', '.DS_Store': 'junk', '.git/HEAD': 'ref', '__pycache__/x.pyc': 'p', 'notes.md~': 'backup', 'draft.tmp': 't',
        '.gitignore': 'x', '.github/ci.yml': 'c', 'node_modules/m.js': 'm', '.venv/bin/py': 'p', 'venv/x': 'v', 'pkg.egg-info/PKG': 'p', 'ref/.x.swp': 's',
      });
      const r = await deploy(w, 'skill', 'review', { store });
      assert.equal(r.action, 'deployed');
      assert.equal(r.projectPath, skillDir(w.claude, 'review'));
      const files = [...snapshotDir(r.projectPath)].filter(([, e]) => e.kind === 'file').map(([k]) => k).sort();
      assert.deepEqual(files, ['SKILL.md', 'draft.tmp', 'notes.md~', 'ref/.x.swp', 'ref/a.md']);
      assert.equal(fields().content_hash, independentSkillmeatHash(r.projectPath), "the record holds SkillMeat's hash of what was copied");
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('keeps the executable bit of a script', async () => {
      addSkill(w.collection, 'gen', { 'scripts/sync.sh': '#!/bin/sh\n' });
      fs.chmodSync(path.join(skillDir(w.collection, 'gen'), 'scripts', 'sync.sh'), 0o755);
      await deploy(w, 'skill', 'gen');
      assert.equal(fs.statSync(path.join(skillDir(w.claude, 'gen'), 'scripts', 'sync.sh')).mode & 0o777, 0o755);
    });

    it('copies commands (namespaced too) and agents as single files', async () => {
      addCommand(w.collection, 'commit');
      addCommand(w.collection, 'git/sync-branch');
      addAgent(w.collection, 'docs-writer');
      await deploy(w, 'command', 'commit');
      await deploy(w, 'command', 'git/sync-branch');
      await deploy(w, 'agent', 'docs-writer');
      for (const rel of ['commands/commit.md', 'commands/git/sync-branch.md', 'agents/docs-writer.md']) {
        assert.deepEqual(fs.readFileSync(path.join(w.claude, rel)), fs.readFileSync(path.join(w.collection, rel)), rel);
      }
      assert.deepEqual(readRecords(w.claude).records.map((r) => r.fields.artifact_path), ['commands/commit.md', 'commands/git/sync-branch.md', 'agents/docs-writer.md']);
    });

    it('writes the record SkillMeat writes, in its key order, with our tree hash and collection_sha last', async () => {
      addSkill(w.collection, 'review');
      const r = await deploy(w, 'skill', 'review', { now: at('2026-03-04T05:06:07.089Z') });
      const f = fields();
      assert.deepEqual(Object.keys(f), [
        'artifact_name', 'artifact_type', 'from_collection', 'deployed_at', 'artifact_path', 'content_hash', 'local_modifications',
        'merge_base_snapshot', 'deployment_profile_id', 'platform', 'profile_root_dir', TREE_HASH_KEY, 'collection_sha',
      ]);
      const hash = independentSkillmeatHash(r.projectPath);
      assert.deepEqual(
        [f.artifact_name, f.artifact_type, f.from_collection, f.artifact_path, f.content_hash, f.local_modifications, f.merge_base_snapshot, f.collection_sha],
        ['review', 'skill', 'default', 'skills/review', hash, false, hash, hash],
      );
      assert.equal(f.deployed_at, skillmeatTimestamp(new Date('2026-03-04T05:06:07.089Z')));
      assert.match(String(f.deployed_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.089000$/);
      assert.deepEqual([f.deployment_profile_id, f.platform, f.profile_root_dir], ['claude_code', 'claude_code', '.claude']);
      assert.equal(f.artifact_uuid, undefined, 'SkillMeat takes the uuid from its cache database: never invented');
      assert.equal(f[TREE_HASH_KEY], new ArtifactHasher().hash(r.projectPath)!.tree);
    });

    it('names the platform of the profile root it deploys into', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { root: '.gemini' });
      const f = readRecords(path.join(w.project, '.gemini')).records[0].fields;
      assert.deepEqual([f.platform, f.profile_root_dir], ['gemini', '.gemini']);
    });

    it('stores the deployed version in the version store', async () => {
      addSkill(w.collection, 'review');
      const r = await deploy(w, 'skill', 'review', { store });
      const h = store.history('.claude:skill:review');
      assert.deepEqual(h.map((v) => [v.origin, v.treeHash]), [['deploy', r.treeHash]]);
      assert.equal(store.readFile(r.treeHash, 'SKILL.md')!.toString(), fs.readFileSync(path.join(r.projectPath, 'SKILL.md'), 'utf8'));
    });

    it('leaves no staging files behind', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'commit');
      await deploy(w, 'skill', 'review', { store });
      await deploy(w, 'command', 'commit', { store });
      assert.deepEqual(leftoverTemps(w.project), []);
    });

    it('refuses a name that is not in the collection', async () => {
      await assert.rejects(deploy(w, 'skill', 'absent'), (e: unknown) => e instanceof SyncError && e.code === 'not-found');
    });

    it('refuses names that would escape the profile root', async () => {
      for (const [type, name] of [['skill', '../x'], ['skill', 'a/b'], ['command', 'ns/../../x'], ['agent', ''], ['command', 'a\\b']] as const) {
        await assert.rejects(deploy(w, type, name), (e: unknown) => e instanceof SyncError && e.code === 'bad-name', `${type} ${name}`);
      }
    });

    it('refuses to deploy into a root whose records file cannot be parsed, and changes nothing', async () => {
      addSkill(w.collection, 'review');
      writeTree(w.claude, { [RECORDS_FILE]: '[[deployed]]\nartifact_name = "x\n' });
      const before = snapshotDir(w.project);
      await assert.rejects(deploy(w, 'skill', 'review', { store }), (e: unknown) => e instanceof RecordsParseError && e.line === 2);
      assert.deepEqual(snapshotDir(w.project), before);
    });
  });

  describe('redeploy', () => {
    it('updates an outdated copy and records parent_hash and the lineage, newest first', async () => {
      addSkill(w.collection, 'review');
      const first = await deploy(w, 'skill', 'review', { store });
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\nv2\n');
      const second = await deploy(w, 'skill', 'review', { store });
      assert.equal(second.action, 'redeployed');
      assert.deepEqual([fields().parent_hash, fields().version_lineage], [first.contentHash, [second.contentHash, first.contentHash]]);
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\nv3\n');
      const third = await deploy(w, 'skill', 'review', { store });
      const f = fields();
      assert.deepEqual([f.parent_hash, f.version_lineage], [second.contentHash, [third.contentHash, second.contentHash, first.contentHash]]);
      assert.equal(f.merge_base_snapshot, third.contentHash, 'the merge base SkillMeat looks up is the new baseline');
      assert.equal(Object.keys(f).at(-1), 'collection_sha');
      assert.deepEqual(Object.keys(f).filter((k) => (KEY_ORDER as readonly string[]).includes(k)), KEY_ORDER.filter((k) => k in f));
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it("keeps SkillMeat's artifact_uuid and clears modification_detected_at when the baseline changes", async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { store });
      await updateRecords(w.claude, (file) => {
        Object.assign(file.records[0].fields, { modification_detected_at: '2026-01-02T03:04:05.000006', artifact_uuid: 'c'.repeat(32) });
        file.records[0].sourceText = undefined;
      });
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\nv2\n');
      const second = await deploy(w, 'skill', 'review', { store });
      const f = fields();
      assert.equal(f.modification_detected_at, undefined);
      assert.equal(f.artifact_uuid, 'c'.repeat(32));
      assert.equal(f.merge_base_snapshot, second.contentHash);
    });

    it('reports an unchanged redeploy and leaves the files alone', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const files = () => [...snapshotDir(w.project)].filter(([, e]) => e.kind !== 'dir');
      const before = files();
      const r = await deploy(w, 'skill', 'review');
      assert.equal(r.action, 'unchanged');
      assert.deepEqual(files(), before, 'same files, same bytes, same mtimes (the records file too)');
    });

    it('refuses to replace local edits', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      edit(path.join(skillDir(w.claude, 'review'), 'SKILL.md'), '\nmine\n');
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\ntheirs\n');
      const before = snapshotDir(w.project);
      await assert.rejects(deploy(w, 'skill', 'review', { store }), (e: unknown) => e instanceof SyncError && e.code === 'local-changes' && /--force/.test(e.message));
      assert.deepEqual(snapshotDir(w.project), before);
    });

    it('refuses to replace a different copy that was never deployed', async () => {
      addSkill(w.collection, 'review');
      writeTree(skillDir(w.claude, 'review'), { 'SKILL.md': 'my own review skill\n' });
      await assert.rejects(deploy(w, 'skill', 'review'), (e: unknown) => e instanceof SyncError && e.code === 'local-changes');
      assert.equal(fs.readFileSync(path.join(skillDir(w.claude, 'review'), 'SKILL.md'), 'utf8'), 'my own review skill\n');
    });

    it('replaces local edits when forced, keeping them in the version store', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { store });
      edit(path.join(skillDir(w.claude, 'review'), 'SKILL.md'), '\nmine\n');
      const mine = fs.readFileSync(path.join(skillDir(w.claude, 'review'), 'SKILL.md'));
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\ntheirs\n');
      await deploy(w, 'skill', 'review', { store, force: true });
      assert.deepEqual(fs.readFileSync(path.join(skillDir(w.claude, 'review'), 'SKILL.md')), fs.readFileSync(path.join(skillDir(w.collection, 'review'), 'SKILL.md')));
      const pre = store.history('.claude:skill:review').find((v) => v.origin === 'pre-sync');
      assert.ok(pre, 'the replaced copy is in the history');
      assert.deepEqual(store.readFile(pre.treeHash, 'SKILL.md'), mine);
    });

    it('updates an outdated copy recorded by SkillMeat when the project differs from the baseline only by CRLF and junk', async () => {
      addSkill(w.collection, 'review');
      const base = fs.readFileSync(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), 'utf8');
      const hash = independentSkillmeatHash(skillDir(w.collection, 'review'));
      writeTree(skillDir(w.claude, 'review'), { 'SKILL.md': base.replace(/\n/g, '\r\n'), '.DS_Store': 'junk' });
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: hash.toUpperCase() })]);
      edit(path.join(skillDir(w.collection, 'review'), 'SKILL.md'), '\nv2\n');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'outdated');
      const r = await deploy(w, 'skill', 'review');
      assert.equal(r.action, 'redeployed');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('re-baselines a record SkillMeat wrote when the copy is unchanged, adding our tree hash', async () => {
      addAgent(w.collection, 'x');
      addAgent(w.claude, 'x');
      const hash = independentSkillmeatHash(path.join(w.collection, 'agents', 'x.md'));
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'x.md', type: 'agent', path: 'agents/x.md.md', hash })]);
      await deploy(w, 'agent', 'x');
      const recs = readRecords(w.claude).records;
      assert.equal(recs.length, 1, 'the .md-suffixed record is updated, not duplicated');
      assert.deepEqual([recs[0].fields.artifact_path, recs[0].fields.content_hash], ['agents/x.md', hash]);
      assert.match(String(recs[0].fields[TREE_HASH_KEY]), /^[0-9a-f]{64}$/);
    });
  });

  describe('undeploy', () => {
    it('removes the copy and its record, keeping the other records', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'commit');
      await deploy(w, 'skill', 'review', { store });
      await deploy(w, 'command', 'commit', { store });
      const r = await undeployArtifact({ project: w.project, name: 'review', store });
      assert.equal(r.type, 'skill');
      assert.equal(fs.existsSync(skillDir(w.claude, 'review')), false);
      assert.deepEqual(readRecords(w.claude).records.map((x) => x.fields.artifact_name), ['commit']);
      assert.deepEqual(leftoverTemps(w.project), []);
    });

    it('keeps the removed copy in the version store, visible in the history', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review', { store });
      edit(path.join(skillDir(w.claude, 'review'), 'SKILL.md'), '\nlocal edit kept\n');
      const content = fs.readFileSync(path.join(skillDir(w.claude, 'review'), 'SKILL.md'));
      const r = await undeployArtifact({ project: w.project, name: 'review', store });
      const h = store.history('.claude:skill:review');
      assert.deepEqual(h.map((v) => v.origin), ['undeploy', 'deploy']);
      assert.equal(h[0].treeHash, r.treeHash);
      const out = path.join(tmp(), 'restored');
      store.materialize(h[0].treeHash, out);
      assert.deepEqual(fs.readFileSync(path.join(out, 'SKILL.md')), content);
    });

    it('refuses a name that has no record', async () => {
      await assert.rejects(undeployArtifact({ project: w.project, name: 'absent' }), (e: unknown) => e instanceof SyncError && e.code === 'not-deployed');
    });

    it('asks for a type when the name is deployed as several', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      await deploy(w, 'command', 'review');
      await assert.rejects(undeployArtifact({ project: w.project, name: 'review' }), (e: unknown) => e instanceof SyncError && e.code === 'bad-name');
      await undeployArtifact({ project: w.project, name: 'review', type: 'command' });
      assert.deepEqual(readRecords(w.claude).records.map((x) => x.fields.artifact_type), ['skill']);
    });

    it('removes the record of a locally deleted artifact', async () => {
      addAgent(w.collection, 'a');
      await deploy(w, 'agent', 'a');
      fs.rmSync(path.join(w.claude, 'agents', 'a.md'));
      await undeployArtifact({ project: w.project, name: 'a', store });
      assert.equal(readRecords(w.claude).records.length, 0);
    });
  });

  it('deploys from any collection directory, naming it in the record', async () => {
    const elsewhere = path.join(tmp(), 'team-collection');
    addSkill(elsewhere, 'review');
    await deployArtifact({ project: w.project, collectionPath: elsewhere, collectionName: 'team', type: 'skill', name: 'review' });
    assert.equal(fields().from_collection, 'team');
  });
});
