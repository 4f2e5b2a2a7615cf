import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateCommand, generatorsCommand } from '../../../src/cli/generators';
import { OwnStateStore, defaultStateDbPath } from '../../../src/core/generators';
import { AMBROGIO_DDL, Sqlite3, captureIO, cleanupTemp, makeSkill, manifestOf, tempDir, testCli, testEnv, write } from './helpers';

const OK_GEN = '#!/bin/sh\necho "noise on stdout"\nprintf "# ok\\n" > "$SYNC_OUTPUT_FILE"\n';
const FAIL_GEN = '#!/bin/sh\necho "no luck" >&2\nexit 4\n';

function project(): { ws: string; env: NodeJS.ProcessEnv } {
  return { ws: tempDir('ws'), env: testEnv(tempDir('home')) };
}

describe('skillmeat-sync sync', () => {
  afterEach(cleanupTemp);

  it('prints usage and exits 2 without a command, or with an unknown command or option', async () => {
    const { ws, env } = project();
    for (const argv of [[], ['frobnicate'], ['list', '--bogus'], ['validate', 'extra-arg']]) {
      const io = captureIO(ws, env);
      assert.equal(await generatorsCommand(argv, io), 2, argv.join(' '));
      assert.match(io.stderr, /Usage: skillmeat-sync sync/);
    }
    const help = captureIO(ws, env);
    assert.equal(await generatorsCommand(['--help'], help), 0);
    assert.match(help.stdout, /generate --skill X \| --all \| --stale/);
  });

  it('exits 2 naming a project folder that does not exist', async () => {
    const { ws, env } = project();
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['list', '--project', 'nope'], io), 2);
    assert.ok(io.stderr.includes(path.join(ws, 'nope')));
  });

  it('lists generators with output, patterns and status, invalid ones included', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'good', manifestOf({ description: 'Good one' }), OK_GEN);
    makeSkill(ws, 'bad', manifestOf({ version: '2' }), OK_GEN, '.codex');
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['list'], io), 0, io.stderr);
    assert.match(io.stdout, /\.claude\/skills\/good\n {2}output: OUT\.md .*\n {2}patterns: notes:\*\n {2}status: stale \(never-generated\)/);
    assert.match(io.stdout, /\.codex\/skills\/bad[\s\S]*status: INVALID \(1 error; run "sync validate"\)/);
    const json = captureIO(ws, env);
    assert.equal(await generatorsCommand(['list', '--json'], json), 0);
    const listed = JSON.parse(json.stdout) as { generators: { id: string; valid: boolean; description: string | null; errors: unknown[]; status: { stale: boolean } | null }[] };
    assert.deepEqual(listed.generators.map((g) => [g.id, g.valid]), [['.claude/skills/good', true], ['.codex/skills/bad', false]]);
    assert.equal(listed.generators[0].description, 'Good one');
    assert.equal(listed.generators[0].status?.stale, true);
    assert.equal(listed.generators[1].errors.length, 1);
  });

  it('lists skills from SKILLS_DIRS and --skills-dir', async () => {
    const { ws, env } = project();
    const extra = tempDir('extra');
    makeSkill(extra, 'far', manifestOf(), OK_GEN);
    const io = captureIO(ws, { ...env, SKILLS_DIRS: path.join(extra, '.claude', 'skills') });
    await generatorsCommand(['list', '--json'], io);
    assert.deepEqual(JSON.parse(io.stdout).generators.map((g: { name: string }) => g.name), ['far']);
    const io2 = captureIO(ws, env);
    await generatorsCommand(['list', '--json', '--skills-dir', path.join(extra, '.claude', 'skills')], io2);
    assert.deepEqual(JSON.parse(io2.stdout).generators.map((g: { name: string }) => g.name), ['far']);
  });

  it('validate prints every error with file, line, field and fix, and exits 1', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'good', manifestOf(), OK_GEN);
    const bad = makeSkill(ws, 'bad', { version: 1, outputFile: '../x.md', patterns: [], generator: './scripts/sync.sh' }, OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['validate'], io), 1);
    const file = path.join(bad, 'SYNC.json');
    assert.match(io.stdout, /^ok\s+\.claude\/skills\/good/m);
    assert.match(io.stdout, /^invalid\s+\.claude\/skills\/bad/m);
    for (const [pointer, line] of [['/version', 2], ['/outputFile', 3], ['/patterns', 4]] as const) {
      const row = io.stdout.split('\n').find((l) => l.includes(` ${pointer}:`));
      assert.ok(row, `an error for ${pointer}`);
      assert.ok(row.includes(`${file}:${line}:`), row);
      assert.match(row, /Fix: /);
    }
    assert.match(io.stderr, /1 of 2 SYNC\.json file\(s\) invalid/);
  });

  it('validate --skill checks one skill; an unknown skill exits 2 listing what exists', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'good', manifestOf(), OK_GEN);
    makeSkill(ws, 'bad', '{', OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['validate', '--skill', 'good'], io), 0);
    const missing = captureIO(ws, env);
    assert.equal(await generatorsCommand(['validate', '--skill', 'nope'], missing), 2);
    assert.match(missing.stderr, /no skill "nope".*found: \.claude\/skills\/bad, \.claude\/skills\/good/);
  });

  it('validate --json prints JSON only', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'bad', '{"version": "1",', OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['validate', '--json'], io), 1);
    const parsed = JSON.parse(io.stdout) as { ok: boolean; results: { errors: { code: string; line: number }[] }[] };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.results[0].errors[0].code, 'malformed-json');
    assert.equal(io.stderr, '');
  });

  it('generate needs exactly one of --skill, --all, --stale', async () => {
    const { ws, env } = project();
    for (const argv of [['generate'], ['generate', '--all', '--stale'], ['generate', '--skill', 'x', '--all']]) {
      const io = captureIO(ws, env);
      assert.equal(await generatorsCommand(argv, io), 2, argv.join(' '));
      assert.match(io.stderr, /exactly one of --skill X, --all, --stale/);
    }
    const bad = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--all', '--timeout', 'soon'], bad), 2);
    assert.match(bad.stderr, /--timeout takes a positive number of seconds/);
  });

  it('generate --all exits 1 when any generator fails, still running the others', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'a-good', manifestOf({ outputFile: 'A.md' }), OK_GEN);
    makeSkill(ws, 'b-bad', manifestOf({ outputFile: 'B.md' }), FAIL_GEN);
    makeSkill(ws, 'c-invalid', manifestOf({ outputFile: '/etc/C.md' }), OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--all'], io, { shim: await testCli() }), 1);
    assert.equal(fs.readFileSync(path.join(ws, 'A.md'), 'utf8'), '# ok\n');
    assert.match(io.stdout, /generated\s+\.claude\/skills\/a-good/);
    assert.match(io.stdout, /FAILED\s+\.claude\/skills\/b-bad/);
    assert.match(io.stdout, /FAILED\s+\.claude\/skills\/c-invalid/);
    assert.match(io.stdout, /1 generated, 2 failed, 0 up to date\./);
    assert.match(io.stderr, /exited with code 4/);
    assert.match(io.stderr, /no luck/, 'the generator\'s stderr reaches the terminal');
    assert.match(io.stderr, /outside the workspace folder/);
  });

  it('generate --json keeps stdout pure JSON, generator output inside it', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'good', manifestOf(), OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--skill', 'good', '--json'], io, { shim: await testCli() }), 0, io.stderr);
    const parsed = JSON.parse(io.stdout) as { ok: boolean; generated: number; results: { id: string; ok: boolean; stdout: string; exitCode: number }[] };
    assert.equal(parsed.ok, true);
    assert.equal(parsed.generated, 1);
    assert.deepEqual([parsed.results[0].id, parsed.results[0].ok, parsed.results[0].exitCode], ['.claude/skills/good', true, 0]);
    assert.equal(parsed.results[0].stdout, 'noise on stdout\n');
    const err = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--skill', 'missing', '--json'], err), 2);
    assert.match(JSON.parse(err.stdout).error, /no skill "missing"/);
  });

  it('generate --skill refuses an ambiguous name, listing the ids to use', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'notes', manifestOf(), OK_GEN, '.claude');
    makeSkill(ws, 'notes', manifestOf({ outputFile: 'B.md' }), OK_GEN, '.codex');
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--skill', 'notes'], io), 2);
    assert.match(io.stderr, /\.claude\/skills\/notes, \.codex\/skills\/notes/);
    assert.equal(await generatorsCommand(['generate', '--skill', '.codex/skills/notes'], captureIO(ws, env), { shim: await testCli() }), 0);
  });

  it('generate honours --timeout and --force', async () => {
    const { ws, env } = project();
    const skill = makeSkill(ws, 'slow', manifestOf(), '#!/bin/sh\nsleep 20\n');
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--skill', 'slow', '--timeout', '0.2'], io, { shim: await testCli() }), 1);
    assert.match(io.stderr, /Timed out after 200 ms/);
    write(path.join(skill, 'scripts', 'sync.sh'), OK_GEN, 0o755);
    write(path.join(ws, 'OUT.md'), 'mine\n');
    const refused = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--skill', 'slow'], refused, { shim: await testCli() }), 1);
    assert.match(refused.stderr, /--force/);
    assert.equal(fs.readFileSync(path.join(ws, 'OUT.md'), 'utf8'), 'mine\n');
    assert.equal(await generatorsCommand(['generate', '--skill', 'slow', '--force'], captureIO(ws, env), { shim: await testCli() }), 0);
    assert.equal(fs.readFileSync(path.join(ws, 'OUT.md'), 'utf8'), '# ok\n');
  });

  it('generate refuses to run when the trust gate says no', async () => {
    const { ws, env } = project();
    makeSkill(ws, 'good', manifestOf(), OK_GEN);
    const io = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--all'], io, { shim: await testCli(), isTrusted: () => false }), 2);
    assert.match(io.stderr, /not a trusted folder/);
    assert.equal(fs.existsSync(path.join(ws, 'OUT.md')), false);
  });

  it('runs generators only in a folder trusted with `sync trust` (or with --trust for one run), never in a fresh clone', async () => {
    const { ws, env: trustingEnv } = project();
    const env = { ...trustingEnv, SKILLMEAT_SYNC_TRUST: '' };
    makeSkill(ws, 'good', manifestOf(), OK_GEN);
    const run = async (...argv: string[]) => { const io = captureIO(ws, env); return { code: await generatorsCommand(argv, io, { shim: await testCli() }), io }; };
    const refused = await run('generate', '--all');
    assert.equal(refused.code, 2);
    assert.match(refused.io.stderr, new RegExp(`${ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a trusted folder, so its SYNC\\.json generators were not run`));
    assert.match(refused.io.stderr, /skillmeat-sync sync trust/);
    assert.equal(fs.existsSync(path.join(ws, 'OUT.md')), false);
    assert.equal((await run('generate', '--all', '--trust')).code, 0, 'once, by flag');
    fs.rmSync(path.join(ws, 'OUT.md'));
    assert.equal((await run('generate', '--all')).code, 2, 'the flag trusted one run only');
    const trusted = await run('trust', ws);
    assert.equal(trusted.code, 0, trusted.io.stderr);
    assert.match(trusted.io.stdout, /^Trusted: /);
    assert.equal((await run('generate', '--all')).code, 0);
    assert.ok(fs.existsSync(path.join(ws, 'OUT.md')));
    const listed = await run('trust', '--list', '--json');
    assert.deepEqual(JSON.parse(listed.io.stdout).folders, [fs.realpathSync(ws)]);
    assert.equal((await run('trust', ws, '--remove')).code, 0);
    assert.equal((await run('generate', '--all', '--force')).code, 2);
  });
});

describe('skillmeat-sync state', () => {
  afterEach(cleanupTemp);

  it('sets, gets, lists and deletes in the workspace\'s default store', async () => {
    const { ws, env } = project();
    const run = async (...argv: string[]): Promise<[number, string, string]> => {
      const io = captureIO(ws, env);
      const code = await stateCommand(argv, io);
      return [code, io.stdout, io.stderr];
    };
    assert.deepEqual(await run('set', 'notes:entry:1', 'hello'), [0, '', '']);
    assert.ok(fs.existsSync(defaultStateDbPath(ws, env)));
    assert.deepEqual(await run('get', 'notes:entry:1'), [0, 'hello\n', '']);
    const [, listed] = await run('list', '--pattern', 'NOTES:*', '--json');
    assert.deepEqual(JSON.parse(listed).entries.map((e: { key: string }) => e.key), ['notes:entry:1']);
    assert.deepEqual(await run('list'), [0, 'notes:entry:1\thello\n', '']);
    await run('set', 'memo:1', 'm');
    const [, both] = await run('list', '--pattern', 'notes:*', '--pattern', 'MEMO:?', '--json');
    assert.deepEqual(JSON.parse(both).entries.map((e: { key: string }) => e.key), ['memo:1', 'notes:entry:1']);
    await run('delete', 'memo:1');
    assert.deepEqual((await run('delete', 'notes:entry:1')).slice(0, 2), [0, '']);
    const [code, out, err] = await run('get', 'notes:entry:1');
    assert.equal(code, 3);
    assert.equal(out, '');
    assert.match(err, /no state key "notes:entry:1" in .*state\.db/);
    assert.equal((await run('delete', 'notes:entry:1'))[0], 3);
  });

  it('uses --state-db relative to the working directory, and SKILLMEAT_SYNC_STATE_DB', async () => {
    const { ws, env } = project();
    assert.equal(await stateCommand(['set', 'k', 'v', '--state-db', 'my.db'], captureIO(ws, env)), 0);
    assert.equal((await OwnStateStore.open(path.join(ws, 'my.db'))).get('k')?.value, 'v');
    const io = captureIO(ws, { ...env, SKILLMEAT_SYNC_STATE_DB: path.join(ws, 'my.db') });
    assert.equal(await stateCommand(['get', 'k'], io), 0);
    assert.equal(io.stdout, 'v\n');
  });

  it('rejects wrong arity and unknown commands with exit 2', async () => {
    const { ws, env } = project();
    for (const argv of [[], ['get'], ['set', 'only-key'], ['list', 'extra'], ['frob'], ['get', 'k', '--pattern', 'x']]) {
      assert.equal(await stateCommand(argv, captureIO(ws, env)), 2, argv.join(' '));
    }
  });

  it('refuses to write an ambrogio database (exit 2) and reports a broken one by name', async () => {
    const { ws, env } = project();
    const db = path.join(ws, 'runtime', 'state.db');
    fs.mkdirSync(path.dirname(db));
    const sqlite = new Sqlite3(db);
    try {
      await sqlite.exec(AMBROGIO_DDL);
      const io = captureIO(ws, env);
      assert.equal(await stateCommand(['set', 'k', 'v', '--state-db', db], io), 2);
      assert.match(io.stderr, /ambrogio's state database, which SkillMeat Sync only reads/);
    } finally {
      await sqlite.close();
    }
    const broken = write(path.join(ws, 'broken.db'), 'x'.repeat(200));
    const io = captureIO(ws, env);
    assert.equal(await stateCommand(['list', '--state-db', broken, '--state-kind', 'own'], io), 2);
    assert.ok(io.stderr.includes(broken));
    const kind = captureIO(ws, env);
    assert.equal(await stateCommand(['list', '--state-kind', 'mysql'], kind), 2);
    assert.match(kind.stderr, /unknown state kind "mysql"/);
  });
});
