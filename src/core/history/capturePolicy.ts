// When to capture a version of an artifact (SPEC §6): quiet window, hourly rate limit, own-write grace,
// background re-scan and retention. A pure state machine: no timers, no I/O, no randomness. The caller
// (the watcher glue) feeds it events with the current time, sets one timer for `nextWakeAt()`, calls
// `tick(now)`, hashes the artifacts it is told to and reports the hash back with `recordCapture`, which
// returns the entry the version store persists. The state survives a restart through `toJSON`/`fromJSON`,
// so a reload of the window cannot be used to exceed the hourly limit.

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The four user-facing capture settings, in milliseconds / counts. */
export interface CaptureSettings {
  /** A capture happens this long after the artifact's last change. */
  quietWindowMs: number;
  /** At most this many edit/re-scan captures per artifact in any sliding hour. */
  maxCapturesPerHour: number;
  /** A background re-scan runs this often to catch changes the watcher missed. */
  rescanIntervalMs: number;
  /** Entries older than this may be pruned (baselines, snapshots and pinned entries never are). */
  retentionMs: number;
}

/** Defaults of SPEC §6: 30 s quiet window, 10 per hour, re-scan every 5 min, 7 days of history. */
export const DEFAULT_CAPTURE_SETTINGS: Readonly<CaptureSettings> = Object.freeze({
  quietWindowMs: 30 * SECOND,
  maxCapturesPerHour: 10,
  rescanIntervalMs: 5 * MINUTE,
  retentionMs: 7 * DAY,
});

/** The VS Code setting ids, so messages name what the user has to fix. */
export const CAPTURE_SETTING_IDS = Object.freeze({
  quietWindowSeconds: 'skillmeatSync.capture.quietWindowSeconds',
  maxPerHour: 'skillmeatSync.capture.maxPerHour',
  rescanMinutes: 'skillmeatSync.capture.rescanMinutes',
  retentionDays: 'skillmeatSync.capture.retentionDays',
});

/** Raw setting values as read from configuration (user units); anything may be missing or mistyped. */
export interface RawCaptureSettings {
  quietWindowSeconds?: unknown;
  maxPerHour?: unknown;
  rescanMinutes?: unknown;
  retentionDays?: unknown;
}

interface SettingRule {
  id: string;
  unit: string;
  defaultValue: number;
  min: number;
  max: number;
  integer: boolean;
}

// Upper bounds keep every derived delay under setTimeout's 2^31-1 ms limit (a bigger delay fires at once).
const RULES: Record<keyof RawCaptureSettings, SettingRule> = {
  quietWindowSeconds: { id: CAPTURE_SETTING_IDS.quietWindowSeconds, unit: 'seconds', defaultValue: 30, min: 1, max: 3600, integer: false },
  maxPerHour: { id: CAPTURE_SETTING_IDS.maxPerHour, unit: 'captures', defaultValue: 10, min: 1, max: 3600, integer: true },
  rescanMinutes: { id: CAPTURE_SETTING_IDS.rescanMinutes, unit: 'minutes', defaultValue: 5, min: 1, max: 1440, integer: false },
  retentionDays: { id: CAPTURE_SETTING_IDS.retentionDays, unit: 'days', defaultValue: 7, min: 1, max: 3650, integer: false },
};

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function validateOne(rule: SettingRule, raw: unknown, problems: string[]): number {
  // Unset (undefined / null) is not a problem: the default applies silently.
  if (raw === undefined || raw === null) return rule.defaultValue;
  const fallback = `Using the default (${rule.defaultValue} ${rule.unit}).`;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    problems.push(`${rule.id} must be a number of ${rule.unit}, not ${describeValue(raw)}. ${fallback}`);
    return rule.defaultValue;
  }
  if (rule.integer && !Number.isInteger(raw)) {
    problems.push(`${rule.id} must be a whole number, not ${raw}. ${fallback}`);
    return rule.defaultValue;
  }
  if (raw < rule.min || raw > rule.max) {
    problems.push(`${rule.id} must be between ${rule.min} and ${rule.max} ${rule.unit}, not ${raw}. ${fallback}`);
    return rule.defaultValue;
  }
  return raw;
}

/** Checks raw configuration values; every invalid one gets a message naming the setting and falls back to its default. */
export function validateCaptureSettings(raw: RawCaptureSettings | null | undefined): { settings: CaptureSettings; problems: string[] } {
  const problems: string[] = [];
  const r = raw ?? {};
  const settings: CaptureSettings = {
    quietWindowMs: validateOne(RULES.quietWindowSeconds, r.quietWindowSeconds, problems) * SECOND,
    maxCapturesPerHour: validateOne(RULES.maxPerHour, r.maxPerHour, problems),
    rescanIntervalMs: validateOne(RULES.rescanMinutes, r.rescanMinutes, problems) * MINUTE,
    retentionMs: validateOne(RULES.retentionDays, r.retentionDays, problems) * DAY,
  };
  return { settings, problems };
}

/** The product's own writes; their change events are never user edits. Update and pull are `sync`. */
export type OwnWriteOrigin = 'sync' | 'deploy' | 'restore' | 'generator';

/** Why a version was captured. `generator` is SYNC.json output written by the product (SPEC §7). */
export type CaptureOrigin = 'edit' | 'rescan' | OwnWriteOrigin;

/** What became of a capture request. `pending` is never returned by `recordCapture`; views use it for `pendingCaptures()`. */
export type CaptureStatus = 'captured' | 'skipped-duplicate' | 'rate_limited' | 'pending';

/** One history record, as persisted by the version store. Kept small: it is written for every capture request. */
export interface CaptureEntry {
  id: string;
  artifactKey: string;
  /** ISO time of the request. */
  at: string;
  /** Content hash the caller computed; for `rate_limited` the blob is not stored. */
  hash: string;
  origin: CaptureOrigin;
  status: CaptureStatus;
  /** The rate-limited entry whose content this entry replaces (that content was never captured). */
  supersedes?: string;
  pinned?: boolean;
}

/** Something the caller must do now: hash the artifact and pass the hash to `recordCapture` with this origin. */
export interface CaptureAction {
  kind: 'capture';
  artifactKey: string;
  origin: CaptureOrigin;
}

/** A capture that is scheduled but not yet due, for views that show activity. */
export interface PendingCapture {
  artifactKey: string;
  dueAt: number;
  origin: CaptureOrigin;
}

/** Knobs that are not user settings. */
export interface CapturePolicyOptions {
  /** How long after `noteOwnWrite` change events belong to that write. Default 2 s. */
  ownWriteGraceMs?: number;
  /** Entry id factory; default `<time base36>-<sequence base36>`, unique within one persisted policy state. */
  newId?: (now: number, seq: number) => string;
}

/** Default grace period after one of the product's own writes. */
export const OWN_WRITE_GRACE_MS = 2 * SECOND;

/**
 * A file that keeps changing more often than the quiet window (a tool rewriting it in a loop) would never
 * be captured; after this many quiet windows since the first change of a burst it is captured anyway.
 */
export const MAX_WAIT_QUIET_WINDOWS = 10;

// Tolerance for records that arrive out of order (see recordCapture).
const CLOCK_SKEW_MS = MINUTE;

const OWN_ORIGINS: ReadonlySet<string> = new Set<OwnWriteOrigin>(['sync', 'deploy', 'restore', 'generator']);

/** True for the origins of the product's own writes, which are never rate-limited. */
export function isOwnWriteOrigin(origin: CaptureOrigin): origin is OwnWriteOrigin {
  return OWN_ORIGINS.has(origin);
}

interface OwnWriteGrace {
  origin: OwnWriteOrigin;
  until: number;
  // Change events arrived that the writer has not yet covered with a recordCapture of its own.
  uncovered: boolean;
}

interface ArtifactState {
  /** Hash of the last `captured` entry: dedup compares with it. */
  capturedHash?: string;
  /** Hash of the last entry of any status: the re-scan compares with it, so a rate-limited change is not re-reported. */
  seenHash?: string;
  /** Times of edit/re-scan captures within the last hour, oldest first. */
  window: number[];
  firstChangeAt?: number;
  lastChangeAt?: number;
  own?: OwnWriteGrace;
  /** The newest rate-limited entry not yet superseded. */
  rateLimitedId?: string;
  retryAt?: number;
  retryOrigin?: 'edit' | 'rescan';
}

/** Serialised policy state (`toJSON`). Plain numbers and strings only. */
export interface CapturePolicyState {
  v: 1;
  seq: number;
  lastRescanAt?: number;
  artifacts: Record<string, {
    capturedHash?: string;
    seenHash?: string;
    window?: number[];
    firstChangeAt?: number;
    lastChangeAt?: number;
    own?: { origin: OwnWriteOrigin; until: number; uncovered: boolean };
    rateLimitedId?: string;
    retryAt?: number;
    retryOrigin?: 'edit' | 'rescan';
  }>;
}

/** Keys of `currentHashes` whose hash differs from `knownHashes` (or is unknown): what a re-scan should capture. */
export function rescanCandidates(knownHashes: ReadonlyMap<string, string>, currentHashes: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  // Artifacts missing from currentHashes were deleted: there is no content to capture, drift reports them.
  for (const [key, hash] of currentHashes) if (knownHashes.get(key) !== hash) out.push(key);
  return out;
}

/** Capture scheduling for the artifacts of one workspace folder (settings may differ per folder). */
export class CapturePolicy {
  private settings: CaptureSettings;
  private readonly graceMs: number;
  private readonly newId: (now: number, seq: number) => string;
  private readonly artifacts = new Map<string, ArtifactState>();
  private seq = 0;
  private lastRescanAt: number | undefined;

  /** A policy with no history; use `fromJSON` after a restart. */
  constructor(settings: CaptureSettings = DEFAULT_CAPTURE_SETTINGS, options: CapturePolicyOptions = {}) {
    this.settings = { ...settings };
    this.graceMs = options.ownWriteGraceMs ?? OWN_WRITE_GRACE_MS;
    this.newId = options.newId ?? ((now, seq) => `${now.toString(36)}-${seq.toString(36)}`);
  }

  /** The settings in force. */
  getSettings(): CaptureSettings {
    return { ...this.settings };
  }

  /** Applies new settings; running quiet windows and the hourly window are re-evaluated against them. */
  setSettings(settings: CaptureSettings): void {
    // Deadlines are derived from stored event times, never stored themselves, so nothing else to update.
    this.settings = { ...settings };
  }

  private state(key: string): ArtifactState {
    let s = this.artifacts.get(key);
    if (!s) {
      s = { window: [] };
      this.artifacts.set(key, s);
    }
    return s;
  }

  private editDueAt(s: ArtifactState): number | undefined {
    if (s.lastChangeAt === undefined || s.firstChangeAt === undefined) return undefined;
    const q = this.settings.quietWindowMs;
    return Math.min(s.lastChangeAt + q, s.firstChangeAt + MAX_WAIT_QUIET_WINDOWS * q);
  }

  /** A watcher event for a file inside the artifact; a burst of events restarts one quiet window per artifact. */
  noteChange(artifactKey: string, now: number): void {
    const s = this.state(artifactKey);
    if (s.own && now < s.own.until) {
      // Our own write echoing back through the watcher: it belongs to that write, not to the user.
      s.own.uncovered = true;
      return;
    }
    if (s.firstChangeAt === undefined) s.firstChangeAt = now;
    // Watcher events can arrive slightly out of order; the window follows the latest one.
    s.lastChangeAt = Math.max(s.lastChangeAt ?? now, now);
  }

  /**
   * The product is writing (or has just written) the artifact: change events until `now + grace` are that
   * write's. Call it before the write and again when it finishes, so a slow write stays covered.
   */
  noteOwnWrite(artifactKey: string, now: number, origin: OwnWriteOrigin): void {
    const s = this.state(artifactKey);
    // A user edit still waiting for its quiet window is folded into this write: writers that replace content
    // snapshot it first (SPEC §5), and writers that add to it (generators) leave it in what gets captured
    // at the end of the grace. Keeping it would capture the product's output labelled as a user edit.
    s.firstChangeAt = undefined;
    s.lastChangeAt = undefined;
    // Events of an earlier write not yet captured stay owed, even if its grace ran out before a tick.
    const uncovered = s.own?.uncovered ?? false;
    s.own = { origin, until: now + this.graceMs, uncovered };
  }

  /** Captures due at `now`: at most one per artifact. */
  tick(now: number): CaptureAction[] {
    const actions: CaptureAction[] = [];
    for (const [artifactKey, s] of this.artifacts) {
      if (s.own) {
        if (now < s.own.until) continue; // nothing else fires while our own write settles
        const { origin, uncovered } = s.own;
        s.own = undefined;
        if (uncovered) {
          // The watcher saw the write but the writer did not record what it wrote: capture it with its origin.
          actions.push({ kind: 'capture', artifactKey, origin });
          continue;
        }
      }
      const editDue = this.editDueAt(s);
      if (editDue !== undefined) {
        if (now >= editDue) {
          s.firstChangeAt = undefined;
          s.lastChangeAt = undefined;
          actions.push({ kind: 'capture', artifactKey, origin: 'edit' });
        }
        // A retry waits for a running quiet window: that capture will supersede the rate-limited entry.
        continue;
      }
      if (s.retryAt !== undefined && now >= s.retryAt) {
        s.retryAt = undefined;
        actions.push({ kind: 'capture', artifactKey, origin: s.retryOrigin ?? 'edit' });
      }
    }
    return actions;
  }

  /** The earliest time `tick` or a re-scan has something to do; a time in the past means now. */
  nextWakeAt(): number {
    let next = this.lastRescanAt === undefined ? 0 : this.lastRescanAt + this.settings.rescanIntervalMs;
    for (const s of this.artifacts.values()) {
      const t = s.own ? s.own.until : (this.editDueAt(s) ?? s.retryAt);
      if (t !== undefined && t < next) next = t;
    }
    return next;
  }

  /** Captures scheduled but not yet done, for views (shown with status `pending`). */
  pendingCaptures(): PendingCapture[] {
    const out: PendingCapture[] = [];
    for (const [artifactKey, s] of this.artifacts) {
      if (s.own) {
        if (s.own.uncovered) out.push({ artifactKey, dueAt: s.own.until, origin: s.own.origin });
        continue;
      }
      const editDue = this.editDueAt(s);
      if (editDue !== undefined) out.push({ artifactKey, dueAt: editDue, origin: 'edit' });
      else if (s.retryAt !== undefined) out.push({ artifactKey, dueAt: s.retryAt, origin: s.retryOrigin ?? 'edit' });
    }
    return out;
  }

  /** True when the background re-scan is due (always true before the first one). */
  rescanDue(now: number): boolean {
    return this.lastRescanAt === undefined || now >= this.lastRescanAt + this.settings.rescanIntervalMs;
  }

  /** Marks a re-scan as done at `now`; the next is due one interval later. */
  noteRescan(now: number): void {
    this.lastRescanAt = now;
  }

  /** The hash of the last entry recorded per artifact (what a re-scan compares against). */
  knownHashes(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, s] of this.artifacts) if (s.seenHash !== undefined) out.set(key, s.seenHash);
    return out;
  }

  /**
   * Completes a re-scan: given the current hash of every artifact on disk, returns the `rescan` captures to
   * record (changed since last seen, and not already scheduled by the watcher path), and marks the re-scan done.
   */
  rescan(currentHashes: ReadonlyMap<string, string>, now: number): CaptureAction[] {
    this.noteRescan(now);
    const actions: CaptureAction[] = [];
    for (const artifactKey of rescanCandidates(this.knownHashes(), currentHashes)) {
      const s = this.artifacts.get(artifactKey);
      // Already on its way through a quiet window, an own-write grace or a rate-limit retry: capturing here
      // too would only add a duplicate or another rate-limited entry.
      if (s && (s.own || s.lastChangeAt !== undefined || s.retryAt !== undefined)) continue;
      actions.push({ kind: 'capture', artifactKey, origin: 'rescan' });
    }
    return actions;
  }

  /** Decides what a capture request becomes and returns the entry to persist; `captured` means: store the blob. */
  recordCapture(artifactKey: string, hash: string, now: number, origin: CaptureOrigin): CaptureEntry {
    const s = this.state(artifactKey);
    const own = isOwnWriteOrigin(origin);
    const entry: CaptureEntry = { id: this.newId(now, this.seq++), artifactKey, at: new Date(now).toISOString(), hash, origin, status: 'captured' };
    if (own && s.own) s.own.uncovered = false; // the writer recorded its result itself
    s.seenHash = hash;
    // Captures of the last hour count. Records may arrive slightly out of order (two hashes racing), so a
    // capture up to a minute "ahead" still counts; one further ahead means the clock was set back, and keeping
    // it would block the artifact for the length of the jump.
    s.window = s.window.filter((t) => t > now - HOUR && t <= now + CLOCK_SKEW_MS);

    if (hash === s.capturedHash) {
      entry.status = 'skipped-duplicate';
      this.resolveRateLimited(s, entry);
      return entry;
    }
    // The product's own writes are never rate-limited and use no slot: baselines and pre-sync snapshots must
    // exist for merges and undo, whatever the user did this hour.
    if (!own && s.window.length >= this.settings.maxCapturesPerHour) {
      entry.status = 'rate_limited';
      // Chain: a later rate-limited entry replaces an earlier one, so every one of them is accounted for.
      if (s.rateLimitedId !== undefined) entry.supersedes = s.rateLimitedId;
      s.rateLimitedId = entry.id;
      s.retryAt = s.window[s.window.length - this.settings.maxCapturesPerHour] + HOUR;
      s.retryOrigin = origin === 'rescan' ? 'rescan' : 'edit';
      return entry;
    }
    if (!own) {
      s.window.push(now);
      s.window.sort((a, b) => a - b); // at most maxCapturesPerHour items
    }
    s.capturedHash = hash;
    this.resolveRateLimited(s, entry);
    return entry;
  }

  private resolveRateLimited(s: ArtifactState, entry: CaptureEntry): void {
    // Whatever is recorded next reflects the content on disk now, which includes the rate-limited change.
    if (s.rateLimitedId !== undefined) entry.supersedes = s.rateLimitedId;
    s.rateLimitedId = undefined;
    s.retryAt = undefined;
    s.retryOrigin = undefined;
  }

  /** Drops an artifact's scheduling state (it was removed from the project). */
  forget(artifactKey: string): void {
    this.artifacts.delete(artifactKey);
  }

  /**
   * Entries the store may delete at `now`: older than the retention, not pinned, whose hash is not protected
   * (deployment baselines, sync snapshots), and not the newest `captured` entry of their artifact.
   */
  selectPrunable(entries: readonly CaptureEntry[], now: number, protectedHashes: ReadonlySet<string>): CaptureEntry[] {
    return selectPrunableEntries(entries, now, this.settings.retentionMs, protectedHashes);
  }

  /** Serialisable state: the hourly windows, pending quiet windows, retries and last hashes. */
  toJSON(): CapturePolicyState {
    const artifacts: CapturePolicyState['artifacts'] = {};
    for (const [key, s] of this.artifacts) {
      const a: CapturePolicyState['artifacts'][string] = {};
      if (s.capturedHash !== undefined) a.capturedHash = s.capturedHash;
      if (s.seenHash !== undefined && s.seenHash !== s.capturedHash) a.seenHash = s.seenHash;
      if (s.window.length) a.window = [...s.window];
      if (s.firstChangeAt !== undefined) a.firstChangeAt = s.firstChangeAt;
      if (s.lastChangeAt !== undefined) a.lastChangeAt = s.lastChangeAt;
      if (s.own) a.own = { ...s.own };
      if (s.rateLimitedId !== undefined) a.rateLimitedId = s.rateLimitedId;
      if (s.retryAt !== undefined) a.retryAt = s.retryAt;
      if (s.retryOrigin !== undefined) a.retryOrigin = s.retryOrigin;
      artifacts[key] = a;
    }
    const out: CapturePolicyState = { v: 1, seq: this.seq, artifacts };
    if (this.lastRescanAt !== undefined) out.lastRescanAt = this.lastRescanAt;
    return out;
  }

  /**
   * Rebuilds a policy from `toJSON` output. Lenient: malformed parts are dropped (the worst outcome is a
   * forgotten window or one extra capture), never an exception, since this reads a file from disk.
   */
  static fromJSON(json: unknown, settings: CaptureSettings = DEFAULT_CAPTURE_SETTINGS, options: CapturePolicyOptions = {}): CapturePolicy {
    const policy = new CapturePolicy(settings, options);
    if (!isRecord(json) || json.v !== 1) return policy;
    if (isCount(json.seq)) policy.seq = json.seq;
    if (isTime(json.lastRescanAt)) policy.lastRescanAt = json.lastRescanAt;
    if (!isRecord(json.artifacts)) return policy;
    for (const [key, raw] of Object.entries(json.artifacts)) {
      if (!isRecord(raw)) continue;
      const s: ArtifactState = { window: [] };
      if (typeof raw.capturedHash === 'string') s.capturedHash = raw.capturedHash;
      s.seenHash = typeof raw.seenHash === 'string' ? raw.seenHash : s.capturedHash;
      if (Array.isArray(raw.window)) s.window = raw.window.filter(isTime).sort((a, b) => a - b);
      if (isTime(raw.firstChangeAt) && isTime(raw.lastChangeAt)) {
        s.firstChangeAt = raw.firstChangeAt;
        s.lastChangeAt = raw.lastChangeAt;
      }
      const own = raw.own;
      if (isRecord(own) && typeof own.origin === 'string' && OWN_ORIGINS.has(own.origin) && isTime(own.until)) {
        s.own = { origin: own.origin as OwnWriteOrigin, until: own.until, uncovered: own.uncovered === true };
      }
      if (typeof raw.rateLimitedId === 'string') s.rateLimitedId = raw.rateLimitedId;
      if (isTime(raw.retryAt)) {
        s.retryAt = raw.retryAt;
        s.retryOrigin = raw.retryOrigin === 'rescan' ? 'rescan' : 'edit';
      }
      policy.artifacts.set(key, s);
    }
    return policy;
  }
}

/** Pure form of `CapturePolicy.selectPrunable`, for callers (the CLI's `prune`) that only know the retention. */
export function selectPrunableEntries(
  entries: readonly CaptureEntry[], now: number, retentionMs: number, protectedHashes: ReadonlySet<string>,
): CaptureEntry[] {
  // The newest captured version of each artifact is its last known good state: keep it however old it is.
  const newest = new Map<string, { at: number; id: string }>();
  for (const e of entries) {
    if (e.status !== 'captured') continue;
    const at = Date.parse(e.at);
    const cur = newest.get(e.artifactKey);
    if (!cur || at >= cur.at || Number.isNaN(cur.at)) newest.set(e.artifactKey, { at, id: e.id });
  }
  const cutoff = now - retentionMs;
  return entries.filter((e) => {
    const at = Date.parse(e.at);
    // An unreadable time is never a reason to delete someone's history.
    if (Number.isNaN(at) || at >= cutoff) return false;
    if (e.pinned || protectedHashes.has(e.hash)) return false;
    return newest.get(e.artifactKey)?.id !== e.id;
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
