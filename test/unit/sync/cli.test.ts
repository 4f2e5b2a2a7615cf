// The CLI surface of sync (SPEC §10): update / pull with --strategy, --dry-run and --json, prompt only on a
// terminal, unresolved conflicts listed with exit 1, and undo.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import type { PromptIO } from '../../../src/cli/sync';
import { useTempDirs, addSkill, addCommand, captureIO, stateOf, snapshotDir, type CapturedIO } from '../helpers';
import { makeSyncWorld, deploy, check, lines, editLine, contentSnapshot, read, type SyncWorld } from './syncWorld';

describe('CLI: update, pull, undo', () => {
  const tmp = useTempDirs();
  let w: SyncWorld;
  let io: CapturedIO & PromptIO;

  beforeEach(async () => {
    w = await makeSyncWorld(tmp);
    addSkill(w.collection, 'review', { 'notes.md': lines() });
    addCommand(w.collection, 'ship', lines());
    await deploy(w, 'skill', 'review');
    await deploy(w, 'command', 'ship');
    io = captureIO({ env: w.env, cwd: w.project });
  });
  afterEach(() => w.store.close());

  const cli = (...argv: string[]) => main(argv, io);
  const out = () => io.stdout.join('\n');
  const err = () => io.stderr.join('\n');
  const skillNotes = () => path.join(w.claude, 'skills', 'review', 'notes.md');
  const collNotes = () => path.join(w.collection, 'skills', 'review', 'notes.md');

  it('pull --strategy merge merges into the collection only and exits 0, pointing at undo', async () => {
    editLine(skillNotes(), 2, 'mine');
    editLine(collNotes(), 9, 'theirs');
    const project = fs.readFileSync(skillNotes(), 'utf8');
    assert.equal(await cli('pull', '--strategy', 'merge'), 0, err());
    assert.match(out(), /^pull --strategy merge \(project → collection\)\n  merged +skill review \(\.claude\): collection ~notes\.md\n/);
    assert.match(out(), /1 artifact synced\. Undo with "skillmeat-sync undo"\./);
    assert.equal(fs.readFileSync(skillNotes(), 'utf8'), project);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'outdated');
  });

  it('exits 1 and lists every conflicting file when conflicts are left unresolved', async () => {
    editLine(skillNotes(), 5, 'mine');
    editLine(collNotes(), 5, 'theirs');
    fs.appendFileSync(path.join(w.claude, 'commands', 'ship.md'), 'mine\n');
    fs.appendFileSync(path.join(w.collection, 'commands', 'ship.md'), 'theirs\n');
    assert.equal(await cli('update', '--strategy', 'merge'), 1);
    assert.match(out(), /conflict +command ship \(\.claude\): 1 conflicting file/);
    assert.match(out(), /Conflicts left unresolved \(nothing was written for these artifacts\):/);
    assert.ok(out().includes(`  ${path.join(w.claude, 'skills', 'review', 'notes.md')}  (text)`), out());
    assert.ok(out().includes(`  ${path.join(w.claude, 'commands', 'ship.md')}  (text)`), out());
    assert.equal(read(skillNotes()).includes('theirs'), false);
  });

  it('--json gives the result, conflicts with both paths, and no Buffers', async () => {
    editLine(skillNotes(), 5, 'mine');
    editLine(collNotes(), 5, 'theirs');
    assert.equal(await cli('pull', 'review', '--json'), 1);
    const j = JSON.parse(out());
    assert.equal(j.status, 'conflict');
    assert.equal(j.strategy, 'merge');
    assert.deepEqual(j.artifacts[0].conflicts, [{
      path: 'notes.md', reason: 'text', binary: false,
      projectPath: skillNotes(), collectionPath: collNotes(), targetPath: collNotes(),
    }]);
  });

  it('--dry-run prints the plan and writes nothing (project, collection, store)', async () => {
    editLine(skillNotes(), 2, 'mine');
    fs.appendFileSync(path.join(w.claude, 'commands', 'ship.md'), 'mine\n');
    const snap = () => ({ project: Object.fromEntries(snapshotDir(w.project)), home: Object.fromEntries(snapshotDir(w.home)) });
    const before = snap();
    assert.equal(await cli('pull', '--strategy', 'overwrite', '--dry-run'), 0, err());
    assert.match(out(), /— dry run, nothing is written/);
    assert.match(out(), /would overwrite skill review \(\.claude\): collection ~notes\.md/);
    assert.match(out(), /would overwrite command ship \(\.claude\): collection ~\(file\)/);
    assert.deepEqual(snap(), before);
  });

  it('refuses --strategy prompt when stdin is not a terminal, writing nothing', async () => {
    editLine(skillNotes(), 2, 'mine');
    io.stdinIsTTY = false;
    const before = contentSnapshot(w.collection);
    assert.equal(await cli('pull', '--strategy', 'prompt'), 2);
    assert.match(err(), /--strategy prompt asks about each artifact on the terminal, but stdin is not a terminal\. In scripts and CI choose --strategy merge, overwrite or fork/);
    assert.deepEqual(contentSnapshot(w.collection), before);
  });

  it('asks per artifact on a terminal, re-asking after an answer it does not know', async () => {
    editLine(skillNotes(), 2, 'mine');
    editLine(collNotes(), 8, 'theirs');
    io.stdinIsTTY = true;
    const answers = ['what', 'k'];
    const questions: string[] = [];
    io.ask = async (q) => { questions.push(q); return answers.shift(); };
    assert.equal(await cli('update', 'review', '--strategy', 'prompt'), 0, err());
    assert.equal(questions.length, 2);
    assert.match(err(), /skill review \(\.claude\) is conflict; a merge would be clean\./);
    assert.match(err(), /\[k\]eep mine: leave the project as it is · \[t\]ake theirs: replace the project with the collection's version/);
    assert.match(err(), /"what" is not one of m, k, t, f, s\./);
    assert.match(out(), /kept +skill review/);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'modified');
  });

  it('undo restores the last sync; a second undo has nothing to do', async () => {
    editLine(skillNotes(), 2, 'mine');
    const before = { p: contentSnapshot(w.project), c: contentSnapshot(w.collection) };
    assert.equal(await cli('pull'), 0);
    io.stdout.length = 0;
    assert.equal(await cli('undo'), 0, err());
    assert.match(out(), /^Undid the pull of .* \(skill review\):\n  restored +collection: /);
    assert.deepEqual({ p: contentSnapshot(w.project), c: contentSnapshot(w.collection) }, before);
    io.stdout.length = 0;
    assert.equal(await cli('undo'), 0);
    assert.match(out(), /Nothing to undo/);
  });

  it('undo refuses (exit 1) when a synced path changed since, and --force undoes it', async () => {
    editLine(skillNotes(), 2, 'mine');
    await cli('pull');
    fs.appendFileSync(collNotes(), 'edited later\n');
    io.stdout.length = 0;
    assert.equal(await cli('undo'), 1);
    assert.ok(out().includes(`  collection: ${path.join(w.collection, 'skills', 'review')}`), out());
    assert.match(out(), /skillmeat-sync undo --force/);
    assert.equal(await cli('undo', '--force'), 0);
    assert.equal(stateOf(check(w), 'skill', 'review'), 'modified');
  });

  it('exits 2 for a name that matches nothing, and for a bad strategy', async () => {
    assert.equal(await cli('pull', 'nope'), 2);
    assert.match(out(), /Nothing was changed: no deployed artifact named "nope"/);
    assert.equal(await cli('pull', '--strategy', 'theirs'), 2);
    assert.match(err(), /--strategy must be one of overwrite, merge, fork, prompt/);
  });

  it('says there is nothing to do when nothing diverged', async () => {
    assert.equal(await cli('update'), 0);
    assert.match(out(), /nothing to update: no artifact is outdated, in conflict or converged/);
  });
});
