import { strict as assert } from 'node:assert';
import { syncStatus } from '../../../src/core/drift/status';
import type { ArtifactDrift, DriftState } from '../../../src/core/model';

const art = (state: DriftState, name: string = state): ArtifactDrift => ({
  type: 'skill', name, root: '.claude', state, collectionHash: null, projectHash: null, baselineHash: null,
  recommendation: '', relPath: `skills/${name}`, projectPath: `/p/${name}`, collectionPath: null, collectionName: 'default',
});
const report = (states: DriftState[], reachable = true, required = true) => ({ artifacts: states.map((s, i) => art(s, `${s}${i}`)), errors: [], collections: [{ name: 'default', path: '/c', reachable, required }] });

describe('status bar state', () => {
  it('is up to date when nothing diverged, ignoring added and untracked artifacts', () => {
    const s = syncStatus({ reports: [report(['in-sync', 'added', 'untracked', 'converged'])] });
    assert.equal(s.state, 'up-to-date');
    assert.equal(s.diverged, 0);
    assert.equal(s.severity, undefined);
    assert.deepEqual([s.counts['in-sync'], s.counts.added, s.counts.untracked, s.counts.converged], [1, 1, 1, 1]);
  });

  it('counts drifted artifacts per state, with a warning', () => {
    const s = syncStatus({ reports: [report(['modified', 'outdated', 'deleted', 'in-sync'])] });
    assert.equal(s.state, 'drifted');
    assert.equal(s.diverged, 3);
    assert.equal(s.severity, 'warning');
    assert.deepEqual(s.counts, { unreachable: 0, merging: 0, conflict: 0, modified: 1, outdated: 1, deleted: 1, removed: 0, converged: 0, added: 0, untracked: 0, invalid: 0, 'in-sync': 1 });
  });

  it('counts a merge in progress (merging) as drift', () => {
    const s = syncStatus({ reports: [report(['merging', 'in-sync'])] });
    assert.deepEqual([s.state, s.counts.merging, s.diverged], ['drifted', 1, 1]);
  });

  it('puts conflicts first, keeping the total of drifted artifacts', () => {
    const two = syncStatus({ reports: [report(['conflict', 'conflict'])] });
    assert.deepEqual([two.state, two.counts.conflict, two.diverged, two.severity], ['conflict', 2, 2, 'error']);
    const s = syncStatus({ reports: [report(['conflict', 'modified'])] });
    assert.deepEqual([s.state, s.counts.conflict, s.diverged], ['conflict', 1, 2]);
  });

  it('sums several workspace folders', () => {
    const s = syncStatus({ reports: [report(['modified']), report(['removed'])] });
    assert.deepEqual([s.state, s.diverged, s.counts.modified, s.counts.removed], ['drifted', 2, 1, 1]);
  });

  it('is offline when a collection is unreachable, naming its path, counting its artifacts apart from the drift', () => {
    const s = syncStatus({ reports: [report(['unreachable', 'unreachable', 'invalid'], false)] });
    assert.equal(s.state, 'offline');
    assert.deepEqual(s.unreachable, ['/c']);
    assert.equal(s.counts.unreachable, 2);
    assert.equal(s.diverged, 1, 'an unreachable artifact is not known to have drifted');
    assert.equal(s.severity, 'warning');
  });

  it('is not offline for a missing default collection that no record needs', () => {
    const s = syncStatus({ reports: [report(['untracked'], false, false)] });
    assert.deepEqual([s.state, s.unreachable], ['up-to-date', []]);
  });

  it('lists no unreachable collection when every collection answered', () => {
    assert.deepEqual(syncStatus({ reports: [report(['modified'])] }).unreachable, []);
  });

  it('is syncing while a sync runs, whatever the report says', () => {
    const s = syncStatus({ reports: [report(['conflict'])], syncing: true });
    assert.equal(s.state, 'syncing');
    assert.equal(s.severity, undefined);
  });

  it('is an error carrying the message that names the file when a records file cannot be parsed', () => {
    const r = { ...report(['in-sync']), errors: [{ code: 'records-unreadable' as const, message: '/p/.claude/.skillmeat-deployed.toml:3:1: invalid TOML' }] };
    const s = syncStatus({ reports: [r] });
    assert.equal(s.state, 'error');
    assert.equal(s.severity, 'error');
    assert.equal(s.error, '/p/.claude/.skillmeat-deployed.toml:3:1: invalid TOML');
  });

  it('is an error carrying the failed check\'s message', () => {
    const s = syncStatus({ reports: [report(['in-sync'])], error: 'cannot read /p/.claude' });
    assert.deepEqual([s.state, s.error], ['error', 'cannot read /p/.claude']);
  });

  it('is idle (hidden) without any workspace folder', () => {
    const s = syncStatus({ reports: [] });
    assert.equal(s.state, 'idle');
    assert.equal(s.diverged, 0);
  });

  it('carries no display text: only states, counts, paths and the error message', () => {
    const s = syncStatus({ reports: [report(['conflict', 'modified'], false)] });
    assert.deepEqual(Object.keys(s).sort(), ['counts', 'diverged', 'severity', 'state', 'unreachable']);
  });
});
