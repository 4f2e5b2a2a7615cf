import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OwnStateStore, generatorStatus, runGenerator, runGenerators, validateManifest } from '../../../src/core/generators';
import type { GeneratorRunResult, RunGeneratorOptions } from '../../../src/core/generators';
import { acquireLockSync } from '../../../src/core/store/fsutil';
import { shortHash } from '../../../src/core/generators/paths';
import { cleanupTemp, makeSkill, manifestOf, tempDir, testCli, testEnv, waitFor, write } from './helpers';

interface Fixture {
  ws: string;
  skillDir: string;
  manifest: string;
  output: string;
  store: OwnStateStore;
  opts: RunGeneratorOptions;
  run(over?: Partial<RunGeneratorOptions>): Promise<GeneratorRunResult>;
  setGenerator(script: string): void;
}

const OK_GEN = '#!/bin/sh\nprintf "# notes\\n" > "$SYNC_OUTPUT_FILE"\necho generated\n';

async function fixture(generator = OK_GEN, manifest = manifestOf()): Promise<Fixture> {
  const ws = tempDir('ws');
  const home = tempDir('home');
  const skillDir = makeSkill(ws, 'notes', manifest, generator);
  const store = await OwnStateStore.open(path.join(home, 'state.db'));
  const opts: RunGeneratorOptions = {
    state: store,
    shim: await testCli(),
    isTrusted: () => true,
    runRecordFile: path.join(home, 'generators.json'),
    env: testEnv(home),
  };
  const f: Fixture = {
    ws, skillDir, store, opts,
    manifest: path.join(skillDir, 'SYNC.json'),
    output: path.join(ws, 'OUT.md'),
    run: (over = {}) => runGenerator({ file: f.manifest, workspaceFolder: ws }, { ...opts, ...over }),
    setGenerator: (script) => write(path.join(skillDir, 'scripts', 'sync.sh'), script, 0o755) && undefined,
  };
  return f;
}

/** Files beside the output other than the output itself (temp files must not survive a run). */
function leftovers(f: Fixture): string[] {
  return fs.readdirSync(path.dirname(f.output)).filter((n) => n.startsWith('.OUT.md'));
}

/** Runs once successfully, then returns the bytes and inode of that "previous" output. */
async function previousOutput(f: Fixture): Promise<{ bytes: Buffer; ino: number }> {
  f.setGenerator('#!/bin/sh\nprintf "previous \\000\\001 output\\n" > "$SYNC_OUTPUT_FILE"\n');
  const r = await f.run();
  assert.equal(r.outcome, 'ok', r.message);
  return { bytes: fs.readFileSync(f.output), ino: fs.statSync(f.output).ino };
}

function assertUntouched(f: Fixture, prev: { bytes: Buffer; ino: number }): void {
  assert.deepEqual(fs.readFileSync(f.output), prev.bytes, 'the previous output is byte-identical');
  assert.equal(fs.statSync(f.output).ino, prev.ino, 'and was not even replaced');
  assert.deepEqual(leftovers(f), [], 'no temp file is left behind');
}

function processGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'); // a zombie has finished
  } catch {
    return true;
  }
}

describe('running a generator', () => {
  afterEach(cleanupTemp);

  it('runs in the skill directory with ambrogio\'s environment and a temp output beside the real one', async () => {
    const f = await fixture('#!/bin/sh\n{ echo "cwd=$(pwd)"; echo "patterns=$SYNC_PATTERNS"; echo "skill=$SKILL_DIR"; echo "out=$SYNC_OUTPUT_FILE"; echo "ctl=$(command -v ambrogioctl)"; } > "$SYNC_OUTPUT_FILE"\n',
      manifestOf({ patterns: ['notes:entry:*', 'memory:*'] }));
    const r = await f.run();
    assert.equal(r.ok, true, r.message);
    const vars = Object.fromEntries(fs.readFileSync(f.output, 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
    assert.equal(vars.cwd, f.skillDir);
    assert.equal(vars.patterns, 'notes:entry:*,memory:*');
    assert.equal(vars.skill, f.skillDir);
    assert.equal(path.dirname(vars.out), f.ws, 'the temp file is in the output\'s directory (same file system)');
    assert.match(path.basename(vars.out), /^\.OUT\.md\.gen-/);
    assert.equal(path.basename(vars.ctl), 'ambrogioctl');
    assert.deepEqual(leftovers(f), []);
  });

  it('never hides a real ambrogioctl on the PATH: the shim comes after it, and the log says which one answers', async () => {
    const f = await fixture('#!/bin/sh\nambrogioctl state list > "$SYNC_OUTPUT_FILE"\n');
    const realDir = tempDir('real-ambrogio');
    const real = write(path.join(realDir, 'ambrogioctl'), '#!/bin/sh\necho "real ambrogioctl: $*"\n', 0o755);
    const env = f.opts.env as NodeJS.ProcessEnv;
    const notes: string[] = [];
    const r = await f.run({ env: { ...env, PATH: `${realDir}${path.delimiter}${env.PATH}` }, log: (text, stream) => { if (stream === 'info') notes.push(text); } });
    assert.equal(r.ok, true, r.message);
    assert.equal(fs.readFileSync(f.output, 'utf8'), 'real ambrogioctl: state list\n');
    assert.ok(notes.some((n) => n.includes(real)), notes.join(''));
    // without one, the shim answers
    f.store.set('notes:a', 'A');
    assert.equal((await f.run()).ok, true);
    assert.equal(fs.readFileSync(f.output, 'utf8'), 'notes:a=A\n');
  });

  it('captures stdout and stderr and streams them to the log callback', async () => {
    const f = await fixture('#!/bin/sh\necho hello-out\necho hello-err >&2\nprintf x > "$SYNC_OUTPUT_FILE"\n');
    const seen: string[] = [];
    const r = await f.run({ log: (text, stream) => seen.push(`${stream}:${text}`) });
    assert.equal(r.outcome, 'ok');
    assert.equal(r.stdout, 'hello-out\n');
    assert.equal(r.stderr, 'hello-err\n');
    assert.ok(seen.includes('stdout:hello-out\n') && seen.includes('stderr:hello-err\n'));
    assert.equal(r.exitCode, 0);
    assert.match(r.outputHash ?? '', /^[0-9a-f]{64}$/);
  });

  it('creates the output\'s directory inside the workspace when needed', async () => {
    const f = await fixture(OK_GEN, manifestOf({ outputFile: 'docs/generated/NOTES.md' }));
    assert.equal((await f.run()).ok, true);
    assert.equal(fs.readFileSync(path.join(f.ws, 'docs', 'generated', 'NOTES.md'), 'utf8'), '# notes\n');
  });

  it('keeps the previous output byte-identical when the generator exits non-zero', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    f.setGenerator('#!/bin/sh\nprintf "half a file" > "$SYNC_OUTPUT_FILE"\necho "boom: no notes table" >&2\nexit 3\n');
    const r = await f.run();
    assert.equal(r.outcome, 'failed');
    assert.equal(r.exitCode, 3);
    assert.match(r.message, /exited with code 3/);
    assert.match(r.message, /boom: no notes table/);
    assertUntouched(f, prev);
  });

  it('stops a generator that exceeds the timeout, with everything it started, and keeps the output', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    const pidFile = path.join(tempDir('pid'), 'pid');
    f.setGenerator(`#!/bin/bash\nprintf partial > "$SYNC_OUTPUT_FILE"\nsleep 30 &\necho $! > ${pidFile}\nwait\n`);
    const r = await f.run({ timeoutMs: 300, killGraceMs: 500 });
    assert.equal(r.outcome, 'timeout');
    assert.match(r.message, /Timed out after 300 ms/);
    assertUntouched(f, prev);
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    await waitFor(() => processGone(child), 'the generator\'s child process to stop');
  });

  it('keeps the previous output when the generator is killed mid-write', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    f.setGenerator('#!/bin/sh\nprintf "first half" > "$SYNC_OUTPUT_FILE"\nkill -KILL $$\nprintf "second half" >> "$SYNC_OUTPUT_FILE"\n');
    const r = await f.run();
    assert.equal(r.outcome, 'killed');
    assert.equal(r.signal, 'SIGKILL');
    assertUntouched(f, prev);
  });

  it('keeps the previous output when the run is cancelled mid-write', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    f.setGenerator('#!/bin/sh\nprintf "first half" > "$SYNC_OUTPUT_FILE"\necho halfway\nsleep 30\n');
    const ctl = new AbortController();
    const r = await f.run({ signal: ctl.signal, log: (text) => { if (text.includes('halfway')) ctl.abort(); } });
    assert.equal(r.outcome, 'cancelled');
    assertUntouched(f, prev);
  });

  it('fails clearly when the generator writes nothing and there was no output yet', async () => {
    const f = await fixture('#!/bin/sh\necho "wrote to the wrong place" > /dev/null\n');
    const r = await f.run();
    assert.equal(r.outcome, 'no-output');
    assert.match(r.message, /wrote nothing/);
    assert.match(r.message, /SYNC_OUTPUT_FILE/);
    assert.equal(fs.existsSync(f.output), false);
    assert.deepEqual(leftovers(f), []);
  });

  it('leaves the output as it was when the generator writes nothing to the copy it was given', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    f.setGenerator('#!/bin/sh\necho "wrote to the wrong place" > /dev/null\n');
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    assertUntouched(f, prev);
  });

  it('hands the generator a copy of the current output in SYNC_OUTPUT_FILE, and publishes what it made of it', async () => {
    const f = await fixture();
    const prev = await previousOutput(f);
    f.setGenerator(`#!/bin/sh\ncmp -s "$SYNC_OUTPUT_FILE" '${f.output}' || exit 7\necho appended >> "$SYNC_OUTPUT_FILE"\n`);
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    assert.deepEqual(fs.readFileSync(f.output), Buffer.concat([prev.bytes, Buffer.from('appended\n')]));
    assert.deepEqual(leftovers(f), []);
  });

  it('publishes an empty output when the generator exits 0 after emptying its file, as ambrogio does', async () => {
    const f = await fixture();
    await previousOutput(f);
    f.setGenerator('#!/bin/sh\n: > "$SYNC_OUTPUT_FILE"\n');
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    assert.equal(fs.readFileSync(f.output, 'utf8'), '');
    assert.equal(generatorStatus(validateManifest(f.manifest, f.ws), { state: f.store, runRecordFile: f.opts.runRecordFile }).editedByHand, false);
  });

  it('refuses to run in an untrusted workspace, without starting the generator', async () => {
    const marker = path.join(tempDir('m'), 'ran');
    const f = await fixture(`#!/bin/sh\ntouch ${marker}\nprintf x > "$SYNC_OUTPUT_FILE"\n`);
    const r = await f.run({ isTrusted: () => false });
    assert.equal(r.outcome, 'untrusted');
    assert.equal(r.ran, false);
    assert.match(r.message, /not trusted/);
    assert.equal(fs.existsSync(marker), false);
    assert.equal(fs.existsSync(f.output), false);
  });

  it('refuses an invalid manifest, pointing at sync validate', async () => {
    const f = await fixture(OK_GEN, manifestOf({ outputFile: '../escape.md' }));
    const r = await f.run();
    assert.equal(r.outcome, 'invalid-manifest');
    assert.ok(r.message.includes(f.manifest));
    assert.match(r.message, /sync validate/);
  });

  it('waits for another process generating the same output, and gives up clearly', async () => {
    const f = await fixture();
    const lockDir = tempDir('locks');
    const release = acquireLockSync(path.join(lockDir, shortHash(f.output)));
    try {
      const r = await f.run({ lockDir, lockWaitMs: 150 });
      assert.equal(r.outcome, 'busy');
      assert.match(r.message, /another SkillMeat Sync process is generating/);
      assert.equal(fs.existsSync(f.output), false);
    } finally {
      release();
    }
    assert.equal((await f.run({ lockDir })).ok, true);
  });

  it('runs one generator at a time per output file', async () => {
    const log = path.join(tempDir('log'), 'log');
    const f = await fixture(`#!/bin/bash\necho "start $$" >> ${log}\nfor i in 1 2 3 4 5 6 7 8 9 10; do printf "$i" >> "$SYNC_OUTPUT_FILE"; done\necho "end $$" >> ${log}\n`);
    const results = await Promise.all([f.run(), f.run({ force: true }), f.run({ force: true })]);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 6);
    for (let i = 0; i < 6; i += 2) {
      assert.equal(lines[i].split(' ')[0], 'start');
      assert.equal(lines[i + 1], lines[i].replace('start', 'end'), 'each run ends before the next starts');
    }
    assert.ok(results.every((r) => r.ok), results.map((r) => r.message).join('\n'));
  });
});

describe('a generator that misbehaves after it is done (issue 12, item 8)', () => {
  afterEach(cleanupTemp);

  it('does not let a process it left behind write into the published output', async () => {
    // A setsid helper keeps the temp output open and appends to it after the generator exited; it says when done.
    const f = await fixture();
    const done = path.join(f.ws, 'helper-done');
    f.setGenerator(`#!/bin/sh\nprintf "# notes\\n" > "$SYNC_OUTPUT_FILE"\nexec 3>>"$SYNC_OUTPUT_FILE"\nsetsid sh -c 'sleep 0.3; echo LATE >&3; touch "${done}"' </dev/null >/dev/null 2>&1 &\n`);
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    await waitFor(() => fs.existsSync(done), 'the left-behind helper to finish writing');
    assert.equal(fs.readFileSync(f.output, 'utf8'), '# notes\n');
  });

  it('succeeds when a process it left behind holds stdout open, instead of timing out', async () => {
    const f = await fixture();
    f.setGenerator('#!/bin/sh\nprintf "# notes\\n" > "$SYNC_OUTPUT_FILE"\n(sleep 5) &\necho generated\n');
    const r = await f.run({ timeoutMs: 10_000 });
    assert.equal(r.outcome, 'ok', r.message);
    assert.ok(r.durationMs < 10_000, `the run waited for the helper (${r.durationMs} ms)`);
    assert.equal(fs.readFileSync(f.output, 'utf8'), '# notes\n');
  });

  it('refuses an output hard-linked to another file, and leaves that file and its mode alone', async () => {
    const f = await fixture();
    const outside = path.join(tempDir('outside'), 'secret.txt');
    fs.writeFileSync(outside, 'secret\n', { mode: 0o600 });
    fs.chmodSync(outside, 0o600);
    f.setGenerator(`#!/bin/sh\nrm -f "$SYNC_OUTPUT_FILE"\nln "${outside}" "$SYNC_OUTPUT_FILE"\n`);
    const r = await f.run();
    assert.equal(r.ok, false);
    assert.match(r.message, /a hard link/);
    assert.equal(fs.statSync(outside).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'secret\n');
    assert.ok(!fs.existsSync(f.output));
  });
});

describe('stale and hand-edit detection', () => {
  afterEach(cleanupTemp);

  async function generated(): Promise<Fixture> {
    const f = await fixture('#!/bin/sh\nambrogioctl state list --pattern "$SYNC_PATTERNS" --json > "$SYNC_OUTPUT_FILE"\n');
    f.store.set('notes:a', 'A');
    const r = await f.run();
    assert.equal(r.ok, true, r.message);
    return f;
  }

  const statusOf = (f: Fixture) => generatorStatus(validateManifest(f.manifest, f.ws), { state: f.store, runRecordFile: f.opts.runRecordFile });

  it('is never-generated before the first run', async () => {
    const f = await fixture();
    const s = statusOf(f);
    assert.equal(s.stale, true);
    assert.deepEqual(s.staleReasons, ['never-generated']);
    assert.equal(s.editedByHand, false);
    assert.equal(s.lastRun, undefined);
  });

  it('is up to date after a run, with the run remembered', async () => {
    const f = await generated();
    const s = statusOf(f);
    assert.equal(s.stale, false);
    assert.equal(s.editedByHand, false);
    assert.equal(s.lastRun?.ok, true);
    assert.equal(s.lastRun?.exitCode, 0);
    assert.ok((s.lastRun?.durationMs ?? -1) >= 0);
    assert.ok(!Number.isNaN(Date.parse(s.lastRun?.at ?? '')));
  });

  it('becomes stale when a matching row changes, not when an unrelated one does', async () => {
    const f = await generated();
    f.store.set('other:x', 'X');
    assert.equal(statusOf(f).stale, false);
    f.store.set('notes:b', 'B');
    assert.deepEqual(statusOf(f).staleReasons, ['state-changed']);
    await f.run();
    assert.equal(statusOf(f).stale, false);
    f.store.delete('notes:a');
    assert.deepEqual(statusOf(f).staleReasons, ['state-changed']);
  });

  it('becomes stale when the generator or the manifest changes, or the output disappears', async () => {
    const f = await generated();
    fs.appendFileSync(path.join(f.skillDir, 'scripts', 'sync.sh'), '# tweak\n');
    assert.deepEqual(statusOf(f).staleReasons, ['generator-changed']);
    await f.run();
    write(f.manifest, JSON.stringify(manifestOf({ patterns: ['notes:*', 'extra:*'] })));
    assert.deepEqual(statusOf(f).staleReasons, ['state-changed', 'manifest-changed']);
    await f.run();
    fs.rmSync(f.output);
    assert.deepEqual(statusOf(f).staleReasons, ['output-missing']);
  });

  it('records a failed run without forgetting the last good output', async () => {
    const f = await generated();
    f.setGenerator('#!/bin/sh\necho "broken" >&2\nexit 1\n');
    await f.run();
    const s = statusOf(f);
    assert.equal(s.lastRun?.ok, false);
    assert.equal(s.lastRun?.outcome, 'failed');
    assert.equal(s.lastRun?.exitCode, 1);
    assert.match(s.lastRun?.logTail ?? '', /broken/);
    assert.ok(s.lastGenerated);
  });

  it('detects a hand edit and refuses to overwrite it without force', async () => {
    const f = await generated();
    fs.appendFileSync(f.output, 'my precious note\n');
    assert.equal(statusOf(f).editedByHand, true);
    f.store.set('notes:b', 'B');
    const refused = await f.run();
    assert.equal(refused.outcome, 'edited-by-hand');
    assert.ok(refused.message.includes(f.output) && /--force/.test(refused.message));
    assert.match(fs.readFileSync(f.output, 'utf8'), /my precious note/);
    const forced = await f.run({ force: true });
    assert.equal(forced.ok, true);
    assert.doesNotMatch(fs.readFileSync(f.output, 'utf8'), /my precious note/);
    assert.equal(statusOf(f).editedByHand, false);
  });

  it('replaces an output changed since its last run (ambrogio regenerated it) when the new output is identical to it', async () => {
    const f = await generated();
    f.setGenerator('#!/bin/sh\nambrogioctl state list --pattern "$SYNC_PATTERNS" > "$SYNC_OUTPUT_FILE"\n');
    f.store.set('notes:b', 'B');
    // what ambrogio writes from the same state with the same generator, into the same file
    write(f.output, 'notes:a=A\nnotes:b=B\n');
    assert.equal(statusOf(f).editedByHand, true);
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    assert.equal(fs.readFileSync(f.output, 'utf8'), 'notes:a=A\nnotes:b=B\n');
    assert.equal(statusOf(f).editedByHand, false, 'remembered as generated');
    write(f.output, 'notes:a=A\n');
    const refused = await f.run();
    assert.equal(refused.outcome, 'edited-by-hand', 'a file that differs from the new output is still protected');
    assert.equal(fs.readFileSync(f.output, 'utf8'), 'notes:a=A\n');
  });

  it('does not refuse an existing file it never generated when the generator writes exactly that file', async () => {
    const f = await fixture();
    write(f.output, '# notes\n');
    assert.equal(statusOf(f).foreignOutput, true);
    const r = await f.run();
    assert.equal(r.outcome, 'ok', r.message);
    assert.equal(statusOf(f).foreignOutput, false);
  });

  it('does not count a CRLF conversion of the output as a hand edit', async () => {
    const f = await generated();
    fs.writeFileSync(f.output, fs.readFileSync(f.output, 'utf8').replace(/\n/g, '\r\n'));
    assert.equal(statusOf(f).editedByHand, false);
  });

  it('refuses to overwrite an existing file it never generated, unless forced', async () => {
    const f = await fixture();
    write(f.output, 'a file the user wrote\n');
    assert.equal(statusOf(f).foreignOutput, true);
    const r = await f.run();
    assert.equal(r.outcome, 'edited-by-hand');
    assert.match(r.message, /not generated by SkillMeat Sync/);
    assert.deepEqual(leftovers(f), []);
    assert.equal(fs.readFileSync(f.output, 'utf8'), 'a file the user wrote\n');
    assert.equal((await f.run({ force: true })).ok, true);
  });

  it('treats an existing file as foreign when outputFile is changed to point at it', async () => {
    const f = await generated();
    write(path.join(f.ws, 'OTHER.md'), 'somebody else\'s file\n');
    write(f.manifest, JSON.stringify(manifestOf({ outputFile: 'OTHER.md' })));
    const s = statusOf(f);
    assert.equal(s.foreignOutput, true);
    assert.equal(s.editedByHand, false);
    assert.ok(s.staleReasons.includes('manifest-changed'));
    assert.equal((await f.run()).outcome, 'edited-by-hand');
    assert.equal(fs.readFileSync(path.join(f.ws, 'OTHER.md'), 'utf8'), 'somebody else\'s file\n');
  });

  it('generates only stale generators in a "stale" batch and reports failures', async () => {
    const f = await generated();
    const fresh = validateManifest(f.manifest, f.ws);
    const skipped = await runGenerators([fresh], 'stale', f.opts);
    assert.deepEqual(skipped.items.map((i) => i.skipped), ['up-to-date']);
    assert.equal(skipped.ok, true);
    f.store.set('notes:z', 'Z');
    const again = await runGenerators([fresh], 'stale', f.opts);
    assert.equal(again.items[0].result?.ok, true);
    f.setGenerator('#!/bin/sh\nexit 9\n');
    const failing = await runGenerators([fresh], 'all', f.opts);
    assert.equal(failing.ok, false);
  });
});
