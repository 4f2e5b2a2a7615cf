// The CLI's launcher (dist/cli.js, src/cli/launch.ts, issue 13): the first run saves V8's code cache of the CLI
// bundle under $SKILLMEAT_HOME/sync/code-cache, later runs use it; a damaged cache, one others could write, or one of
// another bundle is never trusted, and none of this changes what a command prints or returns. Runs the built bundles.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTempDirs, makeWorld, addSkill, deploy } from '../helpers';
import { CODE_CACHE_DIR } from '../../../src/cli/launch';

const DIST = path.join(__dirname, '..', '..', '..', 'dist');
const CLI = path.join(DIST, 'cli.js');

describe('cli: the launcher and its code cache (dist/cli.js)', function () {
  this.timeout(60_000);
  const tmp = useTempDirs();

  const run = (env: NodeJS.ProcessEnv, ...argv: string[]) => spawnSync(process.execPath, [CLI, ...argv], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const cacheFiles = (home: string) => {
    const dir = path.join(home, 'sync', CODE_CACHE_DIR);
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
  };

  before(() => assert.ok(fs.existsSync(CLI) && fs.existsSync(path.join(DIST, 'cli-main.js')), 'dist/cli.js and dist/cli-main.js are built (npm run build)'));

  it('saves the cache on the first run, uses it after, and answers the same either way', async () => {
    const w = makeWorld(tmp);
    addSkill(w.collection, 'review');
    await deploy(w, 'skill', 'review');
    const first = run(w.env, 'check', '--json', '--project', w.project);
    assert.equal(first.status, 0, first.stderr);
    const files = cacheFiles(w.home);
    assert.equal(files.length, 1);
    assert.match(path.basename(files[0]), /^cli-[0-9a-f]{32}-v8-.+\.bin$/);
    assert.equal(fs.statSync(files[0]).mode & 0o777, 0o600);
    const saved = fs.readFileSync(files[0]);
    const second = run(w.env, 'check', '--json', '--project', w.project);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout).artifacts, JSON.parse(first.stdout).artifacts);
    assert.deepEqual(fs.readFileSync(files[0]), saved, 'an accepted cache is not written again');
  });

  it('a damaged cache is rejected by V8, replaced, and the command runs as usual', () => {
    const w = makeWorld(tmp);
    assert.equal(run(w.env, '--version').status, 0);
    const [file] = cacheFiles(w.home);
    const bytes = fs.readFileSync(file);
    bytes.fill(0x5a, 0, 64); // its header: V8's magic number and version
    fs.writeFileSync(file, bytes);
    const r = run(w.env, '--version');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.notDeepEqual(fs.readFileSync(file).subarray(0, 64), bytes.subarray(0, 64), 'rewritten');
  });

  it('never reads a cache file others can write: it is replaced by the user\'s own', () => {
    const w = makeWorld(tmp);
    assert.equal(run(w.env, '--version').status, 0);
    const [file] = cacheFiles(w.home);
    fs.chmodSync(file, 0o666);
    const r = run(w.env, '--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('removes caches unused for a day of other bundles for this runtime, and any unused for 30 days; keeps the rest (VS Code runs the CLI too)', () => {
    const w = makeWorld(tmp);
    assert.equal(run(w.env, '--version').status, 0);
    const [file] = cacheFiles(w.home);
    const runtime = path.basename(file).replace(/^cli-[0-9a-f]+/, '');
    const dir = path.dirname(file);
    const ago = (days: number) => new Date(Date.now() - days * 24 * 3600_000);
    const make = (name: string, days: number) => { const p = path.join(dir, name); fs.writeFileSync(p, 'x'); fs.utimesSync(p, ago(days), ago(days)); return p; };
    make(`cli-${'0'.repeat(32)}${runtime}`, 2); // an update's leftover
    const sideBySide = make(`cli-${'2'.repeat(32)}${runtime}`, 0); // another build in use
    const otherRuntime = make(`cli-${'1'.repeat(32)}-v8-0.0.0-electron-x64.bin`, 10);
    make(`cli-${'3'.repeat(32)}-v8-0.0.0-electron-x64.bin`, 31);
    fs.rmSync(file);
    assert.equal(run(w.env, '--version').status, 0);
    assert.deepEqual(cacheFiles(w.home).sort(), [file, sideBySide, otherRuntime].sort());
  });

  it('neither reads nor writes a cache folder others can write into', () => {
    const w = makeWorld(tmp);
    assert.equal(run(w.env, '--version').status, 0);
    const [file] = cacheFiles(w.home);
    fs.rmSync(file);
    fs.chmodSync(path.dirname(file), 0o777);
    const r = run(w.env, '--version');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(cacheFiles(w.home), []);
  });

  it('writes nothing for someone without a SkillMeat home, and the command still works', () => {
    const home = path.join(tmp('nohome'), 'not-there');
    const r = run({ SKILLMEAT_HOME: home }, '--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.existsSync(home), false);
  });

  it('exit codes and output go through unchanged (usage error: 2, message on stderr)', () => {
    const w = makeWorld(tmp);
    const r = run(w.env, 'no-such-command');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command "no-such-command"/);
    assert.equal(r.stdout, '');
  });
});
