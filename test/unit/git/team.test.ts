// Two teammates sharing a collection through a git forge (issue 16), on real repositories in temp dirs: a bare
// remote and one clone each, each clone being the teammate's collection in their own SkillMeat home, each with a
// project and a version store. B's store does not hold B's deployed baseline (B deployed on another machine),
// so B's first merge has to find its base in the collection's history.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VersionStore } from '../../../src/core/store/versionStore';
import { runSync, type SyncResult } from '../../../src/core/sync';
import { deployArtifact } from '../../../src/core/sync/deploy';
import { checkDrift } from '../../../src/core/drift/drift';
import { GitError, commit, fastForward, fetch, push } from '../../../src/core/git/git';
import { findBaseInHistory, gitHistoryBaseFinder, type GitBaseStats } from '../../../src/core/git/historyBase';
import { ArtifactHasher, DEFAULT_EXCLUSIONS } from '../../../src/core/drift/hashing';
import { readRecords, viewRecord } from '../../../src/core/store/deploymentRecords';
import { artifactKey } from '../../../src/core/model';
import { captureIO, useTempDirs, writeTree } from '../helpers';
import { main } from '../../../src/cli/main';
import { editLine, lines, read } from '../sync/syncWorld';
import { gitWorld, type GitWorld } from './gitWorld';

interface Teammate { name: string; home: string; collection: string; project: string; env: NodeJS.ProcessEnv; store: VersionStore }

const SKILL = (body: string) => `---\nname: review\ndescription: review for tests\n---\n\n${body}`;

describe('team collections on git: two teammates, one bare remote', () => {
  const tmp = useTempDirs();
  let world: GitWorld;
  let a: Teammate;
  let b: Teammate;

  async function teammate(name: string): Promise<Teammate> {
    const home = path.join(path.dirname(world.remote), `${name}-home`);
    fs.mkdirSync(path.join(home, 'collections'), { recursive: true });
    const collection = world.clone(path.join(`${name}-home`, 'collections', 'team'));
    writeTree(home, { 'config.toml': '[settings]\ndefault-collection = "team"\n' });
    const project = path.join(path.dirname(world.remote), `${name}-project`);
    fs.mkdirSync(project);
    const env = { ...world.env, SKILLMEAT_HOME: home };
    return { name, home, collection, project, env, store: await VersionStore.open(path.join(home, 'sync')) };
  }

  const sync = (t: Teammate, direction: 'update' | 'pull', strategy: 'merge' | 'overwrite'): Promise<SyncResult> =>
    runSync({ project: t.project, env: t.env, store: t.store, direction, strategy, names: ['review'] });
  const skillFile = (root: string) => path.join(root, 'skills', 'review', 'SKILL.md');
  const projectSkill = (t: Teammate) => skillFile(path.join(t.project, '.claude'));

  beforeEach(async () => {
    world = gitWorld(tmp('team'), { 'skills/review/SKILL.md': SKILL(lines(12)), 'collection.toml': '[collection]\nname = "team"\n' });
    a = await teammate('alice');
    b = await teammate('bob');
    for (const t of [a, b]) await deployArtifact({ project: t.project, collectionPath: t.collection, collectionName: 'team', type: 'skill', name: 'review', store: t.store });
    // Bob moves to another machine: his project and its record come along; his version store and the SkillMeat
    // snapshots his deploy wrote into his home do not.
    b.store.close();
    assert.ok(fs.existsSync(path.join(b.home, 'snapshots', 'team')), 'the deploy wrote a SkillMeat snapshot');
    for (const d of ['sync', 'snapshots']) fs.rmSync(path.join(b.home, d), { recursive: true, force: true });
    b.store = await VersionStore.open(path.join(b.home, 'sync'));
  });

  afterEach(() => { a.store.close(); b.store.close(); });

  it('A pulls an edit and pushes; B fetches, updates with the base found in history (a clean three-way merge), pulls and pushes back; nothing is lost', async () => {
    // Alice edits line 3 in her project and pulls it into the collection, then commits exactly the skill and pushes.
    editLine(projectSkill(a), 8, 'line 3 — alice');
    const pulled = await sync(a, 'pull', 'overwrite');
    assert.equal(pulled.status, 'success', JSON.stringify(pulled));
    assert.match(read(skillFile(a.collection)), /line 3 — alice/);
    const aliceCommit = await commit(a.collection, 'Pull review from alice-project', ['skills/review'], { env: a.env });
    await push(a.collection, { env: a.env });

    // Bob edited line 10 meanwhile; he fetches and fast-forwards his collection (never a merge).
    editLine(projectSkill(b), 15, 'line 10 — bob');
    await fetch(b.collection, { env: b.env });
    const ff = await fastForward(b.collection, { env: b.env });
    assert.equal(ff.commits, 1);
    assert.equal(ff.to, aliceCommit);
    assert.equal(checkDrift({ project: b.project, env: b.env, store: b.store }).artifacts.find((x) => x.name === 'review')?.state, 'conflict');

    // His baseline is in neither his store nor on a side: the history holds it (the initial commit).
    // (from a terminal: the CLI says where the base came from, in the dry run too)
    const dry = captureIO({ env: b.env, cwd: b.project });
    assert.equal(await main(['update', 'review', '--strategy', 'merge', '--dry-run'], dry), 0, dry.stderr.join('\n'));
    assert.match(dry.stdout.join('\n'), /would merge\s+skill review \(\.claude\): project ~SKILL\.md\n\s+base found in commit [0-9a-f]{7} \("Initial collection"\)/);
    const io = captureIO({ env: b.env, cwd: b.project });
    const code = await main(['update', 'review', '--strategy', 'merge', '--json'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const updated = JSON.parse(io.stdout.join('\n')) as SyncResult;
    const r = updated.artifacts[0];
    b.store.close(); // the CLI wrote through its own handle: read the store afresh
    b.store = await VersionStore.open(path.join(b.home, 'sync'));
    assert.equal(r.baseSource, 'git');
    assert.match(r.baseOrigin ?? '', /^commit [0-9a-f]{7} \("Initial collection"\)$/);
    assert.equal(r.baseUnknown, undefined);
    const merged = read(projectSkill(b));
    assert.match(merged, /line 3 — alice/);
    assert.match(merged, /line 10 — bob/);
    // the base found is kept: the next merge finds it in the store
    assert.ok(b.store.history(artifactKey('.claude', 'skill', 'review')).some((v) => /^merge base from commit [0-9a-f]{7}/.test(v.note ?? '')));

    // Bob pulls the merged skill into the collection and pushes: the remote now holds both edits.
    const back = await sync(b, 'pull', 'overwrite');
    assert.equal(back.status, 'success', JSON.stringify(back));
    await commit(b.collection, 'Pull review from bob-project', ['skills/review'], { env: b.env });
    await push(b.collection, { env: b.env });
    const remoteText = world.git(world.remote, 'show', 'main:skills/review/SKILL.md');
    assert.match(remoteText, /line 3 — alice/);
    assert.match(remoteText, /line 10 — bob/);

    // Alice committed another edit without fetching: her push is refused and explained, her commit stays.
    editLine(skillFile(a.collection), 6, 'line 1 — alice again');
    const local = await commit(a.collection, 'Another edit', ['skills/review'], { env: a.env });
    await assert.rejects(push(a.collection, { env: a.env }), (e: unknown) => {
      assert.ok(e instanceof GitError);
      assert.equal(e.code, 'push-rejected');
      assert.match(e.message, /fetch|update|remote has/i);
      return true;
    });
    assert.equal(world.git(a.collection, 'rev-parse', 'HEAD'), local, 'the refused commit is still there');
    // and a fast-forward cannot make it disappear either: the histories diverged, git is never asked to merge
    await fetch(a.collection, { env: a.env });
    await assert.rejects(fastForward(a.collection, { env: a.env }), (e: unknown) => e instanceof GitError && e.code === 'diverged');
    assert.equal(world.git(a.collection, 'rev-parse', 'HEAD'), local);
    assert.match(read(skillFile(a.collection)), /line 1 — alice again/);
  });

  it('says nothing when no commit holds the baseline (the honest two-way merge), and searches once: the versions are cached', async () => {
    // Bob's record names content no commit ever had.
    const recordsFile = path.join(b.project, '.claude', '.skillmeat-deployed.toml');
    const text = fs.readFileSync(recordsFile, 'utf8');
    const view = viewRecord(readRecords(path.dirname(recordsFile)).records[0], 0);
    fs.writeFileSync(recordsFile, text.split(view.contentHash!).join('0'.repeat(64)).replace(/tree_hash = "[^"]*"\n?/, ''));
    editLine(projectSkill(b), 15, 'line 10 — bob');
    editLine(skillFile(b.collection), 8, 'line 3 — collection');
    const r = await sync(b, 'update', 'merge');
    assert.equal(r.artifacts[0].baseSource, 'unknown');
    assert.equal(r.artifacts[0].baseUnknown, true);
    assert.equal(fs.readFileSync(projectSkill(b), 'utf8').includes('line 3 — collection'), false, 'nothing merged without a base');

    // the sync's search left its cache under $SKILLMEAT_HOME/sync (never in the project or the collection)
    assert.equal(fs.readdirSync(path.join(b.home, 'sync', 'git-bases')).length, 1);
    assert.equal(world.git(b.collection, 'status', '--porcelain', '--ignored'), 'M skills/review/SKILL.md', 'only the edit of the test: nothing written into the collection');

    // The finder on its own, with a fresh cache: the first search hashes every version, the second none
    const hasher = new ArtifactHasher();
    const cacheDir = tmp('cache');
    const q = { type: 'skill' as const, name: 'review', relPath: 'skills/review', kind: 'dir' as const, collectionDir: b.collection, collectionName: 'team', contentHash: view.contentHash, record: {} };
    const first: GitBaseStats = { commits: 0, versions: 0, hashed: 0, processes: 0 };
    assert.ok(await findBaseInHistory(q, DEFAULT_EXCLUSIONS, { env: b.env, cacheDir }, first));
    assert.equal(first.hashed, first.versions);
    const second: GitBaseStats = { commits: 0, versions: 0, hashed: 0, processes: 0 };
    const again = await findBaseInHistory(q, DEFAULT_EXCLUSIONS, { env: b.env, cacheDir }, second);
    assert.equal(second.hashed, 0);
    assert.match(again!.origin, /^commit [0-9a-f]{7}/);
    // a collection outside any git work tree: no answer, no error
    assert.equal(await gitHistoryBaseFinder({ env: b.env }).find({ ...q, collectionDir: tmp('plain') }, hasher), undefined);
  });
});
