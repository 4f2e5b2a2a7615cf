// SYNC.json generators in the real VS Code, on test/fixtures/generators: the structured-notes example skill
// (bash + python3 reading `ambrogioctl state list`) and broken-notes, whose SYNC.json is invalid. The state
// rows are written by the test through the core's own store — the same database the extension reads —
// right before generating. The tests run in order and share the workspace, as a user's session would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { OwnStateStore, defaultStateDbPath } from '../../../src/core/generators';
import type { SkillMeatSyncApi } from '../../../src/extension';
import type { GenerateOutcome } from '../../../src/vscode/generators/commands';
import type { ImportOutcome } from '../../../src/vscode/generators/backup';
import { generateKey } from '../../../src/core/privacy/fernet';
import { getApi, screenshot, waitFor, waitForDom } from '../util';

const NOTES_ID = '.claude/skills/structured-notes';
const BROKEN_ID = '.claude/skills/broken-notes';
/** Rows of the Generators view only (the Drift view above it lists the same skills as untracked). */
const GEN_ROWS = '.part.sidebar .pane:has(.pane-header[aria-label^="Generators"]) .monaco-list-row';

function project(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}

function notesFile(): string {
  return path.join(project(), 'NOTES.md');
}

async function setNote(id: string, note: { type: string; title: string; body?: string }): Promise<void> {
  const store = await OwnStateStore.open(defaultStateDbPath(project(), process.env));
  store.set(`notes:entry:${id}`, JSON.stringify(note));
}

function rowOf(rows: string[], name: string): string | undefined {
  return rows.find((r) => r.startsWith(name));
}

describe('Generators', () => {
  let api: SkillMeatSyncApi;

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.generators.refresh();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    await vscode.commands.executeCommand('skillmeatSync.generators.focus');
    // a wider side bar (the focused part grows), so the screenshots show whole descriptions
    await vscode.commands.executeCommand('workbench.action.focusSideBar');
    for (let i = 0; i < 5; i++) await vscode.commands.executeCommand('workbench.action.increaseViewSize');
    // the DOM renderer puts terminal text in the DOM (.xterm-rows), where the harness can read it
    await vscode.workspace.getConfiguration('terminal.integrated').update('gpuAcceleration', 'off', vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('terminal.integrated').update('gpuAcceleration', undefined, vscode.ConfigurationTarget.Global);
  });

  it('lists every skill with a SYNC.json in the Generators view, the invalid one with its first error', async () => {
    const list = api.generators.list();
    assert.deepEqual(list.map((g) => g.id).sort(), [BROKEN_ID, NOTES_ID]);
    const broken = list.find((g) => g.id === BROKEN_ID)!;
    assert.equal(broken.valid, false);
    assert.ok(broken.errors.some((e) => e.pointer === '/version'), `the version error is reported: ${JSON.stringify(broken.errors)}`);
    const rows = await waitForDom(GEN_ROWS, (t) => !!rowOf(t, 'structured-notes') && !!rowOf(t, 'broken-notes'));
    assert.match(rowOf(rows, 'structured-notes')!, /NOTES\.md · never run/);
    assert.match(rowOf(rows, 'broken-notes')!, /invalid: "version" must be "1" — fix: set it to "1" \(\+2 more\)/);
    await screenshot('generators-view');
  });

  it('generates NOTES.md from the state through "Generate…" → Stale generators, and the view shows the last run', async () => {
    await setNote('2026-02-13-cache', { type: 'idea', title: 'Cache the drift report', body: 'Re-use hashes when mtimes did not change.' });
    await setNote('2026-02-14-wal', { type: 'decision', title: 'Read WAL frames ourselves', body: 'sql.js cannot open a WAL database.' });
    await setNote('2026-02-15-docs', { type: 'todo', title: 'Document the shim' });
    await waitFor(() => api.generators.list().find((g) => g.id === NOTES_ID)?.status?.stale, { what: 'structured-notes to be stale' });

    // The palette path: the command's quick pick, driven with the quick-input commands a keyboard user presses.
    const running = vscode.commands.executeCommand<GenerateOutcome[]>('skillmeatSync.generators.generate');
    await waitForDom('.quick-input-widget .monaco-list-row', (t) => t.some((x) => x.includes('Stale generators')));
    await vscode.commands.executeCommand('quickInput.next');
    await waitForDom('.quick-input-widget .monaco-list-row.focused', (t) => t.some((x) => x.includes('Stale generators') && x.includes('structured-notes')));
    await vscode.commands.executeCommand('quickInput.accept');
    const outcomes = await running;

    assert.equal(outcomes.length, 1, `one stale generator ran: ${JSON.stringify(outcomes)}`);
    assert.equal(outcomes[0].id, NOTES_ID);
    assert.equal(outcomes[0].result?.ok, true, outcomes[0].result?.message);
    assert.equal(outcomes[0].result?.rowCount, 3);
    const notes = fs.readFileSync(notesFile(), 'utf8');
    assert.match(notes, /^# Notes/);
    assert.match(notes, /## Decision \(1\)\n\n### Read WAL frames ourselves\n\nsql\.js cannot open a WAL database\./);
    assert.match(notes, /## Idea \(1\)\n\n### Cache the drift report/);
    assert.match(notes, /## Todo \(1\)\n\n### Document the shim/);

    const rows = await waitForDom(GEN_ROWS, (t) => /NOTES\.md · (just now|\d+ s ago) ok \d/.test(rowOf(t, 'structured-notes') ?? ''));
    assert.doesNotMatch(rowOf(rows, 'structured-notes')!, /stale|edited by hand/);
    const info = api.generators.list().find((g) => g.id === NOTES_ID)!;
    assert.equal(info.lastRun?.ok, true);
    assert.equal(info.status?.stale, false);
    await screenshot('generators-generated');
  });

  it('marks the output stale when a state row it renders changes', async () => {
    await setNote('2026-02-16-stale', { type: 'idea', title: 'Show stale outputs' });
    await waitForDom(GEN_ROWS, (t) => /· stale/.test(rowOf(t, 'structured-notes') ?? ''), { what: 'the stale marker' });
    assert.deepEqual(api.generators.list().find((g) => g.id === NOTES_ID)?.status?.staleReasons, ['state-changed']);
  });

  it('regenerates a stale output by itself when autoRegenerate is on and the state changes', async () => {
    const config = vscode.workspace.getConfiguration('skillmeatSync.generators');
    await config.update('autoRegenerate', true, vscode.ConfigurationTarget.Global);
    try {
      await setNote('2026-02-17-auto', { type: 'todo', title: 'Regenerate automatically' });
      await waitFor(() => fs.readFileSync(notesFile(), 'utf8').includes('### Regenerate automatically'), { what: 'NOTES.md to be regenerated', timeoutMs: 20_000 });
      const notes = fs.readFileSync(notesFile(), 'utf8');
      assert.match(notes, /### Show stale outputs/, 'the row added while it was off is rendered too');
      await waitForDom(GEN_ROWS, (t) => /NOTES\.md · .* ok /.test(rowOf(t, 'structured-notes') ?? '') && !/stale/.test(rowOf(t, 'structured-notes') ?? ''));
    } finally {
      await config.update('autoRegenerate', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('shows the schema errors of a bad SYNC.json in the editor and the Problems panel', async () => {
    const uri = vscode.Uri.file(path.join(project(), BROKEN_ID, 'SYNC.json'));
    await vscode.window.showTextDocument(uri);
    // the JSON language service validates against schemas/sync.schema.json (contributes.jsonValidation) …
    const diags = await waitFor(() => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.some((x) => x.source === 'json' || /Value must be|not accepted|too few items/i.test(x.message)) && d.some((x) => x.source === 'SkillMeat Sync') ? d : undefined;
    }, { what: 'diagnostics from the JSON language service and from SkillMeat Sync', timeoutMs: 20_000 });
    const fromSchema = diags.filter((d) => d.source !== 'SkillMeat Sync');
    assert.ok(fromSchema.some((d) => d.range.start.line === 1), `the JSON service flags "version" (line 2): ${JSON.stringify(fromSchema.map((d) => [d.range.start.line, d.message]))}`);
    // … and the extension adds what a schema cannot say, with the field underlined
    const ours = diags.filter((d) => d.source === 'SkillMeat Sync');
    const version = ours.find((d) => d.code === 'schema' && d.range.start.line === 1);
    assert.ok(version, `our diagnostic on "version": ${JSON.stringify(ours.map((d) => [d.range.start.line, d.message]))}`);
    assert.equal(version.range.start.character, 13);
    assert.equal(version.range.end.character, 16, 'the whole value "2" is underlined');
    assert.ok(ours.some((d) => d.code === 'generator-missing' && d.range.start.line === 4 && /missing\.sh does not exist/.test(d.message)));

    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await waitForDom('.part.panel .monaco-list-row', (t) => t.some((x) => x.includes('must be "1"')), { timeoutMs: 15_000 });
    await screenshot('generators-diagnostics');
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('offers one task per valid generator, and "Generate structured-notes" runs and exits 0', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'skillmeat-sync' });
    const names = tasks.map((t) => t.name).sort();
    assert.deepEqual(names, ['Generate all', 'Generate stale', 'Generate structured-notes']);
    const task = tasks.find((t) => t.name === 'Generate structured-notes')!;
    const code = await runTask(task);
    assert.equal(code, 0);
    assert.equal(api.generators.list().find((g) => g.id === NOTES_ID)?.lastRun?.ok, true);
    await vscode.commands.executeCommand('workbench.action.terminal.focus');
    await waitForDom('.part.panel .xterm-rows', (t) => t.join('\n').includes('✓ .claude/skills/structured-notes: Generated'), { timeoutMs: 15_000 });
    await screenshot('generators-task');
  });

  it('"Generate all" exits non-zero because broken-notes is invalid', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'skillmeat-sync' });
    const code = await runTask(tasks.find((t) => t.name === 'Generate all')!);
    assert.equal(code, 1);
    await vscode.commands.executeCommand('workbench.action.terminal.focus');
    await waitForDom('.part.panel .xterm-rows', (t) => t.join('\n').includes('1 generated, 1 failed, 0 up to date.'), { timeoutMs: 15_000 });
    await screenshot('generators-task-all');
  });

  it('refuses to overwrite an output edited by hand unless forced, and the view says so', async () => {
    const edited = `${fs.readFileSync(notesFile(), 'utf8')}\nMy own line.\n`;
    fs.writeFileSync(notesFile(), edited);
    await waitForDom(GEN_ROWS, (t) => /edited by hand/.test(rowOf(t, 'structured-notes') ?? ''), { what: 'the edited-by-hand marker' });

    const refused = await api.generators.generate(NOTES_ID);
    assert.equal(refused.outcome, 'edited-by-hand');
    assert.equal(fs.readFileSync(notesFile(), 'utf8'), edited, 'the edited output is untouched');

    const forced = await api.generators.generate(NOTES_ID, { force: true });
    assert.equal(forced.ok, true, forced.message);
    assert.doesNotMatch(fs.readFileSync(notesFile(), 'utf8'), /My own line/);
  });

  it('opens the output, the manifest and the last log of a generator, and validates one SYNC.json', async () => {
    await vscode.commands.executeCommand('skillmeatSync.generators.openOutput', NOTES_ID);
    await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath === notesFile(), { what: 'NOTES.md in the editor' });
    await vscode.commands.executeCommand('skillmeatSync.generators.openManifest', NOTES_ID);
    await waitFor(() => vscode.window.activeTextEditor?.document.uri.fsPath === path.join(project(), NOTES_ID, 'SYNC.json'), { what: 'SYNC.json in the editor' });
    await vscode.commands.executeCommand('skillmeatSync.generators.showLastLog', NOTES_ID);
    const log = await waitFor(() => {
      const doc = vscode.window.activeTextEditor?.document;
      return doc?.uri.scheme === 'skillmeat-sync-generator-log' ? doc.getText() : undefined;
    }, { what: 'the last log document' });
    assert.match(log, /Synced notes to /, 'the generator\'s own output');
    assert.match(log, /ok: Generated .*NOTES\.md from 5 state row\(s\)/, 'the runner\'s result');
    const results = await vscode.commands.executeCommand<{ id: string; valid: boolean; errors: unknown[] }[]>('skillmeatSync.generators.validate', BROKEN_ID);
    assert.equal(results.length, 1);
    assert.equal(results[0].valid, false);
    assert.equal(results[0].errors.length, 3);
  });

  it('asks before overwriting an output edited by hand when generating from the palette', async () => {
    fs.appendFileSync(notesFile(), '\nAnother edit.\n');
    await waitFor(() => api.generators.list().find((g) => g.id === NOTES_ID)?.status?.editedByHand, { what: 'the edit to be noticed' });
    // The test workbench refuses modal dialogs ("DialogService: refused to show dialog in tests. Contents: …")
    // instead of waiting for a click the harness cannot give; the refusal carries the question, and the
    // command reports it as a failure. Either way nothing may be overwritten without an answer.
    void vscode.commands.executeCommand('skillmeatSync.generators.generate', NOTES_ID);
    // (the smoke-test driver keeps toasts hidden; the notification center lists them)
    await vscode.commands.executeCommand('notifications.showList');
    const toasts = await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('was edited by hand')));
    const question = toasts.find((x) => x.includes('was edited by hand'))!;
    assert.match(question, /NOTES\.md was edited by hand since structured-notes generated it\. Overwrite it/);
    await screenshot('generators-overwrite-question');
    assert.match(fs.readFileSync(notesFile(), 'utf8'), /Another edit\./, 'nothing is overwritten without an answer');
  });

  it('exports an encrypted state backup and imports it with "Ask for each difference": a quick pick per entry that can show both values side by side', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const KEY_ID = 'notes:entry:2026-03-01-backup';
    const store = await OwnStateStore.open(defaultStateDbPath(project(), process.env));
    store.set(KEY_ID, JSON.stringify({ type: 'idea', title: 'Written before the backup' }));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-backup-'));
    const backup = path.join(tmp, 'state.smbackup');
    const key = generateKey();
    const written = await vscode.commands.executeCommand<string>('skillmeatSync.state.exportBackup', { file: backup, key });
    assert.equal(written, backup);
    const text = fs.readFileSync(backup, 'utf8');
    assert.match(text, /^SKILLMEAT-SYNC-BACKUP 1\n/);
    assert.ok(!text.includes('Written before the backup'), 'nothing readable in clear');

    store.set(KEY_ID, JSON.stringify({ type: 'idea', title: 'Changed here since' }));
    store.set('notes:entry:2026-03-02-only-here', JSON.stringify({ type: 'todo', title: 'Only here' }));
    const importing = vscode.commands.executeCommand<ImportOutcome>('skillmeatSync.state.importBackup', { file: backup, key, strategy: 'user-choice' });
    const rows = await waitForDom('.quick-input-widget .monaco-list-row', (t) => t.some((x) => x.includes('Keep this workspace')));
    assert.ok(rows.some((x) => x.includes('Changed here since')) && rows.some((x) => x.includes('Written before the backup')), `both values are shown: ${rows.join(' | ')}`);
    await screenshot('state-import-question');
    // "Show both side by side" (third row) opens a diff editor, then the same question comes back
    await vscode.commands.executeCommand('quickInput.next');
    await vscode.commands.executeCommand('quickInput.next');
    await waitForDom('.quick-input-widget .monaco-list-row.focused', (t) => t.some((x) => x.includes('Show both side by side')));
    await vscode.commands.executeCommand('quickInput.accept');
    await waitFor(() => vscode.window.tabGroups.activeTabGroup.activeTab?.label.includes('this workspace ↔ backup'), { what: 'the diff of both values' });
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab!;
    assert.ok(tab.input instanceof vscode.TabInputTextDiff, 'a diff editor');
    await waitForDom('.quick-input-widget .monaco-list-row', (t) => t.some((x) => x.includes('Take the backup')));
    await screenshot('state-import-diff');
    await vscode.commands.executeCommand('quickInput.next');
    await waitForDom('.quick-input-widget .monaco-list-row.focused', (t) => t.some((x) => x.includes("Take the backup's value")));
    await vscode.commands.executeCommand('quickInput.accept');
    const outcome = await importing;
    assert.ok(outcome, 'the import ran');
    assert.equal(outcome.written, 1);
    assert.equal(outcome.conflicts, 0);
    assert.deepEqual(outcome.steps.find((x) => x.key === KEY_ID), { key: KEY_ID, action: 'take-backup', reason: "your choice: the backup's value" });
    assert.equal(outcome.steps.find((x) => x.key === 'notes:entry:2026-03-02-only-here')?.action, 'kept-local', 'an import never deletes');
    const after = await OwnStateStore.open(defaultStateDbPath(project(), process.env));
    assert.equal(JSON.parse(after.get(KEY_ID)!.value).title, 'Written before the backup');
    assert.equal(JSON.parse(after.get('notes:entry:2026-03-02-only-here')!.value).title, 'Only here');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

/** Runs a task and resolves with the exit code its CustomExecution reported (listening before it starts). */
async function runTask(task: vscode.Task): Promise<number | undefined> {
  return new Promise<number | undefined>((resolve, reject) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name === task.name && e.execution.task.source === task.source) { sub.dispose(); resolve(e.exitCode); }
    });
    vscode.tasks.executeTask(task).then(undefined, (e) => { sub.dispose(); reject(e); });
  });
}
