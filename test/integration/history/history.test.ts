// Capture and history in the real VS Code (SPEC §6, issue 6), on test/fixtures/history: a project with a
// deployed skill (review) and command (commit), whose .vscode/settings.json sets a 1 s quiet window.
// Reads the History view's DOM, takes screenshots, and checks the files on disk.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, screenshot, waitFor, waitForDom, domTexts, tooltipOf, pressKey } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';
import type { HistoryNode } from '../../../src/vscode/history/view';

type VersionRow = Extract<HistoryNode, { kind: 'version' }>;

// The History view's tree: VS Code labels a view's list with the view's name.
const HISTORY_ROWS = '.part.sidebar .monaco-list[aria-label="History"] .monaco-list-row';
// The message a tree view shows above its rows (TreeView.message), in the History pane.
const HISTORY_MESSAGE = '.part.sidebar .pane:has(.pane-header[aria-label^="History"]) .message';
const TURNED_OFF = /turned off/;

function project(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}

function skillFile(): string {
  return path.join(project(), '.claude/skills/review/SKILL.md');
}

describe('history view', () => {
  let api: SkillMeatSyncApi;
  const versions = (): VersionRow[] => api.history.rows().filter((r): r is VersionRow => r.kind === 'version');
  const byOrigin = (origin: string) => versions().filter((r) => r.entry.origin === origin);
  let deployed: string;

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    deployed = fs.readFileSync(skillFile(), 'utf8');
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
  });

  it('with capture on and a folder open but nothing selected, says to select an artifact (never "turned off")', async () => {
    await vscode.commands.executeCommand('skillmeatSync.history.focus');
    const [message] = await waitForDom(HISTORY_MESSAGE, (t) => t.some((x) => x.length > 0), { what: 'the History view\'s message' });
    assert.equal(message, 'Select an artifact in the Drift view, or open one of its files, to see its versions.');
    assert.doesNotMatch(message, TURNED_OFF);
    await screenshot('history-empty');
  });

  it('follows the active editor: opening a file of a skill shows that skill\'s versions', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(skillFile()));
    await waitFor(() => api.history.current()?.name === 'review', { what: 'the History view to show review' });
    await vscode.commands.executeCommand('skillmeatSync.history.focus');
    await waitFor(() => byOrigin('deploy').length === 1, { what: 'the deployed version in the History view' });
    assert.equal(byOrigin('edit').length, 0);
    await waitForDom(HISTORY_ROWS, (t) => t.some((x) => x.includes('deploy') && x.includes('first version')));
  });

  it('captures a file saved twice as one version once the quiet window has passed, and lists it (DOM)', async () => {
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(skillFile()));
    for (const line of ['Also check error handling.', 'And the log messages.']) {
      await editor.edit((b) => b.insert(new vscode.Position(editor.document.lineCount, 0), `${line}\n`));
      assert.ok(await editor.document.save(), 'saved');
    }
    await waitFor(() => byOrigin('edit').length > 0, { what: 'a captured edit', timeoutMs: 20_000 });
    const edits = byOrigin('edit');
    assert.equal(edits.length, 1, 'two saves within the quiet window are one version');
    assert.equal(edits[0].entry.status, 'captured');
    assert.deepEqual([edits[0].entry.change?.linesAdded, edits[0].entry.change?.linesRemoved], [2, 0]);
    assert.equal(versions()[0].entry.id, edits[0].entry.id, 'newest first');
    const rows = await waitForDom(HISTORY_ROWS, (t) => t.some((x) => x.includes('edit') && x.includes('+2 −0')));
    assert.ok(rows.findIndex((x) => x.includes('edit')) < rows.findIndex((x) => x.includes('deploy')), `newest first in the DOM: ${JSON.stringify(rows)}`);
    await screenshot('history-view');
  });

  it('Compare with Current opens a diff: the stored version (read-only) against the file on disk', async () => {
    const node = byOrigin('deploy')[0];
    await vscode.commands.executeCommand('skillmeatSync.history.compareWithCurrent', node);
    const tab = await waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    }, { what: 'a diff editor' });
    assert.equal(tab.original.scheme, 'skillmeat-sync-version', 'the left side is the stored version');
    assert.equal(tab.modified.fsPath, skillFile(), 'the right side is the file on disk');
    const left = (await vscode.workspace.openTextDocument(tab.original)).getText();
    assert.equal(left, deployed);
    await waitForDom('.monaco-diff-editor .view-line', (t) => t.some((x) => x.includes('And the log messages.')));
    await screenshot('history-compare-with-current');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Compare with Previous and with the Deployed Baseline open diffs of two stored versions', async () => {
    const edit = byOrigin('edit')[0];
    const diffTab = async (): Promise<vscode.TabInputTextDiff> => waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    }, { what: 'a diff editor' });
    await vscode.commands.executeCommand('skillmeatSync.history.compareWithPrevious', edit);
    let tab = await diffTab();
    assert.deepEqual([tab.original.scheme, tab.modified.scheme], ['skillmeat-sync-version', 'skillmeat-sync-version']);
    assert.equal((await vscode.workspace.openTextDocument(tab.original)).getText(), deployed);
    assert.ok((await vscode.workspace.openTextDocument(tab.modified)).getText().includes('And the log messages.'));
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab!.label, /#1 ↔ #\d+/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    await vscode.commands.executeCommand('skillmeatSync.history.compareWithBaseline', edit);
    tab = await diffTab();
    assert.equal((await vscode.workspace.openTextDocument(tab.original)).getText(), deployed, 'the deployed baseline on the left');
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab!.label, /deployed baseline ↔ #\d+/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Restore brings back the old content and adds a restore entry; the edit stays in the history', async () => {
    const before = versions().length;
    const editId = byOrigin('edit')[0].entry.id;
    const node = byOrigin('deploy')[0];
    const result = await vscode.commands.executeCommand<{ previousVersion?: number; restoredVersion?: number }>('skillmeatSync.history.restore', node, { confirm: false });
    assert.equal(fs.readFileSync(skillFile(), 'utf8'), deployed, 'the deployed content is back on disk');
    assert.equal(result?.previousVersion, editId, 'the edited content (already captured) is what an undo restores');
    await waitFor(() => versions()[0]?.entry.origin === 'restore', { what: 'a restore entry on top' });
    assert.equal(versions()[0].entry.id, result?.restoredVersion);
    assert.equal(versions()[0].entry.note, `restored from #${node.entry.id}`);
    assert.equal(versions().length, before + 1);
    assert.ok(versions().some((r) => r.entry.id === editId), 'the edit is still listed');
    await waitForDom(HISTORY_ROWS, (t) => t.length > 0 && t[0].includes('restore'));
    await waitFor(async () => (await api.refresh())[0].artifacts.find((a) => a.name === 'review')?.state === 'in-sync', { what: 'review back in sync' });
    await screenshot('history-after-restore');
  });

  it('does not capture the restore\'s own write as an edit', async () => {
    // The restore's watcher events arrive within its grace and are folded into it; a save after it is an edit.
    await waitFor(() => !api.history.ownWriteActive(), { what: 'the restore to settle' });
    const count = byOrigin('edit').length;
    fs.appendFileSync(skillFile(), 'One more rule.\n');
    await waitFor(() => byOrigin('edit').length === count + 1, { what: 'the next edit', timeoutMs: 20_000 });
    assert.equal(versions().filter((r) => r.entry.origin === 'restore').length, 1, 'only the restore entry itself');
  });

  it('restoring the version before the restore undoes it', async () => {
    const edited = versions().find((r) => r.entry.origin === 'edit' && r.entry.change?.linesAdded === 2)!;
    await vscode.commands.executeCommand('skillmeatSync.history.restore', edited, { confirm: false });
    const text = fs.readFileSync(skillFile(), 'utf8');
    assert.ok(text.includes('And the log messages.') && !text.includes('One more rule.'));
  });

  it('lists a save without changes and a change beyond the hourly limit, dimmed (DOM + screenshot)', async () => {
    // The fixture allows 3 captures an hour; two edits were captured above (restores do not count).
    await waitFor(() => !api.history.ownWriteActive(), { what: 'the last restore to settle' });
    fs.writeFileSync(skillFile(), fs.readFileSync(skillFile())); // saved again, same bytes
    await waitFor(() => versions()[0]?.entry.status === 'skipped-duplicate', { what: 'a skipped-duplicate entry', timeoutMs: 20_000 });
    fs.appendFileSync(skillFile(), 'Third rule.\n');
    await waitFor(() => versions()[0]?.entry.status === 'captured' && versions()[0].entry.origin === 'edit', { what: 'the third capture of the hour', timeoutMs: 20_000 });
    fs.appendFileSync(skillFile(), 'Fourth rule.\n');
    await waitFor(() => versions()[0]?.entry.status === 'rate_limited', { what: 'a rate-limited entry', timeoutMs: 20_000 });
    assert.equal(versions()[0].entry.stored, false);
    // On top: the retry waiting for the hour to free, then the rate-limited change; the duplicate further down.
    await waitForDom(HISTORY_ROWS, (t) => t[0]?.startsWith('Waiting for the hourly limit') && t[1]?.includes('rate-limited, not stored') && t.some((x) => x.includes('unchanged')), { what: 'the retry and the rate-limited row on top' });
    // Dimmed: those rows' labels carry a decoration colour (disabledForeground); decorations arrive asynchronously.
    let seen = '';
    await waitFor(async () => {
      const texts = await domTexts(HISTORY_ROWS);
      const classes = await domTexts(`${HISTORY_ROWS} .monaco-icon-label`, { attr: 'class' });
      const rowsAndColour = texts.map((t, i) => [t, /monaco-decoration-itemColor/.test(classes[i] ?? '')] as const);
      seen = JSON.stringify(rowsAndColour);
      return texts.length === classes.length && rowsAndColour.every(([t, coloured]) => coloured === /Waiting|rate-limited|unchanged/.test(t));
    }, { what: 'dimmed rows exactly for pending, rate-limited and unchanged entries' }).catch((e: Error) => { throw new Error(`${e.message}; rows and colour: ${seen}`); });
    await screenshot('history-dimmed-rows');
  });

  it('pins a version from the view', async () => {
    const node = byOrigin('deploy')[0];
    await vscode.commands.executeCommand('skillmeatSync.history.pin', node);
    await waitFor(() => byOrigin('deploy')[0].entry.pinned, { what: 'the version pinned' });
    // The oldest version is at the bottom: scroll it into the History pane (which shares the side bar).
    await api.history.view.reveal(byOrigin('deploy')[0]);
    await waitForDom(HISTORY_ROWS, (t) => t.some((x) => x.includes('deploy')), { what: 'the pinned deploy row' });
  });

  it('shows the history of an artifact selected in the drift tree', async () => {
    const report = api.getReports()[0];
    const artifact = report.artifacts.find((a) => a.name === 'commit')!;
    const folder = vscode.workspace.workspaceFolders![0];
    await vscode.commands.executeCommand('skillmeatSync.showHistory', { kind: 'artifact', folder: { folder, report, settings: {} }, artifact });
    await waitFor(() => api.history.current()?.name === 'commit', { what: 'the History view to show commit' });
    await waitForDom(HISTORY_ROWS, (t) => t.some((x) => x.includes('deploy')));
    await waitFor(() => api.history.view.description === 'commit · command', { what: 'the view description' });
  });

  it('says capture is turned off for the folder when it is, and lists the versions again when it is back on', async () => {
    const capture = vscode.workspace.getConfiguration('skillmeatSync.capture');
    await capture.update('enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => api.history.rows().length === 0, { what: 'the rows to go with capture off' });
      const [message] = await waitForDom(HISTORY_MESSAGE, (t) => t.some((x) => TURNED_OFF.test(x)), { what: 'the turned-off message' });
      assert.equal(message, `Version capture is turned off for ${vscode.workspace.workspaceFolders![0].name} (setting skillmeatSync.capture.enabled).`);
    } finally {
      await capture.update('enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(() => api.history.rows().length > 0, { what: 'the rows back with capture on' });
    await waitForDom(HISTORY_MESSAGE, (t) => !t.some((x) => TURNED_OFF.test(x)), { what: 'the message gone' });
  });

  it('dates a version in the display language in its tooltip', async () => {
    const first = versions().find((r) => r.entry.origin === 'deploy')!;
    const expected = new Date(first.entry.at).toLocaleString(vscode.env.language, { dateStyle: 'medium', timeStyle: 'medium' });
    const text = await tooltipOf(`${HISTORY_ROWS}[aria-label*="#${first.entry.id}"] .monaco-icon-label`, (x) => x.includes(`#${first.entry.id}`), { what: 'the deployed version' });
    assert.ok(text.includes(expected), `${expected} in ${text}`);
    assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:/);
    await pressKey('Escape');
  });
});
