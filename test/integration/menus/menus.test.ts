// The Drift view offers only what applies (issue 11), read from the real VS Code's DOM: for a row of every drift
// state, the context menu a right-click opens and the inline icons; then what a click on a row that is not
// deployed opens, and the status bar of a project with an unreachable collection. On a copy of examples/ with
// two records added: one from a collection that does not exist (unreachable) and one whose path leaves its
// root (invalid).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { click, domTexts, expandRow, getApi, pressKey, screenshot, tooltipOf, waitFor, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';
import type { DriftState } from '../../../src/core/model';
import { EXPECTED_MENUS } from './expectedMenus';

const SIDEBAR_ROWS = '.part.sidebar .monaco-list-row';
const MENU_ITEMS = '.context-view .monaco-menu .action-item:not(.disabled) .action-label';
const STATUS = '.part.statusbar .statusbar-item';
/** The row whose label is `label` (its aria-label is the label, a space, then the description). */
const row = (label: string) => `${SIDEBAR_ROWS}[aria-label^="${label} "]`;

/** A row of each state in the fixture (`merging` needs a merge in progress in the version store: checked against package.json by test/unit/driftMenus.test.ts). */
const ROW_OF: Record<Exclude<DriftState, 'merging'>, string> = {
  unreachable: 'offsite-reviewer', conflict: 'commit', modified: 'code-review', outdated: 'release-notes', deleted: 'security-reviewer',
  removed: 'legacy-helper', invalid: 'broken-path', converged: 'format-docs', added: 'docs-writer', untracked: 'standup', 'in-sync': 'sql-explain',
};

function project(): string {
  return vscode.workspace.workspaceFolders![0].uri.fsPath;
}

/** The labels of the context menu that a right-click on the row opens (separators left out); closes it again. */
async function contextMenuOf(label: string): Promise<string[]> {
  await click(row(label), { button: 'right' });
  const items = await waitForDom(MENU_ITEMS, (t) => t.filter(Boolean).length > 0, { what: `the context menu of ${label}` });
  await pressKey('Escape');
  await waitFor(async () => (await domTexts(MENU_ITEMS)).length === 0, { what: 'the context menu to close' });
  return items.filter(Boolean);
}

describe('drift view: what each row offers', () => {
  let api: SkillMeatSyncApi;

  before(async () => {
    const records = path.join(project(), '.claude', '.skillmeat-deployed.toml');
    const record = (name: string, type: string, artifactPath: string, collection: string) => [
      '', '[[deployed]]', `artifact_name = "${name}"`, `artifact_type = "${type}"`, `from_collection = "${collection}"`,
      'deployed_at = "2026-11-01T09:30:00.000000"', `artifact_path = "${artifactPath}"`, `content_hash = "${'a'.repeat(64)}"`, 'local_modifications = false', '',
    ].join('\n');
    fs.mkdirSync(path.join(project(), '.claude', 'agents'), { recursive: true });
    fs.writeFileSync(path.join(project(), '.claude', 'agents', 'offsite-reviewer.md'), '# Offsite reviewer\n');
    fs.appendFileSync(records, record('offsite-reviewer', 'agent', 'agents/offsite-reviewer.md', 'offsite') + record('broken-path', 'skill', '../../etc', 'default'));
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    const states = new Map(api.getReports().flatMap((r) => r.artifacts).map((a) => [a.name, a.state]));
    for (const [state, name] of Object.entries(ROW_OF)) assert.equal(states.get(name), state, `${name} is ${state} in the fixture`);
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    // Give the Drift view the whole side bar: every row of the fixture fits without scrolling.
    const commands = await vscode.commands.getCommands(true);
    for (const view of ['skillmeatSync.generators', 'skillmeatSync.history']) {
      if (commands.includes(`${view}.removeView`)) await vscode.commands.executeCommand(`${view}.removeView`);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('lists what could not be checked first, and says Offline in the status bar', async () => {
    const rows = await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.startsWith('Collection unreachable')) && t.some((x) => x.startsWith('In sync')));
    assert.ok(rows[0].startsWith('Collection unreachable'), `first group: ${JSON.stringify(rows)}`);
    assert.ok(rows.some((x) => x.includes('offsite-reviewer') && x.includes('not checked: collection unreachable')), JSON.stringify(rows));
    const status = await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: Offline · 6 drifted/.test(x)));
    assert.ok(status.some((x) => x.includes('Offline')));
    // Open the collapsed groups, so that a row of every state is on screen.
    for (const group of ['Available in collection', 'In sync']) {
      const clicks = await expandRow(row(group), { what: group });
      if (clicks > 1) console.log(`  (the ${group} group took ${clicks} clicks to expand)`);
      await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.includes(group === 'In sync' ? 'sql-explain' : 'docs-writer')), { what: `${group} expanded` });
    }
    await screenshot('drift-tree-offline');
  });

  for (const [state, name] of Object.entries(ROW_OF) as [DriftState, string][]) {
    it(`a ${state} row (${name}) offers ${EXPECTED_MENUS[state].menu.join(', ')}`, async () => {
      assert.deepEqual(await contextMenuOf(name), EXPECTED_MENUS[state].menu);
      const inline = await domTexts(`${row(name)} .actions .action-label`, { attr: 'aria-label' });
      assert.deepEqual(inline, EXPECTED_MENUS[state].inline, `inline icons of ${name}`);
    });
  }

  it('opens the collection\'s copy, read-only, on a click on a row that is not deployed', async () => {
    await click(row('docs-writer'));
    const editor = await waitFor(() => vscode.window.activeTextEditor, { what: 'an editor for docs-writer' });
    assert.equal(editor.document.uri.scheme, 'skillmeat-sync');
    const inCollection = fs.readFileSync(path.join(project(), '..', 'home', 'collections', 'default', 'agents', 'docs-writer.md'), 'utf8');
    assert.equal(editor.document.getText(), inCollection);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows a locally deleted file as "not in the project" beside the baseline, never as missing from the collection', async () => {
    const report = api.getReports()[0];
    const deleted = report.artifacts.find((a) => a.name === 'security-reviewer')!;
    await vscode.commands.executeCommand('skillmeatSync.openDiff', { kind: 'artifact', folder: { folder: vscode.workspace.workspaceFolders![0], report, settings: {} }, artifact: deleted });
    const tab = await waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    }, { what: 'the diff of security-reviewer' });
    const right = await vscode.workspace.openTextDocument(tab.modified);
    assert.equal(right.getText(), '(this file is not in the project)');
    const left = await vscode.workspace.openTextDocument(tab.original);
    assert.match(left.getText(), /security/i, 'the left side is the deployed baseline');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('dates the deployment in the display language in a row\'s tooltip, not as the raw ISO text', async () => {
    const a = api.getReports()[0].artifacts.find((x) => x.name === 'commit')!;
    assert.equal(a.deployedAt, '2026-11-01T09:30:00.000000');
    const expected = new Date(a.deployedAt).toLocaleString(vscode.env.language, { dateStyle: 'medium', timeStyle: 'medium' });
    const text = await tooltipOf(`${row('commit')} .monaco-icon-label`, (x) => x.includes('Deployed'), { what: 'commit' });
    assert.ok(text.includes(`Deployed ${expected} from collection`), text);
    assert.ok(!text.includes('2026-11-01T09:30'), text);
    await pressKey('Escape');
  });

  it('a check that changes only what a tooltip says redraws no row: the tooltip shown before says the new date', async () => {
    const redraws = api.treeRedraws();
    // A new deployment date for commit (its state stays a conflict): only its tooltip changes.
    const records = path.join(project(), '.claude', '.skillmeat-deployed.toml');
    const text = fs.readFileSync(records, 'utf8');
    const at = text.indexOf('artifact_name = "commit"');
    const date = text.indexOf('deployed_at = "2026-11-01T09:30:00.000000"', at);
    assert.ok(at >= 0 && date > at, 'the fixture dates commit\'s deployment');
    fs.writeFileSync(records, text.slice(0, date) + 'deployed_at = "2026-11-20T15:45:00.000000"' + text.slice(date + 'deployed_at = "2026-11-01T09:30:00.000000"'.length));
    await waitFor(() => api.getReports()[0].artifacts.find((x) => x.name === 'commit')?.deployedAt === '2026-11-20T15:45:00.000000', { what: 'a report with the new date' });
    assert.equal(api.getReports()[0].artifacts.find((x) => x.name === 'commit')!.state, 'conflict');
    const expected = new Date('2026-11-20T15:45:00.000000').toLocaleString(vscode.env.language, { dateStyle: 'medium', timeStyle: 'medium' });
    const tip = await tooltipOf(`${row('commit')} .monaco-icon-label`, (x) => x.includes(`Deployed ${expected}`), { what: 'commit with its new date' });
    assert.ok(tip.includes('from collection'), tip);
    assert.equal(api.treeRedraws(), redraws, 'no whole-tree redraw');
    await pressKey('Escape');
  });
});
