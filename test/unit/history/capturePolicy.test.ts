// The capture policy of SPEC §6, driven by a fake clock: times are plain millisecond numbers.
import { strict as assert } from 'node:assert';
import {
  CapturePolicy, DEFAULT_CAPTURE_SETTINGS, MAX_WAIT_QUIET_WINDOWS, rescanCandidates, validateCaptureSettings,
  type CaptureEntry, type CaptureOrigin,
} from '../../../src/core/history/capturePolicy';
import { artifactKey } from '../../../src/core/model';

const S = 1_000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

const REVIEW = artifactKey('.claude', 'skill', 'review');
const DEPLOY = artifactKey('.claude', 'command', 'deploy');

/** Runs `tick(now)` and records every due capture with the hash `hashOf` gives, as the watcher glue would. */
function runDue(policy: CapturePolicy, now: number, hashOf: (key: string) => string): CaptureEntry[] {
  return policy.tick(now).map((a) => policy.recordCapture(a.artifactKey, hashOf(a.artifactKey), now, a.origin));
}

/** One user edit of `key` at `t`, captured after the quiet window; returns the entry. */
function editAndCapture(policy: CapturePolicy, key: string, t: number, hash: string): CaptureEntry {
  policy.noteChange(key, t);
  const due = t + policy.getSettings().quietWindowMs;
  assert.equal(policy.nextWakeAt() <= due, true);
  const entries = runDue(policy, due, () => hash);
  assert.equal(entries.length, 1);
  return entries[0];
}

/** A policy whose start-up re-scan is already done, so `nextWakeAt` only reflects captures. */
function freshPolicy(now = T0): CapturePolicy {
  const p = new CapturePolicy();
  p.noteRescan(now);
  return p;
}

describe('capture policy', () => {
  describe('settings', () => {
    it('uses the SPEC defaults when nothing is set', () => {
      const { settings, problems } = validateCaptureSettings({});
      assert.deepEqual(settings, DEFAULT_CAPTURE_SETTINGS);
      assert.deepEqual(problems, []);
      assert.deepEqual(validateCaptureSettings(undefined).settings, DEFAULT_CAPTURE_SETTINGS);
    });

    it('converts user units to milliseconds', () => {
      const { settings, problems } = validateCaptureSettings({ quietWindowSeconds: 1, maxPerHour: 3, rescanMinutes: 2, retentionDays: 30 });
      assert.deepEqual(problems, []);
      assert.deepEqual(settings, { quietWindowMs: 1 * S, maxCapturesPerHour: 3, rescanIntervalMs: 2 * MIN, retentionMs: 30 * DAY });
    });

    it('refuses a quiet window below one second, naming the setting, and uses the default', () => {
      const { settings, problems } = validateCaptureSettings({ quietWindowSeconds: 0.5 });
      assert.equal(settings.quietWindowMs, 30 * S);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /skillmeatSync\.capture\.quietWindowSeconds/);
      assert.match(problems[0], /0\.5/);
      assert.match(problems[0], /default \(30 seconds\)/);
    });

    it('refuses negative and fractional limits', () => {
      const { settings, problems } = validateCaptureSettings({ maxPerHour: 2.5, rescanMinutes: -1, retentionDays: -7 });
      assert.equal(settings.maxCapturesPerHour, 10);
      assert.equal(settings.rescanIntervalMs, 5 * MIN);
      assert.equal(settings.retentionMs, 7 * DAY);
      assert.equal(problems.length, 3);
      assert.match(problems[0], /skillmeatSync\.capture\.maxPerHour must be a whole number, not 2\.5/);
      assert.match(problems[1], /skillmeatSync\.capture\.rescanMinutes .*not -1/);
      assert.match(problems[2], /skillmeatSync\.capture\.retentionDays .*not -7/);
    });

    it('refuses values of the wrong type without throwing', () => {
      const { settings, problems } = validateCaptureSettings({ quietWindowSeconds: '30', maxPerHour: NaN, rescanMinutes: {}, retentionDays: [7] });
      assert.deepEqual(settings, DEFAULT_CAPTURE_SETTINGS);
      assert.equal(problems.length, 4);
      assert.match(problems[0], /quietWindowSeconds must be a number of seconds, not "30"/);
    });
  });

  describe('quiet window', () => {
    it('restarts on each change and captures once after the last one', () => {
      const p = freshPolicy();
      p.noteChange(REVIEW, T0);
      p.noteChange(REVIEW, T0 + 20 * S);
      p.noteChange(REVIEW, T0 + 40 * S);
      assert.deepEqual(p.tick(T0 + 30 * S), []);
      assert.deepEqual(p.tick(T0 + 69_999), []);
      assert.equal(p.nextWakeAt(), T0 + 70 * S);
      assert.deepEqual(p.tick(T0 + 70 * S), [{ kind: 'capture', artifactKey: REVIEW, origin: 'edit' }]);
      assert.deepEqual(p.tick(T0 + 71 * S), []);
    });

    it('still captures a file that never stops changing, after ten quiet windows', () => {
      const p = freshPolicy();
      const limit = T0 + MAX_WAIT_QUIET_WINDOWS * 30 * S;
      let t = T0;
      for (; t < limit; t += 10 * S) {
        p.noteChange(REVIEW, t);
        assert.deepEqual(p.tick(t), []);
      }
      assert.deepEqual(p.tick(limit).map((a) => a.origin), ['edit']);
    });

    it('coalesces a 1 000-file burst into one capture per artifact', () => {
      const p = freshPolicy();
      const keys = [REVIEW, DEPLOY, artifactKey('.claude', 'agent', 'planner'), artifactKey('.codex', 'skill', 'review')];
      for (let i = 0; i < 1000; i++) p.noteChange(keys[i % keys.length], T0 + Math.floor(i * 3)); // 1 000 files over 3 s
      const actions = p.tick(T0 + 3 * S + 30 * S);
      assert.deepEqual(actions.map((a) => a.artifactKey).sort(), [...keys].sort());
      assert.ok(actions.every((a) => a.origin === 'edit'));
      assert.deepEqual(p.tick(T0 + 10 * MIN), []);
    });
  });

  describe('dedup', () => {
    it('never captures identical content twice', () => {
      const p = freshPolicy();
      assert.equal(editAndCapture(p, REVIEW, T0, 'h1').status, 'captured');
      const again = editAndCapture(p, REVIEW, T0 + MIN, 'h1');
      assert.equal(again.status, 'skipped-duplicate');
      assert.equal(again.hash, 'h1');
      assert.equal(editAndCapture(p, REVIEW, T0 + 2 * MIN, 'h2').status, 'captured');
    });

    it('does not spend a rate-limit slot on a duplicate', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, i % 2 === 0 ? `h${i}` : `h${i - 1}`);
      // five captures and five duplicates: five slots left
      for (let i = 0; i < 5; i++) assert.equal(editAndCapture(p, REVIEW, T0 + (20 + i) * MIN, `n${i}`).status, 'captured');
      assert.equal(editAndCapture(p, REVIEW, T0 + 30 * MIN, 'n5').status, 'rate_limited');
    });
  });

  describe('rate limit', () => {
    it('turns the 11th change within an hour into rate_limited and captures it when the hour frees', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) assert.equal(editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`).status, 'captured');
      const limited = editAndCapture(p, REVIEW, T0 + 20 * MIN, 'h10');
      assert.equal(limited.status, 'rate_limited');
      assert.equal(limited.hash, 'h10');
      assert.equal(limited.supersedes, undefined);

      // the first capture happened at T0 + 30 s: the hour frees then
      const frees = T0 + 30 * S + HOUR;
      p.noteRescan(frees); // keep the re-scan out of nextWakeAt
      assert.equal(p.nextWakeAt(), frees);
      assert.deepEqual(p.tick(frees - 1), []);
      const later = runDue(p, frees, () => 'h10');
      assert.equal(later.length, 1);
      assert.equal(later[0].status, 'captured');
      assert.equal(later[0].origin, 'edit');
      assert.equal(later[0].supersedes, limited.id);
    });

    it('chains later rate-limited changes so every one is accounted for', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      const first = editAndCapture(p, REVIEW, T0 + 20 * MIN, 'h10');
      const second = editAndCapture(p, REVIEW, T0 + 25 * MIN, 'h11');
      assert.equal(second.status, 'rate_limited');
      assert.equal(second.supersedes, first.id);
      const [captured] = runDue(p, T0 + 30 * S + HOUR, () => 'h11');
      assert.equal(captured.status, 'captured');
      assert.equal(captured.supersedes, second.id);
    });

    it('limits each artifact separately', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      assert.equal(editAndCapture(p, DEPLOY, T0 + 15 * MIN, 'd1').status, 'captured');
    });

    it('lets a running quiet window, not the retry, capture a rate-limited artifact', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      const limited = editAndCapture(p, REVIEW, T0 + 20 * MIN, 'h10');
      const frees = T0 + 30 * S + HOUR;
      p.noteChange(REVIEW, frees - 10 * S); // the user is editing again when the hour frees
      assert.deepEqual(p.tick(frees), []);
      const [captured] = runDue(p, frees + 20 * S, () => 'h11');
      assert.equal(captured.origin, 'edit');
      assert.equal(captured.status, 'captured');
      assert.equal(captured.supersedes, limited.id);
    });

    it('never rate-limits the product\'s own writes, nor counts them', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      const snapshot = p.recordCapture(REVIEW, 'base', T0 + 15 * MIN, 'deploy');
      assert.equal(snapshot.status, 'captured');
      assert.equal(snapshot.origin, 'deploy');
    });

    it('counts captures recorded slightly out of order, but forgets them after the clock is set back', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) p.recordCapture(REVIEW, `h${i}`, T0 + i * S, 'edit');
      assert.equal(p.recordCapture(REVIEW, 'late', T0 + 5 * S, 'edit').status, 'rate_limited');
      assert.equal(p.recordCapture(REVIEW, 'after-reset', T0 - DAY, 'edit').status, 'captured');
    });

    it('keeps the hourly window across a restart', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      const restarted = CapturePolicy.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
      assert.equal(restarted.recordCapture(REVIEW, 'h10', T0 + 20 * MIN, 'edit').status, 'rate_limited');
      assert.equal(restarted.recordCapture(REVIEW, 'h9', T0 + 21 * MIN, 'edit').status, 'skipped-duplicate');
    });
  });

  describe("the product's own writes", () => {
    it('are not captured as edits but recorded with their own origin', () => {
      const p = freshPolicy();
      editAndCapture(p, REVIEW, T0, 'mine');
      const t = T0 + 2 * MIN;
      p.noteOwnWrite(REVIEW, t, 'sync');
      for (let i = 0; i < 200; i++) p.noteChange(REVIEW, t + 5 * i); // the watcher echoes the write for 1 s
      assert.equal(p.nextWakeAt(), t + 2 * S);
      assert.deepEqual(p.tick(t + 2 * S - 1), []);
      const entries = runDue(p, t + 2 * S, () => 'merged');
      assert.deepEqual(entries.map((e) => [e.origin, e.status, e.hash]), [['sync', 'captured', 'merged']]);
      assert.deepEqual(p.tick(t + 10 * MIN), [], 'no edit capture follows');
    });

    it('add nothing when the writer already recorded what it wrote', () => {
      const p = freshPolicy();
      const t = T0;
      p.noteOwnWrite(DEPLOY, t, 'deploy');
      p.noteChange(DEPLOY, t + 100);
      assert.equal(p.recordCapture(DEPLOY, 'baseline', t + 200, 'deploy').status, 'captured');
      assert.deepEqual(p.tick(t + 2 * S), []);
      assert.deepEqual(p.tick(t + 10 * MIN), []);
    });

    it('fold a user edit still waiting for its quiet window into the write', () => {
      const p = freshPolicy();
      p.noteChange(DEPLOY, T0);
      p.noteOwnWrite(DEPLOY, T0 + 10 * S, 'generator');
      p.noteChange(DEPLOY, T0 + 10.5 * S);
      const entries = runDue(p, T0 + 30 * S, () => 'generated');
      assert.deepEqual(entries.map((e) => e.origin), ['generator']);
      assert.deepEqual(p.tick(T0 + HOUR), []);
    });

    it('let changes after the grace period count as edits again', () => {
      const p = freshPolicy();
      p.noteOwnWrite(REVIEW, T0, 'restore');
      p.noteChange(REVIEW, T0 + 500);
      p.noteChange(REVIEW, T0 + 5 * S);
      assert.deepEqual(p.tick(T0 + 2 * S).map((a) => a.origin), ['restore']);
      assert.deepEqual(p.tick(T0 + 35 * S).map((a) => a.origin), ['edit']);
    });
  });

  describe('re-scan', () => {
    it('is due at start and then once per interval', () => {
      const p = new CapturePolicy();
      assert.equal(p.rescanDue(T0), true);
      assert.ok(p.nextWakeAt() <= T0);
      p.noteRescan(T0);
      assert.equal(p.rescanDue(T0 + 5 * MIN - 1), false);
      assert.equal(p.nextWakeAt(), T0 + 5 * MIN);
      assert.equal(p.rescanDue(T0 + 5 * MIN), true);
    });

    it('catches a change made while nothing watched', () => {
      const p = freshPolicy();
      editAndCapture(p, REVIEW, T0, 'r1');
      editAndCapture(p, DEPLOY, T0, 'd1');
      const saved = JSON.stringify(p.toJSON());

      // VS Code is closed; the user edits REVIEW and adds an agent. Next day the extension starts again.
      const planner = artifactKey('.claude', 'agent', 'planner');
      const current = new Map([[REVIEW, 'r2'], [DEPLOY, 'd1'], [planner, 'p1']]);
      const t = T0 + DAY;
      const p2 = CapturePolicy.fromJSON(JSON.parse(saved));
      assert.equal(p2.rescanDue(t), true);
      const actions = p2.rescan(current, t);
      assert.deepEqual(actions, [
        { kind: 'capture', artifactKey: REVIEW, origin: 'rescan' },
        { kind: 'capture', artifactKey: planner, origin: 'rescan' },
      ]);
      const entries = actions.map((a) => p2.recordCapture(a.artifactKey, current.get(a.artifactKey) ?? '', t, a.origin));
      assert.deepEqual(entries.map((e) => [e.artifactKey, e.origin, e.status]), [[REVIEW, 'rescan', 'captured'], [planner, 'rescan', 'captured']]);
      assert.equal(p2.rescanDue(t + MIN), false);
      assert.deepEqual(p2.rescan(current, t + 5 * MIN), [], 'nothing changed since');
    });

    it('leaves an artifact the watcher already scheduled to its quiet window', () => {
      const p = freshPolicy();
      editAndCapture(p, REVIEW, T0, 'r1');
      p.noteChange(REVIEW, T0 + 10 * MIN);
      assert.deepEqual(p.rescan(new Map([[REVIEW, 'r2']]), T0 + 10 * MIN + S), []);
    });

    it('does not re-report a rate-limited change every interval', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      editAndCapture(p, REVIEW, T0 + 20 * MIN, 'h10');
      assert.deepEqual(p.rescan(new Map([[REVIEW, 'h10']]), T0 + 25 * MIN), []);
    });

    it('compares hashes with a pure helper', () => {
      const known = new Map([['a', '1'], ['b', '2'], ['gone', '3']]);
      const current = new Map([['a', '1'], ['b', 'x'], ['new', '4']]);
      assert.deepEqual(rescanCandidates(known, current), ['b', 'new']);
    });
  });

  describe('retention', () => {
    const now = T0 + 30 * DAY;
    const old = new Date(now - 8 * DAY).toISOString();
    const older = new Date(now - 9 * DAY).toISOString();
    const recent = new Date(now - 1 * DAY).toISOString();
    const entry = (id: string, key: string, at: string, hash: string, status: CaptureEntry['status'] = 'captured', origin: CaptureOrigin = 'edit', pinned?: boolean): CaptureEntry =>
      ({ id, artifactKey: key, at, hash, origin, status, ...(pinned ? { pinned } : {}) });

    it('prunes only old, unpinned entries that are not baselines or snapshots', () => {
      const entries = [
        entry('old-edit', REVIEW, older, 'e1'),
        entry('old-limited', REVIEW, older, 'e2', 'rate_limited'),
        entry('old-pinned', REVIEW, older, 'e3', 'captured', 'edit', true),
        entry('old-baseline', REVIEW, older, 'base', 'captured', 'deploy'),
        entry('old-snapshot', REVIEW, old, 'snap', 'captured', 'sync'),
        entry('recent', REVIEW, recent, 'e4'),
      ];
      const pruned = new CapturePolicy().selectPrunable(entries, now, new Set(['base', 'snap']));
      assert.deepEqual(pruned.map((e) => e.id), ['old-edit', 'old-limited']);
    });

    it('never prunes the newest captured version of an artifact', () => {
      const entries = [
        entry('a1', DEPLOY, older, 'd1'),
        entry('a2', DEPLOY, old, 'd2'),
        entry('a3', DEPLOY, old, 'd2', 'skipped-duplicate'),
      ];
      const pruned = new CapturePolicy().selectPrunable(entries, now, new Set());
      assert.deepEqual(pruned.map((e) => e.id), ['a1', 'a3']);
    });

    it('keeps entries whose time cannot be read', () => {
      const pruned = new CapturePolicy().selectPrunable([entry('bad', REVIEW, 'yesterday', 'x', 'rate_limited')], now, new Set());
      assert.deepEqual(pruned, []);
    });
  });

  describe('state', () => {
    it('round-trips pending quiet windows, retries and the re-scan time', () => {
      const p = freshPolicy();
      for (let i = 0; i < 10; i++) editAndCapture(p, REVIEW, T0 + i * MIN, `h${i}`);
      const limited = editAndCapture(p, REVIEW, T0 + 20 * MIN, 'h10');
      p.noteChange(DEPLOY, T0 + 21 * MIN);
      p.noteRescan(T0 + 21 * MIN);
      const q = CapturePolicy.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
      assert.deepEqual(q.toJSON(), p.toJSON());
      assert.equal(q.nextWakeAt(), T0 + 21 * MIN + 30 * S);
      assert.deepEqual(q.pendingCaptures().map((c) => [c.artifactKey, c.origin]), [[REVIEW, 'edit'], [DEPLOY, 'edit']]);
      const [captured] = runDue(q, T0 + 30 * S + HOUR, () => 'h10').filter((e) => e.artifactKey === REVIEW);
      assert.equal(captured.supersedes, limited.id);
    });

    it('starts empty from malformed state instead of throwing', () => {
      for (const bad of [null, 42, 'x', [], { v: 2 }, { v: 1, artifacts: { k: 'x', j: { window: ['a', 1], own: { origin: 'evil', until: 1 } } } }]) {
        const p = CapturePolicy.fromJSON(bad);
        assert.equal(p.recordCapture(REVIEW, 'h', T0, 'edit').status, 'captured');
      }
    });

    it('gives every entry a distinct id, also after a restart', () => {
      const p = freshPolicy();
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add(p.recordCapture(REVIEW, `h${i % 3}`, T0, 'edit').id);
      const q = CapturePolicy.fromJSON(p.toJSON());
      for (let i = 0; i < 50; i++) ids.add(q.recordCapture(REVIEW, `h${i % 3}`, T0, 'edit').id);
      assert.equal(ids.size, 100);
    });
  });
});
