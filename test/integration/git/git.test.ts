// A team collection on git in the real VS Code, on a copy of examples/: the collection is made a clone of a
// bare remote, a teammate pushes two commits, the collection fetches (so it is 2 behind origin/main) and has
// one untracked file. The Drift view's header and the status-bar tooltip show it; Update fast-forwards first
// (answered in advance through api.sync.git, as the workbench under test refuses modal dialogs) and a pull
// commits exactly the artifact's files and pushes. Real git, real repositories in a temp dir.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, screenshot, tooltipOf, waitFor, waitForDom } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';

const STATUS = '.part.statusbar .statusbar-item';
const collection = () => path.join(process.env.SKILLMEAT_HOME!, 'collections', 'default');
const project = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

/** git with no prompts; the repositories set their own author, so no global config is needed. */
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function author(dir: string, name: string): void {
  git(dir, 'config', 'user.name', name);
  git(dir, 'config', 'user.email', `${name}@example.com`);
}

function stateOf(api: SkillMeatSyncApi, name: string): string | undefined {
  return api.getReports().flatMap((r) => r.artifacts).find((a) => a.name === name)?.state;
}

describe('Team collection on git', () => {
  let api: SkillMeatSyncApi;
  let base: string;
  let remote: string;
  const tip = '\nA tip from the team.\n';

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'skillmeat-git-it-'));
    remote = path.join(base, 'team.git');
    git(base, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    const c = collection();
    git(c, 'init', '--quiet', '--initial-branch=main');
    author(c, 'me');
    git(c, 'add', '-A');
    git(c, 'commit', '--quiet', '-m', 'Team collection');
    git(c, 'remote', 'add', 'origin', remote);
    git(c, 'push', '--quiet', '-u', 'origin', 'main');
    const mate = path.join(base, 'mate');
    git(base, 'clone', '--quiet', remote, mate);
    author(mate, 'mate');
    fs.appendFileSync(path.join(mate, 'skills', 'sql-explain', 'SKILL.md'), tip);
    git(mate, 'commit', '--quiet', '-am', 'sql-explain: a tip');
    fs.appendFileSync(path.join(mate, 'skills', 'data-migration', 'SKILL.md'), '\nMore.\n');
    git(mate, 'commit', '--quiet', '-am', 'data-migration: more');
    git(mate, 'push', '--quiet');
    git(c, 'fetch', '--quiet');
    fs.writeFileSync(path.join(c, 'scratch.md'), 'notes\n');
  });

  after(() => { api.sync.git.fastForward = undefined; api.sync.git.commit = undefined; fs.rmSync(base, { recursive: true, force: true }); });

  it('shows the collection 2 behind origin/main in the Drift view header, and its changed artifact as outdated', async () => {
    await api.refresh();
    assert.equal(api.treeView.description, 'main · 2 behind origin/main · 1 uncommitted');
    assert.equal(stateOf(api, 'sql-explain'), 'outdated');
    const git = api.getReports()[0].collections.find((c) => c.git)?.git;
    assert.deepEqual([git?.ahead, git?.behind, git?.dirty], [0, 2, ['scratch.md']]);
  });

  it('shows branch, behind and uncommitted changes in the status-bar tooltip, as of the last fetch', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    // The header as the workbench shows it (the view's description, next to its title).
    await waitForDom('.pane-header .description', (t) => t.some((x) => x.includes('main · 2 behind origin/main · 1 uncommitted')));
    const text = await tooltipOf(`${STATUS}[aria-label*="SkillMeat"]`, (x) => x.includes('(git)'), { what: 'the SkillMeat status-bar item' });
    assert.match(text, /Collection "default" \(git\): main · 2 behind origin\/main · 1 uncommitted — as of the last fetch/);
    await screenshot('git-behind-tooltip');
  });

  it('Update fast-forwards the collection first (answered Fast-forward), then updates the project', async () => {
    api.sync.git.fastForward = 'fast-forward';
    const results = await api.sync.run({ direction: 'update', strategy: 'overwrite', names: ['sql-explain'] });
    assert.equal(results[0]?.status, 'success', JSON.stringify(results[0]?.error));
    assert.equal(git(collection(), 'rev-parse', 'HEAD'), git(remote, 'rev-parse', 'main'));
    assert.ok(fs.readFileSync(path.join(project(), '.claude', 'skills', 'sql-explain', 'SKILL.md'), 'utf8').endsWith(tip));
    await waitFor(() => api.treeView.description === 'main · up to date with origin/main · 1 uncommitted', { what: `the header to say up to date (is ${api.treeView.description})` });
    assert.equal(stateOf(api, 'sql-explain'), 'in-sync');
  });

  it('a pull into the collection commits exactly the artifact\'s files and pushes (answered Commit and Push)', async () => {
    await api.sync.consent.allow(collection());
    api.sync.git.commit = 'commit-and-push';
    fs.appendFileSync(path.join(project(), '.claude', 'skills', 'sql-explain', 'SKILL.md'), '\nImproved here.\n');
    await waitFor(async () => { await api.refresh(); return stateOf(api, 'sql-explain') === 'modified'; }, { what: 'sql-explain to become modified' });
    const results = await api.sync.run({ direction: 'pull', strategy: 'overwrite', names: ['sql-explain'] });
    assert.equal(results[0]?.status, 'success', JSON.stringify(results[0]?.error));
    assert.equal(git(remote, 'log', '-1', '--format=%s', 'main'), 'Pull skill sql-explain from project (overwrite)');
    assert.equal(git(remote, 'show', '--name-only', '--format=', 'main'), 'skills/sql-explain/SKILL.md');
    assert.equal(git(collection(), 'ls-files', '--others', '--exclude-standard'), 'scratch.md');
    await waitFor(() => api.treeView.description?.startsWith('main · up to date with origin/main'), { what: `the header to say up to date after the push (is ${api.treeView.description})` });
  });

  it('asks "Fast-forward first?" in a quick pick when not answered in advance; Cancel changes nothing', async () => {
    api.sync.git.fastForward = undefined;
    fs.appendFileSync(path.join(base, 'mate', 'commands', 'commit.md'), '\nAnother line.\n');
    git(path.join(base, 'mate'), 'pull', '--quiet', '--ff-only');
    git(path.join(base, 'mate'), 'commit', '--quiet', '-am', 'commit: another line');
    git(path.join(base, 'mate'), 'push', '--quiet');
    git(collection(), 'fetch', '--quiet');
    const head = git(collection(), 'rev-parse', 'HEAD');
    await api.refresh();
    const running = vscode.commands.executeCommand('skillmeatSync.update');
    await waitForDom('.quick-input-widget .quick-input-title', (t) => t.some((x) => x === 'Collection is 1 commit behind origin/main — Fast-forward first?'));
    await waitForDom('.quick-input-widget .monaco-list-row', (t) => t.some((x) => x.includes('Fast-forward')) && t.some((x) => x.includes('Update without')) && t.some((x) => x.includes('Cancel')));
    await screenshot('git-fast-forward-question');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await running, undefined);
    assert.equal(git(collection(), 'rev-parse', 'HEAD'), head, 'nothing was fast-forwarded');
  });

  it('after a pull into the collection, offers "Commit and push?" in a notification when not answered in advance', async () => {
    api.sync.git.commit = undefined;
    fs.appendFileSync(path.join(project(), '.claude', 'skills', 'sql-explain', 'SKILL.md'), '\nOnce more.\n');
    await waitFor(async () => { await api.refresh(); return stateOf(api, 'sql-explain') === 'modified'; }, { what: 'sql-explain to become modified' });
    const head = git(collection(), 'rev-parse', 'HEAD');
    const results = await api.sync.run({ direction: 'pull', strategy: 'overwrite', names: ['sql-explain'] });
    assert.equal(results[0]?.status, 'success', JSON.stringify(results[0]?.error));
    await vscode.commands.executeCommand('notifications.showList');
    const toasts = await waitForDom('.notifications-center .notification-list-item', (t) => t.some((x) => x.includes('Commit and push?')));
    const offer = toasts.find((x) => x.includes('Commit and push?'))!;
    assert.match(offer, /Only the pulled files go into the commit/);
    assert.match(offer, /Commit and Push/);
    assert.match(offer, /Not now/);
    await screenshot('git-commit-offer');
    assert.equal(git(collection(), 'rev-parse', 'HEAD'), head, 'nothing is committed without an answer');
  });
});
