// A workspace without any profile root and without a collection shows the welcome content.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { getApi, screenshot, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';

describe('welcome view', () => {
  it('explains what is missing and offers to pick a collection folder', async () => {
    const api = await getApi<SkillMeatSyncApi>();
    const reports = await api.refresh();
    assert.equal(reports[0].artifacts.length, 0);
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    const texts = await waitForDom('.part.sidebar .welcome-view-content', (t) => t.some((x) => x.includes('no .claude/')));
    assert.ok(texts.join(' ').includes('Select Collection'), `welcome offers "Select Collection…": ${JSON.stringify(texts)}`);
    await screenshot('welcome-empty-workspace');
  });
});
