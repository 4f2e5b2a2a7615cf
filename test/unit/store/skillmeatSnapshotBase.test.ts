// A merge base from SkillMeat's own snapshots (issue 16): a project SkillMeat deployed has a record whose
// baseline is in no version store of ours; the finder takes it out of the snapshot tarball whose artifact
// hashes to the record. The first suite replays the recording of the real SkillMeat 0.9.1
// (scripts/peers/record-skillmeat.sh, scenario snapshot-base); the others make snapshots with our own writer
// (what SkillMeat writes, see skillmeatSnapshot.ts) and crafted tarballs with tar-stream.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import tar from 'tar-stream';
import { runSync, type SyncResult } from '../../../src/core/sync';
import { VersionStore } from '../../../src/core/store/versionStore';
import { RECORDS_FILE } from '../../../src/core/store/deploymentRecords';
import { artifactKey } from '../../../src/core/model';
import { writeSkillmeatSnapshot } from '../../../src/core/store/skillmeatSnapshot';
import { SkillmeatSnapshotBaseFinder, SnapshotIndexCache, safeTarParts, SNAPSHOT_INDEX_DIR } from '../../../src/core/store/skillmeatSnapshotBase';
import { ArtifactHasher, skillmeatHash } from '../../../src/core/drift/hashing';
import type { BaseQuery } from '../../../src/core/sync/baseFinders';
import { main } from '../../../src/cli/main';
import { useTempDirs, makeWorld, writeTree, skillmeatRecordText, writeRecordsFile, captureIO, type World } from '../helpers';
import { contentSnapshot, lines, editLine } from '../sync/syncWorld';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'peers', 'skillmeat', 'snapshot-base');

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** The recorded SkillMeat home and project, copied into a temp dir. */
function recorded(tmp: (tag?: string) => string): { home: string; project: string; env: NodeJS.ProcessEnv; skill: string; collSkill: string } {
  const base = tmp('snapfix');
  const home = path.join(base, 'home');
  const project = path.join(base, 'project');
  copyTree(path.join(FIXTURE, 'skillmeat-home'), home);
  copyTree(path.join(FIXTURE, 'project'), project);
  return { home, project, env: { SKILLMEAT_HOME: home }, skill: path.join(project, '.claude', 'skills', 'review', 'SKILL.md'), collSkill: path.join(home, 'collections', 'default', 'skills', 'review', 'SKILL.md') };
}

describe('Merge base from SkillMeat snapshots: the recording of the real SkillMeat', () => {
  const tmp = useTempDirs();
  const stores: VersionStore[] = [];
  afterEach(() => { for (const s of stores.splice(0)) s.close(); });
  const open = async (home: string) => { const s = await VersionStore.open(path.join(home, 'sync')); stores.push(s); return s; };

  it('update --strategy merge merges three-way on the first try, keeps both edits, stores the base; the next merge finds it in the store', async () => {
    const f = recorded(tmp);
    const store = await open(f.home);
    const r = await runSync({ project: f.project, env: f.env, store, direction: 'update', strategy: 'merge', names: ['review'] });
    assert.equal(r.status, 'success', JSON.stringify(r));
    const a = r.artifacts[0];
    assert.equal(a.status, 'synced');
    assert.equal(a.baseSource, 'skillmeat-snapshot');
    assert.equal(a.baseUnknown, undefined);
    assert.match(a.baseOrigin ?? '', /^SkillMeat snapshot [0-9]{8}-[0-9]{6}-[0-9]{6} \("\[auto\] Auto-deploy: review to <TMP>\/project at /);
    const merged = fs.readFileSync(f.skill, 'utf8');
    assert.match(merged, /^line1 collection edit$/m);
    assert.match(merged, /^line4 project edit$/m);
    assert.doesNotMatch(merged, /<<<<<<<|>>>>>>>/);
    // The same as when the recording script ran our CLI right after SkillMeat (its output is recorded too).
    assert.equal(merged, fs.readFileSync(path.join(FIXTURE, 'merged.SKILL.md'), 'utf8'));
    assert.match(fs.readFileSync(path.join(FIXTURE, 'ours.update-merge.txt'), 'utf8'), /merged +skill review \(\.claude\): project ~SKILL\.md\n +base found in SkillMeat snapshot <SNAPSHOT> \("\[auto\] Auto-deploy: review to <TMP>\/project at <TIME>"\)\n[\s\S]*\[exit 0\]/);
    // The base is kept in the version store, said where it came from.
    const base = store.history(artifactKey('.claude', 'skill', 'review')).find((v) => v.note?.startsWith('merge base from SkillMeat snapshot'));
    assert.ok(base, 'the base is in the version store');
    const baseSkill = store.readFile(base.treeHash, 'SKILL.md')!.toString('utf8');
    assert.match(baseSkill, /^line1$/m);
    assert.match(baseSkill, /^line4$/m);
    assert.ok(fs.existsSync(path.join(f.home, 'sync', SNAPSHOT_INDEX_DIR, 'v1.json')), 'the index is persisted under $SKILLMEAT_HOME/sync');

    // The next merge of the project finds its base (the merged baseline) in the store.
    editLine(f.collSkill, 7, 'line2 second collection edit');
    editLine(f.skill, 9, 'line4 second project edit');
    const r2 = await runSync({ project: f.project, env: f.env, store, direction: 'update', strategy: 'merge', names: ['review'] });
    assert.equal(r2.artifacts[0].status, 'synced', JSON.stringify(r2.artifacts[0]));
    assert.equal(r2.artifacts[0].baseSource, 'store');
    assert.equal(r2.artifacts[0].baseOrigin, undefined);
    assert.match(fs.readFileSync(f.skill, 'utf8'), /line1 collection edit\nline2 second collection edit\nline3\nline4 second project edit\n/);
  });

  it('the dry run says where the base is and writes nothing to the project or the collection', async () => {
    const f = recorded(tmp);
    const store = await open(f.home);
    const before = { p: contentSnapshot(f.project), c: contentSnapshot(path.join(f.home, 'collections')), s: contentSnapshot(path.join(f.home, 'snapshots')) };
    const r = await runSync({ project: f.project, env: f.env, store, direction: 'update', strategy: 'merge', names: ['review'], dryRun: true });
    assert.equal(r.artifacts[0].action, 'merge');
    assert.equal(r.artifacts[0].baseSource, 'skillmeat-snapshot');
    assert.deepEqual({ p: contentSnapshot(f.project), c: contentSnapshot(path.join(f.home, 'collections')), s: contentSnapshot(path.join(f.home, 'snapshots')) }, before);
    assert.equal(store.treeByContentHash(/content_hash = "([0-9a-f]{64})"/.exec(fs.readFileSync(path.join(f.project, '.claude', RECORDS_FILE), 'utf8'))![1]), undefined);
  });

  it('the CLI says where the base came from, in text and in JSON', async () => {
    const f = recorded(tmp);
    const io = captureIO({ env: f.env, cwd: f.project });
    assert.equal(await main(['update', 'review', '--strategy', 'merge', '--dry-run', '--json'], io), 0, io.stderr.join('\n'));
    const j = JSON.parse(io.stdout.join('\n')) as { artifacts: { baseSource?: string; baseOrigin?: string }[] };
    assert.equal(j.artifacts[0].baseSource, 'skillmeat-snapshot');
    assert.match(j.artifacts[0].baseOrigin ?? '', /^SkillMeat snapshot [0-9]{8}-[0-9]{6}-[0-9]{6} \("\[auto\] Auto-deploy: review/);
    const io2 = captureIO({ env: f.env, cwd: f.project });
    assert.equal(await main(['update', 'review', '--strategy', 'merge'], io2), 0, io2.stderr.join('\n'));
    assert.match(io2.stdout.join('\n'), /\n {2}merged +skill review \(\.claude\): project ~SKILL\.md\n +base found in SkillMeat snapshot [0-9]{8}-[0-9]{6}-[0-9]{6} \("\[auto\] Auto-deploy: review to <TMP>\/project at [^"]+"\)\n/);
    assert.match(fs.readFileSync(f.skill, 'utf8'), /line1 collection edit[\s\S]*line4 project edit/);
  });
});

/** A project "SkillMeat deployed": the skill copied and a record of SkillMeat's shape with its hash; no store holds it. */
function skillmeatDeployed(w: World): { hash: string; projectFile: string; collFile: string } {
  writeTree(path.join(w.collection, 'skills', 'review'), { 'SKILL.md': lines(), 'ref/guide.md': 'guide\n' });
  fs.cpSync(path.join(w.collection, 'skills', 'review'), path.join(w.claude, 'skills', 'review'), { recursive: true });
  const hash = skillmeatHash(path.join(w.collection, 'skills', 'review'))!;
  writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'review', type: 'skill', path: 'skills/review', hash, extra: `merge_base_snapshot = "${hash}"` })]);
  return { hash, projectFile: path.join(w.claude, 'skills', 'review', 'SKILL.md'), collFile: path.join(w.collection, 'skills', 'review', 'SKILL.md') };
}

let clock = Date.parse('2026-11-30T10:15:00.000Z');
const snapshot = async (w: World, message = 'Auto-deploy: review') => (await writeSkillmeatSnapshot(w.collection, message, new Date((clock += 1000))))!;

/** A gzipped tarball with the given members, for crafted snapshots. */
async function craftTarball(members: { name: string; data?: string; type?: 'file' | 'symlink' | 'link'; linkname?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const m of members) pack.entry({ name: m.name, type: m.type ?? 'file', ...(m.linkname ? { linkname: m.linkname } : {}), mode: 0o644 }, m.data ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return zlib.gzipSync(Buffer.concat(chunks));
}

describe('Merge base from SkillMeat snapshots: which snapshot is used', () => {
  const tmp = useTempDirs();
  let w: World;
  let store: VersionStore;
  let d: ReturnType<typeof skillmeatDeployed>;
  beforeEach(async () => {
    w = makeWorld(tmp);
    d = skillmeatDeployed(w);
    store = await VersionStore.open(path.join(w.home, 'sync'));
  });
  afterEach(() => store.close());

  const editBoth = () => { editLine(d.collFile, 1, 'collection edit'); editLine(d.projectFile, 9, 'project edit'); };
  const update = (dryRun = false): Promise<SyncResult> => runSync({ project: w.project, env: w.env, store, direction: 'update', strategy: 'merge', names: ['review'], dryRun });
  const query = (): BaseQuery => ({ type: 'skill', name: 'review', relPath: 'skills/review', kind: 'dir', collectionDir: w.collection, collectionName: 'default', contentHash: d.hash, record: {} });

  it('the newest snapshot whose artifact hashes to the record wins; a newer one with other content is passed over', async () => {
    const good = await snapshot(w);
    editBoth();
    await snapshot(w, 'Auto-deploy: review after the edit'); // newer, but holds the edited collection
    const r = await update();
    assert.equal(r.artifacts[0].status, 'synced', JSON.stringify(r.artifacts[0]));
    assert.equal(r.artifacts[0].baseOrigin, `SkillMeat snapshot ${good.id} ("[auto] Auto-deploy: review")`);
    const merged = fs.readFileSync(d.projectFile, 'utf8');
    assert.match(merged, /collection edit/);
    assert.match(merged, /project edit/);
  });

  it('a snapshot whose artifact differs, or that lacks it, is not used: the honest two-way merge, base unknown', async () => {
    editLine(d.collFile, 5, 'changed before the snapshot');
    await snapshot(w); // its review hashes to something else
    fs.renameSync(path.join(w.collection, 'skills', 'review'), path.join(w.home, 'review.away'));
    await snapshot(w, 'Auto-deploy: without review');
    fs.renameSync(path.join(w.home, 'review.away'), path.join(w.collection, 'skills', 'review'));
    editLine(d.collFile, 1, 'collection edit');
    editLine(d.projectFile, 9, 'project edit');
    const r = await update(true);
    assert.equal(r.artifacts[0].baseUnknown, true);
    assert.equal(r.artifacts[0].baseSource, 'unknown');
    assert.equal(r.artifacts[0].baseOrigin, undefined);
  });

  it('a corrupt tarball is skipped with a warning naming it; an older good snapshot is still used', async () => {
    const good = await snapshot(w);
    const bad = await snapshot(w, 'Auto-deploy: cut short');
    const bytes = fs.readFileSync(bad.tarball);
    fs.writeFileSync(bad.tarball, bytes.subarray(0, Math.floor(bytes.length / 2)));
    editBoth();
    const r = await update();
    assert.equal(r.artifacts[0].status, 'synced');
    assert.match(r.artifacts[0].baseOrigin ?? '', new RegExp(good.id));
    assert.ok(r.warnings.some((x) => x.file === bad.tarball && x.message.startsWith(`${bad.tarball}: not a readable SkillMeat snapshot`)), JSON.stringify(r.warnings));
  });

  it('crafted members are ignored, never followed: `..`, absolute paths and links; an artifact holding a link is not a base', async () => {
    const dir = path.join(w.home, 'snapshots', 'default');
    const good = await snapshot(w);
    const skill = fs.readFileSync(d.collFile, 'utf8');
    // Newest: the same files as the good one (so its hash would match) plus a link inside the skill.
    const crafted = await snapshot(w, 'Auto-deploy: crafted');
    fs.writeFileSync(crafted.tarball, await craftTarball([
      { name: 'default/skills/review/SKILL.md', data: skill },
      { name: 'default/skills/review/ref/guide.md', data: 'guide\n' },
      { name: 'default/skills/review/passwd', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'default/skills/review/../../../../escaped.md', data: 'x' },
      { name: '/abs/skills/review/SKILL.md', data: 'x' },
    ]));
    editBoth();
    const r = await update();
    assert.equal(r.artifacts[0].status, 'synced');
    assert.match(r.artifacts[0].baseOrigin ?? '', new RegExp(good.id), 'the crafted snapshot is passed over');
    assert.ok(!fs.existsSync(path.join(w.home, 'escaped.md')) && !fs.existsSync(path.join(dir, 'escaped.md')));
    assert.deepEqual(['a/../b', '/a', 'a\\b', 'C:/x', './x/./y', ''].map(safeTarParts), [undefined, undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(safeTarParts('./default/skills/x/'), ['default', 'skills', 'x']);
  });

  it('a crafted member with `..` does not stop the artifact beside it from being found (the member is ignored)', async () => {
    const skill = fs.readFileSync(d.collFile, 'utf8');
    const s = await snapshot(w);
    fs.writeFileSync(s.tarball, await craftTarball([
      { name: 'default/skills/review/SKILL.md', data: skill },
      { name: 'default/skills/review/ref/guide.md', data: 'guide\n' },
      { name: 'default/skills/../../outside.md', data: 'x' },
    ]));
    const found = await new SkillmeatSnapshotBaseFinder({ env: w.env }).find(query(), new ArtifactHasher());
    assert.ok(found);
    assert.deepEqual(found.content.files.map((f) => [f.rel, f.data.toString('utf8')]), [['SKILL.md', skill], ['ref/guide.md', 'guide\n']]);
  });

  it('the index is cached: a second query reads only the tarball it takes the base from, in this process and the next', async () => {
    const good = await snapshot(w);
    editBoth();
    await snapshot(w, 'newer 1');
    await snapshot(w, 'newer 2');
    const cacheDir = path.join(w.home, 'sync', SNAPSHOT_INDEX_DIR);
    const cache = new SnapshotIndexCache(cacheDir);
    const first = new SkillmeatSnapshotBaseFinder({ env: w.env, cache });
    assert.match((await first.find(query(), new ArtifactHasher()))?.origin ?? '', new RegExp(good.id));
    assert.equal(first.tarballsRead, 4, 'three tarballs indexed, then the good one read again to take the skill out');
    const second = new SkillmeatSnapshotBaseFinder({ env: w.env, cache });
    assert.ok(await second.find(query(), new ArtifactHasher()));
    assert.equal(second.tarballsRead, 1);
    // Another process: the index persisted in $SKILLMEAT_HOME/sync/snapshot-index.
    const third = new SkillmeatSnapshotBaseFinder({ env: w.env, cache: new SnapshotIndexCache(cacheDir) });
    assert.ok(await third.find(query(), new ArtifactHasher()));
    assert.equal(third.tarballsRead, 1);
    // A hash no snapshot has: nothing is read at all.
    const none = new SkillmeatSnapshotBaseFinder({ env: w.env, cache });
    assert.equal(await none.find({ ...query(), contentHash: 'f'.repeat(64) }, new ArtifactHasher()), undefined);
    assert.equal(none.tarballsRead, 0);
    // One finder parses a snapshots.toml once for all the artifacts it is asked about, and again once it changed —
    // but every time while it changed too recently for its stat to tell (the default: 2 s; it was just written).
    const recent = new SkillmeatSnapshotBaseFinder({ env: w.env, cache });
    for (let i = 0; i < 2; i++) assert.ok(await recent.find(query(), new ArtifactHasher()));
    assert.equal(recent.listsParsed, 2);
    const many = new SkillmeatSnapshotBaseFinder({ env: w.env, cache, racyMs: -60_000 });
    for (let i = 0; i < 3; i++) assert.ok(await many.find(query(), new ArtifactHasher()));
    assert.equal(many.listsParsed, 1);
    await snapshot(w, 'newest');
    assert.ok(await many.find(query(), new ArtifactHasher()));
    assert.equal(many.listsParsed, 2, 'a snapshot SkillMeat added since is seen');
    // A tarball that changed (size or mtime) is indexed again.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(good.tarball, later, later);
    const fourth = new SkillmeatSnapshotBaseFinder({ env: w.env, cache });
    assert.ok(await fourth.find(query(), new ArtifactHasher()));
    assert.equal(fourth.tarballsRead, 2);
  });

  it('bounded: past the cap on snapshots or on bytes inflated per query, no base is found (never an error)', async () => {
    await snapshot(w);
    editBoth();
    await snapshot(w, 'newer');
    const hasher = new ArtifactHasher();
    const cacheDir = path.join(tmp('cache'), 'idx');
    const warnings: string[] = [];
    const q = { ...query(), warn: (m: string) => { warnings.push(m); } };
    assert.equal(await new SkillmeatSnapshotBaseFinder({ env: w.env, cache: new SnapshotIndexCache(cacheDir), maxSnapshots: 1 }).find(q, hasher), undefined);
    assert.deepEqual(warnings.splice(0), ['the merge base of skills/review was searched for in the newest 1 of 2 SkillMeat snapshots of "default" only (the limit per merge)']);
    assert.equal(await new SkillmeatSnapshotBaseFinder({ env: w.env, cache: new SnapshotIndexCache(cacheDir), maxInflatedBytes: 1024 }).find(q, hasher), undefined);
    assert.deepEqual(warnings.splice(0), ['the search for the merge base of skills/review in SkillMeat\'s snapshots of "default" stopped after 1024 bytes inflated (the limit per merge); older snapshots were not read']);
    // A tarball cut short by the cap is not remembered as unreadable: with room, it is read and used.
    assert.ok(await new SkillmeatSnapshotBaseFinder({ env: w.env, cache: new SnapshotIndexCache(cacheDir) }).find(q, hasher));
    assert.deepEqual(warnings, []);
  });
});
