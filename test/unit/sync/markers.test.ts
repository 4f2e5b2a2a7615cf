// Finishing a conflict without VS Code (SPEC §10): `update|pull --strategy merge --markers` writes the merge with
// conflict markers into the project copy only and leaves the artifact `merging`; `resolve` completes it once no
// markers remain (refusing, with file:line, while some do, and when the collection changed since); `resolve --abort`
// puts the project copy back byte for byte; `--tool CMD` runs a real external program like `git mergetool`.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { VersionStore } from '../../../src/core/store/versionStore';
import { checkDrift } from '../../../src/core/drift/drift';
import { mergesInProgress } from '../../../src/core/sync';
import { toolCommandLine } from '../../../src/cli/mergeTool';
import { useTempDirs, addSkill, addCommand, captureIO, snapshotDir, type CapturedIO } from '../helpers';
import { makeSyncWorld, deploy, lines, editLine, read, type SyncWorld } from './syncWorld';

describe('CLI: --markers, resolve, resolve --abort, --tool', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  let io: CapturedIO;

  beforeEach(async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines(), 'extra.md': 'extra\n' });
    addCommand(w.collection, 'ship', lines());
    await deploy(w, 'skill', 'review');
    await deploy(w, 'command', 'ship');
    w.store.close();
    io = captureIO({ env: w.env, cwd: w.project });
  });

  const cli = async (...argv: string[]) => { io.stdout.length = 0; io.stderr.length = 0; return main(argv, io); };
  const out = () => io.stdout.join('\n');
  const err = () => io.stderr.join('\n');
  const projNotes = () => path.join(w.claude, 'skills', 'review', 'notes.md');
  const collNotes = () => path.join(w.collection, 'skills', 'review', 'notes.md');
  /** The state `check --json` reports (a new process's view: the store is read from disk). */
  const stateOf = async (name: string): Promise<string> => {
    assert.ok(await cli('check', '--json') <= 1, err());
    return (JSON.parse(out()) as { artifacts: { name: string; state: string }[] }).artifacts.find((a) => a.name === name)!.state;
  };
  const conflict = () => {
    editLine(projNotes(), 5, 'mine');
    editLine(collNotes(), 5, 'theirs');
    editLine(collNotes(), 9, 'theirs too'); // merges cleanly
  };
  const resolveByHand = (keep: 'mine' | 'theirs') => {
    const text = read(projNotes()).replace(/^<{7}[^\n]*\n([\s\S]*?)^\|{7}[^\n]*\n[\s\S]*?^={7}\n([\s\S]*?)^>{7}[^\n]*\n/m, (_, a: string, b: string) => (keep === 'mine' ? a : b));
    fs.writeFileSync(projNotes(), text);
  };

  it('update --markers writes the markers into the project only, remembers the merge, and check says merging (exit 1)', async () => {
    conflict();
    const collBefore = Object.fromEntries(snapshotDir(w.collection));
    assert.equal(await cli('update', 'review', '--strategy', 'merge', '--markers'), 1, err());
    assert.match(out(), /merging +skill review \(\.claude\): 1 conflicting file written into the project copy with conflict markers/);
    assert.match(out(), /Conflict markers written into the project copy \(the collection is unchanged\):/);
    assert.ok(out().includes(`  ${projNotes()}  (text)`), out());
    assert.match(out(), /skillmeat-sync resolve NAME" for review/);
    const text = read(projNotes());
    assert.match(text, /^<{7} project /m);
    assert.match(text, /^>{7} collection /m);
    assert.match(text, /^theirs too$/m, 'the clean part of the merge is written too');
    assert.deepEqual(Object.fromEntries(snapshotDir(w.collection)), collBefore, 'the collection is untouched');
    assert.equal(await cli('check'), 1);
    assert.match(out(), /merging/);
    assert.match(out(), /resolve/);
    assert.equal(await stateOf('review'), 'merging');
    // A new process finds the merge in progress (it is in the store on disk).
    const store = await VersionStore.open(w.storeDir);
    try {
      const merges = await mergesInProgress(store, w.project);
      assert.deepEqual(merges.map((m) => [m.pending.artifact.name, m.pending.direction, m.entry.files]), [['review', 'update', ['notes.md']]]);
      assert.equal(checkDrift({ project: w.project, env: w.env, store }).artifacts.find((a) => a.name === 'review')!.state, 'merging');
    } finally { store.close(); }
    // Another update leaves a merging artifact alone.
    assert.equal(await cli('update', 'review', '--strategy', 'merge'), 0, err());
    assert.match(out(), /skipped +skill review \(\.claude\): merging/);
  });

  it('resolve refuses while markers remain, naming file and lines (exit 1), and writes nothing', async () => {
    conflict();
    assert.equal(await cli('update', '--strategy', 'merge', '--markers'), 1);
    const before = Object.fromEntries(snapshotDir(w.project));
    assert.equal(await cli('resolve', 'review'), 1);
    assert.match(err(), /Not resolving skill review \(\.claude\): conflict markers remain in the project copy:/);
    const lineNos = read(projNotes()).split('\n').map((l, i) => (/^(<{7}|\|{7}|={7}|>{7})/.test(l) ? i + 1 : 0)).filter(Boolean);
    assert.ok(err().includes(`  ${projNotes()}: conflict markers on lines ${lineNos.join(', ')}`), err());
    assert.deepEqual(Object.fromEntries(snapshotDir(w.project)), before);
    assert.equal(await stateOf('review'), 'merging');
  });

  it('resolve of an update keeps the project as resolved; the collection version becomes the baseline (modified), then undo', async () => {
    conflict();
    const collBefore = Object.fromEntries(snapshotDir(w.collection));
    assert.equal(await cli('update', 'review', '--markers'), 1);
    resolveByHand('mine');
    const resolved = read(projNotes());
    assert.equal(await cli('resolve', 'review'), 0, err());
    assert.match(out(), /Resolved skill review \(\.claude\): the project keeps the resolution; the collection's version is the new baseline/);
    assert.equal(read(projNotes()), resolved);
    assert.deepEqual(Object.fromEntries(snapshotDir(w.collection)), collBefore, 'an update never writes the collection');
    assert.equal(await stateOf('review'), 'modified');
    assert.equal(await cli('resolve', 'review'), 2, 'nothing in progress any more');
    assert.match(err(), /no merge of "review" is in progress/);
    // Undo puts the record back: the artifact is a conflict again, the files as they are.
    assert.equal(await cli('undo'), 0, err());
    assert.equal(await stateOf('review'), 'conflict');
  });

  it('resolve of an update that takes the collection side ends in sync', async () => {
    conflict();
    assert.equal(await cli('update', 'review', '--markers'), 1);
    resolveByHand('theirs');
    assert.equal(await cli('resolve', 'review', '--type', 'skill'), 0, err());
    assert.equal(read(projNotes()), read(collNotes()));
    assert.equal(await stateOf('review'), 'in-sync');
  });

  it('resolve of a pull writes the resolution into the collection and makes it the baseline (in sync); undo restores the collection', async () => {
    conflict();
    const collText = read(collNotes());
    assert.equal(await cli('pull', 'review', '--strategy', 'merge', '--markers'), 1, err());
    assert.equal(read(collNotes()), collText, 'markers never go into the collection');
    assert.match(read(projNotes()), /^<{7} collection /m);
    assert.equal(await stateOf('review'), 'merging');
    resolveByHand('theirs'); // in a pull, "theirs" is the project's side
    const resolved = read(projNotes());
    assert.match(resolved, /^mine$/m);
    assert.equal(await cli('resolve', 'review'), 0, err());
    assert.match(out(), /the resolution was written into the collection and is the new baseline/);
    assert.equal(read(collNotes()), resolved);
    assert.equal(await stateOf('review'), 'in-sync');
    assert.equal(await cli('undo'), 0, err());
    assert.equal(read(collNotes()), collText);
  });

  it('resolve refuses when the collection changed since the markers were written, and says what to do', async () => {
    conflict();
    assert.equal(await cli('update', 'review', '--markers'), 1);
    resolveByHand('mine');
    editLine(collNotes(), 2, 'changed meanwhile');
    const before = { p: Object.fromEntries(snapshotDir(w.project)), c: Object.fromEntries(snapshotDir(w.collection)) };
    assert.equal(await cli('resolve', 'review'), 1);
    assert.match(err(), /changed in the collection since the conflict markers were written/);
    assert.match(err(), /resolve review --abort", then "update review --strategy merge --markers" again/);
    assert.deepEqual({ p: Object.fromEntries(snapshotDir(w.project)), c: Object.fromEntries(snapshotDir(w.collection)) }, before);
  });

  it('resolve --abort puts the project copy back byte for byte and forgets the merge', async () => {
    conflict();
    fs.chmodSync(path.join(w.claude, 'skills', 'review', 'extra.md'), 0o600);
    fs.appendFileSync(path.join(w.claude, 'commands', 'ship.md'), 'mine\n');
    fs.appendFileSync(path.join(w.collection, 'commands', 'ship.md'), 'theirs\n');
    const content = (dir: string) => Object.fromEntries([...snapshotDir(dir)].map(([k, v]) => [k, { kind: v.kind, mode: v.mode, sha256: v.sha256 }]));
    const before = content(w.claude);
    assert.equal(await cli('update', '--markers'), 1);
    assert.notDeepEqual(content(w.claude), before);
    fs.appendFileSync(projNotes(), 'half-way resolution\n');
    assert.equal(await cli('resolve', 'review', '--abort'), 0, err());
    assert.match(out(), /Aborted the update merge of skill review \(\.claude\): the project copy is back as it was before the conflict markers/);
    assert.equal(await cli('resolve', 'ship', '--abort'), 0, err());
    const after = content(w.claude);
    // The records file is untouched by markers and abort alike.
    assert.deepEqual(after, before);
    assert.equal(await stateOf('review'), 'conflict');
    assert.equal(await stateOf('ship'), 'conflict');
  });

  it('undo of the --markers sync restores the project and forgets the merge in progress', async () => {
    conflict();
    const before = read(projNotes());
    assert.equal(await cli('update', 'review', '--markers'), 1);
    assert.equal(await cli('undo'), 0, err());
    assert.equal(read(projNotes()), before);
    assert.equal(await stateOf('review'), 'conflict');
  });

  it('a command (single file) resolves too', async () => {
    const ship = path.join(w.claude, 'commands', 'ship.md');
    fs.appendFileSync(ship, 'mine\n');
    fs.appendFileSync(path.join(w.collection, 'commands', 'ship.md'), 'theirs\n');
    assert.equal(await cli('update', 'ship', '--markers'), 1);
    assert.match(read(ship), /^<{7} /m);
    fs.writeFileSync(ship, lines() + 'mine\ntheirs\n');
    assert.equal(await cli('resolve', 'ship'), 0, err());
    assert.equal(await stateOf('ship'), 'modified');
  });

  describe('--tool', () => {
    const script = (body: string): string => {
      const file = path.join(tmp('tool'), 'tool.sh');
      fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return file;
    };

    it('runs the tool with LOCAL REMOTE BASE MERGED and resolves when it exits 0 leaving no markers', async function () {
      if (process.platform === 'win32') this.skip();
      conflict();
      const log = path.join(tmp('log'), 'args');
      // Takes REMOTE (the collection's version in an update) as the resolution, like "take theirs" in a merge tool.
      const tool = script(`printf '%s\\n' "$@" > '${log}'\ngrep -q '<<<<<<<' "$4" || exit 3\ncp "$2" "$4"`);
      assert.equal(await cli('update', 'review', '--tool', tool), 0, err() + out());
      const args = read(log).trim().split('\n');
      assert.equal(args.length, 4);
      assert.match(path.basename(args[0]), /^LOCAL_notes\.md$/);
      assert.match(path.basename(args[1]), /^REMOTE_notes\.md$/);
      assert.match(path.basename(args[2]), /^BASE_notes\.md$/);
      assert.equal(args[3], projNotes());
      assert.match(out(), /resolved +skill review \(\.claude\) with the merge tool/);
      assert.equal(read(projNotes()), read(collNotes()));
      assert.equal(await stateOf('review'), 'in-sync');
      assert.equal(fs.existsSync(args[0]), false, 'the temporary files are removed');
    });

    it('with placeholders, substitutes them; a tool that exits 1 leaves the artifact merging (exit 1)', async function () {
      if (process.platform === 'win32') this.skip();
      conflict();
      const tool = script('test -f "$1" && test -f "$2" && exit 1; exit 2');
      assert.equal(await cli('update', 'review', '--strategy', 'merge', '--tool', `${tool} $MERGED $BASE`), 1);
      assert.match(out(), /merge tool: .*notes\.md: exit 1/);
      assert.match(out(), /skill review is still merging: the tool exited 1 on /);
      assert.match(out(), /Finish it by hand, then run "skillmeat-sync resolve review"/);
      assert.equal(await stateOf('review'), 'merging');
    });

    it('toolCommandLine appends the paths in code --merge order without placeholders, and quotes substitutions', () => {
      const f = { BASE: '/t/B', LOCAL: '/t/L', REMOTE: "/t/it's", MERGED: '/p/M' };
      assert.equal(toolCommandLine('code --wait --merge', f), "code --wait --merge '/t/L' '/t/it'\\''s' '/t/B' '/p/M'");
      assert.equal(toolCommandLine('meld $LOCAL ${MERGED} $REMOTE', f), "meld '/t/L' '/p/M' '/t/it'\\''s'");
    });

    it('--markers and --tool need --strategy merge', async () => {
      assert.equal(await cli('update', '--strategy', 'overwrite', '--markers'), 2);
      assert.match(err(), /--markers goes with --strategy merge/);
    });
  });
});
