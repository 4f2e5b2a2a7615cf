import { strict as assert } from 'node:assert';
import { statusView } from '../../src/core/statusText';
import type { ArtifactDrift, DriftState } from '../../src/core/model';

const art = (state: DriftState, name: string = state): ArtifactDrift => ({
  type: 'skill', name, root: '.claude', state, collectionHash: null, projectHash: null, baselineHash: null,
  recommendation: '', relPath: `skills/${name}`, projectPath: `/p/${name}`, collectionPath: null, collectionName: 'default',
});
const report = (states: DriftState[], reachable = true) => ({ artifacts: states.map((s, i) => art(s, `${s}${i}`)), errors: [], collections: [{ name: 'default', path: '/c', reachable }] });

describe('status bar text', () => {
  it('says in sync when nothing diverged, ignoring added and untracked artifacts', () => {
    const v = statusView({ reports: [report(['in-sync', 'added', 'untracked', 'converged'])] });
    assert.equal(v.state, 'up-to-date');
    assert.equal(v.text, '$(check) SkillMeat: in sync');
    assert.equal(v.severity, undefined);
  });

  it('counts drifted artifacts with a warning', () => {
    const v = statusView({ reports: [report(['modified', 'outdated', 'deleted', 'in-sync'])] });
    assert.equal(v.state, 'drifted');
    assert.equal(v.text, '$(warning) SkillMeat: 3 drifted');
    assert.equal(v.severity, 'warning');
    assert.match(v.tooltip, /1 modified, 1 outdated, 1 deleted, 1 in-sync/);
  });

  it('puts conflicts first, with the total when other artifacts drifted too', () => {
    assert.equal(statusView({ reports: [report(['conflict', 'conflict'])] }).text, '$(git-merge) SkillMeat: 2 conflicts');
    const v = statusView({ reports: [report(['conflict', 'modified'])] });
    assert.equal(v.state, 'conflict');
    assert.equal(v.text, '$(git-merge) SkillMeat: 1 conflict · 2 drifted');
  });

  it('sums several workspace folders', () => {
    assert.equal(statusView({ reports: [report(['modified']), report(['removed'])] }).text, '$(warning) SkillMeat: 2 drifted');
  });

  it('shows Offline when a collection is unreachable', () => {
    const v = statusView({ reports: [report(['modified'], false)] });
    assert.equal(v.state, 'offline');
    assert.equal(v.text, '$(debug-disconnect) SkillMeat: offline · 1 drifted');
    assert.match(v.tooltip, /\/c/);
  });

  it('shows Syncing while a sync runs, whatever the report says', () => {
    assert.equal(statusView({ reports: [report(['conflict'])], syncing: true }).state, 'syncing');
  });

  it('shows Error with the file named when a records file cannot be parsed', () => {
    const r = { ...report(['in-sync']), errors: [{ code: 'records-unreadable' as const, message: '/p/.claude/.skillmeat-deployed.toml:3:1: invalid TOML' }] };
    const v = statusView({ reports: [r] });
    assert.equal(v.state, 'error');
    assert.equal(v.text, '$(error) SkillMeat: error');
    assert.match(v.tooltip, /skillmeat-deployed\.toml:3:1/);
  });

  it('hides itself (idle) without any workspace folder', () => {
    assert.equal(statusView({ reports: [] }).state, 'idle');
  });
});
