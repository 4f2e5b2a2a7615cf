// Smoke test of the harness itself: the extension really runs in a VS Code extension host, on the fixture
// copy, with an isolated SKILLMEAT_HOME, and the workbench can be read and photographed from inside a test.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import pkg from '../../package.json';
import { domTexts, getApi, screenshot, waitFor, waitForDom } from './util';

describe('the extension in a real VS Code', () => {
  it('activates and exports an API whose version is the package version', async () => {
    const api = await getApi<{ version?: unknown }>();
    assert.equal(api?.version, pkg.version);
  });

  it('runs on a temporary copy of the fixture with its own SKILLMEAT_HOME', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'exactly one workspace folder is open');
    // scripts/run-vscode-tests.js makes one temp dir per session: the fixture copy and SKILLMEAT_HOME live in it.
    const sessionDir = path.dirname(process.env.SKILLMEAT_TEST_FIXTURE_COPY ?? '/nonexistent');
    const home = process.env.SKILLMEAT_HOME ?? '';
    const workspace = folders[0].uri.fsPath;
    // The guard that matters: a test must never read or write the developer's real ~/.skillmeat.
    assert.notEqual(path.resolve(home), path.join(os.homedir(), '.skillmeat'));
    assert.ok(path.resolve(home).startsWith(sessionDir + path.sep), `SKILLMEAT_HOME=${home} is not inside ${sessionDir}`);
    assert.ok(fs.existsSync(home), `SKILLMEAT_HOME=${home} exists`);
    assert.ok(path.resolve(workspace).startsWith(sessionDir + path.sep), `workspace ${workspace} is not inside ${sessionDir}`);
    assert.ok(fs.existsSync(path.join(workspace, '.claude')), `the workspace ${workspace} has a .claude/ folder`);
  });

  it('shows its log output channel in the Output panel', async () => {
    await getApi();
    // The workbench registers a "show" command for every output channel once the extension host announces it.
    const showChannel = await waitFor(async () => (await vscode.commands.getCommands(true))
      .find((c) => c.startsWith('workbench.action.output.show.skillmeat-sync.skillmeat-sync.')), { what: 'the SkillMeat Sync output channel' });
    await vscode.commands.executeCommand(showChannel);
    await waitForDom('.part.panel select option:checked', (t) => t.includes('SkillMeat Sync'));
    // The editor renders only the lines in view (the tail, with auto-scroll), so ask for content, not wording.
    await waitForDom('.part.panel .view-line', (lines) => lines.some((l) => l.trim() !== ''));
    await screenshot('smoke-output-channel');
  });

  it('shows the fixture in the Explorer, read from the workbench DOM', async () => {
    await vscode.commands.executeCommand('workbench.view.explorer');
    const rows = await waitForDom('.part.sidebar .explorer-folders-view .monaco-list-row', (t) => t.includes('.claude'));
    assert.ok(rows.length > 0);
    assert.deepEqual(await domTexts('.no-such-element-anywhere'), [], 'a selector that matches nothing yields no texts');
    await screenshot('smoke-explorer');
  });
});
