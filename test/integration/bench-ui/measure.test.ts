// Not part of `npm test`: `npm run bench` runs this session (bench-* sessions run only on request) and
// reads the figures it writes — on the example (15 artifacts) and on the generated 1 000-artifact set
// (--fixture). It measures; the assertions only check that every save was observed.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { getApi, waitFor } from '../util';
import type { SkillMeatSyncApi } from '../../../src/extension';
import { REFRESH_DEBOUNCE_MS, SAVE_DEBOUNCE_MS } from '../../../src/vscode/drift/driftService';

/** Resolves with the time of the first report in which `name` is (or is no longer) modified. */
function reportShows(api: SkillMeatSyncApi, name: string, modified: boolean): Promise<number> {
  return new Promise<number>((resolve) => {
    const sub = api.onDidChangeReport((reports) => {
      const a = reports.flatMap((r) => r.artifacts).find((x) => x.name === name);
      if ((a?.state === 'modified') === modified) { sub.dispose(); resolve(performance.now()); }
    });
  });
}

describe('bench: the extension in a real VS Code', () => {
  it('measures activation and the time from a file save to the updated drift report', async function () {
    this.timeout(300_000); // 30 edits on the 1 000-artifact set on a loaded machine: a measurement, not a limit
    const api = await getApi<SkillMeatSyncApi>();
    // View opened (the extension activates) → the first full report; then the same check again, everything known.
    await waitFor(() => api.firstReportMs() !== undefined, { timeoutMs: 60_000, what: 'the first drift report' });
    const firstReportMs = api.firstReportMs()!;
    // Rows in the tree before the full report (a large first check lists what it has hashed so far), if any came.
    const firstPartialMs = api.firstPartialMs() ?? -1;
    const artifacts = api.getReports().flatMap((r) => r.artifacts).length;
    const r0 = performance.now();
    await api.refresh();
    const refreshMs = performance.now() - r0;
    // The skill to edit: sql-explain in the example, else the first in-sync skill (the generated 1 000-artifact set).
    const all = api.getReports().flatMap((r) => r.artifacts);
    const target = (all.find((a) => a.name === 'sql-explain' && a.state === 'in-sync') ?? all.find((a) => a.type === 'skill' && a.state === 'in-sync'))!;
    assert.ok(target, 'an in-sync skill to edit');
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.claude/skills', target.name, 'SKILL.md');
    const original = fs.readFileSync(file, 'utf8');
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const wantModified = i % 2 === 0;
      const seen = reportShows(api, target.name, wantModified);
      const t0 = performance.now();
      fs.writeFileSync(file, wantModified ? original + `\nedit ${i}\n` : original);
      samples.push((await seen) - t0);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];

    // The same through the editor: edit the open document and save it (what a user does).
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    const saves: number[] = [];
    for (let i = 0; i < 15; i++) {
      const wantModified = i % 2 === 0;
      const seen = reportShows(api, target.name, wantModified);
      await editor.edit((e) => e.replace(new vscode.Range(0, 0, doc.lineCount, 0), wantModified ? original + `\nsaved ${i}\n` : original));
      // From the moment VS Code reports the save done (the file is on disk) to the updated report.
      const saved = new Promise<number>((resolve) => {
        const sub = vscode.workspace.onDidSaveTextDocument(() => { sub.dispose(); resolve(performance.now()); });
      });
      await doc.save();
      const [t0, t1] = await Promise.all([saved, seen]);
      saves.push(Math.max(0, t1 - t0));
    }
    saves.sort((a, b) => a - b);
    const out = process.env.SKILLMEAT_BENCH_OUT;
    const figures = {
      activationMs: api.activationMs,
      firstReportMs,
      firstPartialMs,
      refreshMs,
      artifacts,
      saveToReportMedianMs: median,
      saveToReportMinMs: samples[0],
      saveToReportMaxMs: samples[samples.length - 1],
      debounceMs: REFRESH_DEBOUNCE_MS,
      editorSaveMedianMs: saves[Math.floor(saves.length / 2)],
      editorSaveMaxMs: saves[saves.length - 1],
      saveDebounceMs: SAVE_DEBOUNCE_MS,
      samples: samples.length,
    };
    if (out) fs.writeFileSync(out, JSON.stringify(figures, null, 2));
    assert.equal(samples.length, 15);
    assert.equal(saves.length, 15);
  });
});
