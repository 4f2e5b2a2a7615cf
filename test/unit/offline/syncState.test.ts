// The sync state machine as a machine (issue 14): every (state, event) pair, accepted or refused, against a
// table written out here independently of src/core/offline/syncState.ts; and the backoff it schedules.
import * as assert from 'node:assert/strict';
import {
  InvalidTransitionError, SYNC_EVENT_TYPES, SYNC_MACHINE_STATES, TRANSITIONS, accepts, initialSnapshot, transition,
  type SyncEvent, type SyncEventType, type SyncMachineState, type SyncSnapshot,
} from '../../../src/core/offline/syncState';
import { DEFAULT_BACKOFF, retryDelay, type BackoffPolicy } from '../../../src/core/offline/backoff';

const T = Date.UTC(2026, 0, 5, 9, 0, 0);
const POLICY: BackoffPolicy = { baseMs: 1_000, factor: 2, capMs: 8_000, jitter: 0 };

/** One event of each type, with a payload that makes the target unambiguous (no conflicts, nothing queued). */
const EVENTS: Record<SyncEventType, SyncEvent> = {
  'check-result': { type: 'check-result', conflicts: 0 },
  'collection-unreachable': { type: 'collection-unreachable' },
  'collection-back': { type: 'collection-back', queued: 0, conflicts: 0 },
  'sync-started': { type: 'sync-started' },
  'sync-succeeded': { type: 'sync-succeeded', conflicts: 0 },
  'sync-conflict': { type: 'sync-conflict', conflicts: 1 },
  'sync-failed': { type: 'sync-failed', message: 'disk full' },
  'retry-due': { type: 'retry-due' },
  'conflicts-resolved': { type: 'conflicts-resolved' },
};

/** The expected table: target state, or null for a refused event. */
const EXPECTED: Record<SyncMachineState, Record<SyncEventType, SyncMachineState | null>> = {
  'up-to-date': {
    'check-result': 'up-to-date', 'collection-unreachable': 'offline', 'collection-back': null, 'sync-started': 'syncing',
    'sync-succeeded': null, 'sync-conflict': null, 'sync-failed': null, 'retry-due': null, 'conflicts-resolved': null,
  },
  conflict: {
    'check-result': 'up-to-date', 'collection-unreachable': 'offline', 'collection-back': null, 'sync-started': 'syncing',
    'sync-succeeded': null, 'sync-conflict': null, 'sync-failed': null, 'retry-due': null, 'conflicts-resolved': 'up-to-date',
  },
  offline: {
    'check-result': null, 'collection-unreachable': 'offline', 'collection-back': 'up-to-date', 'sync-started': null,
    'sync-succeeded': null, 'sync-conflict': null, 'sync-failed': null, 'retry-due': 'offline', 'conflicts-resolved': null,
  },
  syncing: {
    'check-result': 'syncing', 'collection-unreachable': 'offline', 'collection-back': null, 'sync-started': 'syncing',
    'sync-succeeded': 'up-to-date', 'sync-conflict': 'conflict', 'sync-failed': 'error', 'retry-due': null, 'conflicts-resolved': null,
  },
  error: {
    'check-result': 'error', 'collection-unreachable': 'offline', 'collection-back': null, 'sync-started': 'syncing',
    'sync-succeeded': null, 'sync-conflict': null, 'sync-failed': null, 'retry-due': 'syncing', 'conflicts-resolved': null,
  },
};

function at(state: SyncMachineState): SyncSnapshot {
  const base = { state, since: T, conflicts: state === 'conflict' ? 2 : 0 };
  return state === 'error' ? { ...base, error: { message: 'earlier failure', attempts: 1, nextRetryAt: T + 1_000 } } : base;
}

describe('sync state machine (issue 14)', () => {
  for (const state of SYNC_MACHINE_STATES) {
    for (const type of SYNC_EVENT_TYPES) {
      const target = EXPECTED[state][type];
      it(`${state} + ${type} → ${target ?? 'refused'}`, () => {
        assert.equal(accepts(state, type), target !== null);
        if (target === null) {
          assert.throws(() => transition(at(state), EVENTS[type], T + 5, POLICY), (e: unknown) => e instanceof InvalidTransitionError && e.from === state && e.event === type);
          return;
        }
        const next = transition(at(state), EVENTS[type], T + 5, POLICY);
        assert.equal(next.state, target);
        assert.equal(next.since, target === state ? T : T + 5, 'since moves only when the state changes');
      });
    }
  }

  it('the table lists exactly the accepted pairs of the expected table', () => {
    const listed = SYNC_MACHINE_STATES.flatMap((s) => Object.keys(TRANSITIONS[s]).map((e) => `${s}+${e}`)).sort();
    const expected = SYNC_MACHINE_STATES.flatMap((s) => SYNC_EVENT_TYPES.filter((e) => EXPECTED[s][e] !== null).map((e) => `${s}+${e}`)).sort();
    assert.deepEqual(listed, expected);
  });

  it('starts Up-to-Date at the given time', () => {
    assert.deepEqual(initialSnapshot(T), { state: 'up-to-date', since: T, conflicts: 0 });
  });

  it('a check with conflicts leads to Conflict and counts them; one without leads back to Up-to-Date', () => {
    const c = transition(at('up-to-date'), { type: 'check-result', conflicts: 3 }, T);
    assert.equal(c.state, 'conflict');
    assert.equal(c.conflicts, 3);
    assert.equal(transition(c, { type: 'check-result', conflicts: 0 }, T).state, 'up-to-date');
  });

  it('the collection coming back with queued operations leads to Syncing, without them to Up-to-Date or Conflict', () => {
    const off = at('offline');
    assert.equal(transition(off, { type: 'collection-back', queued: 2, conflicts: 0 }, T).state, 'syncing');
    assert.equal(transition(off, { type: 'collection-back', queued: 0, conflicts: 0 }, T).state, 'up-to-date');
    assert.equal(transition(off, { type: 'collection-back', queued: 0, conflicts: 1 }, T).state, 'conflict');
  });

  it('a sync ending in conflict counts at least one conflict', () => {
    assert.equal(transition(at('syncing'), { type: 'sync-conflict', conflicts: 0 }, T).conflicts, 1);
    assert.equal(transition(at('syncing'), { type: 'sync-conflict', conflicts: 4 }, T).conflicts, 4);
  });

  it('consecutive failures back off exponentially up to the cap, and a success resets the count', () => {
    let s: SyncSnapshot = at('syncing');
    const delays: number[] = [];
    let now = T;
    for (let i = 0; i < 6; i++) {
      s = transition(s, { type: 'sync-failed', message: `failure ${i + 1}` }, now, POLICY);
      assert.equal(s.state, 'error');
      assert.equal(s.error!.attempts, i + 1);
      assert.equal(s.error!.message, `failure ${i + 1}`);
      delays.push(s.error!.nextRetryAt - now);
      now = s.error!.nextRetryAt;
      s = transition(s, { type: 'retry-due' }, now, POLICY);
      assert.equal(s.state, 'syncing');
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    s = transition(s, { type: 'sync-succeeded', conflicts: 0 }, now, POLICY);
    assert.equal(s.error, undefined);
    s = transition(transition(s, { type: 'sync-started' }, now, POLICY), { type: 'sync-failed', message: 'again' }, now, POLICY);
    assert.equal(s.error!.attempts, 1, 'a success starts the count again');
  });

  it('a check while in Error keeps the error and its retry time', () => {
    const e = at('error');
    const next = transition(e, { type: 'check-result', conflicts: 0 }, T + 10);
    assert.deepEqual(next.error, e.error);
  });
});

describe('retry backoff', () => {
  it('grows by the factor from the base and stops at the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelay(n, POLICY)), [1_000, 2_000, 4_000, 8_000, 8_000]);
    assert.equal(retryDelay(10_000, POLICY), 8_000, 'a huge attempt count stays finite');
  });

  it('jitter takes off at most its fraction, deterministically for a given random source', () => {
    const p: BackoffPolicy = { ...POLICY, jitter: 0.5, random: () => 0.5 };
    assert.equal(retryDelay(1, p), 750);
    assert.equal(retryDelay(1, p), 750);
    assert.equal(retryDelay(3, { ...p, random: () => 0 }), 4_000);
    assert.equal(retryDelay(3, { ...p, random: () => 0.999999 }), 2_000);
  });

  it('the default is 5 s, doubling, at most 15 min, and no jitter without a random source', () => {
    assert.equal(retryDelay(1, DEFAULT_BACKOFF), 5_000);
    assert.equal(retryDelay(2, DEFAULT_BACKOFF), 10_000);
    assert.equal(retryDelay(20, DEFAULT_BACKOFF), 15 * 60_000);
  });
});
