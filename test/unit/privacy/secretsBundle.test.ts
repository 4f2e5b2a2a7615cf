// The shipped bundle finds secrets too (issue 13 split secretlint into dist/secretlint.js, required on the first
// scan, and re-exports node builtins once): the CLI as built by `npm run build` (dist/, as the packaging test
// expects it) refuses a pull carrying a token. Guards the build's plugins: a broken split fails here, not for a user.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useTempDirs, addSkill } from '../helpers';
import { makeSyncWorld } from '../sync/syncWorld';

const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const TOKEN = `ghp_${'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'}`;

describe('privacy: the secret scan in the built CLI (dist/cli.js + dist/secretlint.js)', function () {
  this.timeout(60_000);
  const tmp = useTempDirs();

  it('a pull carrying a token exits 1 naming the finding, from the bundles npm run build wrote', async () => {
    assert.ok(fs.existsSync(CLI) && fs.existsSync(path.join(path.dirname(CLI), 'secretlint.js')), `${CLI} and dist/secretlint.js are built (npm run build)`);
    const w = await makeSyncWorld(tmp);
    w.store.close();
    addSkill(w.collection, 'review', { 'notes.md': 'one\n' });
    const run = (...argv: string[]) => spawnSync(process.execPath, [CLI, ...argv, '--project', w.project], { env: { ...process.env, ...w.env }, encoding: 'utf8' });
    assert.equal(run('deploy', 'review').status, 0);
    fs.appendFileSync(path.join(w.claude, 'skills', 'review', 'notes.md'), `token ${TOKEN}\n`);
    const r = run('pull', 'review', '--strategy', 'overwrite');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /notes\.md:2:7 GITHUB_TOKEN \(github\)/);
    assert.ok(!r.stderr.includes(TOKEN));
  });
});
