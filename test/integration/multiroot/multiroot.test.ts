// Multi-root: each workspace folder gets its own report; the tree labels rows with their folder and the
// status bar sums both. The fixture opens alpha/ and beta/ (deployed from one collection; beta edited).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { getApi, screenshot, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';

describe('multi-root workspace', () => {
  it('checks every folder and labels rows with their folder', async () => {
    assert.equal(vscode.workspace.workspaceFolders?.length, 2);
    const api = await getApi<SkillMeatSyncApi>();
    const reports = await api.refresh();
    assert.equal(reports.length, 2);
    const byName = (folder: string) => reports.find((r) => r.project.endsWith(folder))!;
    assert.equal(byName('beta').artifacts.find((a) => a.name === 'hello')?.state, 'modified');
    assert.equal(byName('alpha').artifacts.find((a) => a.name === 'hello')?.state, 'in-sync');
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    await waitForDom('.part.sidebar .monaco-list-row', (t) => t.some((x) => x.includes('hello') && x.includes('beta') && x.includes('edited locally')));
    await waitForDom('.part.statusbar .statusbar-item', (t) => t.some((x) => /SkillMeat: 1 drifted/.test(x)));
    await screenshot('multiroot');
  });

  it('follows folders being removed from the workspace without a manual refresh', async () => {
    const api = await getApi<SkillMeatSyncApi>();
    const changed = new Promise<number>((resolve) => {
      const sub = api.onDidChangeReport((r) => { if (r.length === 1) { sub.dispose(); resolve(r.length); } });
    });
    assert.ok(vscode.workspace.updateWorkspaceFolders(1, 1));
    assert.equal(await changed, 1);
    await waitForDom('.part.statusbar .statusbar-item', (t) => t.some((x) => /SkillMeat: in sync/.test(x)));
  });
});
