// Offline-first in the real VS Code (issue 14), on test/fixtures/offline (a skill `review` and a command `commit`
// deployed from the default collection): the collection folder is moved away (an unmounted drive) → the status
// bar says Offline; an update asked for meanwhile is queued ("Queued: …", "Offline · 1 queued"); the folder is
// moved back → Syncing (held visible by another process holding the version store's lock) → in sync, with the
// queued update applied. The tests run in order and share the workspace, as a user's session would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { getApi, pressKey, screenshot, waitFor, waitForDom } from '../util';
import { holdStoreLock, waitForStatus } from '../operations/helpers';
import type { SkillMeatSyncApi } from '../../../src/extension';

const project = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const collection = () => path.join(process.env.SKILLMEAT_HOME!, 'collections', 'default');
const unmounted = () => `${collection()}.unmounted`;
const reviewInProject = () => path.join(project(), '.claude', 'skills', 'review', 'SKILL.md');
const commitInProject = () => path.join(project(), '.claude', 'commands', 'commit.md');
const QUICK_ROWS = '.quick-input-widget .monaco-list-row';
const NEW_REVIEW = '---\nname: review\ndescription: Review a diff\n---\n\n# review\n\nRead the diff twice, then list what to fix.\n';

describe('offline-first sync (issue 14)', () => {
  let api: SkillMeatSyncApi;
  const states: string[] = [];

  before(async () => {
    api = await getApi<SkillMeatSyncApi>();
    await api.refresh();
    api.offline.onDidChange(() => {
      const s = api.offline.states()[0]?.state;
      if (s && states[states.length - 1] !== s) states.push(s);
    });
  });

  it('starts in sync', async () => {
    await waitForStatus((s) => s.text.includes('SkillMeat: in sync'), 'the status bar to say in sync');
  });

  it('the collection folder moved away → the status bar says Offline', async () => {
    fs.renameSync(collection(), unmounted());
    // Meanwhile, on the unmounted drive, the collection gets a new version of review (another machine).
    fs.writeFileSync(path.join(unmounted(), 'skills', 'review', 'SKILL.md'), NEW_REVIEW);
    await waitForStatus((s) => s.text.includes('SkillMeat: Offline'), 'the status bar to say Offline');
    assert.equal(api.offline.states()[0].state, 'offline');
    assert.ok(api.getReports()[0].artifacts.every((a) => a.state === 'unreachable'));
  });

  it('an update asked for while Offline is queued, and the status bar counts it', async () => {
    const results = await api.sync.run({ direction: 'update', strategy: 'overwrite', names: ['review'] });
    assert.deepEqual(results, [], 'nothing ran');
    assert.deepEqual(api.offline.queued().map((q) => `${q.direction} ${q.name} ${q.strategy} ${q.status}`), ['update review overwrite queued']);
    await vscode.commands.executeCommand('notifications.showList');
    await waitForDom('.notifications-center .notification-list-item-message', (t) => t.some((x) => x.includes('Queued: will run when the collection is reachable (update of review).')));
    const item = await waitForStatus((s) => s.text.includes('SkillMeat: Offline · 1 queued'), 'the status bar to count the queued update');
    assert.ok(item.label.includes('Queued until the collection is reachable:'), `tooltip: ${item.label}`);
    assert.ok(item.label.includes('update review (overwrite)'), `tooltip: ${item.label}`);
    assert.notEqual(fs.readFileSync(reviewInProject(), 'utf8'), NEW_REVIEW, 'nothing written while Offline');
    await screenshot('offline-queued');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.hideList');
  });

  it('the folder moved back → Syncing → in sync, with the queued update applied', async () => {
    // Another process holds the version store for a while, so the queued update visibly waits in Syncing.
    const holder = await holdStoreLock(4_000);
    fs.renameSync(unmounted(), collection());
    const syncing = await waitForStatus((s) => s.text.includes('SkillMeat: syncing'), 'the status bar to say syncing');
    assert.ok(/syncing/i.test(syncing.label), `tooltip: ${syncing.label}`);
    await screenshot('offline-reconnect-syncing');
    await holder.exited;
    await waitForStatus((s) => s.text.includes('SkillMeat: in sync'), 'the status bar to say in sync again');
    assert.equal(fs.readFileSync(reviewInProject(), 'utf8'), NEW_REVIEW, 'the queued update was applied');
    await waitFor(() => api.offline.queued().length === 0, { what: 'the queue to empty' });
    assert.equal(api.offline.states()[0].state, 'up-to-date');
    assert.deepEqual(states.slice(-3), ['offline', 'syncing', 'up-to-date']);
    await screenshot('offline-reconnected');
  });

  it('a queued update whose project copy was edited after it was asked is not run: Conflict in the status bar, until discarded', async () => {
    fs.renameSync(collection(), unmounted());
    await waitForStatus((s) => s.text.includes('SkillMeat: Offline'), 'the status bar to say Offline again');
    await api.sync.run({ direction: 'update', strategy: 'overwrite', names: ['commit'] });
    fs.writeFileSync(commitInProject(), 'edited after asking for the update\n');
    fs.renameSync(unmounted(), collection());
    const item = await waitForStatus((s) => s.text.includes('SkillMeat: conflict · 1 queued not run'), 'the status bar to show the queued conflict');
    assert.ok(item.label.includes('changed after the update was queued'), `tooltip: ${item.label}`);
    assert.equal(fs.readFileSync(commitInProject(), 'utf8'), 'edited after asking for the update\n', 'the edit is kept');
    await screenshot('offline-queued-conflict');
    await vscode.commands.executeCommand('notifications.clearAll');
    // Discard it: the quick pick preselects the conflicts; Enter accepts.
    const discarded = vscode.commands.executeCommand<number>('skillmeatSync.discardQueuedOperations');
    await waitForDom(QUICK_ROWS, (rows) => rows.some((r) => r.includes('Update commit')));
    await pressKey('Enter');
    assert.equal(await discarded, 1);
    await waitForStatus((s) => s.text.includes('SkillMeat: 1 drifted'), 'the status bar to show the drift only');
    assert.deepEqual(api.offline.queued(), []);
    assert.equal(fs.readFileSync(commitInProject(), 'utf8'), 'edited after asking for the update\n');
  });
});
