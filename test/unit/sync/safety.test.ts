// Safety of a sync: a failure part-way puts every artifact, record and lock entry back byte for byte;
// another writer's records survive a rollback; undo restores the last sync on both sides; a dry run
// writes nothing; collection.lock is updated in SkillMeat's format without touching anything else.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, updateRecords, viewRecord, serializeRecord } from '../../../src/core/store/deploymentRecords';
import { acquireLockSync } from '../../../src/core/store/fsutil';
import { artifactKey } from '../../../src/core/model';
import { completeMerge, undoLastSync } from '../../../src/core/sync';
import { useTempDirs, addSkill, addCommand, stateOf, snapshotDir, independentSkillmeatHash } from '../helpers';
import { makeSyncWorld, deploy, check, pull, update, read, write, lines, editLine, contentSnapshot, type SyncWorld } from './syncWorld';

function skillmeatLock(entries: { key: string; hash: string }[]): string {
  return ['[lock]', 'version = "1.0.0"', '', ...entries.flatMap((e) => [
    `[lock.entries."${e.key}"]`, `content_hash = "${e.hash}"`, 'fetched = "2026-01-02T03:04:05.123456"', `upstream = "https://github.com/example/skills/tree/main/${e.key.split('::')[0]}"`, '',
  ])].join('\n');
}

/** Three skills and a command, deployed, each edited on both sides in different places (clean merges). */
async function threeWayWorld(tmp: (tag?: string) => string): Promise<SyncWorld> {
  const w = await makeSyncWorld(tmp);
  for (const n of ['alpha', 'beta', 'gamma']) addSkill(w.collection, n, { 'notes.md': lines() });
  addCommand(w.collection, 'ship', lines());
  fs.writeFileSync(path.join(w.collection, 'collection.lock'), skillmeatLock([
    ...['alpha', 'beta', 'gamma'].map((n) => ({ key: `${n}::skill`, hash: independentSkillmeatHash(path.join(w.collection, 'skills', n)) })),
    { key: 'ship::command', hash: independentSkillmeatHash(path.join(w.collection, 'commands', 'ship.md')) },
  ]));
  for (const n of ['alpha', 'beta', 'gamma']) {
    await deploy(w, 'skill', n);
    editLine(path.join(w.claude, 'skills', n, 'notes.md'), 2, `${n}: project edit`);
    editLine(path.join(w.collection, 'skills', n, 'notes.md'), 9, `${n}: collection edit`);
  }
  await deploy(w, 'command', 'ship');
  return w;
}

function both(w: SyncWorld) {
  return { project: contentSnapshot(w.project), collection: contentSnapshot(w.collection) };
}

describe('sync safety', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  afterEach(() => w?.store.close());

  describe('rollback', () => {
    it('a failure in the middle of a 3-artifact sync leaves files, records and collection.lock byte-identical', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      const recordsText = read(w.claude, '.skillmeat-deployed.toml');
      const lockText = read(w.collection, 'collection.lock');
      const r = await pull(w, 'merge', [], { faults: { afterArtifact: (i) => { if (i === 1) throw new Error('disk full (injected)'); } } });
      assert.equal(r.status, 'failed');
      assert.equal(r.error!.message, 'disk full (injected)');
      assert.deepEqual(r.rollbackProblems, []);
      assert.deepEqual(r.artifacts.map((a) => [a.name, a.status]), [['alpha', 'failed'], ['beta', 'failed'], ['gamma', 'failed']]);
      assert.equal(read(w.claude, '.skillmeat-deployed.toml'), recordsText);
      assert.equal(read(w.collection, 'collection.lock'), lockText);
      assert.deepEqual(both(w), before);
      assert.deepEqual(check(w).artifacts.filter((a) => a.type === 'skill').map((a) => a.state), ['conflict', 'conflict', 'conflict']);
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'nothing');
    });

    it('a failure after the forks are written, before their records, removes them again', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      const r = await update(w, 'fork', [], { faults: { beforeRecords: () => { throw new Error('killed (injected)'); } } });
      assert.equal(r.status, 'failed');
      assert.deepEqual(both(w), before);
    });

    it('keeps a record another writer added during the sync when rolling back', async () => {
      w = await threeWayWorld(tmp);
      const beforeViews = readRecords(w.claude).records.map((r) => serializeRecord(r));
      const r = await pull(w, 'merge', [], {
        faults: {
          afterRecords: async () => {
            await updateRecords(w.claude, (f) => { f.records.push({ fields: { artifact_name: 'other', artifact_type: 'agent', from_collection: 'default', deployed_at: '2026-01-01T00:00:00', artifact_path: 'agents/other.md', content_hash: 'cd'.repeat(32), local_modifications: false } }); });
            throw new Error('boom');
          },
        },
      });
      assert.equal(r.status, 'failed');
      const after = readRecords(w.claude).records;
      assert.deepEqual(after.slice(0, beforeViews.length).map((x) => serializeRecord(x)), beforeViews);
      assert.deepEqual(after.map(viewRecord).map((v) => v.name), ['alpha', 'beta', 'gamma', 'ship', 'other']);
    });

    it('fails clearly and changes nothing when another writer holds the records file', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      const release = acquireLockSync(path.join(w.claude, '.skillmeat-deployed.toml'));
      try {
        const r = await pull(w, 'merge', ['alpha'], { lock: { timeoutMs: 30 } });
        assert.equal(r.status, 'failed');
        assert.equal(r.error!.code, 'ELOCKED');
        assert.match(r.error!.message, /\.skillmeat-deployed\.toml\.lock is held by another writer/);
      } finally { release(); }
      assert.deepEqual(both(w), before);
    });
  });

  describe('undo', () => {
    it('restores the last sync: both sides, the records and collection.lock', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      const r = await pull(w, 'merge');
      assert.equal(r.status, 'success');
      assert.notDeepEqual(both(w), before);
      const u = await undoLastSync({ project: w.project, store: w.store });
      assert.equal(u.status, 'undone');
      assert.equal(u.operation, 'pull');
      assert.deepEqual(u.artifacts.map((a) => a.name), ['alpha', 'beta', 'gamma']);
      assert.deepEqual(both(w), before);
      assert.deepEqual(check(w).artifacts.filter((a) => a.type === 'skill').map((a) => a.state), ['conflict', 'conflict', 'conflict']);
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'nothing');
    });

    it('removes forks it created, with their records', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      await update(w, 'fork', ['alpha']);
      assert.ok(fs.existsSync(path.join(w.claude, 'skills', 'alpha-fork')));
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'undone');
      assert.deepEqual(both(w), before);
    });

    it('undoes an accepted merge', async () => {
      w = await threeWayWorld(tmp);
      editLine(path.join(w.claude, 'skills', 'beta', 'notes.md'), 9, 'mine');
      const before = both(w);
      const r = await update(w, 'merge', ['beta']);
      const pm = r.artifacts[0].pendingMerge!;
      await completeMerge({ pending: pm, resolved: { 'notes.md': lines() }, store: w.store });
      // Finished in the project only; the collection's version is the new baseline.
      assert.equal(stateOf(check(w), 'skill', 'beta'), 'modified');
      assert.equal((await undoLastSync({ project: w.project, store: w.store })).status, 'undone');
      assert.deepEqual(both(w), before);
    });

    it('refuses when a path changed after the sync, and with force stores that change before undoing', async () => {
      w = await threeWayWorld(tmp);
      const before = both(w);
      await pull(w, 'merge', ['alpha']);
      const edited = path.join(w.collection, 'skills', 'alpha', 'notes.md');
      fs.appendFileSync(edited, 'written after the sync\n');
      const afterEdit = both(w);
      const refused = await undoLastSync({ project: w.project, store: w.store });
      assert.equal(refused.status, 'refused');
      assert.deepEqual(refused.changedSince, [{ side: 'collection', path: path.join(w.collection, 'skills', 'alpha') }]);
      assert.deepEqual(both(w), afterEdit);
      const forced = await undoLastSync({ project: w.project, store: w.store, force: true });
      assert.equal(forced.status, 'undone');
      assert.deepEqual(both(w), before);
      const kept = w.store.history(artifactKey('.claude', 'skill', 'alpha')).find((h) => h.note?.includes('replaced by undo'));
      assert.ok(kept);
      assert.match(w.store.readFile(kept.treeHash, 'notes.md')!.toString(), /written after the sync/);
    });
  });

  describe('dry run', () => {
    for (const direction of ['update', 'pull'] as const) {
      for (const strategy of ['overwrite', 'merge', 'fork', 'prompt'] as const) {
        it(`${direction} --strategy ${strategy} --dry-run writes nothing anywhere (project, collection, store)`, async () => {
          w = await threeWayWorld(tmp);
          editLine(path.join(w.claude, 'skills', 'gamma', 'notes.md'), 9, 'overlapping');
          const snap = () => ({ project: Object.fromEntries(snapshotDir(w.project)), home: Object.fromEntries(snapshotDir(w.home)) });
          const before = snap();
          const r = await (direction === 'update' ? update : pull)(w, strategy, [], { dryRun: true });
          assert.equal(r.status, 'dry-run');
          assert.equal(r.artifacts.length, 3);
          if (strategy !== 'prompt') assert.ok(r.artifacts.every((a) => a.writes.length > 0 || a.status === 'conflict'), JSON.stringify(r.artifacts.map((a) => a.status)));
          assert.deepEqual(snap(), before);
        });
      }
    }

    it('plans the same writes the real sync makes', async () => {
      w = await threeWayWorld(tmp);
      const dry = await pull(w, 'merge', [], { dryRun: true });
      const real = await pull(w, 'merge');
      const shape = (r: typeof dry) => r.artifacts.map((a) => [a.name, a.action, a.writes.map((x) => [x.side, x.path, x.change, x.files]), a.recordChanges, a.lockFiles]);
      assert.deepEqual(shape(dry), shape(real));
    });
  });

  describe('collection.lock', () => {
    it('gets the new content_hash of a pulled artifact, and nothing else in it changes', async () => {
      w = await threeWayWorld(tmp);
      const before = read(w.collection, 'collection.lock');
      const r = await pull(w, 'merge', ['beta']);
      assert.deepEqual(r.artifacts[0].lockFiles, [path.join(w.collection, 'collection.lock')]);
      const after = read(w.collection, 'collection.lock');
      const newHash = independentSkillmeatHash(path.join(w.collection, 'skills', 'beta'));
      const diff = after.split('\n').map((l, i) => [l, before.split('\n')[i]]).filter(([a, b]) => a !== b);
      assert.deepEqual(diff.map(([a]) => a), [`content_hash = "${newHash}"`]);
    });

    it('is left alone by an update that writes only the project', async () => {
      w = await threeWayWorld(tmp);
      const lock = fs.statSync(path.join(w.collection, 'collection.lock'));
      await update(w, 'overwrite');
      const now = fs.statSync(path.join(w.collection, 'collection.lock'));
      assert.deepEqual([now.mtimeMs, now.ino], [lock.mtimeMs, lock.ino]);
    });

    it('gains an entry for a fork pulled into the collection', async () => {
      w = await threeWayWorld(tmp);
      await pull(w, 'fork', ['alpha']);
      assert.match(read(w.collection, 'collection.lock'), new RegExp(`\\n\\[lock\\.entries\\."alpha-fork::skill"\\]\\ncontent_hash = "${independentSkillmeatHash(path.join(w.collection, 'skills', 'alpha-fork'))}"\\nfetched = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}"\\n$`));
    });

    it('is not created when the collection has none', async () => {
      w = await threeWayWorld(tmp);
      fs.rmSync(path.join(w.collection, 'collection.lock'));
      assert.equal((await pull(w, 'merge')).status, 'success');
      assert.ok(!fs.existsSync(path.join(w.collection, 'collection.lock')));
    });

    it('when it cannot be parsed, is left untouched with a warning naming it, and the pull still succeeds', async () => {
      w = await threeWayWorld(tmp);
      write(path.join(w.collection, 'collection.lock'), '[lock\nbroken = \n');
      const r = await pull(w, 'merge', ['alpha']);
      assert.equal(r.status, 'success');
      assert.equal(read(w.collection, 'collection.lock'), '[lock\nbroken = \n');
      assert.ok(r.warnings.some((x) => x.file === path.join(w.collection, 'collection.lock') && /collection\.lock:\d+: invalid TOML/.test(x.message)), JSON.stringify(r.warnings));
    });
  });
});
