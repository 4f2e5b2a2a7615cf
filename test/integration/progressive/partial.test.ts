// The first check of a large workspace fills the Drift tree as it hashes (issue 13): rows for the artifacts known so
// far and "Checking drift… N of M artifacts known so far" on the view, then the full report, the message gone.
// Fixture: the peer bench's generated data at half scale (550 artifacts, ~5 000 files a side), generated per run
// (test/fixtures/progressive/fixture-generate.json); a partial report after every hashed batch
// (fixture-env.json: SKILLMEAT_SYNC_PARTIAL_EVERY_MS=0), so the test does not depend on the machine's speed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { getApi, screenshot, waitFor } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';

describe('progressive: the first check of a large workspace shows what it knows as it arrives', () => {
  it('lists the artifacts hashed so far with a progress message, then the full report without it', async function () {
    this.timeout(180_000);
    const api = await getApi<SkillMeatSyncApi>();
    await vscode.commands.executeCommand('workbench.view.extension.skillmeatSync');
    await waitFor(() => api.firstReportMs() !== undefined, { timeoutMs: 150_000, what: 'the first full drift report' });
    const partial = api.firstPartial();
    assert.ok(partial, 'a partial report came before the full one');
    const all = api.getReports().flatMap((r) => r.artifacts);
    assert.ok(all.length >= 500, `the generated workspace has ${all.length} artifacts`);
    assert.equal(partial.total, all.length, 'the partial report knew how many artifacts the check would list');
    assert.ok(partial.known < partial.total, `the first partial report came before everything was hashed (${partial.known} of ${partial.total})`);
    assert.equal(partial.rows, partial.known, 'the tree listed exactly the artifacts known');
    assert.match(partial.message, /^Checking drift… \d+ of \d+ artifacts known so far$/);
    assert.ok(api.firstPartialMs()! <= api.firstReportMs()!);
    // The full report: every artifact, and the view's message gone.
    assert.equal(api.treeView.message, undefined);
    await screenshot('progressive-full-report');
  });
});
