// The `skillmeat-sync` CLI (SPEC §10): JSON shape, exit codes, colour only on a TTY, status, deploy and
// undeploy, and a check that writes nothing anywhere.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { RECORDS_FILE, readRecords } from '../../../src/core/store/deploymentRecords';
import { VersionStore } from '../../../src/core/store/versionStore';
import {
  useTempDirs, makeWorld, addSkill, addCommand, addAgent, deploy, edit, writeTree, snapshotDir, captureIO, skillmeatRecordText,
  writeRecordsFile, independentSkillmeatHash, type World, type CapturedIO,
} from '../helpers';

const ANSI = /\x1b\[/;
const STATES = ['in-sync', 'modified', 'outdated', 'conflict', 'converged', 'added', 'removed', 'deleted', 'untracked', 'invalid'];

describe('cli', () => {
  const tmp = useTempDirs();
  let w: World;
  beforeEach(() => { w = makeWorld(tmp); });

  const run = async (args: string[], opts: { isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; io: CapturedIO; out: string; err: string }> => {
    const io = captureIO({ env: { ...w.env, ...opts.env }, cwd: w.project, isTTY: opts.isTTY });
    const code = await main(args, io);
    return { code, io, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  /** One artifact in each of the ten states, deployed with the version store. */
  const allStates = async (): Promise<void> => {
    const store = await VersionStore.open(path.join(w.home, 'sync'));
    for (const s of ['in-sync', 'modified', 'outdated', 'conflict', 'converged', 'removed', 'deleted']) addSkill(w.collection, s);
    addSkill(w.collection, 'available');
    for (const s of ['in-sync', 'modified', 'outdated', 'conflict', 'converged', 'removed', 'deleted']) await deploy(w, 'skill', s, { store });
    store.close();
    const f = (base: string, name: string) => path.join(base, 'skills', name, 'SKILL.md');
    edit(f(w.claude, 'modified'));
    edit(f(w.collection, 'outdated'));
    edit(f(w.claude, 'conflict'), 'mine');
    edit(f(w.collection, 'conflict'), 'theirs');
    edit(f(w.claude, 'converged'), 'same');
    edit(f(w.collection, 'converged'), 'same');
    fs.rmSync(path.join(w.collection, 'skills', 'removed'), { recursive: true });
    fs.rmSync(path.join(w.claude, 'skills', 'deleted'), { recursive: true });
    addSkill(w.claude, 'untracked');
    const text = fs.readFileSync(path.join(w.claude, RECORDS_FILE), 'utf8');
    fs.writeFileSync(path.join(w.claude, RECORDS_FILE), text + '\n' + skillmeatRecordText({ name: 'invalid', type: 'skill', path: '../../etc', hash: 'a'.repeat(64) }));
  };

  describe('check', () => {
    it('prints JSON in exactly the SPEC §10 shape, with every state name', async () => {
      await allStates();
      const { out, code } = await run(['check', '--json']);
      const doc = JSON.parse(out) as { project: string; artifacts: Record<string, unknown>[] };
      assert.deepEqual(Object.keys(doc), ['project', 'artifacts']);
      assert.equal(doc.project, w.project);
      for (const a of doc.artifacts) {
        assert.deepEqual(Object.keys(a), ['type', 'name', 'root', 'state', 'collectionHash', 'projectHash', 'baselineHash', 'recommendation']);
      }
      const byName = Object.fromEntries(doc.artifacts.map((a) => [a.name, a.state]));
      assert.deepEqual(byName, {
        'in-sync': 'in-sync', modified: 'modified', outdated: 'outdated', conflict: 'conflict', converged: 'converged', available: 'added',
        removed: 'removed', deleted: 'deleted', untracked: 'untracked', invalid: 'invalid',
      });
      assert.deepEqual([...new Set(doc.artifacts.map((a) => a.state))].sort(), [...STATES].sort());
      assert.equal(code, 1);
    });

    it('exits 0 when nothing diverged, even with added, untracked and converged artifacts', async () => {
      addSkill(w.collection, 'available');
      addSkill(w.claude, 'local');
      addSkill(w.collection, 'same');
      await deploy(w, 'skill', 'same');
      edit(path.join(w.collection, 'skills', 'same', 'SKILL.md'), 'x');
      edit(path.join(w.claude, 'skills', 'same', 'SKILL.md'), 'x');
      assert.equal((await run(['check'])).code, 0);
    });

    it('exits 1 with --strict when there are added, untracked or converged artifacts', async () => {
      addSkill(w.collection, 'available');
      assert.equal((await run(['check', '--strict'])).code, 1);
    });

    it('exits 1 when anything diverged', async () => {
      addCommand(w.collection, 'commit');
      await deploy(w, 'command', 'commit');
      edit(path.join(w.claude, 'commands', 'commit.md'));
      assert.equal((await run(['check'])).code, 1);
    });

    it('exits 2 on a malformed records file, naming file and line', async () => {
      writeTree(w.claude, { [RECORDS_FILE]: '[[deployed]]\nartifact_name = "a"\nartifact_type = \n' });
      const { code, err } = await run(['check']);
      assert.equal(code, 2);
      assert.ok(err.includes(`${path.join(w.claude, RECORDS_FILE)}:3`), err);
    });

    it('exits 2 with one error and the records it can name as invalid (never added) on a malformed records file', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const file = path.join(w.claude, RECORDS_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^local_modifications = false$/m, 'local_modifications = = no'));
      const { code, out, err } = await run(['check']);
      assert.equal(code, 2);
      assert.deepEqual(err.split('\n').filter((l) => l.startsWith('error:')).length, 1, err);
      assert.ok(err.includes(`error: ${file}:8`), err);
      assert.match(out, /^invalid\s+skill\s+review\s/m);
      assert.doesNotMatch(out, /^added/m);
      assert.doesNotMatch(out, /Nothing diverged/);
      assert.match(out, /^Check incomplete: 1 error \(above\)\.$/m);
      const doc = JSON.parse((await run(['check', '--json'])).out) as { artifacts: { name: string; state: string }[] };
      assert.deepEqual(doc.artifacts.map((a) => [a.name, a.state]), [['review', 'invalid']]);
      const status = await run(['status']);
      assert.equal(status.code, 2);
      assert.ok(status.err.includes(`error: ${file}:8`), status.err);
      assert.doesNotMatch(status.out, /No deployment records/);
      assert.match(status.out, /^\.claude\s+skill\s+review\s.*invalid: the records file cannot be parsed \(record at line 1\)/m);
    });

    it('exits 2 for a project folder that does not exist, printing no report', async () => {
      addSkill(w.collection, 'review');
      const missing = path.join(tmp(), 'gone');
      for (const args of [['check'], ['check', '--json'], ['status']]) {
        const { code, out, err } = await run([...args, '--project', missing]);
        assert.equal(code, 2, args.join(' '));
        assert.equal(out, '', args.join(' '));
        assert.match(err, new RegExp(`^error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such folder`), args.join(' '));
      }
    });

    it('reports the artifacts of an unreachable collection as unreachable, first, and exits 2', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      addSkill(w.claude, 'local-only');
      fs.renameSync(w.collection, w.collection + '-unmounted');
      const { code, out, err } = await run(['check']);
      assert.equal(code, 2);
      assert.match(err, /^error: Collection "default" is not reachable at /m);
      const table = out.split('\n').filter((l) => /^(unreachable|untracked)\s/.test(l));
      assert.deepEqual(table.map((l) => l.split(/\s+/).slice(0, 3).join(' ')), ['unreachable skill review', 'untracked skill local-only']);
      assert.match(out, /^Check incomplete: 1 artifact unreachable; collection not reachable: .*$/m);
      assert.doesNotMatch(out, /Nothing diverged/);
      const json = await run(['check', '--json']);
      assert.equal(json.code, 2);
      assert.deepEqual((JSON.parse(json.out) as { artifacts: { name: string; state: string }[] }).artifacts.map((a) => [a.name, a.state]), [['review', 'unreachable'], ['local-only', 'untracked']]);
      assert.equal((await run(['check', '--collection', path.join(tmp(), 'nope')])).code, 2, 'a named collection that is missing');
    });

    it('counts in its summary exactly the states it names, with and without --strict', async () => {
      await allStates();
      const plain = (await run(['check'])).out.split('\n');
      assert.ok(plain.includes('6 artifacts diverged: 1 conflict, 1 modified, 1 outdated, 1 deleted, 1 removed, 1 invalid.'), plain.join('\n'));
      assert.ok(plain.includes('Not counted as drift (--strict counts added, untracked and converged): 1 converged, 1 added, 1 untracked, 1 in-sync.'), plain.join('\n'));
      const strict = await run(['check', '--strict']);
      assert.equal(strict.code, 1);
      const lines = strict.out.split('\n');
      assert.ok(lines.includes('9 artifacts diverged: 1 conflict, 1 modified, 1 outdated, 1 deleted, 1 removed, 1 invalid, 1 converged, 1 added, 1 untracked.'), strict.out);
      assert.ok(lines.includes('Not counted as drift: 1 in-sync.'), strict.out);
    });

    it('says "Nothing diverged." alone when nothing did, and --strict then exits 0 too', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const { code, out } = await run(['check', '--strict']);
      assert.equal(code, 0);
      assert.ok(out.split('\n').includes('Nothing diverged.'), out);
    });

    it('shows the same baseline hash as status for each artifact', async () => {
      addSkill(w.collection, 'review');
      addAgent(w.collection, 'by-skillmeat');
      await deploy(w, 'skill', 'review');
      // A record SkillMeat wrote (no tree hash of ours): both show its content_hash, or both the store's tree hash.
      addAgent(w.claude, 'by-skillmeat');
      const text = fs.readFileSync(path.join(w.claude, RECORDS_FILE), 'utf8');
      fs.writeFileSync(path.join(w.claude, RECORDS_FILE), text + '\n' + skillmeatRecordText({ name: 'by-skillmeat', type: 'agent', path: 'agents/by-skillmeat.md', hash: independentSkillmeatHash(path.join(w.claude, 'agents', 'by-skillmeat.md')) }));
      const checked = (JSON.parse((await run(['check', '--json'])).out) as { artifacts: { name: string; baselineHash: string }[] }).artifacts;
      const status = (JSON.parse((await run(['status', '--json'])).out) as { records: { name: string; baselineHash: string }[] }).records;
      assert.deepEqual(status.map((r) => [r.name, r.baselineHash]), ['review', 'by-skillmeat'].map((n) => [n, checked.find((a) => a.name === n)!.baselineHash]));
      const statusText = (await run(['status'])).out;
      const checkText = (await run(['check'])).out;
      for (const n of ['review', 'by-skillmeat']) {
        const short = checked.find((a) => a.name === n)!.baselineHash.slice(0, 8);
        assert.match(statusText, new RegExp(`\\s${n}\\s.*\\s${short}\\s`), statusText);
        assert.match(checkText, new RegExp(`\\s${n}\\s.*\\s${short}\\s`), checkText);
      }
    });

    it('prints no ANSI codes when stdout is not a terminal', async () => {
      await allStates();
      const { out, err } = await run(['check']);
      assert.doesNotMatch(out + err, ANSI);
      assert.match(out, /^STATE\s+TYPE\s+NAME\s+ROOT/m);
    });

    it('colours the states on a terminal, unless NO_COLOR is set', async () => {
      await allStates();
      assert.match((await run(['check'], { isTTY: true })).out, ANSI);
      assert.doesNotMatch((await run(['check'], { isTTY: true, env: { NO_COLOR: '1' } })).out, ANSI);
    });

    it('writes nothing to the project, the home or the collection (also with --json)', async () => {
      await allStates();
      writeRecordsFile(path.join(w.project, '.codex'), [skillmeatRecordText({ name: 'enterprise', type: 'skill', path: 'skills/enterprise', hash: 'v1.2.0' })]);
      addSkill(path.join(w.project, '.codex'), 'enterprise');
      const gemini = path.join(w.project, '.gemini');
      addAgent(w.collection, 'by-skillmeat');
      addAgent(gemini, 'by-skillmeat');
      writeRecordsFile(gemini, [skillmeatRecordText({ name: 'by-skillmeat', type: 'agent', path: 'agents/by-skillmeat.md', hash: independentSkillmeatHash(path.join(gemini, 'agents', 'by-skillmeat.md')) })]);
      const outside = path.dirname(w.project); // holds home/ (with collection and store) and project/
      // Except the check's own stat cache, in the store's folder (issue 13): nothing of the project or a collection.
      const snap = () => new Map([...snapshotDir(outside)].filter(([rel]) => rel !== 'home/sync' && !rel.startsWith('home/sync/stat-cache')));
      const before = snap();
      for (const args of [['check'], ['check', '--json'], ['check', '--strict'], ['status'], ['status', '--json']]) {
        await run(args);
        assert.deepEqual(snap(), before, args.join(' '));
      }
    });

    it('still checks, with a warning, when the version store index is corrupt', async () => {
      addSkill(w.collection, 'review');
      await deploy(w, 'skill', 'review');
      const index = path.join(w.home, 'sync', 'index.sqlite');
      writeTree(path.dirname(index), { 'index.sqlite': 'garbage, not SQLite'.repeat(100) });
      const clean = await run(['check']);
      assert.equal(clean.code, 0);
      assert.match(clean.err, /warning: .*index\.sqlite.*drift is checked without it/);
      edit(path.join(w.claude, 'skills', 'review', 'SKILL.md'));
      assert.equal((await run(['check'])).code, 1);
    });

    it('uses --collection instead of the configured collection', async () => {
      const other = path.join(tmp(), 'elsewhere');
      addSkill(other, 'from-elsewhere');
      const doc = JSON.parse((await run(['check', '--json', '--collection', other])).out) as { artifacts: { name: string; state: string }[] };
      assert.deepEqual(doc.artifacts.map((a) => [a.name, a.state]), [['from-elsewhere', 'added']]);
    });

    it('checks the --project directory', async () => {
      addSkill(w.claude, 'local');
      const io = captureIO({ env: w.env, cwd: tmp() });
      assert.equal(await main(['check', '--json', '--project', w.project], io), 0);
      assert.equal((JSON.parse(io.stdout.join('')) as { project: string }).project, w.project);
    });
  });

  describe('status', () => {
    it('lists the records with their paths and dates', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'git/sync');
      await deploy(w, 'skill', 'review', { now: () => new Date(2026, 0, 2, 3, 4, 5) });
      await deploy(w, 'command', 'git/sync', { now: () => new Date(2026, 0, 2, 3, 4, 5) });
      const { code, out } = await run(['status']);
      assert.equal(code, 0);
      assert.match(out, /^ROOT\s+TYPE\s+NAME\s+DEPLOYED AT\s+COLLECTION\s+BASE\s+PATH$/m);
      assert.ok(out.includes('2026-01-02T03:04:05.000000'), out);
      assert.ok(out.includes(path.join(w.claude, 'skills/review')), out);
      assert.ok(out.includes(path.join(w.claude, 'commands/git/sync.md')), out);
      const doc = JSON.parse((await run(['status', '--json'])).out) as { records: { name: string; type: string }[] };
      assert.deepEqual(doc.records.map((r) => [r.type, r.name]), [['skill', 'review'], ['command', 'git/sync']]);
    });

    it('shows an invalid record with its problem', async () => {
      writeRecordsFile(w.claude, [skillmeatRecordText({ name: 'etc', type: 'skill', path: '../../etc', hash: 'a'.repeat(64) })]);
      const { out } = await run(['status']);
      assert.match(out, /invalid: artifact_path "\.\.\/\.\.\/etc" escapes the profile root/);
    });

    it('exits 2 on a malformed records file', async () => {
      writeTree(w.claude, { [RECORDS_FILE]: 'not toml [' });
      const { code, err } = await run(['status']);
      assert.equal(code, 2);
      assert.ok(err.includes(path.join(w.claude, RECORDS_FILE)));
    });
  });

  describe('deploy and undeploy', () => {
    it('deploys by name, finding the type in the collection', async () => {
      addAgent(w.collection, 'docs-writer');
      const { code, out } = await run(['deploy', 'docs-writer']);
      assert.equal(code, 0);
      assert.match(out, /^deployed agent docs-writer → /);
      assert.ok(fs.existsSync(path.join(w.claude, 'agents', 'docs-writer.md')));
    });

    it('asks for --type when a name exists as several types', async () => {
      addSkill(w.collection, 'review');
      addCommand(w.collection, 'review');
      const { code, err } = await run(['deploy', 'review']);
      assert.equal(code, 1);
      assert.match(err, /--type/);
      assert.equal((await run(['deploy', 'review', '--type', 'command'])).code, 0);
    });

    it('exits 1 and keeps local edits without --force, replaces them with it', async () => {
      addSkill(w.collection, 'review');
      await run(['deploy', 'review']);
      edit(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'mine');
      edit(path.join(w.collection, 'skills', 'review', 'SKILL.md'), 'theirs');
      const refused = await run(['deploy', 'review', '--json']);
      assert.equal(refused.code, 1);
      assert.equal((JSON.parse(refused.out) as { results: { code: string }[] }).results[0].code, 'local-changes');
      assert.match(fs.readFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'utf8'), /mine$/);
      assert.equal((await run(['deploy', 'review', '--force'])).code, 0);
      assert.match(fs.readFileSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'), 'utf8'), /theirs$/);
    });

    it('undeploys, saying where the copy is kept', async () => {
      addSkill(w.collection, 'review');
      await run(['deploy', 'review']);
      const { code, out } = await run(['undeploy', 'review']);
      assert.equal(code, 0);
      assert.match(out, /kept in the version store as [0-9a-f]{12}/);
      assert.equal(readRecords(w.claude).records.length, 0);
      const store = await VersionStore.open(path.join(w.home, 'sync'));
      assert.deepEqual(store.history('.claude:skill:review').map((v) => v.origin), ['undeploy', 'deploy']);
      store.close();
    });
  });

  describe('usage', () => {
    it('exits 2 for an unknown command or option, and without a command', async () => {
      assert.equal((await run(['frobnicate'])).code, 2);
      assert.equal((await run(['check', '--frob'])).code, 2);
      assert.equal((await run([])).code, 2);
    });

    it('prints the usage with --help and exits 0', async () => {
      const { code, out } = await run(['--help']);
      assert.equal(code, 0);
      assert.match(out, /^Usage: skillmeat-sync <command>/m);
    });

    it('refuses an unknown --type or --root', async () => {
      assert.equal((await run(['deploy', 'x', '--type', 'plugin'])).code, 2);
      assert.equal((await run(['deploy', 'x', '--root', '.vscode'])).code, 2);
    });
  });
});
