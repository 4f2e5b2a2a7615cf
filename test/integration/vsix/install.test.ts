// The package a user installs: scripts/run-vscode-tests.js ran `npm run package` and installed the .vsix with the
// VS Code server's --install-extension into this session's fresh extensions dir (SKILLMEAT_TEST_EXTENSIONS_DIR);
// the repository itself is not loaded. On a copy of examples/, the installed extension must show the Drift view
// and the status bar, and the CLI it carries must run.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import pkg from '../../../package.json';
import { EXTENSION_ID, screenshot, waitForDom } from '../util';

const SIDEBAR_ROWS = '.part.sidebar .monaco-list-row';
const STATUS = '.part.statusbar .statusbar-item';

function installed(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext;
}

/** Every file below dir, relative, with forward slashes. */
function filesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('the installed .vsix', () => {
  it('is the extension VS Code runs, installed from the package into the extensions dir', async () => {
    const ext = installed();
    const extensionsDir = process.env.SKILLMEAT_TEST_EXTENSIONS_DIR ?? '';
    assert.ok(extensionsDir && path.resolve(ext.extensionPath).startsWith(path.resolve(extensionsDir) + path.sep),
      `the extension runs from ${ext.extensionPath}, not from the extensions dir ${extensionsDir}`);
    assert.equal((ext.packageJSON as { version: string }).version, pkg.version);
    assert.ok(fs.statSync(process.env.SKILLMEAT_TEST_VSIX ?? '').size > 0, 'the .vsix exists');
    await ext.activate();
    assert.ok(ext.isActive);
  });

  it('holds only what it runs: bundles, wasm, schema, media and the manifest files', () => {
    const files = filesBelow(installed().extensionPath);
    for (const needed of ['dist/extension.js', 'dist/cli.js', 'dist/cli-main.js', 'dist/sql-wasm.wasm', 'package.json', 'package.nls.json', 'schemas/sync.schema.json']) {
      assert.ok(files.includes(needed), `${needed} is in the package; it holds ${JSON.stringify(files)}`);
    }
    const junk = files.filter((f) => /^(src|test|out|node_modules|scripts|bench|examples|artifacts|docs|\.vscode-rt)\//.test(f) || /\.(ts|map|vsix)$/.test(f));
    assert.deepEqual(junk, [], 'no sources, tests, dependencies or build leftovers');
  });

  it('shows the Drift tree and the status bar on the bundled example', async () => {
    await installed().activate();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    const rows = await waitForDom(SIDEBAR_ROWS, (t) => t.some((x) => x.startsWith('Conflicts')) && t.some((x) => x.includes('commit')),
      { timeoutMs: 20_000 });
    assert.ok(rows.some((r) => r.includes('code-review')), `the modified skill is listed; rows: ${JSON.stringify(rows)}`);
    await waitForDom(STATUS, (t) => t.some((x) => /SkillMeat: \d+ drifted/.test(x)));
    await screenshot('vsix-installed-drift');
  });

  it('carries a CLI that runs: --version and check on the example project', () => {
    const cli = path.join(installed().extensionPath, 'dist', 'cli.js');
    const version = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const project = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const check = spawnSync(process.execPath, [cli, 'check', '--json', '--project', project], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    // The example has drift on purpose: exit 1 with a report naming its artifacts (exit 2 would be an error).
    assert.equal(check.status, 1, check.stderr);
    const report = JSON.parse(check.stdout) as { artifacts: { name: string; state: string }[] };
    assert.ok(report.artifacts.some((a) => a.name === 'commit' && a.state === 'conflict'), check.stdout.slice(0, 500));
  });
});
