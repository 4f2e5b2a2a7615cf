// The sync state machine of SPEC §8 (issue 14): Offline, Syncing, Conflict, Up-to-Date, Error, moved only by
// explicit events through one transition table. Pure: no timers, no file system; the time of an event is an
// argument (the caller's clock), and the next retry time is data the glue schedules (VS Code's timer, the
// CLI's `watch` loop, a test's fake clock).
import { retryDelay, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff';

export type SyncMachineState = 'offline' | 'syncing' | 'conflict' | 'up-to-date' | 'error';
export const SYNC_MACHINE_STATES: readonly SyncMachineState[] = ['offline', 'syncing', 'conflict', 'up-to-date', 'error'];

/**
 * What moves the machine. `check-result`: a drift check that could read the collection (how many conflicts it
 * found). `collection-unreachable`: a check (or a sync) could not read it. `collection-back`: a check read it
 * again while Offline (`queued`: operations waiting to run). `sync-*`: an operation (a user's, or a queued one)
 * started / ended. `retry-due`: the clock passed the next retry time. `conflicts-resolved`: the user resolved or
 * discarded the last conflict.
 */
export type SyncEvent =
  | { type: 'check-result'; conflicts: number }
  | { type: 'collection-unreachable' }
  | { type: 'collection-back'; queued: number; conflicts: number }
  | { type: 'sync-started' }
  | { type: 'sync-succeeded'; conflicts: number }
  | { type: 'sync-conflict'; conflicts: number }
  | { type: 'sync-failed'; message: string }
  | { type: 'retry-due' }
  | { type: 'conflicts-resolved' };

export type SyncEventType = SyncEvent['type'];
export const SYNC_EVENT_TYPES: readonly SyncEventType[] = [
  'check-result', 'collection-unreachable', 'collection-back', 'sync-started', 'sync-succeeded', 'sync-conflict', 'sync-failed', 'retry-due', 'conflicts-resolved',
];

/** The machine's state and what the status bar shows with it. Immutable: a transition returns a new one. */
export interface SyncSnapshot {
  readonly state: SyncMachineState;
  /** When the machine entered `state` (ms since the epoch, the caller's clock). */
  readonly since: number;
  /** Conflicts known (drift conflicts, and queued operations that became conflicts). */
  readonly conflicts: number;
  /** In `error`: what failed, how many times in a row, and when the next retry is due. */
  readonly error?: { readonly message: string; readonly attempts: number; readonly nextRetryAt: number };
}

/** An event the current state does not accept (a sync ending while none runs, a retry while nothing failed…). */
export class InvalidTransitionError extends Error {
  constructor(readonly from: SyncMachineState, readonly event: SyncEventType) {
    super(`the sync state machine refuses "${event}" in state "${from}"`);
  }
}

type Target = (s: SyncSnapshot, e: SyncEvent, now: number, backoff: BackoffPolicy) => Omit<SyncSnapshot, 'since'>;

const to = (state: SyncMachineState): Target => (s) => ({ state, conflicts: s.conflicts });
const byConflicts = (n: number): Omit<SyncSnapshot, 'since'> => ({ state: n > 0 ? 'conflict' : 'up-to-date', conflicts: n });
const checked: Target = (_s, e) => byConflicts((e as { conflicts: number }).conflicts);
/** A check while a sync runs, or after one failed, does not end either: the count is kept up to date. */
const keep: Target = (s, e) => ({ ...s, conflicts: (e as { conflicts: number }).conflicts });
const back: Target = (_s, e) => {
  const b = e as Extract<SyncEvent, { type: 'collection-back' }>;
  return b.queued > 0 ? { state: 'syncing', conflicts: b.conflicts } : byConflicts(b.conflicts);
};
const failed: Target = (s, e, now, backoff) => {
  const attempts = (s.error?.attempts ?? 0) + 1;
  return { state: 'error', conflicts: s.conflicts, error: { message: (e as { message: string }).message, attempts, nextRetryAt: now + retryDelay(attempts, backoff) } };
};
/** Syncing again after a failure keeps the count of failures, so the next one waits longer. */
const retrying: Target = (s) => ({ state: 'syncing', conflicts: s.conflicts, ...(s.error ? { error: s.error } : {}) });

/**
 * The transition table: for each state, the events it accepts and where they lead. Every pair not listed is
 * refused with {@link InvalidTransitionError}: nothing syncs while Offline (operations are queued instead), a
 * sync cannot end when none started, the collection cannot come back when it was not gone, a retry is due only
 * after a failure.
 */
export const TRANSITIONS: Readonly<Record<SyncMachineState, Partial<Record<SyncEventType, Target>>>> = {
  'up-to-date': {
    'check-result': checked,
    'collection-unreachable': to('offline'),
    'sync-started': to('syncing'),
  },
  conflict: {
    'check-result': checked,
    'collection-unreachable': to('offline'),
    'sync-started': to('syncing'),
    'conflicts-resolved': () => ({ state: 'up-to-date', conflicts: 0 }),
  },
  offline: {
    'collection-unreachable': to('offline'),
    'collection-back': back,
    // The glue may have scheduled a retry before the collection went away: it waits for the reconnect.
    'retry-due': to('offline'),
  },
  syncing: {
    'check-result': keep,
    'sync-started': retrying,
    'sync-succeeded': checked,
    'sync-conflict': (_s, e) => ({ state: 'conflict', conflicts: Math.max(1, (e as { conflicts: number }).conflicts) }),
    'sync-failed': failed,
    'collection-unreachable': to('offline'),
  },
  error: {
    'check-result': keep,
    'retry-due': retrying,
    'sync-started': retrying,
    'collection-unreachable': to('offline'),
  },
};

/** Whether `state` accepts an event of type `event`. */
export function accepts(state: SyncMachineState, event: SyncEventType): boolean {
  return !!TRANSITIONS[state][event];
}

/** The machine's first state: Up-to-Date until the first check says otherwise. */
export function initialSnapshot(now: number): SyncSnapshot {
  return { state: 'up-to-date', since: now, conflicts: 0 };
}

/**
 * Applies `event` at time `now`; throws {@link InvalidTransitionError} when the state does not accept it.
 * `since` changes only when the state does.
 */
export function transition(s: SyncSnapshot, event: SyncEvent, now: number, backoff: BackoffPolicy = DEFAULT_BACKOFF): SyncSnapshot {
  const target = TRANSITIONS[s.state][event.type];
  if (!target) throw new InvalidTransitionError(s.state, event.type);
  const next = target(s, event, now, backoff);
  return { ...next, since: next.state === s.state ? s.since : now };
}
