// The capture service of SPEC §6 end to end: watcher events in, versions in the real version store out,
// driven by a fake clock and a fake timer (no sleeps, no real timers).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { artifactForPath, batchSlackMs, CaptureService } from '../../../src/core/history/capture';
import { DEFAULT_EXCLUSIONS } from '../../../src/core/drift/hashing';
import { artifactKey } from '../../../src/core/model';
import { VersionStore } from '../../../src/core/store/versionStore';
import { useTempDirs, skillMd, writeTree } from '../helpers';
import { makeCaptureWorld, type CaptureWorld, S, MIN, HOUR, DAY, T0 } from './world';

const REVIEW = artifactKey('.claude', 'skill', 'review');
const COMMIT = artifactKey('.claude', 'command', 'commit');

/** Runs the start-up re-scan at `at` (it captures the initial content as `rescan`). */
async function startAt(w: CaptureWorld, at: number): Promise<void> {
  w.time.t = at;
  w.service.start();
  await w.time.advanceTo(at, w.service);
}

async function rows(w: CaptureWorld, key = REVIEW) {
  return w.service.history(key);
}

describe('capture service', () => {
  const tmp = useTempDirs();

  describe('mapping a changed path to its artifact', () => {
    const project = '/p';
    const roots = ['.claude', '.codex'];
    const map = (rel: string) => artifactForPath(project, roots, path.join(project, rel), DEFAULT_EXCLUSIONS)?.key;

    it('maps any file inside a skill directory to the skill', () => {
      assert.equal(map('.claude/skills/review/SKILL.md'), REVIEW);
      assert.equal(map('.claude/skills/review/scripts/deep/run.sh'), REVIEW);
      assert.equal(map('.claude/skills/review'), REVIEW);
      assert.equal(map('.codex/skills/review/SKILL.md'), artifactKey('.codex', 'skill', 'review'));
    });

    it('maps command and agent files, namespaces included, to themselves', () => {
      assert.equal(map('.claude/commands/commit.md'), COMMIT);
      assert.equal(map('.claude/commands/git/sync-branch.md'), artifactKey('.claude', 'command', 'git/sync-branch'));
      assert.equal(map('.claude/agents/planner.md'), artifactKey('.claude', 'agent', 'planner'));
    });

    it('ignores junk, staging copies of the product, other roots and files outside artifacts', () => {
      for (const rel of [
        '.claude/skills/review/.SKILL.md.swp', '.claude/skills/review/.DS_Store', '.claude/skills/review/__pycache__/x.pyc',
        '.claude/skills/.review.deploy-12-ab', '.claude/skills/review/.SKILL.md.123.abcd.tmp', '.claude/commands/notes.txt',
        '.claude/.skillmeat-deployed.toml', '.gemini/skills/review/SKILL.md', 'src/index.ts', '../outside/.claude/skills/x/SKILL.md',
        '.claude/commands/.commit.md.4.aa.tmp',
      ]) assert.equal(map(rel), undefined, rel);
    });
  });

  describe('quiet window', () => {
    it('captures once, a quiet window after the last of several changes', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      w.write('skills/review/SKILL.md', skillMd('review', 'one'));
      w.time.t = T0 + 20 * S;
      w.write('skills/review/SKILL.md', skillMd('review', 'two'));
      // the end of the restarted window, plus a little slack so artifacts ending together share one transaction
      const due = T0 + 50 * S + batchSlackMs(w.service.getSettings());
      assert.equal(w.time.nextAt(), due, 'the timer is set for the end of the restarted window');
      await w.time.advanceTo(T0 + 49 * S, w.service);
      assert.deepEqual((await rows(w)).map((r) => r.origin), ['rescan'], 'nothing captured before the window ends');
      await w.time.advanceTo(due, w.service);
      const h = await rows(w);
      assert.deepEqual(h.map((r) => [r.origin, r.status]), [['edit', 'captured'], ['rescan', 'captured']]);
      assert.equal(h[0].at, new Date(due).toISOString());
      assert.match(w.store.readFile(h[0].treeHash, 'SKILL.md')!.toString(), /two/);
      assert.equal(h[0].project, w.project, 'captures name their project');
    });
  });

  describe('rate limit', () => {
    it('stores the 11th change of an hour as rate_limited without its content, and captures it when the hour frees', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0 - 2 * HOUR);
      for (let i = 0; i < 11; i++) {
        w.time.t = T0 + i * MIN;
        w.write('skills/review/SKILL.md', skillMd('review', `edit ${i}`));
        await w.time.advanceTo(T0 + i * MIN + 32 * S, w.service); // quiet window + batching slack
      }
      let h = await rows(w);
      assert.deepEqual(h.slice(0, 11).map((r) => r.status), ['rate_limited', ...Array(10).fill('captured')]);
      const limited = h[0];
      assert.equal(limited.stored, false);
      assert.equal(w.store.getTree(limited.treeHash), undefined, 'the rate-limited content is not in the store');

      // The slot of the hour's first capture frees an hour after it, and a timer fires by then.
      const frees = Date.parse(h[10].at) + HOUR;
      assert.ok(w.time.nextAt()! <= frees, 'a timer fires by the time the hour frees');
      await w.time.advanceTo(frees - 1, w.service);
      assert.equal((await rows(w))[0].id, limited.id, 'still waiting');
      await w.time.advanceTo(frees + batchSlackMs(w.service.getSettings()), w.service);
      h = await rows(w);
      assert.deepEqual([h[0].status, h[0].origin, h[0].supersedes], ['captured', 'edit', limited.id]);
      assert.match(w.store.readFile(h[0].treeHash, 'SKILL.md')!.toString(), /edit 10/);
    });

    it('keeps the hourly window across a restart (the policy state is in the store)', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0 - 2 * HOUR);
      for (let i = 0; i < 10; i++) {
        w.time.t = T0 + i * MIN;
        w.write('skills/review/SKILL.md', skillMd('review', `edit ${i}`));
        await w.time.advanceTo(T0 + i * MIN + 32 * S, w.service); // quiet window + batching slack
      }
      const again = await w.restart();
      w.time.t = T0 + 15 * MIN;
      again.start();
      w.write('skills/review/SKILL.md', skillMd('review', 'after the restart'));
      await w.time.advanceTo(T0 + 16 * MIN, again);
      assert.equal((await again.history(REVIEW))[0].status, 'rate_limited');
    });
  });

  describe('dedup', () => {
    it('records identical content as skipped-duplicate and stores nothing new', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      w.write('skills/review/SKILL.md', skillMd('review', 'A'));
      await w.time.advanceTo(T0 + MIN, w.service);
      const trees = w.store.diskUsage().blobCount;
      w.time.t = T0 + 2 * MIN;
      w.write('skills/review/SKILL.md', skillMd('review', 'A')); // saved again, same bytes
      await w.time.advanceTo(T0 + 3 * MIN, w.service);
      const h = await rows(w);
      assert.deepEqual(h.map((r) => r.status), ['skipped-duplicate', 'captured', 'captured']);
      assert.equal(h[0].treeHash, h[1].treeHash);
      assert.equal(w.store.diskUsage().blobCount, trees);
    });

    it('does not capture again at start-up what the store already holds (a deploy, a capture by the CLI)', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      const again = await w.restart();
      w.time.t = T0 + HOUR;
      // a fresh policy state, as in a new window on another machine sharing the store
      const s = await VersionStore.open(w.storeDir);
      await s.transact((st) => st.setMeta(again.stateKey, '{}'));
      s.close();
      again.start();
      await w.time.advanceTo(T0 + HOUR, again);
      assert.deepEqual((await again.history(REVIEW)).map((r) => r.origin), ['rescan']);
    });
  });

  describe('own writes', () => {
    it('never records the product\'s own writes as user edits', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      const dir = w.skillDir('review');
      await w.service.ownWrite([dir], 'sync', () => {
        // the sync writes both files; the watcher reports them while it runs and just after
        w.write('skills/review/SKILL.md', skillMd('review', 'merged'));
        w.write('skills/review/checklist.md', '- merged\n');
      });
      w.time.t += 500;
      w.write('skills/review/SKILL.md', skillMd('review', 'merged')); // a late echo
      await w.time.advanceTo(T0 + 5 * MIN, w.service);
      const h = await rows(w);
      assert.deepEqual(h.map((r) => r.origin), ['rescan'], 'the sync stored its own version; nothing was captured as an edit');

      // what the sync wrote is now the known content: saving it unchanged is a duplicate, editing it is captured
      w.time.t = T0 + 10 * MIN;
      w.write('skills/review/SKILL.md', skillMd('review', 'merged, then edited'));
      await w.time.advanceTo(T0 + 11 * MIN, w.service);
      assert.deepEqual((await rows(w)).map((r) => `${r.origin}:${r.status}`), ['edit:captured', 'rescan:captured']);
    });

    it('labels a user edit made just after an own write\'s grace as an edit, not as the writer\'s', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      await w.service.ownWrite([w.skillDir('review')], 'restore', () => w.write('skills/review/SKILL.md', skillMd('review', 'restored')));
      w.write('skills/review/SKILL.md', skillMd('review', 'restored')); // the watcher's echo, within the grace
      w.time.t = T0 + 2 * S + 100; // the grace (2 s) has ended, but the wake that settles it has not run yet
      assert.ok(w.service.ownWriteActive(REVIEW));
      w.write('skills/review/SKILL.md', skillMd('review', 'typed by the user'));
      await w.time.advanceTo(T0 + 2 * MIN, w.service);
      assert.ok(!w.service.ownWriteActive(REVIEW));
      const h = await rows(w);
      assert.deepEqual(h.map((r) => `${r.origin}:${r.status}`), ['edit:captured', 'rescan:captured']);
      assert.match(w.store.readFile(h[0].treeHash, 'SKILL.md')!.toString(), /typed by the user/);
    });

    it('captures a generator\'s output with its own origin when the writer does not store it', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      await w.service.ownWrite([path.join(w.skillDir('review'), 'MEMORY.md')], 'generator', () => {
        w.write('skills/review/MEMORY.md', '# memory\n');
      }, { stored: false });
      await w.time.advanceTo(T0 + 5 * MIN, w.service);
      assert.deepEqual((await rows(w)).map((r) => `${r.origin}:${r.status}`), ['generator:captured', 'rescan:captured']);
    });
  });

  describe('bursts', () => {
    it('turns a 1 000-file checkout into one capture per artifact, in one store transaction', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      const before = w.transactions();
      const names = ['a', 'b', 'c'];
      for (let i = 0; i < 1000; i++) {
        w.time.t = T0 + MIN + Math.floor(i * 3); // 1 000 files over 3 s
        if (i % 4 === 3) w.write('commands/commit.md', `---\ndescription: commit\n---\n\nversion ${i}\n`);
        else w.write(`skills/${names[i % 4]}/file-${i}.md`, `file ${i}\n`);
      }
      await w.time.advanceTo(T0 + 10 * MIN, w.service);
      assert.equal(w.transactions() - before, 1, 'one transaction for the whole burst');
      for (const n of names) {
        const h = await w.service.history(artifactKey('.claude', 'skill', n));
        assert.deepEqual(h.map((r) => r.origin), ['edit'], n);
        assert.equal(w.store.getTree(h[0].treeHash)!.files.length, 250, `${n} captured with all its files`);
      }
      assert.deepEqual((await w.service.history(COMMIT)).map((r) => r.origin), ['edit', 'rescan']);
    });
  });

  describe('background re-scan', () => {
    it('catches a change made while nothing was watching', async () => {
      const w = await makeCaptureWorld(tmp(), { rescanIntervalMs: 5 * MIN });
      await startAt(w, T0);
      w.service.dispose(); // VS Code closed
      w.write('commands/commit.md', '---\ndescription: commit\n---\n\nEdited in another editor.\n', { watched: false });
      const again = await w.restart();
      w.time.t = T0 + 2 * HOUR;
      again.start();
      await w.time.advanceTo(T0 + 2 * HOUR, again);
      assert.deepEqual((await again.history(COMMIT)).map((r) => r.origin), ['rescan', 'rescan']);
      assert.deepEqual((await again.history(REVIEW)).map((r) => r.origin), ['rescan'], 'unchanged artifacts are not captured again');

      // and while running, without a watcher event: the next periodic re-scan finds it
      w.write('skills/review/checklist.md', '- only on disk\n', { watched: false });
      await w.time.advanceTo(T0 + 2 * HOUR + 6 * MIN, again);
      assert.deepEqual((await again.history(REVIEW)).map((r) => r.origin), ['rescan', 'rescan']);
    });
  });

  describe('restore', () => {
    it('restores a skill directory exactly, keeps what was there, and can itself be undone', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      const first = (await rows(w))[0];
      const dir = w.skillDir('review');
      w.write('skills/review/SKILL.md', skillMd('review', 'rewritten'));
      w.write('skills/review/extra.md', 'new file\n');
      fs.rmSync(path.join(dir, 'checklist.md'));
      w.service.noteFileChange(path.join(dir, 'checklist.md'));
      fs.writeFileSync(path.join(dir, '.DS_Store'), 'junk'); // not part of any version
      w.time.t = T0 + 2 * MIN;
      w.write('skills/review/SKILL.md', skillMd('review', 'rewritten twice')); // not captured yet
      const edited = fs.readFileSync(path.join(dir, 'SKILL.md'), 'utf8');

      const r = await w.service.restore(REVIEW, first.id);
      assert.equal(r.unchanged, false);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.DS_Store', 'SKILL.md', 'checklist.md']);
      assert.equal(fs.readFileSync(path.join(dir, 'SKILL.md'), 'utf8'), skillMd('review', 'Review the diff.'));
      const h = await rows(w);
      assert.deepEqual(h.slice(0, 2).map((x) => [x.origin, x.note]), [['restore', `restored from #${first.id}`], ['restore', `before restoring #${first.id}`]]);
      assert.equal(r.previousVersion, h[1].id);
      assert.equal(r.restoredVersion, h[0].id);

      // the watcher's echo of the restore is not an edit
      w.service.noteFileChange(path.join(dir, 'SKILL.md'));
      await w.time.advanceTo(T0 + 10 * MIN, w.service);
      assert.equal((await rows(w))[0].id, h[0].id);

      // undo: restore the version kept before the restore
      await w.service.restore(REVIEW, r.previousVersion!);
      assert.equal(fs.readFileSync(path.join(dir, 'SKILL.md'), 'utf8'), edited);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['.DS_Store', 'SKILL.md', 'extra.md']);
    });

    it('loses nothing when the version store cannot be written: the edit stays in place or in the history', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      const first = (await rows(w))[0];
      const file = path.join(w.skillDir('review'), 'SKILL.md');
      w.write('skills/review/SKILL.md', skillMd('review', 'an edit not captured yet'));
      const edit = fs.readFileSync(file, 'utf8');
      // The disk fills up at the first write of the store's index log after the restore starts (ENOSPC).
      const logFds = new Set<number>();
      // The module object itself (the namespace import above is read-only); the product's modules read through to it.
      const mutable = module.require('node:fs') as { openSync: typeof fs.openSync; writeSync: typeof fs.writeSync };
      const { openSync, writeSync } = mutable;
      mutable.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
        const fd = (openSync as (...a: unknown[]) => number)(p, ...rest);
        if (String(p).endsWith('index.log')) logFds.add(fd);
        return fd;
      }) as typeof fs.openSync;
      mutable.writeSync = ((fd: number, ...rest: unknown[]) => {
        if (logFds.has(fd)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
      }) as typeof fs.writeSync;
      try {
        await assert.rejects(w.service.restore(REVIEW, first.id), /ENOSPC/);
      } finally {
        mutable.openSync = openSync;
        mutable.writeSync = writeSync;
      }
      const kept = fs.readFileSync(file, 'utf8') === edit;
      const store = await VersionStore.open(w.storeDir);
      const inHistory = store.history(REVIEW).some((v) => { const t = store.getTree(v.treeHash); return !!t && t.files.some((f) => f.rel === 'SKILL.md' && store.readBlob(f.blob).toString() === edit); });
      store.close();
      assert.ok(kept || inHistory, 'the edit is neither on disk nor in the version store');
    });

    it('restores a single-file artifact and refuses a version whose content was never stored', async () => {
      const w = await makeCaptureWorld(tmp(), { maxCapturesPerHour: 1 });
      await startAt(w, T0 - 2 * HOUR);
      const file = path.join(w.project, '.claude/commands/commit.md');
      const original = fs.readFileSync(file, 'utf8');
      w.time.t = T0;
      w.write('commands/commit.md', 'one\n');
      await w.time.advanceTo(T0 + MIN, w.service);
      w.write('commands/commit.md', 'two\n');
      await w.time.advanceTo(T0 + 2 * MIN, w.service);
      const h = await w.service.history(COMMIT);
      assert.deepEqual(h.map((x) => x.status), ['rate_limited', 'captured', 'captured']);
      await assert.rejects(w.service.restore(COMMIT, h[0].id), /rate-limited, so its content was never stored/);
      await assert.rejects(w.service.restore(REVIEW, h[1].id), /belongs to \.claude:command:commit/);
      await w.service.restore(COMMIT, h[2].id);
      assert.equal(fs.readFileSync(file, 'utf8'), original);
    });
  });

  describe('retention', () => {
    it('prunes only old, unpinned capture records whose content is no baseline or sync snapshot, and their blobs', async () => {
      // no automatic pruning on the way, so the test sees every day's capture
      const w = await makeCaptureWorld(tmp(), { retentionMs: 7 * DAY, maxCapturesPerHour: 100 }, { pruneIntervalMs: 365 * DAY });
      await startAt(w, T0);
      for (let day = 1; day <= 9; day++) {
        w.time.t = T0 + day * DAY;
        w.write('skills/review/SKILL.md', skillMd('review', `day ${day}`));
        await w.time.advanceTo(T0 + day * DAY + MIN, w.service);
      }
      const h = await rows(w); // newest first: day 9 … day 1, rescan
      const byDay = (d: number) => h[9 - d];
      assert.match(w.store.readFile(byDay(2).treeHash, 'SKILL.md')!.toString(), /day 2/);

      // day 1 is the deployed baseline (a record SkillMeat wrote: content_hash only), day 2 is pinned,
      // day 3 is also the content of a pre-sync snapshot
      const baseline = w.store.getTree(byDay(1).treeHash)!;
      writeTree(path.join(w.project, '.claude'), {
        '.skillmeat-deployed.toml': `[[deployed]]\nartifact_name = "review"\nartifact_type = "skill"\nfrom_collection = "default"\ndeployed_at = "2026-01-01T00:00:00"\nartifact_path = "skills/review"\ncontent_hash = "${baseline.contentHash}"\nlocal_modifications = false\n`,
      });
      await w.service.setPinned(byDay(2).id, true);
      await w.store.transact((s) => s.addVersion({ artifactKey: REVIEW, treeHash: byDay(3).treeHash, origin: 'pre-sync', note: 'replaced by sync' }));

      w.time.t = T0 + 12 * DAY; // entries before day 5 are past the 7 days
      const dry = await w.service.prune({ dryRun: true });
      const expected = [h[9].id, byDay(4).id].sort(); // the start-up rescan and day 4
      assert.deepEqual(dry.entries.map((e) => e.id).sort(), expected);
      assert.equal(dry.deleted, undefined);
      assert.ok(w.store.version(byDay(4).id), 'a dry run deletes nothing');

      const blobOf = (id: number) => w.store.getTree(h.find((x) => x.id === id)!.treeHash)!.files.find((f) => f.rel === 'SKILL.md')!.blob;
      const day4Blob = path.join(w.store.blobDir, blobOf(byDay(4).id).slice(0, 2), blobOf(byDay(4).id).slice(2));
      const baselineBlob = blobOf(byDay(1).id);
      const r = await w.service.prune();
      assert.deepEqual(r.entries.map((e) => e.id).sort(), expected);
      assert.equal(r.deleted!.versions, 2);
      assert.ok(!fs.existsSync(day4Blob), 'the blob only day 4 used is gone');
      assert.ok(fs.existsSync(path.join(w.store.blobDir, baselineBlob.slice(0, 2), baselineBlob.slice(2))), 'the baseline blob stays');
      const left = (await rows(w)).map((x) => x.id);
      for (const d of [1, 2, 3, 5, 6, 7, 8, 9]) assert.ok(left.includes(byDay(d).id), `day ${d} kept`);

      // the newest capture is kept however old it is
      w.time.t = T0 + 100 * DAY;
      await w.service.prune();
      assert.ok((await rows(w)).some((x) => x.id === byDay(9).id));
    });

    it('refuses to prune when a deployment record cannot be read (its baselines are unknown)', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      writeTree(path.join(w.project, '.claude'), { '.skillmeat-deployed.toml': '[[deployed]\nbroken' });
      w.time.t = T0 + 30 * DAY;
      await assert.rejects(w.service.prune(), /\.skillmeat-deployed\.toml cannot be parsed, so nothing was pruned/);
    });
  });

  describe('history listing', () => {
    it('shows the size of each change against the previous stored version', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      w.write('skills/review/checklist.md', '- tests\n- docs\n- changelog\n- security\n');
      await w.time.advanceTo(T0 + MIN, w.service);
      w.write('skills/review/checklist.md', '- tests\n- changelog\n- security\n');
      w.write('skills/review/notes.md', 'a\nb\n');
      await w.time.advanceTo(T0 + 2 * MIN, w.service);
      const h = await rows(w);
      assert.equal(h[2].change, undefined, 'the first version has nothing to compare with');
      assert.deepEqual(h[1].change, { linesAdded: 2, linesRemoved: 0, binaryBytes: 0, filesAdded: 0, filesRemoved: 0, filesChanged: 1 });
      assert.deepEqual(h[0].change, { linesAdded: 2, linesRemoved: 1, binaryBytes: 0, filesAdded: 1, filesRemoved: 0, filesChanged: 1 });
      assert.equal(h[0].previousId, h[1].id);
    });

    it('shows a pending capture while its quiet window runs', async () => {
      const w = await makeCaptureWorld(tmp());
      await startAt(w, T0);
      w.write('skills/review/SKILL.md', 'x');
      assert.deepEqual(w.service.pending(REVIEW), { artifactKey: REVIEW, dueAt: T0 + 30 * S, origin: 'edit' });
      assert.equal(w.service.pending(COMMIT), undefined);
    });
  });

  it('survives a store that fails: nothing is lost, the capture is retried', async () => {
    const w = await makeCaptureWorld(tmp());
    const errors: unknown[] = [];
    const svc = await w.restart({ onError: (e) => errors.push(e) });
    await startAt(w, T0);
    const store = await svc.versionStore();
    const real = store.transact.bind(store);
    let fail = true;
    store.transact = ((fn) => (fail ? Promise.reject(new Error('disk full')) : real(fn))) as VersionStore['transact'];
    w.write('skills/review/SKILL.md', skillMd('review', 'kept despite the failure'));
    await w.time.advanceTo(T0 + MIN, svc);
    assert.equal(errors.length, 1);
    fail = false;
    await w.time.advanceTo(T0 + 3 * MIN, svc);
    const h = await svc.history(REVIEW);
    assert.equal(h[0].origin, 'edit');
    assert.match(store.readFile(h[0].treeHash, 'SKILL.md')!.toString(), /kept despite the failure/);
  });

  it('is usable without a scheduler (the CLI): capture now, then list', async () => {
    const w = await makeCaptureWorld(tmp());
    w.service.dispose();
    const svc = new CaptureService({ project: w.project, store: await VersionStore.open(w.storeDir), now: () => T0 });
    const recorded = await svc.captureNow([COMMIT]);
    assert.deepEqual(recorded.map((r) => [r.artifact.key, r.entry.status]), [[COMMIT, 'captured']]);
    assert.equal((await svc.captureNow()).length, 2, 'every artifact of the project when none is named');
  });
});
