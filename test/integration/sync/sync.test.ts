// Sync in the real VS Code, on a copy of examples/: the conflicting command `commit` (both sides appended a
// different line), the outdated skill `release-notes`, and `code-review` made to conflict in two files.
// Conflicts open in VS Code's native merge editor; the tests read its panes from the workbench DOM, resolve
// the result document the way an editor edit would, and accept through the extension's command.
// The tests run in order and share the workspace, as a user's session would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, pressKey, screenshot, typeText, waitFor, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';
import type { AcceptOutcome } from '../../../src/vscode/sync/sync';
import type { SyncResult, UndoResult } from '../../../src/core/sync';

const STATUS = '.part.statusbar .statusbar-item';
const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
const MERGE_LINES = '.merge-editor .view-line';

interface MergeTab { base: vscode.Uri; input1: vscode.Uri; input2: vscode.Uri; result: vscode.Uri }

const project = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const collection = () => path.join(process.env.SKILLMEAT_HOME!, 'collections', 'default');
const inProject = (...p: string[]) => path.join(project(), '.claude', ...p);
const inCollection = (...p: string[]) => path.join(collection(), ...p);
const read = (file: string) => fs.readFileSync(file, 'utf8');

/** The files a sync may write, with their bytes: comparing two snapshots shows whether anything was written. */
function snapshot(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, fs.existsSync(f) ? fs.readFileSync(f).toString('base64') : '(absent)']));
}

function commitFiles(): string[] {
  return [inProject('commands', 'commit.md'), inCollection('commands', 'commit.md'), inProject('.skillmeat-deployed.toml'), inCollection('collection.lock')];
}

/** The active tab's merge input, if the active editor is a merge editor. */
function activeMerge(): MergeTab | undefined {
  const Merge = (vscode as unknown as { TabInputTextMerge: new () => MergeTab }).TabInputTextMerge;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof Merge ? input : undefined;
}

function mergeTab(result: vscode.Uri): vscode.Tab | undefined {
  const Merge = (vscode as unknown as { TabInputTextMerge: new () => MergeTab }).TabInputTextMerge;
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof Merge && t.input.result.toString() === result.toString());
}

const mergeTabOpen = (result: vscode.Uri) => !!mergeTab(result);

function stateOf(api: SkillMeatSyncApi, name: string): string | undefined {
  return api.getReports().flatMap((r) => r.artifacts).find((a) => a.name === name)?.state;
}

async function waitForState(api: SkillMeatSyncApi, name: string, state: string): Promise<void> {
  await waitFor(() => stateOf(api, name) === state, { what: `${name} to become ${state} (is ${stateOf(api, name)})` });
}

/** A drift-tree node as the tree hands it to a command. */
function node(api: SkillMeatSyncApi, name: string): unknown {
  const report = api.getReports()[0];
  const artifact = report.artifacts.find((a) => a.name === name);
  assert.ok(artifact, `${name} is in the drift report`);
  return { kind: 'artifact', folder: { folder: vscode.workspace.workspaceFolders![0], report, settings: {} }, artifact };
}

/** Replaces the whole text of a (merge result) document, as typing in the Result pane would. */
async function setText(uri: vscode.Uri, text: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the result document accepts edits');
  assert.equal(doc.getText(), text);
  return doc;
}

describe('Sync', () => {
  let api: SkillMeatSyncApi;
  let commitBefore: Record<string, string>;
  let merge: MergeTab;

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
  });

  it('asks before the first write into the shared collection; without an answer nothing is written', async () => {
    assert.deepEqual(api.sync.consent.allowed(), []);
    const before = snapshot(commitFiles());
    // The test workbench refuses modal dialogs ("DialogService: refused to show dialog in tests. Contents: …") instead
    // of waiting for a click the harness cannot give: the refusal carries the question, and nothing is written.
    const run = vscode.commands.executeCommand('skillmeatSync.merge', node(api, 'commit'));
    await vscode.commands.executeCommand('notifications.showList');
    await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('Write into the shared collection') && x.includes(collection())));
    await screenshot('sync-consent');
    await run;
    assert.deepEqual(snapshot(commitFiles()), before, 'nothing was written without consent');
    assert.equal(activeMerge(), undefined);
    assert.deepEqual(api.sync.consent.allowed(), []);
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.hideList');
    // What the "Allow" answer does: remembered for this collection, so no later sync asks.
    await api.sync.consent.allow(collection());
    assert.deepEqual(api.sync.consent.allowed(), [collection()]);
  });

  it('opens a conflict in the native merge editor: collection (incoming) and project (current) side by side', async () => {
    assert.equal(stateOf(api, 'commit'), 'conflict');
    commitBefore = snapshot(commitFiles());
    await vscode.commands.executeCommand('skillmeatSync.merge', node(api, 'commit'));
    merge = await waitFor(() => activeMerge(), { what: 'a merge editor to open' });
    assert.equal(merge.result.scheme, 'skillmeat-sync-merge-result', 'the result is an in-memory document, not the project file');
    assert.equal(merge.input1.scheme, 'skillmeat-sync-merge', 'the sides are read-only virtual documents');
    const incoming = (await vscode.workspace.openTextDocument(merge.input1)).getText();
    const current = (await vscode.workspace.openTextDocument(merge.input2)).getText();
    assert.equal(incoming, read(inCollection('commands', 'commit.md')), 'input 1 is the collection version');
    assert.equal(current, read(inProject('commands', 'commit.md')), 'input 2 is the project version');

    // The panes as the user sees them: both sides' appended lines, and the sides named in the headers.
    await waitForDom(MERGE_LINES, (t) => t.some((x) => x.includes('Keep the summary under 72 characters.')) && t.some((x) => x.includes('Mention the ticket number.')));
    await waitForDom('.merge-editor', (t) => t.some((x) => x.includes('Collection (incoming)') && x.includes('Project (current)') && x.includes('project/.claude/commands/commit.md')));
    // Opening leaves nothing unsaved to ask about: the editor's starting point is kept (in memory only).
    const result = await vscode.workspace.openTextDocument(merge.result);
    await waitFor(() => !result.isDirty && !result.getText().includes('<<<<<<<'), { what: 'the result to settle' });
    await waitForDom('.editor-actions .action-label', (t) => t.length > 0, { attr: 'aria-label' }).then((labels) =>
      assert.ok(labels.some((l) => l.startsWith('Accept Merge')), `the editor title offers Accept Merge; actions: ${JSON.stringify(labels)}`));
    assert.deepEqual(api.sync.pendingMerges().map((m) => [m.name, m.files, m.current]), [['commit', ['commit.md'], 'commit.md']]);
    await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: (1 conflict$|\d+ drifted \(1 conflict\))/.test(x)));
    assert.deepEqual(snapshot(commitFiles()), commitBefore, 'opening the merge writes nothing');
    await screenshot('merge-editor');
  });

  it('closing the merge editor without accepting leaves every file as it was and the artifact in Conflict', async () => {
    const tab = mergeTab(merge.result);
    assert.ok(tab, 'the merge tab is open');
    await vscode.window.tabGroups.close(tab);
    await waitFor(() => !mergeTabOpen(merge.result), { what: 'the merge editor to close' });
    await waitFor(() => api.sync.pendingMerges().length === 0, { what: 'the merge to be abandoned' });
    assert.deepEqual(snapshot(commitFiles()), commitBefore, 'project file, collection file, records and collection.lock are byte-identical');
    await api.refresh();
    assert.equal(stateOf(api, 'commit'), 'conflict');
  });

  it('refuses to accept a result that still has conflict markers', async () => {
    await vscode.commands.executeCommand('skillmeatSync.merge', node(api, 'commit'));
    merge = await waitFor(() => activeMerge(), { what: 'the merge editor to open again' });
    const doc = await vscode.workspace.openTextDocument(merge.result);
    // The merge editor replaces the marker rendering with its own starting point: the baseline, neither line.
    await waitFor(() => !doc.getText().includes('<<<<<<<'), { what: 'the merge editor to take over the result' });
    assert.ok(!doc.getText().includes('Mention the ticket number.') && !doc.getText().includes('72 characters'));
    await setText(merge.result, `${doc.getText()}<<<<<<< project\nMention the ticket number.\n=======\nKeep the summary under 72 characters.\n>>>>>>> collection\n`);
    const outcome = await vscode.commands.executeCommand<AcceptOutcome>('skillmeatSync.acceptMerge');
    assert.equal(outcome.status, 'markers-left');
    assert.ok(mergeTabOpen(merge.result), 'the merge editor stays open');
    assert.deepEqual(snapshot(commitFiles()), commitBefore, 'nothing was written');
  });

  it('accepting the merge writes the result to the project and the collection, and the artifact leaves Conflict', async () => {
    const resolved = `${read(inCollection('commands', 'commit.md'))}Mention the ticket number.\n`;
    await setText(merge.result, resolved);
    const outcome = await vscode.commands.executeCommand<AcceptOutcome>('skillmeatSync.acceptMerge');
    assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
    assert.equal(read(inProject('commands', 'commit.md')), resolved);
    assert.equal(read(inCollection('commands', 'commit.md')), resolved);
    await waitForState(api, 'commit', 'in-sync');
    await waitFor(() => !mergeTabOpen(merge.result), { what: 'the merge editor to close' });
    assert.deepEqual(api.sync.pendingMerges(), []);
    const records = read(inProject('.skillmeat-deployed.toml'));
    assert.match(records, /artifact_name = "commit"[\s\S]*?merge_base_snapshot = "[0-9a-f]{64}"/, 'the record notes the merge base');
    await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: \d+ drifted/.test(x)) && !t.some((x) => /conflict/.test(x)));
    // (the smoke-test driver keeps toasts hidden; the notification center lists them)
    await vscode.commands.executeCommand('notifications.showList');
    await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('Merged commit')));
    await screenshot('merge-accepted');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.hideList');
  });

  it('walks several conflicting files of one skill in sequence, writing nothing until the last is accepted', async () => {
    const files = ['SKILL.md', 'checklist.md'];
    for (const f of files) {
      fs.appendFileSync(inProject('skills', 'code-review', f), `Project note on ${f}.\n`);
      fs.appendFileSync(inCollection('skills', 'code-review', f), `Collection note on ${f}.\n`);
    }
    await api.refresh();
    await waitForState(api, 'code-review', 'conflict');
    const before = snapshot(files.flatMap((f) => [inProject('skills', 'code-review', f), inCollection('skills', 'code-review', f)]));
    await vscode.commands.executeCommand('skillmeatSync.merge', node(api, 'code-review'));
    const resolved: Record<string, string> = {};
    for (const [i, f] of files.entries()) {
      const tab = await waitFor(() => { const m = activeMerge(); return m && path.posix.basename(m.result.path) === f ? m : undefined; }, { what: `the merge editor of ${f}` });
      assert.equal(api.sync.pendingMerges()[0].current, f);
      await waitForDom(MERGE_LINES, (t) => t.some((x) => x.includes(`Collection note on ${f}.`)) && t.some((x) => x.includes(`Project note on ${f}.`)));
      resolved[f] = `${read(inProject('skills', 'code-review', f))}Collection note on ${f}.\n`;
      await setText(tab.result, resolved[f]);
      const outcome = await vscode.commands.executeCommand<AcceptOutcome>('skillmeatSync.acceptMerge');
      if (i === 0) {
        assert.deepEqual(outcome, { status: 'next', file: 'SKILL.md', next: 'checklist.md' });
        assert.deepEqual(snapshot(Object.keys(before)), before, 'nothing is written while a file is still to be resolved');
      } else {
        assert.equal(outcome.status, 'completed', JSON.stringify(outcome));
      }
    }
    for (const f of files) {
      assert.equal(read(inProject('skills', 'code-review', f)), resolved[f]);
      assert.equal(read(inCollection('skills', 'code-review', f)), resolved[f]);
    }
    await waitForState(api, 'code-review', 'in-sync');
  });

  it('asks with a quick pick when a file was deleted on one side and changed on the other', async () => {
    fs.rmSync(inProject('skills', 'code-review', 'checklist.md'));
    fs.appendFileSync(inCollection('skills', 'code-review', 'checklist.md'), '- [ ] docs updated\n');
    await api.refresh();
    await waitForState(api, 'code-review', 'conflict');
    const run = vscode.commands.executeCommand('skillmeatSync.merge', node(api, 'code-review'));
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Keep it deleted, as in the project')) && t.some((x) => x.includes('Take the collection version')));
    await screenshot('merge-pick-side');
    await typeText('Take the collection');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1);
    await pressKey('Enter');
    await run;
    await waitFor(() => api.sync.pendingMerges().length === 0, { what: 'the merge to complete' });
    assert.equal(read(inProject('skills', 'code-review', 'checklist.md')), read(inCollection('skills', 'code-review', 'checklist.md')));
    assert.match(read(inProject('skills', 'code-review', 'checklist.md')), /docs updated/);
    await waitForState(api, 'code-review', 'in-sync');
  });

  it('with the Prompt strategy, asks per artifact; Skip leaves it as it is', async () => {
    fs.appendFileSync(inProject('skills', 'sql-explain', 'SKILL.md'), '\nAlso check missing indexes.\n');
    await api.refresh();
    await waitForState(api, 'sql-explain', 'modified');
    const before = snapshot([inProject('skills', 'sql-explain', 'SKILL.md'), inCollection('skills', 'sql-explain', 'SKILL.md')]);
    const run = vscode.commands.executeCommand<SyncResult[]>('skillmeatSync.pull', node(api, 'sql-explain'));
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Prompt')));
    await typeText('Prompt');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1 && t[0].includes('ask for each artifact'));
    await pressKey('Enter');
    // the question about sql-explain: merge / keep mine / take theirs / fork / skip
    await waitForDom('.quick-input-widget .quick-input-title', (t) => t.some((x) => x.includes('skill sql-explain (.claude) is modified')));
    const rows = await waitForDom(QUICK_ROWS, (t) => t.length === 5);
    for (const [i, choice] of ['Merge', 'Keep mine', 'Take theirs', 'Fork', 'Skip'].entries()) assert.ok(rows[i].startsWith(choice), `row ${i} is ${choice}: ${rows[i]}`);
    // While it asks, the sync is running: the status bar says so and the Drift view shows progress.
    await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: syncing/.test(x)));
    await waitForDom('.part.sidebar .monaco-progress-container.active', (t) => t.length > 0);
    await screenshot('sync-prompt');
    await typeText('Skip');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1);
    await pressKey('Enter');
    const results = await run;
    assert.deepEqual(results?.[0].artifacts.map((a) => [a.name, a.choice, a.status]), [['sql-explain', 'skip', 'skipped']]);
    assert.deepEqual(snapshot(Object.keys(before)), before);
    assert.equal(stateOf(api, 'sql-explain'), 'modified');
    await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: \d+ drifted/.test(x)));
  });

  let releaseNotesBefore: string;

  it('updates an outdated skill from the tree action with the Overwrite strategy picked in the quick pick', async () => {
    assert.equal(stateOf(api, 'release-notes'), 'outdated');
    releaseNotesBefore = read(inProject('skills', 'release-notes', 'SKILL.md'));
    const n = node(api, 'release-notes');
    // A tree action passes the clicked node and the selection; the strategy is asked in a quick pick.
    const run = vscode.commands.executeCommand<SyncResult[]>('skillmeatSync.update', n, [n]);
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Overwrite')) && t.some((x) => x.includes('Merge')) && t.some((x) => x.includes('Fork')) && t.some((x) => x.includes('Prompt')));
    await screenshot('sync-strategy-pick');
    await typeText('Overwrite');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1 && t[0].includes('the collection wins'));
    await pressKey('Enter');
    const results = await run;
    assert.equal(results?.[0]?.status, 'success', JSON.stringify(results?.[0]?.error));
    assert.deepEqual(results[0].artifacts.map((a) => [a.name, a.action, a.status]), [['release-notes', 'overwrite', 'synced']]);
    assert.equal(read(inProject('skills', 'release-notes', 'SKILL.md')), read(inCollection('skills', 'release-notes', 'SKILL.md')));
    await waitForState(api, 'release-notes', 'in-sync');
  });

  it('Undo Last Sync restores what the last sync replaced', async () => {
    const undo = await vscode.commands.executeCommand<UndoResult>('skillmeatSync.undoLastSync');
    assert.equal(undo?.status, 'undone', JSON.stringify(undo));
    assert.deepEqual(undo.artifacts.map((a) => a.name), ['release-notes']);
    assert.equal(read(inProject('skills', 'release-notes', 'SKILL.md')), releaseNotesBefore);
    await waitForState(api, 'release-notes', 'outdated');
  });

  it('Update from Collection with Merge writes the project only: the collection is untouched and local edits stay modified', async () => {
    // sql-explain is modified (the Prompt test skipped it); the collection now changes another line: a clean merge.
    assert.equal(stateOf(api, 'sql-explain'), 'modified');
    const collFile = inCollection('skills', 'sql-explain', 'SKILL.md');
    fs.writeFileSync(collFile, read(collFile).replace(/^(# .*)$/m, '$1\n\nCollection: explain the plan step by step.'));
    await api.refresh();
    await waitForState(api, 'sql-explain', 'conflict');
    const collBefore = snapshot([collFile, inCollection('collection.lock')]);
    const n = node(api, 'sql-explain');
    const run = vscode.commands.executeCommand<SyncResult[]>('skillmeatSync.update', n, [n]);
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Merge')));
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('written into the project only')));
    await typeText('Merge');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1);
    await pressKey('Enter');
    const results = await run;
    assert.equal(results?.[0]?.status, 'success', JSON.stringify(results?.[0]?.error));
    assert.deepEqual(results[0].artifacts[0].writes.map((w) => w.side), ['project']);
    const merged = read(inProject('skills', 'sql-explain', 'SKILL.md'));
    assert.match(merged, /Collection: explain the plan step by step\./);
    assert.match(merged, /Also check missing indexes\./);
    assert.deepEqual(snapshot(Object.keys(collBefore)), collBefore, 'the shared collection was not written');
    await waitForState(api, 'sql-explain', 'modified');
  });

  it('scans what a pull would write into the collection: a token in the skill stops it, names file and line, and nothing is written', async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
    const projFile = inProject('skills', 'sql-explain', 'SKILL.md');
    // a GitHub token pattern, split so that no scanner flags this test file itself
    fs.appendFileSync(projFile, `\nUse the token ghp_${'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'} for the API.\n`);
    const tokenLine = read(projFile).split('\n').findIndex((l) => l.includes('ghp_')) + 1;
    await api.refresh();
    await waitForState(api, 'sql-explain', 'modified');
    const before = snapshot([inCollection('skills', 'sql-explain', 'SKILL.md'), inCollection('collection.lock'), inProject('.skillmeat-deployed.toml')]);
    const n = node(api, 'sql-explain');
    const run = vscode.commands.executeCommand<SyncResult[]>('skillmeatSync.pull', n, [n]);
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Overwrite')));
    await typeText('Overwrite');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1);
    await pressKey('Enter');
    // The question is modal; the test workbench refuses modal dialogs and the refusal carries its text.
    await vscode.commands.executeCommand('notifications.showList');
    const toasts = await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('possible secret')));
    const question = toasts.find((x) => x.includes('possible secret'))!;
    assert.match(question, new RegExp(`1 possible secret\\(s\\) in files about to be written into the shared collection: SKILL\\.md:${tokenLine} `));
    assert.ok(!question.includes('wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'), 'the value is never shown');
    await screenshot('sync-secret-finding');
    await run;
    assert.deepEqual(snapshot(Object.keys(before)), before, 'nothing was written into the collection');
    assert.equal(stateOf(api, 'sql-explain'), 'modified');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.hideList');
  });
});
