// `skillmeat-sync history / restore / capture / prune` (SPEC §6, §10) against a real project and store.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { VersionStore } from '../../../src/core/store/versionStore';
import { useTempDirs, makeWorld, addSkill, addCommand, deploy, captureIO, skillMd, type World } from '../helpers';

describe('cli: history, restore, capture, prune', () => {
  const tmp = useTempDirs();
  let w: World;
  beforeEach(async () => {
    w = makeWorld(tmp);
    addSkill(w.collection, 'review', { 'checklist.md': '- tests\n' });
    addCommand(w.collection, 'commit');
    const store = await VersionStore.open(path.join(w.home, 'sync'));
    await deploy(w, 'skill', 'review', { store });
    await deploy(w, 'command', 'commit', { store });
    store.close();
  });

  const run = async (args: string[]) => {
    const io = captureIO({ env: w.env, cwd: w.project });
    const code = await main(args, io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };
  const skillFile = () => path.join(w.claude, 'skills', 'review', 'SKILL.md');

  it('captures the named artifact now and lists it in its history, newest first', async () => {
    fs.writeFileSync(skillFile(), skillMd('review', 'edited in a terminal'));
    const c = await run(['capture', 'review']);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /^captured skill review as #\d+$/);
    const h = await run(['history', 'review']);
    assert.equal(h.code, 0, h.err);
    const lines = h.out.split('\n');
    assert.match(lines[0], /^History of skill review \(\.claude\) in .*, newest first:$/);
    assert.match(lines[1], /^ID\s+TIME\s+ORIGIN\s+STATUS\s+CHANGE\s+NOTE$/);
    assert.match(lines[2], /^#\d+\s+\S+ \S+\s+edit\s+captured\s+\+1 −1$/);
    assert.match(lines[3], /^#\d+\s+\S+ \S+\s+deploy\s+captured\s+first version$/);
  });

  it('says when the store already has the content (here: the deployed version)', async () => {
    const first = await run(['capture', 'commit']);
    assert.match(first.out, /command commit: unchanged, the version store already has this content \(recorded as #\d+\)/);
    fs.appendFileSync(path.join(w.claude, 'commands', 'commit.md'), 'edited\n');
    assert.match((await run(['capture', 'commit'])).out, /^captured command commit as #\d+$/);
    assert.match((await run(['capture', 'commit'])).out, /unchanged/);
  });

  it('prints the history as JSON with ids, origins, statuses and change sizes', async () => {
    fs.appendFileSync(skillFile(), 'one more line\n');
    await run(['capture', 'review']);
    const h = await run(['history', 'review', '--json']);
    const j = JSON.parse(h.out);
    assert.equal(j.artifact.key, '.claude:skill:review');
    assert.deepEqual(j.versions.map((v: { origin: string }) => v.origin), ['edit', 'deploy']);
    assert.deepEqual(j.versions[0].change, { linesAdded: 1, linesRemoved: 0, binaryBytes: 0, filesAdded: 0, filesRemoved: 0, filesChanged: 1 });
    assert.equal(j.versions[0].previousId, j.versions[1].id);
    assert.equal(j.versions[0].stored, true);
  });

  it('restores a version, keeping the replaced content so the restore can be undone', async () => {
    const original = fs.readFileSync(skillFile(), 'utf8');
    const deployed = JSON.parse((await run(['history', 'review', '--json'])).out).versions[0].id as number;
    fs.writeFileSync(skillFile(), 'local rewrite\n');
    const r = await run(['restore', 'review', `#${deployed}`]);
    assert.equal(r.code, 0, r.err);
    assert.equal(fs.readFileSync(skillFile(), 'utf8'), original);
    const kept = /kept as #(\d+) \(undo: skillmeat-sync restore review (\d+)\)/.exec(r.out);
    assert.ok(kept, r.out);
    const undo = await run(['restore', 'review', kept[2]]);
    assert.equal(undo.code, 0, undo.err);
    assert.equal(fs.readFileSync(skillFile(), 'utf8'), 'local rewrite\n');
  });

  it('restores by a tree hash prefix', async () => {
    const v = JSON.parse((await run(['history', 'commit', '--json'])).out).versions[0];
    fs.writeFileSync(path.join(w.claude, 'commands', 'commit.md'), 'changed\n');
    const r = await run(['restore', 'commit', v.treeHash.slice(0, 10), '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).restoredFrom, v.id);
  });

  it('names what is wrong: unknown artifact, unknown version, ambiguous name, bad VERSION', async () => {
    const unknown = await run(['history', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no artifact named "nope" in .* and no versions of one/);
    const missing = await run(['restore', 'review', '9999']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /version #9999 is not in the version store/);
    addCommand(w.claude, 'review');
    const ambiguous = await run(['history', 'review']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, /"review" names several artifacts \(skill in \.claude, command in \.claude\); choose one with --type/);
    assert.equal((await run(['history', 'review', '--type', 'skill'])).code, 0);
    const bad = await run(['restore', 'review', 'latest']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /VERSION must be a version id/);
  });

  it('prunes nothing young, previews with --dry-run, and refuses a bad retention', async () => {
    await run(['capture']);
    const dry = await run(['prune', '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /Nothing to prune: no capture record of .* is older than 7 days/);
    const bad = await run(['prune', '--retention-days', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--retention-days must be between 1 and 3650 days, not 0/);
    const json = JSON.parse((await run(['prune', '--json'])).out);
    assert.deepEqual([json.dryRun, json.entries, json.retentionDays], [false, [], 7]);
  });

  it('prune also deletes stored content that no version uses any more (left by a killed prune), and only that', async () => {
    await run(['capture']);
    const blobs = path.join(w.home, 'sync', 'blobs');
    const files = () => fs.readdirSync(blobs).flatMap((d) => fs.readdirSync(path.join(blobs, d)).map((n) => d + n)).sort();
    const used = files();
    assert.ok(used.length > 0);
    // What a prune killed after its index commit leaves: content files no tree names. One is an hour old, one new.
    const orphan = (hex: string, ageMs: number) => {
      const p = path.join(blobs, hex.slice(0, 2), hex.slice(2));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, `orphan ${hex}`);
      const t = new Date(Date.now() - ageMs);
      fs.utimesSync(p, t, t);
      return hex;
    };
    orphan('ab'.repeat(32), 3_600_000);
    const young = orphan('cd'.repeat(32), 0);
    const r = await run(['prune']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 stored file \(\d+ bytes\) no version uses any more \(left by an interrupted write\) were deleted/);
    assert.deepEqual(files(), [...used, young].sort(), 'the old orphan is gone; every used blob and the young one stay');
    assert.equal((await run(['history', 'review', '--json'])).code, 0);
  });

  it('lists history of a deleted artifact from the store', async () => {
    fs.rmSync(path.join(w.claude, 'skills', 'review'), { recursive: true });
    const h = await run(['history', 'review', '--json']);
    assert.equal(h.code, 0, h.err);
    assert.deepEqual(JSON.parse(h.out).versions.map((v: { origin: string }) => v.origin), ['deploy']);
  });
});
