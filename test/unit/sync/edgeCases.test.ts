// The smaller ways input went wrong (issue 12, item 9): long names, a deleted current directory, terminal
// escapes in names, a config pointing outside the collections, a "skill" that is a file, a skill without SKILL.md.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { collectionResolver } from '../../../src/core/store/skillmeatHome';
import { deployArtifact, SyncError } from '../../../src/core/sync/deploy';
import { RECORDS_FILE } from '../../../src/core/store/deploymentRecords';
import { useTempDirs, addSkill, captureIO, writeTree } from '../helpers';
import { makeSyncWorld, deploy, pull, lines, editLine, type SyncWorld } from './syncWorld';

const REPO = path.resolve(__dirname, '../../..');

describe('edge cases of names and places', () => {
  const tmp = useTempDirs();
  let w: SyncWorld | undefined;
  afterEach(() => { w?.store.close(); w = undefined; });

  it('deploys and pulls a skill whose name takes 250 bytes (its staging names are shortened to fit)', async () => {
    w = await makeSyncWorld(tmp);
    const name = `${'é'.repeat(100)}${'x'.repeat(50)}`; // 250 bytes
    addSkill(w.collection, name, { 'notes.md': lines() });
    await deploy(w, 'skill', name);
    editLine(path.join(w.claude, 'skills', name, 'notes.md'), 2, 'mine');
    const r = await pull(w, 'overwrite', [name]);
    assert.equal(r.status, 'success', JSON.stringify(r.error));
    assert.match(fs.readFileSync(path.join(w.collection, 'skills', name, 'notes.md'), 'utf8'), /mine/);
  });

  it('says the current directory is gone instead of printing a stack trace (exit 2)', () => {
    // The CLI as it ships (one bundle): the TypeScript loader itself cannot start without a current directory.
    const cli = path.join(tmp(), 'cli.js');
    esbuild.buildSync({ entryPoints: [path.join(REPO, 'src/cli/main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: cli, logLevel: 'silent' });
    const gone = path.join(tmp(), 'gone');
    const script = `mkdir "${gone}" && cd "${gone}" && rmdir "${gone}" && exec "${process.execPath}" "${cli}" check`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^error: the current directory no longer exists/);
    assert.ok(!r.stderr.includes('    at '), r.stderr);
  });

  it('prints terminal escape codes in a record name as \\x1b, never raw', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review');
    await deploy(w, 'skill', 'review');
    const file = path.join(w.claude, RECORDS_FILE);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('artifact_name = "review"', 'artifact_name = "review\\u001b[2J\\u001b]0;owned\\u0007"'));
    const io = captureIO({ env: w.env, cwd: w.project });
    await main(['check', '--project', w.project], io);
    const printed = [...io.stdout, ...io.stderr].join('\n');
    assert.ok(!/[\u001b\u0007]/.test(printed), JSON.stringify(printed));
    assert.match(printed, /review\\x1b\[2J/);
  });

  it('handles a skill folder whose name holds a newline without crashing: it is no artifact (check, capture, history, restore)', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review');
    await deploy(w, 'skill', 'review');
    for (const base of [w.claude, w.collection]) writeTree(path.join(base, 'skills', 'a\nb'), { 'SKILL.md': 'odd\n' });
    const io = captureIO({ env: w.env, cwd: w.project });
    const run = async (...argv: string[]) => { io.stdout.length = 0; io.stderr.length = 0; return main([...argv, '--project', w!.project], io); };
    assert.equal(await run('check'), 0, io.stderr.join('\n'));
    assert.ok(!io.stdout.join('\n').includes('a\\x0ab'), 'listed as an artifact');
    assert.equal(await run('capture'), 0, io.stderr.join('\n'));
    for (const argv of [['history', 'a\nb'], ['restore', 'a\nb', '1']]) {
      const code = await run(...argv);
      assert.equal(code, 1, `${argv[0]}: ${io.stderr.join('\n')}`);
      assert.match(io.stderr.join('\n'), /^error: no artifact named/, 'a clear error, not a crash');
    }
  });

  it('ignores a default-collection that leads outside <home>/collections, and says so', () => {
    const home = tmp();
    writeTree(home, { 'config.toml': '[settings]\ndefault-collection = "../.."\n' });
    const r = collectionResolver({ home });
    assert.equal(r.resolve(undefined).path, path.join(home, 'collections', 'default'));
    assert.match(r.problems.join('\n'), /default-collection "\.\.\/\.\." is not a collection name/);
  });

  it('refuses to deploy a "skill" that is a plain file', async () => {
    w = await makeSyncWorld(tmp);
    fs.mkdirSync(path.join(w.collection, 'skills'), { recursive: true });
    fs.writeFileSync(path.join(w.collection, 'skills', 'lonely'), 'not a folder\n');
    await assert.rejects(deployArtifact({ project: w.project, collectionPath: w.collection, collectionName: 'default', type: 'skill', name: 'lonely', store: w.store }),
      (e: unknown) => e instanceof SyncError && /is a file, not a skill/.test(e.message));
    assert.ok(!fs.existsSync(path.join(w.claude, 'skills', 'lonely')));
  });

  it('does not pull a skill whose SKILL.md is gone, and says why', async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    await deploy(w, 'skill', 'review');
    fs.rmSync(path.join(w.claude, 'skills', 'review', 'SKILL.md'));
    const r = await pull(w, 'overwrite', ['review']);
    assert.deepEqual(r.artifacts.map((a) => a.status), ['skipped']);
    assert.match(r.artifacts[0].reason ?? '', /the project's copy has no SKILL\.md/);
    assert.ok(fs.existsSync(path.join(w.collection, 'skills', 'review', 'SKILL.md')));
  });
});
