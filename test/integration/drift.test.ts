// The drift view as a user sees it, on a copy of examples/ (a project deployed from examples/home's
// collection with artifacts in every drift state). Reads the real workbench DOM and takes screenshots.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, screenshot, waitFor, waitForDom, pressKey, typeText, click } from './util';
import type { SkillMeatSyncApi } from '../../src/extension';
import type { DriftReport } from '../../src/core/model';

const SIDEBAR_ROWS = '.part.sidebar .monaco-list-row';
const STATUS = '.part.statusbar .statusbar-item';
const QUICK_ROWS = '.quick-input-widget .monaco-list-row';

function project(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}

function stateOf(reports: DriftReport[], name: string): string | undefined {
  return reports.flatMap((r) => r.artifacts).find((a) => a.name === name)?.state;
}

async function waitForState(api: SkillMeatSyncApi, name: string, state: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(() => stateOf(api.getReports(), name) === state, { what: `${name} to become ${state}`, timeoutMs });
}

describe('drift view', () => {
  let api: SkillMeatSyncApi;

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    // These tests read the Drift view's rows: give it the whole side bar (the other views stay reachable
    // from the container's menu).
    const commands = await vscode.commands.getCommands(true);
    for (const view of ['skillmeatSync.generators', 'skillmeatSync.history']) {
      if (commands.includes(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
    }
  });

  it('shows one group per drift state of the fixture, read from the DOM', async () => {
    const rows = await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.startsWith('Conflicts')) && t.some((x) => x.startsWith('In sync')));
    const groups = ['Conflicts', 'Modified', 'Outdated', 'Deleted', 'Removed', 'Converged', 'Available in collection', 'Untracked', 'In sync'];
    for (const g of groups) assert.ok(rows.some((r) => r.startsWith(g)), `group "${g}" is shown; rows: ${JSON.stringify(rows)}`);
    assert.ok(!rows.some((r) => r.startsWith('Invalid')), 'empty groups are hidden');
    // expanded groups show their artifacts with a short description of the drift
    assert.ok(rows.some((r) => r.includes('commit') && r.includes('changed on both sides')), 'the conflicting command is listed');
    assert.ok(rows.some((r) => r.includes('code-review') && r.includes('edited locally')), 'the modified skill is listed');
    // Widen the side bar (and give the Drift view the whole of it) so the README's screenshot shows whole rows.
    // (with nothing focused in the side bar, "decrease view width" shrinks the editor area, growing the side bar)
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
    await screenshot('drift-tree');
  });

  it('shows the sync state and counts in the status bar', async () => {
    const texts = await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: 5 drifted \(1 conflict\)/.test(x)));
    assert.ok(texts.some((x) => x.includes('SkillMeat')));
  });

  it('puts a badge with the number of artifacts needing attention on the view', async () => {
    const badge = api.treeView.badge;
    assert.equal(badge?.value, 5);
    await waitForDom('.part.activitybar .badge .badge-content', (t) => t.includes('5'));
  });

  it('moves an edited in-sync skill to Modified, and updates the badge and status bar', async () => {
    assert.equal(stateOf(api.getReports(), 'sql-explain'), 'in-sync');
    const changed = new Promise<void>((resolve) => {
      const sub = api.onDidChangeReport((r) => { if (stateOf(r, 'sql-explain') === 'modified') { sub.dispose(); resolve(); } });
    });
    fs.appendFileSync(path.join(project(), '.claude/skills/sql-explain/SKILL.md'), '\nAlso check missing indexes.\n');
    await Promise.race([changed, waitForState(api, 'sql-explain', 'modified')]);
    await waitForState(api, 'sql-explain', 'modified');
    await waitFor(() => api.treeView.badge?.value === 6, { what: 'the badge to count 6' });
    await waitForDom(STATUS, (t) => t.some((x) => /6 drifted/.test(x)));
    await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.includes('sql-explain') && x.includes('edited locally')));
  });

  it('follows the collection too: a command edited there becomes Outdated', async () => {
    assert.equal(stateOf(api.getReports(), 'git/sync-branch'), 'in-sync');
    const home = process.env.SKILLMEAT_HOME!;
    fs.appendFileSync(path.join(home, 'collections/default/commands/git/sync-branch.md'), '\nPush with --force-with-lease only.\n');
    await waitForState(api, 'git/sync-branch', 'outdated');
    await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.includes('git/sync-branch') && x.includes('collection has a newer version')));
  });

  it('shows a project skill deleted on disk under Deleted', async () => {
    fs.rmSync(path.join(project(), '.claude/skills/release-notes'), { recursive: true });
    await waitForState(api, 'release-notes', 'deleted');
    await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.includes('release-notes') && x.includes('deleted locally')));
  });

  it('opens a diff with the deployed baseline on the left, as a read-only virtual document', async () => {
    const node = { kind: 'artifact', folder: { folder: vscode.workspace.workspaceFolders![0], report: api.getReports()[0], settings: {} }, artifact: api.getReports()[0].artifacts.find((a) => a.name === 'commit') };
    await vscode.commands.executeCommand('skillmeatSync.openDiff', node);
    const tab = await waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    }, { what: 'a diff editor' });
    assert.equal(tab.original.scheme, 'skillmeat-sync', 'the left side is the virtual baseline document');
    assert.equal(tab.modified.fsPath, path.join(project(), '.claude/commands/commit.md'), 'the right side is the project file');
    const left = (await vscode.workspace.openTextDocument(tab.original)).getText();
    assert.ok(!left.includes('Mention the ticket number'), 'the baseline lacks the local edit');
    assert.ok(!left.includes('72 characters'), 'the baseline lacks the collection edit');
    assert.ok(left.includes('type(scope): summary'));
    await waitForDom('.monaco-diff-editor .view-line', (t) => t.some((x) => x.includes('Mention the ticket number')));
    await screenshot('drift-diff-baseline');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('deploys from the command palette: files land and the record is written', async () => {
    assert.equal(stateOf(api.getReports(), 'data-migration'), 'added');
    // A user's path: F1, "SkillMeat: Deploy…", tick data-migration in the quick pick, Enter.
    await pressKey('F1');
    await waitForDom('.quick-input-widget input', () => true);
    await typeText('SkillMeat: Deploy');
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('SkillMeat: Deploy…')));
    await click(`${QUICK_ROWS}[aria-label^="SkillMeat: Deploy…"]`);
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('data-migration')));
    await typeText('data-migration');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1 && t[0].includes('data-migration'));
    await screenshot('deploy-quick-pick');
    await click(QUICK_ROWS); // in a multi-select quick pick a click ticks the row
    await waitForDom('.quick-input-widget .quick-input-count', (t) => t.some((x) => x.includes('1')));
    await click('.quick-input-widget .quick-input-action .monaco-button'); // OK
    await waitForState(api, 'data-migration', 'in-sync');
    assert.ok(fs.existsSync(path.join(project(), '.claude/skills/data-migration/SKILL.md')), 'SKILL.md was copied into the project');
    const toml = fs.readFileSync(path.join(project(), '.claude/.skillmeat-deployed.toml'), 'utf8');
    assert.match(toml, /artifact_name = "data-migration"\nartifact_type = "skill"\nfrom_collection = "default"/);
    await waitForDom(SIDEBAR_ROWS, (t) => !t.some((r) => r.startsWith('data-migration') && r.includes('not deployed')));
  });
});
