// Strategies of update and pull on skills and on single-file commands and agents: overwrite, merge (with
// the true base, file by file), fork, prompt, converged re-baselining, and finishing a merge the user
// resolved (completeMerge).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, viewRecord, TREE_HASH_KEY } from '../../../src/core/store/deploymentRecords';
import { artifactKey, type ArtifactType } from '../../../src/core/model';
import { completeMerge, runSync, type PromptChoice, type SyncDirection, type SyncStrategy, type PromptPreview } from '../../../src/core/sync';
import { VersionStore } from '../../../src/core/store/versionStore';
import {
  useTempDirs, addSkill, addCommand, addAgent, stateOf, find, writeRecordsFile, skillmeatRecordText, independentSkillmeatHash, writeTree,
} from '../helpers';
import { makeSyncWorld, deploy, check, pull, update, read, write, lines, editLine, contentSnapshot, type SyncWorld } from './syncWorld';

const PNG_A = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]);
const PNG_B = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 9, 9, 9, 9]);
const PNG_C = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 7, 7, 7]);

function recordOf(w: SyncWorld, type: ArtifactType, name: string) {
  const v = readRecords(w.claude).records.map(viewRecord).find((r) => r.type === type && r.name === name);
  assert.ok(v, `no record for ${type} ${name}`);
  return v;
}

describe('sync strategies', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  afterEach(() => w?.store.close());

  describe('skills', () => {
    let proj: string;
    let coll: string;
    beforeEach(async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review', { 'notes.md': lines(), 'img/logo.png': PNG_A });
      await deploy(w, 'skill', 'review');
      proj = path.join(w.claude, 'skills', 'review');
      coll = path.join(w.collection, 'skills', 'review');
    });

    it('update with overwrite replaces the project copy and keeps the replaced version as pre-sync', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      editLine(path.join(coll, 'notes.md'), 8, 'collection edit');
      const r = await update(w, 'overwrite', ['review']);
      assert.equal(r.status, 'success');
      assert.deepEqual(contentSnapshot(proj), contentSnapshot(coll));
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
      const history = w.store.history(artifactKey('.claude', 'skill', 'review'));
      const pre = history.find((h) => h.origin === 'pre-sync');
      assert.ok(pre, JSON.stringify(history));
      assert.match(w.store.readFile(pre.treeHash, 'notes.md')!.toString(), /local edit/);
    });

    it('update with merge writes the clean merge into the project only; the collection version becomes the baseline, local edits stay modified', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      editLine(path.join(coll, 'notes.md'), 8, 'collection edit');
      const oldHash = recordOf(w, 'skill', 'review').contentHash!;
      const collBefore = contentSnapshot(w.collection);
      const r = await update(w, 'merge', ['review']);
      assert.equal(r.status, 'success');
      assert.equal(r.artifacts[0].baseSource, 'store');
      assert.deepEqual(r.artifacts[0].writes.map((x) => x.side), ['project']);
      assert.match(read(proj, 'notes.md'), /local edit/);
      assert.match(read(proj, 'notes.md'), /collection edit/);
      // The shared collection is not touched: the project's local edit is not published without being asked.
      assert.deepEqual(contentSnapshot(w.collection), collBefore);
      const rec = recordOf(w, 'skill', 'review');
      assert.equal(rec.record.fields.parent_hash, oldHash);
      assert.deepEqual(rec.record.fields.version_lineage, [rec.contentHash, oldHash]);
      assert.equal(rec.record.fields.merge_base_snapshot, rec.contentHash);
      assert.equal(rec.record.fields.local_modifications, true);
      const after = find(check(w), 'skill', 'review');
      assert.equal(rec.record.fields[TREE_HASH_KEY], after.collectionHash);
      assert.equal(after.state, 'modified');
      // Pulling it afterwards publishes the merged version, and both sides are in sync.
      assert.equal((await pull(w, 'merge', ['review'])).status, 'success');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
      assert.equal(read(coll, 'notes.md'), read(proj, 'notes.md'));
    });

    it('Merge… (bothSides) writes the clean merge to both sides and records it as the baseline', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      editLine(path.join(coll, 'notes.md'), 8, 'collection edit');
      const r = await update(w, 'merge', ['review'], { bothSides: true });
      assert.equal(r.status, 'success');
      assert.deepEqual(r.artifacts[0].writes.map((x) => x.side).sort(), ['collection', 'project']);
      for (const dir of [proj, coll]) {
        assert.match(read(dir, 'notes.md'), /local edit/);
        assert.match(read(dir, 'notes.md'), /collection edit/);
      }
      assert.equal(recordOf(w, 'skill', 'review').record.fields[TREE_HASH_KEY], find(check(w), 'skill', 'review').projectHash);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('update with merge of an outdated skill writes only the project', async () => {
      editLine(path.join(coll, 'notes.md'), 8, 'collection edit');
      const collBefore = contentSnapshot(w.collection);
      const r = await update(w, 'merge');
      assert.deepEqual(r.artifacts.map((a) => [a.name, a.action, a.writes.map((x) => x.side)]), [['review', 'merge', ['project']]]);
      assert.deepEqual(contentSnapshot(w.collection), collBefore);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('keeps collection-side edits in a pull-merge (SkillMeat merged against the current collection and lost them)', async () => {
      editLine(path.join(coll, 'notes.md'), 1, 'collection fixed line 1');
      editLine(path.join(proj, 'notes.md'), 10, 'project fixed line 10');
      write(path.join(coll, 'added-in-collection.md'), 'new in the collection\n');
      const projBefore = contentSnapshot(proj);
      const r = await pull(w, 'merge', ['review']);
      assert.equal(r.status, 'success');
      const merged = read(coll, 'notes.md');
      assert.match(merged, /^collection fixed line 1\n/);
      assert.match(merged, /project fixed line 10\n$/);
      assert.equal(read(coll, 'added-in-collection.md'), 'new in the collection\n');
      // A pull writes the collection only: the project now shows outdated, and an update brings the merge in.
      assert.deepEqual(contentSnapshot(proj), projBefore);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'outdated');
      assert.equal((await update(w, 'overwrite', ['review'])).status, 'success');
      assert.equal(read(proj, 'added-in-collection.md'), 'new in the collection\n');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('merges files added and deleted inside a skill file by file', async () => {
      write(path.join(proj, 'scripts', 'new.sh'), '#!/bin/sh\necho hi\n');
      fs.rmSync(path.join(coll, 'img', 'logo.png'));
      editLine(path.join(coll, 'notes.md'), 3, 'collection edit');
      const r = await pull(w, 'merge', ['review'], { bothSides: true });
      assert.equal(r.status, 'success');
      for (const dir of [proj, coll]) {
        assert.ok(fs.existsSync(path.join(dir, 'scripts', 'new.sh')), dir);
        assert.ok(!fs.existsSync(path.join(dir, 'img', 'logo.png')), dir);
        assert.match(read(dir, 'notes.md'), /collection edit/);
      }
    });

    it('reports add/add and modify/delete conflicts explicitly', async () => {
      write(path.join(proj, 'extra.md'), 'project version\n');
      write(path.join(coll, 'extra.md'), 'collection version\n');
      fs.rmSync(path.join(proj, 'notes.md'));
      editLine(path.join(coll, 'notes.md'), 3, 'collection edit');
      const r = await pull(w, 'merge', ['review']);
      assert.equal(r.status, 'conflict');
      // In a pull the collection is "ours" (the target) and the project "theirs".
      assert.deepEqual(r.artifacts[0].conflicts!.map((c) => [c.path, c.reason]), [['extra.md', 'add-add'], ['notes.md', 'modify-delete']]);
      const mod = r.artifacts[0].conflicts![1];
      assert.equal(mod.theirs, null);
      assert.match(mod.ours!.toString(), /collection edit/);
    });

    it('reports a binary file changed on both sides as a binary conflict, and completeMerge takes the chosen side', async () => {
      write(path.join(proj, 'img', 'logo.png'), PNG_B);
      write(path.join(coll, 'img', 'logo.png'), PNG_C);
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      const before = { p: contentSnapshot(proj), c: contentSnapshot(coll) };
      const r = await update(w, 'merge', ['review']);
      const a = r.artifacts[0];
      assert.equal(a.status, 'conflict');
      assert.deepEqual(a.conflicts!.map((c) => [c.path, c.reason, c.binary, c.rendered]), [['img/logo.png', 'binary', true, undefined]]);
      assert.deepEqual(a.conflicts![0].base, PNG_A);
      assert.deepEqual({ p: contentSnapshot(proj), c: contentSnapshot(coll) }, before);
      const done = await completeMerge({ pending: a.pendingMerge!, resolved: { 'img/logo.png': a.conflicts![0].theirs }, store: w.store });
      assert.equal(done.status, 'success', JSON.stringify(done.error));
      // An update's merge is finished in the project only; the project keeps its local edit, so it is modified.
      assert.deepEqual(fs.readFileSync(path.join(proj, 'img', 'logo.png')), PNG_C);
      assert.match(read(proj, 'notes.md'), /local edit/);
      assert.deepEqual(contentSnapshot(coll), before.c);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'modified');
    });

    it('completeMerge of Merge… writes the resolution to both sides, updates the record, and the artifact leaves Conflict', async () => {
      editLine(path.join(proj, 'notes.md'), 5, 'mine');
      editLine(path.join(coll, 'notes.md'), 5, 'theirs');
      editLine(path.join(coll, 'notes.md'), 9, 'clean collection edit');
      const oldHash = recordOf(w, 'skill', 'review').contentHash!;
      const r = await pull(w, 'merge', ['review'], { bothSides: true });
      const pm = r.artifacts[0].pendingMerge!;
      assert.equal(pm.labels.ours, 'collection "default"');
      const resolvedText = pm.conflicts[0].rendered!.replace(/<<<<<<<[^]*?>>>>>>> [^\n]*\n/, 'mine and theirs\n');
      const done = await completeMerge({ pending: pm, resolved: { 'notes.md': resolvedText }, store: w.store });
      assert.equal(done.status, 'success');
      assert.deepEqual(done.artifacts[0].writes.map((x) => x.side).sort(), ['collection', 'project']);
      for (const dir of [proj, coll]) assert.equal(read(dir, 'notes.md'), resolvedText);
      assert.match(resolvedText, /mine and theirs\n/);
      assert.match(resolvedText, /clean collection edit/);
      const rec = recordOf(w, 'skill', 'review');
      assert.equal(rec.record.fields.parent_hash, oldHash);
      assert.equal(rec.record.fields.merge_base_snapshot, rec.contentHash);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('completeMerge refuses leftover markers, a missing resolution, and a side that changed since', async () => {
      editLine(path.join(proj, 'notes.md'), 5, 'mine');
      editLine(path.join(coll, 'notes.md'), 5, 'theirs');
      const r = await pull(w, 'merge', ['review']);
      const pm = r.artifacts[0].pendingMerge!;
      const before = { p: contentSnapshot(proj), c: contentSnapshot(coll) };
      await assert.rejects(completeMerge({ pending: pm, resolved: { 'notes.md': pm.conflicts[0].rendered! }, store: w.store }), (e: Error & { code?: string }) => e.code === 'markers-left' && e.message.includes(path.join(coll, 'notes.md')));
      await assert.rejects(completeMerge({ pending: pm, resolved: {}, store: w.store }), /still in conflict/);
      await assert.rejects(completeMerge({ pending: pm, resolved: { 'SKILL.md': 'x' }, store: w.store }), /not one of the conflicting files/);
      // a "=======" line alone is a Markdown heading underline, not a marker
      const ok = lines().replace('line 5', 'Title\n=======');
      editLine(path.join(proj, 'notes.md'), 1, 'edited after the merge was prepared');
      await assert.rejects(completeMerge({ pending: pm, resolved: { 'notes.md': ok }, store: w.store }), (e: Error & { code?: string }) => e.code === 'stale-merge');
      assert.deepEqual(contentSnapshot(coll), before.c);
    });

    it('a converged skill is only re-baselined: no file is written', async () => {
      editLine(path.join(proj, 'notes.md'), 4, 'same fix');
      editLine(path.join(coll, 'notes.md'), 4, 'same fix');
      assert.equal(stateOf(check(w), 'skill', 'review'), 'converged');
      const snap = { p: contentSnapshot(w.project, /\.skillmeat-deployed\.toml$/), c: contentSnapshot(w.collection) };
      const r = await pull(w, 'overwrite');
      assert.deepEqual(r.artifacts.map((a) => [a.action, a.status, a.writes.length]), [['rebaseline', 'synced', 0]]);
      assert.deepEqual({ p: contentSnapshot(w.project, /\.skillmeat-deployed\.toml$/), c: contentSnapshot(w.collection) }, snap);
      assert.equal(stateOf(check(w), 'skill', 'review'), 'in-sync');
    });

    it('update with fork deploys the collection version as review-fork, recorded, the original untouched', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      editLine(path.join(coll, 'notes.md'), 8, 'collection edit');
      const projOrig = contentSnapshot(proj);
      const collOrig = contentSnapshot(coll);
      const r = await update(w, 'fork', ['review']);
      assert.equal(r.artifacts[0].forkName, 'review-fork');
      assert.deepEqual(contentSnapshot(path.join(w.claude, 'skills', 'review-fork')), collOrig);
      assert.deepEqual(contentSnapshot(path.join(w.collection, 'skills', 'review-fork')), collOrig);
      assert.deepEqual(contentSnapshot(proj), projOrig);
      assert.deepEqual(contentSnapshot(coll), collOrig);
      const report = check(w);
      assert.equal(stateOf(report, 'skill', 'review'), 'conflict');
      assert.equal(stateOf(report, 'skill', 'review-fork'), 'in-sync');
      assert.equal(recordOf(w, 'skill', 'review-fork').relPath, 'skills/review-fork');
    });

    it('pull with fork and deployFork also deploys the fork into the project with its own record', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      const r = await pull(w, 'fork', ['review'], { deployFork: true });
      assert.equal(r.status, 'success');
      const report = check(w);
      assert.equal(stateOf(report, 'skill', 'review'), 'modified');
      assert.equal(stateOf(report, 'skill', 'review-fork'), 'in-sync');
      assert.match(read(w.claude, 'skills', 'review-fork', 'notes.md'), /local edit/);
    });

    it('names forks -fork, then -fork-2, -fork-3 as earlier ones exist', async () => {
      editLine(path.join(proj, 'notes.md'), 2, 'local edit');
      await pull(w, 'fork', ['review']);
      const r2 = await pull(w, 'fork', ['review']);
      const r3 = await pull(w, 'fork', ['review']);
      assert.deepEqual([r2.artifacts[0].forkName, r3.artifacts[0].forkName], ['review-fork-2', 'review-fork-3']);
    });
  });

  describe('unknown and SkillMeat-recorded bases', () => {
    it('says the base is unknown and makes every difference a conflict (no silent fallback)', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review', { 'notes.md': lines() });
      writeTree(path.join(w.claude, 'skills', 'review'), { 'SKILL.md': read(w.collection, 'skills', 'review', 'SKILL.md'), 'notes.md': lines() });
      // A record SkillMeat wrote for a version this machine never saw.
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: 'ab'.repeat(32) })]);
      editLine(path.join(w.claude, 'skills', 'review', 'notes.md'), 2, 'project edit');
      editLine(path.join(w.collection, 'skills', 'review', 'notes.md'), 8, 'collection edit');
      const r = await pull(w, 'merge', ['review']);
      const a = r.artifacts[0];
      assert.equal(a.status, 'conflict');
      assert.equal(a.baseUnknown, true);
      assert.match(a.reason!, /not in the version store/);
      const c = a.conflicts![0];
      assert.equal(c.base, null);
      // both non-overlapping edits are conflicts, each marked against "no common base"
      assert.equal(c.rendered!.match(/<<<<<<< /g)!.length, 2);
      assert.match(c.rendered!, /\|\|\|\|\|\|\| no common base/);
    });

    it('uses the collection as the exact base when SkillMeat recorded it and it is unchanged (not a fallback)', async () => {
      w = await makeSyncWorld(tmp);
      const collSkill = addSkill(w.collection, 'review', { 'notes.md': lines() });
      writeTree(path.join(w.claude, 'skills', 'review'), { 'SKILL.md': read(collSkill, 'SKILL.md'), 'notes.md': lines() });
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: independentSkillmeatHash(collSkill) })]);
      editLine(path.join(w.claude, 'skills', 'review', 'notes.md'), 2, 'project edit');
      const r = await pull(w, 'merge', ['review']);
      assert.equal(r.artifacts[0].baseSource, 'collection');
      assert.equal(r.artifacts[0].baseUnknown, undefined);
      assert.equal(r.status, 'success');
      assert.match(read(collSkill, 'notes.md'), /project edit/);
    });

    it('uses the project as the exact base when it still equals a SkillMeat baseline', async () => {
      w = await makeSyncWorld(tmp);
      const collSkill = addSkill(w.collection, 'review', { 'notes.md': lines() });
      const projSkill = path.join(w.claude, 'skills', 'review');
      writeTree(projSkill, { 'SKILL.md': read(collSkill, 'SKILL.md'), 'notes.md': lines() });
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash: independentSkillmeatHash(projSkill) })]);
      editLine(path.join(collSkill, 'notes.md'), 2, 'collection edit');
      const r = await update(w, 'merge', ['review']);
      assert.equal(r.artifacts[0].baseSource, 'project');
      assert.match(read(projSkill, 'notes.md'), /collection edit/);
    });
  });

  describe('single-file artifacts (commands and agents) in every strategy', () => {
    const cases: { type: ArtifactType; name: string }[] = [{ type: 'command', name: 'deploy' }, { type: 'command', name: 'ops/release' }, { type: 'agent', name: 'critic' }];
    for (const { type, name } of cases) {
      const setup = async (): Promise<{ proj: string; coll: string }> => {
        w = await makeSyncWorld(tmp);
        const coll = type === 'command' ? addCommand(w.collection, name, lines()) : addAgent(w.collection, name, lines());
        await deploy(w, type, name);
        const proj = path.join(w.claude, type === 'command' ? 'commands' : 'agents', ...`${name}.md`.split('/'));
        editLine(proj, 6, 'project edit');
        editLine(coll, 12, 'collection edit');
        assert.equal(stateOf(check(w), type, name), 'conflict');
        return { proj, coll };
      };
      const run = (direction: SyncDirection, strategy: SyncStrategy, choose?: PromptChoice) =>
        runSync({ project: w.project, env: w.env, store: w.store, direction, strategy, names: [name], ...(choose ? { choose: () => choose } : {}) });

      for (const direction of ['update', 'pull'] as const) {
        it(`${type} ${name}: ${direction} with overwrite`, async () => {
          const { proj, coll } = await setup();
          const winner = read(direction === 'update' ? coll : proj);
          assert.equal((await run(direction, 'overwrite')).status, 'success');
          assert.equal(read(proj), winner);
          assert.equal(read(coll), winner);
          assert.equal(stateOf(check(w), type, name), 'in-sync');
        });

        it(`${type} ${name}: ${direction} with merge`, async () => {
          const { proj, coll } = await setup();
          const [p0, c0] = [read(proj), read(coll)];
          assert.equal((await run(direction, 'merge')).status, 'success');
          // Only the target is written; the baseline is the other side's version, so the target's edit stays drift.
          const [target, untouched] = direction === 'update' ? [proj, coll] : [coll, proj];
          assert.match(read(target), /project edit/);
          assert.match(read(target), /collection edit/);
          assert.equal(read(untouched), direction === 'update' ? c0 : p0);
          assert.equal(stateOf(check(w), type, name), direction === 'update' ? 'modified' : 'outdated');
        });

        it(`${type} ${name}: ${direction} with fork`, async () => {
          const { proj, coll } = await setup();
          const [p0, c0] = [read(proj), read(coll)];
          const r = await run(direction, 'fork');
          assert.equal(r.artifacts[0].forkName, `${name}-fork`);
          const forkInColl = path.join(path.dirname(coll), `${path.basename(name)}-fork.md`);
          assert.equal(read(forkInColl), direction === 'update' ? c0 : p0);
          assert.deepEqual([read(proj), read(coll)], [p0, c0]);
          assert.equal(stateOf(check(w), type, `${name}-fork`), direction === 'update' ? 'in-sync' : 'added');
        });

        for (const choice of ['keep-mine', 'take-theirs', 'merge', 'fork', 'skip'] as const) {
          it(`${type} ${name}: ${direction} with prompt, answering ${choice}`, async () => {
            const { proj, coll } = await setup();
            const [p0, c0] = [read(proj), read(coll)];
            const r = await run(direction, 'prompt', choice);
            assert.equal(r.artifacts[0].choice, choice);
            const next = stateOf(check(w), type, name);
            if (choice === 'skip' || choice === 'fork') {
              assert.deepEqual([read(proj), read(coll), next], [p0, c0, 'conflict']);
              assert.equal(r.artifacts[0].forkName, choice === 'fork' ? `${name}-fork` : undefined);
            } else if (choice === 'merge') {
              assert.equal(next, direction === 'update' ? 'modified' : 'outdated');
            } else {
              // the target keeps or takes as asked; the side a sync does not write is never written
              const mineWins = choice === 'keep-mine';
              if (direction === 'update') {
                assert.equal(read(coll), c0);
                assert.equal(read(proj), mineWins ? p0 : c0);
                assert.equal(next, mineWins ? 'modified' : 'in-sync');
              } else {
                assert.equal(read(proj), p0);
                assert.equal(read(coll), mineWins ? p0 : c0);
                assert.equal(next, mineWins ? 'in-sync' : 'outdated');
              }
            }
          });
        }
      }
    }
  });

  describe('prompt', () => {
    it('shows the merge preview before asking, and is asked once per artifact', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'a', { 'n.md': lines() });
      addSkill(w.collection, 'b', { 'n.md': lines() });
      await deploy(w, 'skill', 'a');
      await deploy(w, 'skill', 'b');
      editLine(path.join(w.claude, 'skills', 'a', 'n.md'), 2, 'mine');
      editLine(path.join(w.collection, 'skills', 'a', 'n.md'), 9, 'theirs');
      editLine(path.join(w.claude, 'skills', 'b', 'n.md'), 2, 'mine');
      editLine(path.join(w.collection, 'skills', 'b', 'n.md'), 2, 'theirs');
      const asked: [string, PromptPreview][] = [];
      const r = await update(w, 'prompt', [], { choose: (a, preview) => { asked.push([a.name, preview]); return 'skip'; } });
      assert.deepEqual(asked.map(([n, p]) => [n, p.merge.clean, p.merge.conflictFiles]), [['a', true, []], ['b', false, ['n.md']]]);
      assert.deepEqual(r.artifacts.map((x) => x.status), ['skipped', 'skipped']);
      assert.equal(r.status, 'no-changes');
    });

    it('needs a choose() callback unless it is a dry run', async () => {
      w = await makeSyncWorld(tmp);
      await assert.rejects(update(w, 'prompt'), /choose\(\)/);
      assert.equal((await update(w, 'prompt', [], { dryRun: true })).status, 'dry-run');
    });
  });

  describe('selection', () => {
    it('skips named artifacts that are not eligible, saying why', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review');
      addSkill(w.collection, 'lint');
      await deploy(w, 'skill', 'review');
      await deploy(w, 'skill', 'lint');
      fs.appendFileSync(path.join(w.collection, 'skills', 'lint', 'SKILL.md'), 'more\n');
      const r = await pull(w, 'merge', ['review', 'lint']);
      assert.deepEqual(r.artifacts.map((a) => [a.name, a.status, a.reason]), [
        ['review', 'skipped', 'already in sync'],
        ['lint', 'skipped', 'only the collection changed: nothing to pull (update the project instead)'],
      ]);
    });

    it('syncs nothing when a name matches no deployed artifact, and names the records files it looked in', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'mine\n');
      const before = contentSnapshot(w.collection);
      const r = await pull(w, 'overwrite', ['review', 'nope']);
      assert.equal(r.status, 'failed');
      assert.deepEqual(r.unknownNames, ['nope']);
      assert.match(r.error!.message, /no deployed artifact named "nope" in .*\.claude\/\.skillmeat-deployed\.toml/);
      assert.deepEqual(contentSnapshot(w.collection), before);
    });

    it('syncs every eligible artifact when no name is given', async () => {
      w = await makeSyncWorld(tmp);
      for (const n of ['a', 'b', 'c']) { addSkill(w.collection, n); await deploy(w, 'skill', n); }
      fs.appendFileSync(path.join(w.claude, 'skills', 'a', 'SKILL.md'), 'mine\n');
      fs.appendFileSync(path.join(w.claude, 'skills', 'c', 'SKILL.md'), 'mine\n');
      const r = await pull(w, 'overwrite');
      assert.deepEqual(r.artifacts.map((a) => a.name), ['a', 'c']);
      assert.deepEqual(check(w).artifacts.map((a) => a.state), ['in-sync', 'in-sync', 'in-sync']);
    });

    it('reports progress: each artifact planned, then written, then the records', async () => {
      w = await makeSyncWorld(tmp);
      for (const n of ['a', 'b']) { addSkill(w.collection, n); await deploy(w, 'skill', n); fs.appendFileSync(path.join(w.claude, 'skills', n, 'SKILL.md'), 'mine\n'); }
      const seen: string[] = [];
      await pull(w, 'merge', [], { onProgress: (p) => seen.push(`${p.phase} ${p.index}/${p.total}${p.artifact ? ` ${p.artifact.name}` : ''}`) });
      assert.deepEqual(seen, ['plan 0/2 a', 'plan 1/2 b', 'write 0/2 a', 'write 1/2 b', 'records 2/2', 'done 2/2']);
    });

    it('works with a store opened from the same directory by another instance', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'mine\n');
      const other = await VersionStore.open(w.storeDir);
      try {
        const r = await runSync({ project: w.project, env: w.env, store: other, direction: 'pull', strategy: 'merge' });
        assert.equal(r.artifacts[0].baseSource, 'store');
        assert.equal(r.status, 'success');
      } finally { other.close(); }
    });
  });
});
