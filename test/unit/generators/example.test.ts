// End to end: the structured-notes example skill (bash + python3, modelled on ambrogio's) generated
// through the CLI command, the runner and the ambrogioctl shim, from both kinds of state database.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatorsCommand } from '../../../src/cli/generators';
import { OwnStateStore, defaultStateDbPath } from '../../../src/core/generators';
import { AMBROGIO_DDL, EXAMPLE_SKILL, Sqlite3, captureIO, cleanupTemp, copyDir, insertSql, tempDir, testCli, testEnv } from './helpers';

const NOTES: Record<string, unknown> = {
  'notes:entry:001': { type: 'idea', title: 'Cache the drift report', body: 'Reuse hashes when nothing changed.' },
  'notes:entry:002': { type: 'todo', title: 'Write the README' },
  'notes:entry:003': { type: 'idea', title: 'Merge editor for SYNC.json', body: 'Maybe.' },
};

function workspaceWithExample(): string {
  const ws = tempDir('ws');
  copyDir(EXAMPLE_SKILL, path.join(ws, '.claude', 'skills', 'structured-notes'));
  return ws;
}

function assertNotesRendered(notes: string): void {
  assert.match(notes, /^# Notes\n/);
  const idea = notes.indexOf('## Idea (2)');
  const todo = notes.indexOf('## Todo (1)');
  assert.ok(idea > 0 && todo > idea, 'grouped by type, types in order');
  assert.ok(notes.indexOf('### Cache the drift report') > idea && notes.indexOf('### Merge editor for SYNC.json') < todo);
  assert.ok(notes.indexOf('### Write the README') > todo);
  assert.match(notes, /Reuse hashes when nothing changed\./);
  assert.doesNotMatch(notes, /memory:other/, 'rows outside the pattern are not rendered');
}

describe('the structured-notes example generator', () => {
  afterEach(cleanupTemp);

  it('has a valid SYNC.json', async () => {
    const ws = workspaceWithExample();
    const io = captureIO(ws, testEnv(tempDir('home')));
    assert.equal(await generatorsCommand(['validate', '--skill', 'structured-notes'], io), 0, io.stdout + io.stderr);
    assert.match(io.stdout, /^ok\s+\.claude\/skills\/structured-notes/m);
  });

  it('renders the notes in the product\'s store to NOTES.md, grouped by type, through sync generate', async () => {
    const ws = workspaceWithExample();
    const env = testEnv(tempDir('home'));
    const store = await OwnStateStore.open(defaultStateDbPath(ws, env));
    for (const [k, v] of Object.entries(NOTES)) store.set(k, JSON.stringify(v));
    store.set('notes:entry:004', 'not json at all');
    store.set('memory:other', '{"type":"idea","title":"memory:other"}');
    const io = captureIO(ws, env);
    const code = await generatorsCommand(['generate', '--skill', 'structured-notes', '--json'], io, { shim: await testCli() });
    assert.equal(code, 0, io.stdout + io.stderr);
    const report = JSON.parse(io.stdout) as { ok: boolean; results: { ok: boolean; outputPath: string; rowCount: number; stdout: string }[] };
    assert.equal(report.ok, true);
    assert.equal(report.results[0].rowCount, 4);
    assert.match(report.results[0].stdout, /Synced notes to/);
    const output = path.join(ws, 'NOTES.md');
    assert.equal(report.results[0].outputPath, output);
    const notes = fs.readFileSync(output, 'utf8');
    assertNotesRendered(notes);
    assert.match(notes, /## Unsorted \(1\)\n\n### notes:entry:004\n\nnot json at all/, 'a malformed note stays visible');

    // same state, same bytes: the stale check and a second run agree
    const again = captureIO(ws, env);
    assert.equal(await generatorsCommand(['generate', '--stale'], again, { shim: await testCli() }), 0, again.stderr);
    assert.match(again.stdout, /up to date\s+\.claude\/skills\/structured-notes/);
    assert.equal(fs.readFileSync(output, 'utf8'), notes);
  });

  it('renders notes straight from an ambrogio WAL database', async () => {
    const ws = workspaceWithExample();
    const env = testEnv(tempDir('home'));
    const db = path.join(tempDir('data'), 'runtime', 'state.db');
    fs.mkdirSync(path.dirname(db));
    const sqlite = new Sqlite3(db);
    try {
      await sqlite.exec(`${AMBROGIO_DDL}\n${insertSql([...Object.entries(NOTES).map(([k, v]): [string, string] => [k, JSON.stringify(v)]), ['memory:other', 'x']])}`);
      assert.ok(fs.statSync(`${db}-wal`).size > 0, 'the notes are only in the WAL');
      const io = captureIO(ws, env);
      const code = await generatorsCommand(['generate', '--all', '--state-db', db], io, { shim: await testCli() });
      assert.equal(code, 0, io.stdout + io.stderr);
      assertNotesRendered(fs.readFileSync(path.join(ws, 'NOTES.md'), 'utf8'));
    } finally {
      await sqlite.close();
    }
  });

  it('renders an empty state as a short file, not an empty one', async () => {
    const ws = workspaceWithExample();
    const io = captureIO(ws, testEnv(tempDir('home')));
    assert.equal(await generatorsCommand(['generate', '--all'], io, { shim: await testCli() }), 0, io.stderr);
    assert.match(fs.readFileSync(path.join(ws, 'NOTES.md'), 'utf8'), /_No notes yet\._/);
  });
});
