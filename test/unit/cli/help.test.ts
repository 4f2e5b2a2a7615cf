// The CLI's help and its one parser: every command answers --help with its own usage, the README's command
// list is the one `skillmeat-sync --help` prints, and usage errors name the option and point at --help.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main, COMMANDS } from '../../../src/cli/main';
import { GENERATORS_GROUP, STATE_GROUP } from '../../../src/cli/generators';
import { STORE_GROUP } from '../../../src/cli/store';
import { useTempDirs, makeWorld, captureIO, type World } from '../helpers';

const README = path.resolve(__dirname, '../../../README.md');
/** Every command's full name, in table order. */
const ALL = [
  ...Object.keys(COMMANDS.commands),
  ...Object.keys(GENERATORS_GROUP.commands).map((n) => `sync ${n}`),
  ...Object.keys(STATE_GROUP.commands).map((n) => `state ${n}`),
  ...Object.keys(STORE_GROUP.commands).map((n) => `store ${n}`),
];

/** The lines under `Commands:` up to the next blank line. */
function commandsPart(help: string): string {
  const lines = help.split('\n');
  const start = lines.indexOf('Commands:');
  assert.ok(start >= 0, `no "Commands:" line in:\n${help}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The first ```text block of the README's "## The CLI" section. */
function readmeCommands(): string {
  const text = fs.readFileSync(README, 'utf8');
  const section = text.indexOf('\n## The CLI\n');
  assert.ok(section >= 0, 'README.md has no "## The CLI" section');
  const open = text.indexOf('```text\n', section);
  const close = text.indexOf('\n```', open + 1);
  assert.ok(open >= 0 && close > open && text.lastIndexOf('\n## ', open) === section, 'the "## The CLI" section of README.md has no ```text block');
  return text.slice(open + '```text\n'.length, close);
}

describe('cli help and parser', () => {
  const tmp = useTempDirs();
  let w: World;
  beforeEach(() => { w = makeWorld(tmp); });

  const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIO({ env: w.env, cwd: w.project });
    const code = await main(args, io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('the README lists exactly the commands `skillmeat-sync --help` prints', async () => {
    const { code, out } = await run('--help');
    assert.equal(code, 0);
    assert.equal(readmeCommands(), commandsPart(out),
      'README.md "## The CLI" block differs from the Commands part of `skillmeat-sync --help` (actual: README, expected: CLI); paste the CLI\'s lines into the README');
  });

  it('lists every command of every table in the global help, with --help, -h and help alike', async () => {
    const help = await run('--help');
    assert.deepEqual(await run('-h'), help);
    assert.deepEqual(await run('help'), help);
    assert.match(help.out, /^Usage: skillmeat-sync <command>/m);
    const entries = commandsPart(help.out).split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim());
    assert.deepEqual(entries.map((e, i) => (e === ALL[i] || e.startsWith(`${ALL[i]} `) ? ALL[i] : e)), ALL);
    assert.equal(ALL.length, 28, 'the tables hold 14 top-level, 4 sync, 6 state and 4 store commands');
  });

  const own: [string[], RegExp[]][] = [
    [['check'], [/^ {2}--strict\s/m]],
    [['deploy'], [/^ {2}--force\s/m, /^ {2}--type T\s/m]],
    [['update'], [/^ {2}--strategy S\s/m, /^ {2}--dry-run\s/m]],
    [['pull'], [/^ {2}--deploy-fork\s/m]],
    [['prune'], [/^ {2}--retention-days N\s/m]],
    [['restore'], [/VERSION: an id from/]],
    [['sync', 'generate'], [/^ {2}--timeout SECONDS\s/m, /^ {2}--all\s/m, /^ {2}--skills-dir DIR\s/m, /^ {2}--state-db PATH\s/m]],
    [['sync', 'validate'], [/^ {2}--skill X\s/m]],
    [['state', 'list'], [/^ {2}--pattern P\s/m, /^ {2}--state-kind K\s/m]],
  ];
  for (const [words, options] of own) {
    it(`\`${words.join(' ')} --help\` prints that command's usage and options, not the global list`, async () => {
      const { code, out, err } = await run(...words, '--help');
      assert.equal(code, 0, err);
      assert.equal(err, '');
      assert.ok(out.startsWith(`Usage: skillmeat-sync ${words.join(' ')} `), out);
      for (const o of options) assert.match(out, o);
      assert.match(out, /^ {2}--project DIR\s/m, 'the common options are listed too');
      assert.match(out, /^ {2}-h, --help\s/m);
      assert.doesNotMatch(out, /^Commands:/m);
      assert.deepEqual(await run(...words, '-h'), { code, out, err });
      assert.deepEqual(await run('help', ...words), { code, out, err });
    });
  }

  it('every command of every table answers --help with its own usage (exit 0)', async () => {
    for (const words of ALL.map((n) => n.split(' '))) {
      const { code, out } = await run(...words, '--help');
      assert.equal(code, 0, words.join(' '));
      assert.ok(out.startsWith(`Usage: skillmeat-sync ${words.join(' ')}`), `${words.join(' ')} --help printed:\n${out}`);
    }
  });

  it('`sync --help` and `state --help` list their own commands', async () => {
    const sync = await run('sync', '--help');
    assert.equal(sync.code, 0);
    assert.deepEqual(commandsPart(sync.out).split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0]), ['list', 'validate', 'generate', 'trust']);
    const state = await run('state', '--help');
    assert.equal(state.code, 0);
    assert.deepEqual(commandsPart(state.out).split('\n').filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(' ')[0]), ['list', 'get', 'set', 'delete', 'export', 'import']);
    assert.doesNotMatch(sync.out + state.out, /restore NAME VERSION/);
  });

  it('prints help even when the command would miss its arguments', async () => {
    assert.equal((await run('restore', '--help')).code, 0);
    assert.equal((await run('state', 'set', '--help')).code, 0);
  });

  describe('parser', () => {
    const usageErrors: [string[], string, string][] = [
      [['check', '--bogus'], 'unknown option --bogus', 'check'],
      [['check', '--constructor'], 'unknown option --constructor', 'check'],
      [['deploy', 'x', '--strict'], 'deploy does not take --strict', 'deploy'],
      [['check', '--project'], '--project needs a value', 'check'],
      [['check', '--project', '--json'], '--project needs a value', 'check'],
      [['deploy', 'x', '--type', 'skill', '--type', 'agent'], '--type given more than once', 'deploy'],
      [['check', '--json=yes'], '--json takes no value', 'check'],
      [['sync', 'list', '--skill', 'x'], 'sync list does not take --skill', 'sync list'],
      [['state', 'get', 'k', '--pattern', 'x'], 'state get does not take --pattern', 'state get'],
      [['sync', 'generate', '--skill', 'a', '--skill', 'b'], '--skill given more than once', 'sync generate'],
    ];
    for (const [argv, message, command] of usageErrors) {
      it(`\`${argv.join(' ')}\` exits 2: "${message}", pointing at \`${command} --help\``, async () => {
        const { code, out, err } = await run(...argv);
        assert.equal(code, 2);
        assert.ok(err.includes(message), err);
        assert.ok(err.includes(`Run "skillmeat-sync ${command} --help"`), err);
        assert.equal(out, '');
      });
    }

    it('takes --opt=value and --opt value alike', async () => {
      const other = tmp();
      for (const argv of [['check', '--json', `--project=${w.project}`], ['check', '--json', '--project', w.project]]) {
        const io = captureIO({ env: w.env, cwd: other });
        assert.equal(await main(argv, io), 0, io.stderr.join('\n'));
        assert.equal((JSON.parse(io.stdout.join('')) as { project: string }).project, w.project);
      }
    });

    it('keeps arguments that start with one dash as values, and -- ends the options', async () => {
      for (const value of ['-1', '- item', '-x']) {
        assert.equal((await run('state', 'set', 'k', value)).code, 0, value);
        assert.deepEqual(await run('state', 'get', 'k'), { code: 0, out: value, err: '' });
      }
      assert.equal((await run('state', 'set', 'k', '--', '--json')).code, 0);
      assert.equal((await run('state', 'get', 'k')).out, '--json');
      assert.equal((await run('state', 'set', 'p', 'v')).code, 0);
      const listed = await run('state', 'list', '--pattern', 'P', '--pattern=K', '--json');
      assert.deepEqual((JSON.parse(listed.out) as { entries: { key: string }[] }).entries.map((e) => e.key).sort(), ['k', 'p']);
    });
  });
});
