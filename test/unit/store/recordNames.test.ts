// A record's name and path are input (issue 12): a crafted `artifact_name` or `artifact_path` must make the record
// invalid, and nothing may be written outside the profile root or the collection — checked again where paths are
// built, not only when records are read.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { main } from '../../../src/cli/main';
import { viewRecord, readRecords, RECORDS_FILE, type DeploymentRecord } from '../../../src/core/store/deploymentRecords';
import { artifactPath, UnsafeNameError } from '../../../src/core/drift/discovery';
import { isSafeArtifactName, TYPE_DIRS, ARTIFACT_TYPES, type ArtifactType } from '../../../src/core/model';
import { isInside } from '../../../src/core/store/fsutil';
import { useTempDirs, addSkill, captureIO, stateOf, snapshotDir } from '../helpers';
import { makeSyncWorld, deploy, check, lines, editLine, type SyncWorld } from '../sync/syncWorld';

const HASH = 'ab'.repeat(32);
const record = (fields: Record<string, unknown>): DeploymentRecord => ({ fields: { artifact_type: 'skill', content_hash: HASH, ...fields } });

describe('record names and paths', () => {
  describe('a record that would lead outside its folder is invalid', () => {
    const escaping: [string, Record<string, unknown>][] = [
      ['a name with ..', { artifact_name: '../../../../../tmp/x', artifact_path: 'skills/good' }],
      ['an absolute name', { artifact_name: '/tmp/x', artifact_path: 'skills/good' }],
      ['a skill name with a slash', { artifact_name: 'a/b', artifact_path: 'skills/good' }],
      ['a name with a NUL', { artifact_name: 'x\u0000y', artifact_path: 'skills/good' }],
      ['a name with a backslash', { artifact_name: 'x\\..\\y', artifact_path: 'skills/good' }],
      ['a name with a newline', { artifact_name: 'x\ny', artifact_path: 'skills/good' }],
      ['the path skills/.', { artifact_name: 'good', artifact_path: 'skills/.' }],
      ['the path skills/ with a dot name and no artifact_name', { artifact_path: 'skills/.' }],
      ['a command path through ..', { artifact_type: 'command', artifact_name: 'x', artifact_path: 'commands/a/../../x.md' }],
      ['a command path with an empty part', { artifact_type: 'command', artifact_name: 'x', artifact_path: 'commands/a//x.md' }],
      ['an agent path with a subfolder', { artifact_type: 'agent', artifact_name: 'x', artifact_path: 'agents/a/x.md' }],
    ];
    for (const [what, fields] of escaping) {
      it(what, () => {
        const v = viewRecord(record(fields), 0);
        assert.ok(v.invalid, `${JSON.stringify(fields)} was accepted as ${v.type} ${JSON.stringify(v.name)} at ${v.relPath}`);
      });
    }

    it('while the names SkillMeat writes stay valid', () => {
      for (const fields of [
        { artifact_name: 'code-review', artifact_path: 'skills/code-review' },
        { artifact_name: 'my skill.v2', artifact_path: 'skills/my skill.v2' },
        { artifact_type: 'command', artifact_name: 'git/sync', artifact_path: 'commands/git/sync.md' },
        { artifact_type: 'agent', artifact_name: 'reviewer.md', artifact_path: 'agents/reviewer.md.md' },
      ]) {
        const v = viewRecord(record(fields), 0);
        assert.equal(v.invalid, undefined, JSON.stringify(fields));
      }
    });
  });

  it('property: any record viewRecord accepts names a path inside its type folder', () => {
    const part = fc.oneof(fc.constantFrom('..', '.', '', '/', '\\', '\u0000', '\n', 'a', 'x.md', '~', 'C:'), fc.string({ maxLength: 6 }));
    const pathLike = fc.tuple(fc.array(part, { maxLength: 5 }), fc.constantFrom('/', '\\', '')).map(([parts, sep]) => parts.join(sep));
    fc.assert(fc.property(fc.constantFrom<ArtifactType>(...ARTIFACT_TYPES), pathLike, fc.option(pathLike), (type, name, rawPath) => {
      const fields: Record<string, unknown> = { artifact_type: type, artifact_name: name };
      if (rawPath !== null) fields.artifact_path = `${TYPE_DIRS[type]}/${rawPath}`;
      const v = viewRecord(record(fields), 0);
      if (v.invalid) return;
      const base = path.resolve('/base');
      for (const n of [v.name, `${v.name}-fork`]) {
        const p = artifactPath(base, type, n);
        assert.ok(isInside(path.join(base, TYPE_DIRS[type]), p.absPath) && p.absPath !== path.join(base, TYPE_DIRS[type]), `${JSON.stringify(fields)} → ${p.absPath}`);
      }
      assert.ok(isInside(path.join(base, TYPE_DIRS[type]), path.join(base, ...v.relPath.split('/'))));
    }), { numRuns: 3000 });
  });

  it('artifactPath refuses an unsafe name wherever it comes from', () => {
    for (const [type, name] of [['skill', '..'], ['skill', 'a/b'], ['command', '../x'], ['agent', ''], ['command', 'a\\b']] as const) {
      assert.equal(isSafeArtifactName(type, name), false);
      assert.throws(() => artifactPath('/base', type, name), (e: unknown) => e instanceof UnsafeNameError && e.message.includes('Nothing was written'));
    }
  });

  describe('end to end with the CLI', () => {
    const tmp = useTempDirs();
    let w: SyncWorld;
    afterEach(() => w?.store.close());

    /** Rewrites the one record's artifact_name (the rest stays valid). */
    function craftName(name: string): void {
      const file = path.join(w.claude, RECORDS_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/artifact_name = "review"/, `artifact_name = ${JSON.stringify(name)}`));
    }

    it('a record named ../../…/x is invalid, and update and pull with fork write nothing anywhere', async () => {
      w = await makeSyncWorld(tmp);
      addSkill(w.collection, 'review', { 'notes.md': lines() });
      await deploy(w, 'skill', 'review');
      editLine(path.join(w.claude, 'skills', 'review', 'notes.md'), 2, 'mine');
      editLine(path.join(w.collection, 'skills', 'review', 'notes.md'), 2, 'theirs');
      const outside = path.join(path.dirname(w.project), 'escaped');
      craftName(path.relative(path.join(w.collection, 'skills'), outside));
      const before = { project: snapshotDir(w.project), collection: snapshotDir(w.collection) };
      const report = check(w);
      assert.deepEqual(report.artifacts.filter((a) => a.state !== 'untracked').map((a) => a.state), ['invalid']);
      for (const direction of ['update', 'pull']) {
        const io = captureIO({ env: w.env, cwd: w.project });
        await main([direction, '--strategy', 'fork', '--project', w.project], io);
        assert.ok(!fs.existsSync(`${outside}-fork`), `${direction} wrote ${outside}-fork`);
      }
      assert.deepEqual(snapshotDir(w.project), before.project);
      assert.deepEqual(snapshotDir(w.collection), before.collection);
      assert.equal(readRecords(w.claude).records.length, 1);
    });

    it('artifact_path = "skills/." is invalid: check names no skill ".", and undeploy . deletes nothing', async () => {
      w = await makeSyncWorld(tmp);
      for (const n of ['review', 'other']) { addSkill(w.collection, n, { 'notes.md': lines() }); await deploy(w, 'skill', n); }
      fs.mkdirSync(path.join(w.claude, 'skills', 'local-only'));
      fs.writeFileSync(path.join(w.claude, 'skills', 'local-only', 'SKILL.md'), '# mine\n');
      const file = path.join(w.claude, RECORDS_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('artifact_path = "skills/review"', 'artifact_path = "skills/."').replace('artifact_name = "review"', 'artifact_name = "."'));
      const before = snapshotDir(path.join(w.claude, 'skills'));
      const report = check(w);
      assert.ok(!report.artifacts.some((a) => a.name === '.' && a.state !== 'invalid'), JSON.stringify(report.artifacts.map((a) => [a.name, a.state])));
      assert.equal(stateOf(report, 'skill', 'other'), 'in-sync');
      const io = captureIO({ env: w.env, cwd: w.project });
      assert.equal(await main(['undeploy', '.', '--project', w.project], io), 1);
      assert.deepEqual(snapshotDir(path.join(w.claude, 'skills')), before);
    });
  });
});
