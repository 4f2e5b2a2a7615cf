// Compatibility with the real SkillMeat 0.9 (SPEC §13, issue 10), against what it wrote and printed when
// scripts/peers/record-skillmeat.sh ran it (test/fixtures/peers/skillmeat/). Each scenario is replayed here
// from the recorded collection; what this product writes must equal the recording byte for byte (after the
// script's normalisation), and the recorded verdicts of SkillMeat on those files are asserted too. SkillMeat
// itself is not needed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parse } from 'smol-toml';
import { serializeRecord, RECORDS_FILE } from '../../../src/core/store/deploymentRecords';
import { deployArtifact } from '../../../src/core/sync/deploy';
import { runSync } from '../../../src/core/sync';
import { checkDrift } from '../../../src/core/drift/drift';
import { VersionStore } from '../../../src/core/store/versionStore';
import { useTempDirs, makeWorld, type World } from '../helpers';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'peers', 'skillmeat');
const AT = new Date('2026-01-02T03:04:05.006Z');

const fixture = (...p: string[]): string => fs.readFileSync(path.join(FIXTURES, ...p), 'utf8');

/** The recording script's normalisation of timestamps (temp paths do not occur in the compared files). */
function normalise(text: string): string {
  return text.replace(/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?/g, '<TIME>');
}

/** Puts a recorded file back with a real timestamp where the recording has <TIME>. */
function denormalise(text: string): string {
  return text.replace(/<TIME>/g, '2026-01-01T00:00:00.000001');
}

function copyTree(from: string, to: string, only?: (rel: string) => boolean, rel = ''): void {
  for (const d of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) copyTree(from, to, only, r);
    else if (!only || only(r)) {
      fs.mkdirSync(path.dirname(path.join(to, r)), { recursive: true });
      fs.writeFileSync(path.join(to, r), fs.readFileSync(path.join(from, r)));
    }
  }
}

function files(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((d) => {
    const r = rel ? `${rel}/${d.name}` : d.name;
    return d.isDirectory() ? files(dir, r) : [r];
  }).sort();
}

/** A SkillMeat home whose default collection is the one SkillMeat's init and add made in the recording. */
function recordedWorld(tmp: (tag?: string) => string): World {
  const w = makeWorld(tmp);
  const src = path.join(FIXTURES, 'skillmeat-deploys', 'collection');
  copyTree(src, w.collection, (r) => !r.endsWith('.toml') && !r.endsWith('.lock'));
  for (const f of ['collection.toml', 'collection.lock']) fs.writeFileSync(path.join(w.collection, f), denormalise(fixture('skillmeat-deploys', 'collection', f)));
  return w;
}

const deployAll = async (w: World, store?: VersionStore) => {
  for (const [type, name] of [['skill', 'review'], ['command', 'commit'], ['agent', 'helper']] as const) {
    await deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type, name, now: () => AT, store });
  }
};

const records = (w: World) => normalise(fs.readFileSync(path.join(w.claude, RECORDS_FILE), 'utf8'));

/** The members of a .tar.gz (ustar / pax), name → content, enough to see what a SkillMeat snapshot holds. */
function untar(file: string): Map<string, Buffer> {
  const buf = zlib.gunzipSync(fs.readFileSync(file));
  const out = new Map<string, Buffer>();
  let longName: string | undefined;
  for (let off = 0; off + 512 <= buf.length;) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/, ''), 8);
    const type = String.fromCharCode(h[156]);
    const name = longName ?? h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const data = buf.subarray(off + 512, off + 512 + size);
    longName = undefined;
    if (type === 'x') longName = /path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
    else if (type === '0') out.set(name, Buffer.from(data));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** Scenarios 4 and 5: we deploy review, then line3 is edited in the project. */
async function deployedAndEditedInProject(tmp: (tag?: string) => string): Promise<{ w: World; store: VersionStore }> {
  const w = recordedWorld(tmp);
  const store = await VersionStore.open(path.join(w.home, 'sync'));
  await deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type: 'skill', name: 'review', now: () => AT, store });
  const md = path.join(w.claude, 'skills', 'review', 'SKILL.md');
  fs.writeFileSync(md, fs.readFileSync(md, 'utf8').replace('line3', 'line3 project edit'));
  return { w, store };
}

describe('the real SkillMeat 0.9, from recordings', () => {
  const tmp = useTempDirs();

  it('writes a record byte for byte as tomli_w writes it (a tab stays raw, control characters as \\uXXXX)', () => {
    const fields = JSON.parse(fixture('tomli-w', 'fields.json')) as Record<string, unknown>;
    assert.equal(serializeRecord({ fields }), fixture('tomli-w', 'record.toml'));
  });

  it('SkillMeat deploys, we check: every artifact in sync', () => {
    const w = recordedWorld(tmp);
    fs.mkdirSync(w.claude, { recursive: true });
    fs.writeFileSync(path.join(w.claude, RECORDS_FILE), denormalise(fixture('skillmeat-deploys', 'deployed.toml')));
    const copied = fixture('skillmeat-deploys', 'review.files.txt').trim().split('\n');
    copyTree(path.join(w.collection, 'skills', 'review'), path.join(w.claude, 'skills', 'review'), (r) => copied.includes(r));
    copyTree(w.collection, w.claude, (r) => r.startsWith('commands/') || r.startsWith('agents/'));
    const report = checkDrift({ project: w.project, env: w.env });
    assert.deepEqual(report.artifacts.map((a) => [a.name, a.state]), [['review', 'in-sync'], ['commit', 'in-sync'], ['helper', 'in-sync']]);
  });

  it("we deploy: the files SkillMeat's deploy copies, and the records recorded, SkillMeat's own fields equal to its deploy's", async () => {
    const w = recordedWorld(tmp);
    await deployAll(w);
    assert.deepEqual(files(path.join(w.claude, 'skills', 'review')), fixture('skillmeat-deploys', 'review.files.txt').trim().split('\n'));
    assert.equal(records(w), fixture('we-deploy', 'deployed.toml'));
    const ours = (parse(records(w)) as { deployed: Record<string, unknown>[] }).deployed;
    const theirs = (parse(fixture('we-deploy', 'skillmeat.deployed.toml')) as { deployed: Record<string, unknown>[] }).deployed;
    for (const [i, t] of theirs.entries()) {
      for (const k of ['artifact_name', 'artifact_type', 'from_collection', 'artifact_path', 'content_hash', 'local_modifications', 'merge_base_snapshot', 'deployment_profile_id', 'platform', 'profile_root_dir', 'collection_sha']) {
        assert.deepEqual(ours[i][k], t[k], `${String(t.artifact_name)}: ${k}`);
      }
    }
    // What SkillMeat said about those files when it ran (its sync-check scans skills only: commands and
    // agents show as "removed" whoever deployed them — a SkillMeat defect, SPEC §12).
    assert.match(fixture('we-deploy', 'skillmeat.status.txt'), /Synced \(3\):\n {2}review::skill\n {2}commit::command\n {2}helper::agent\n\[exit 0\]/);
    assert.doesNotMatch(fixture('we-deploy', 'skillmeat.sync-check.txt'), /"name": "review"/);
  });

  it('we update a SkillMeat deployment: the record recorded, SkillMeat finds no drift', async () => {
    const w = recordedWorld(tmp);
    const store = await VersionStore.open(path.join(w.home, 'sync'));
    fs.mkdirSync(w.claude, { recursive: true });
    // SkillMeat's record of its own deploy of review (the first record of its recorded file).
    const smRecords = denormalise(fixture('skillmeat-deploys', 'deployed.toml')).split(/\n(?=\[\[deployed\]\])/)[0].replace(/\n*$/, '\n');
    fs.writeFileSync(path.join(w.claude, RECORDS_FILE), smRecords);
    const copied = fixture('skillmeat-deploys', 'review.files.txt').trim().split('\n');
    copyTree(path.join(w.collection, 'skills', 'review'), path.join(w.claude, 'skills', 'review'), (r) => copied.includes(r));
    const skill = path.join(w.collection, 'skills', 'review');
    fs.writeFileSync(path.join(skill, 'SKILL.md'), fs.readFileSync(path.join(skill, 'SKILL.md'), 'utf8').replace('line2', 'line2 collection edit'));
    fs.writeFileSync(path.join(skill, 'draft.tmp'), 'scratch 2\n');
    const r = await runSync({ project: w.project, env: w.env, store, direction: 'update', strategy: 'overwrite', names: ['review'], now: () => AT });
    assert.equal(r.status, 'success');
    assert.equal(records(w), fixture('we-update', 'deployed.toml'));
    assert.deepEqual(files(path.join(w.claude, 'skills', 'review')), fixture('we-update', 'review.files.txt').trim().split('\n'));
    assert.match(fixture('we-update', 'skillmeat.sync-check.txt'), /"drift_count": 0/);
    assert.match(fixture('we-update', 'skillmeat.status.txt'), /Synced \(1\):\n {2}review::skill/);
  });

  it('we pull: the record and collection.lock recorded, SkillMeat finds no drift', async () => {
    const { w, store } = await deployedAndEditedInProject(tmp);
    const r = await runSync({ project: w.project, env: w.env, store, direction: 'pull', strategy: 'overwrite', names: ['review'], now: () => AT });
    assert.equal(r.status, 'success');
    assert.equal(records(w), fixture('we-pull', 'deployed.toml'));
    assert.equal(normalise(fs.readFileSync(path.join(w.collection, 'collection.lock'), 'utf8')), fixture('we-pull', 'collection.lock'));
    assert.match(fixture('we-pull', 'skillmeat.sync-check.txt'), /"drift_count": 0/);
  });

  it('we fork: the fork is registered in collection.toml as recorded, and SkillMeat lists and deploys it', async () => {
    const { w, store } = await deployedAndEditedInProject(tmp);
    const r = await runSync({ project: w.project, env: w.env, store, direction: 'pull', strategy: 'fork', names: ['review'], now: () => AT });
    assert.equal(r.status, 'success');
    const manifest = normalise(fs.readFileSync(path.join(w.collection, 'collection.toml'), 'utf8'));
    assert.equal(manifest, fixture('we-fork', 'collection.toml'));
    assert.equal(normalise(fs.readFileSync(path.join(w.collection, 'collection.lock'), 'utf8')), fixture('we-fork', 'collection.lock'));
    assert.match(fixture('we-fork', 'skillmeat.list.txt'), /│ review-fork │ skill {3}│ local/);
    assert.match(fixture('we-fork', 'skillmeat.deploy-fork.txt'), /"status": "success"[^]*"artifact": "review-fork"[^]*\[exit 0\]/);
  });

  it("our deploy leaves a SkillMeat snapshot holding the baseline, so SkillMeat's sync-pull merge keeps both sides' edits", async () => {
    const w = recordedWorld(tmp);
    await deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type: 'skill', name: 'review', now: () => AT });
    const dir = path.join(w.home, 'snapshots', 'default');
    const meta = parse(fs.readFileSync(path.join(dir, 'snapshots.toml'), 'utf8')) as { snapshots: { id: string; tarball_path: string; artifact_count: number }[] };
    assert.equal(meta.snapshots.length, 1);
    assert.equal(meta.snapshots[0].artifact_count, 3);
    const tar = untar(meta.snapshots[0].tarball_path);
    assert.deepEqual(tar.get('default/skills/review/SKILL.md'), fs.readFileSync(path.join(w.collection, 'skills', 'review', 'SKILL.md')));
    // Recorded: on our record SkillMeat found that base and kept both edits (conflict markers around both,
    // as on its own record: its merge is whole-file, SPEC §12).
    for (const who of ['ours', 'skillmeat']) {
      const merged = fixture(`merge-on-${who}-record`, 'merged.SKILL.md');
      assert.match(merged, /line1 collection edit/, who);
      assert.match(merged, /line4 project edit/, who);
    }
    assert.equal(fixture('merge-on-ours-record', 'merged.SKILL.md'), fixture('merge-on-skillmeat-record', 'merged.SKILL.md'));
  });

  it('interleaved writes of both tools lose no record', () => {
    const recs = (parse(fixture('interleaved', 'deployed.toml')) as { deployed: { artifact_name: string }[] }).deployed.map((r) => r.artifact_name);
    assert.deepEqual(recs, ['review', 'commit']);
    assert.match(fixture('interleaved', 'skillmeat.status.txt'), /Synced \(2\):\n {2}review::skill\n {2}commit::command/);
    assert.match(fixture('interleaved', 'ours.check.txt'), /"name": "review",\n\s*"root": ".claude",\n\s*"state": "in-sync"[^]*"name": "commit",\n\s*"root": ".claude",\n\s*"state": "in-sync"/);
  });
});
