// A merge base from SkillMeat's own snapshots in the real VS Code (issue 16), on the recording of the real
// SkillMeat 0.9.1 (test/fixtures/peers/skillmeat/snapshot-base, included by test/fixtures/snapshot-base): SkillMeat
// deployed `review` (its deploy snapshotted the collection), then the collection's copy changed on one line and the
// project's on another. The record's baseline is in no version store of ours; Update with the Prompt strategy
// says where the base was found, and Merge merges three-way on the first try.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, pressKey, screenshot, typeText, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';
import type { SyncResult } from '../../../src/core/sync';

const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
const BASE_FOUND = /base found in SkillMeat snapshot [0-9]{8}-[0-9]{6}-[0-9]{6} \("\[auto\] Auto-deploy: review/;

const project = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const skillFile = () => path.join(project(), '.claude', 'skills', 'review', 'SKILL.md');

describe('Merge base from a SkillMeat snapshot', () => {
  let api: SkillMeatSyncApi;

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
  });

  it('a project SkillMeat deployed merges three-way on the first try, and says the base came from its snapshot', async () => {
    const review = api.getReports()[0].artifacts.find((a) => a.name === 'review');
    assert.equal(review?.state, 'conflict');
    const report = api.getReports()[0];
    const run = vscode.commands.executeCommand<SyncResult[]>('skillmeatSync.update', { kind: 'artifact', folder: { folder: vscode.workspace.workspaceFolders![0], report, settings: {} }, artifact: review });
    await waitForDom(QUICK_ROWS, (t) => t.some((x) => x.includes('Prompt')));
    await typeText('Prompt');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1 && t[0].includes('ask for each artifact'));
    await pressKey('Enter');
    // The question: its Merge item says the merge is clean and where the base was found.
    const rows = await waitForDom(QUICK_ROWS, (t) => t.length === 5);
    assert.ok(rows[0].startsWith('Merge') && rows[0].includes('a merge would be clean') && BASE_FOUND.test(rows[0]), rows[0]);
    await screenshot('snapshot-base-prompt');
    await typeText('Merge');
    await waitForDom(QUICK_ROWS, (t) => t.length === 1);
    await pressKey('Enter');
    const results = await run;
    const a = results?.[0].artifacts[0];
    assert.equal(a?.status, 'synced', JSON.stringify(a));
    assert.equal(a?.baseSource, 'skillmeat-snapshot');
    const merged = fs.readFileSync(skillFile(), 'utf8');
    assert.match(merged, /^line1 collection edit$/m);
    assert.match(merged, /^line4 project edit$/m);
    await vscode.commands.executeCommand('notifications.showList');
    await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('The merge base of review was found in SkillMeat snapshot')));
    await screenshot('snapshot-base-merged');
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});
