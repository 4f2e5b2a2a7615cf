// Key-value state that generators render: the contract shared by the product's own store and an
// ambrogio runtime/state.db, plus the key-pattern language of `ambrogioctl state list --pattern`.
import * as fs from 'node:fs';

/** One state row. */
export interface StateEntry {
  key: string;
  value: string;
  updatedAt: string;
}

/** Alias kept for readers of the issue, which calls a state row an Entry. */
export type Entry = StateEntry;

/** `own`: the product's store (sql.js, written atomically); `ambrogio`: an existing runtime/state.db, read-only. */
export type StateKind = 'own' | 'ambrogio';

/** Read access to key-value state. Results are sorted by key (SQLite's binary order). */
export interface StateSource {
  readonly path: string;
  readonly kind: StateKind;
  /** Rows whose key matches any of the patterns (union, deduplicated, sorted by key). No pattern, no rows. */
  list(patterns: readonly string[]): StateEntry[];
  get(key: string): StateEntry | undefined;
}

/** A state source that can also be written (the product's own store). */
export interface WritableStateSource extends StateSource {
  set(key: string, value: string): StateEntry;
  /** Returns false when the key did not exist. */
  delete(key: string): boolean;
  /** Writes many rows at once, atomically, keeping each row's `updatedAt` when given (imports). */
  setMany(entries: readonly { key: string; value: string; updatedAt?: string }[]): number;
}

/** Why state could not be read or written. */
export type StateErrorCode = 'missing' | 'malformed' | 'read-only' | 'busy' | 'unreadable';

/** A state failure that names the database file and the fix. */
export class StateError extends Error {
  constructor(readonly code: StateErrorCode, readonly file: string, message: string, readonly fix: string) {
    super(`${message} — ${fix}`);
    this.name = 'StateError';
  }
}

/** True for a writable source; narrows the type. */
export function isWritable(source: StateSource): source is WritableStateSource {
  return typeof (source as Partial<WritableStateSource>).set === 'function';
}

function asciiLower(s: string): string {
  // Only A-Z fold, as SQLite's LIKE does; JS toLowerCase would also fold É, İ, ß, … and diverge from ambrogio.
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function likeMatch(p: readonly string[], s: readonly string[]): boolean {
  // Iterative LIKE match with backtracking to the last '%': O(|p|·|s|) worst case, no regex blow-up.
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && p[pi] !== '%' && (p[pi] === '_' || p[pi] === s[si])) { pi++; si++; }
    else if (pi < p.length && p[pi] === '%') { star = pi++; mark = si; }
    else if (star !== -1) { pi = star + 1; si = ++mark; }
    else return false;
  }
  while (pi < p.length && p[pi] === '%') pi++;
  return pi === p.length;
}

/** ambrogio's translation of a glob into SQL LIKE: `*` → `%`, `?` → `_`; nothing is escaped. */
export function globToLike(pattern: string): string {
  return pattern.replace(/\*/g, '%').replace(/\?/g, '_');
}

/**
 * Compiles key patterns into one predicate with exactly the semantics of ambrogio's
 * `WHERE key LIKE <pattern with * → %, ? → _>`: `*` and `%` match any run, `?` and `_` one character
 * (one code point), ASCII letters ignore case (SQLite's LIKE), every other character is literal (LIKE has no
 * escape character there, so `\_` is a backslash then any character). A key matches when any pattern does.
 */
export function compileKeyPatterns(patterns: readonly string[]): (key: string) => boolean {
  const compiled = patterns.map((p) => {
    const chars = Array.from(asciiLower(globToLike(p)));
    const firstWild = chars.findIndex((c) => c === '%' || c === '_');
    return { chars, prefix: firstWild === -1 ? chars.join('') : chars.slice(0, firstWild).join(''), exact: firstWild === -1 };
  });
  return (key: string) => {
    const k = asciiLower(key);
    for (const c of compiled) {
      if (c.exact) { if (k === c.prefix) return true; continue; }
      if (!k.startsWith(c.prefix)) continue;
      if (likeMatch(c.chars, Array.from(k))) return true;
    }
    return false;
  };
}

/** Splits a `--pattern` argument: several patterns arrive comma-joined (SYNC_PATTERNS), empty parts dropped. */
export function splitPatternList(value: string): string[] {
  return value.split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * The patterns one `--pattern` argument stands for: the text itself, as ambrogio matches it (one LIKE, commas
 * literal), and, when it holds commas, each comma-separated part too — SYNC_PATTERNS joins a skill's patterns
 * with commas, and ambrogio matching the joined text as one pattern is a defect not copied (SPEC §12). The
 * rows are therefore a superset of ambrogio's, equal to them for any argument without a comma.
 */
export function patternsOfArgument(value: string): string[] {
  return value.includes(',') ? [value, ...splitPatternList(value)] : [value];
}

/**
 * Guesses the kind of an existing database: a `-wal` file or a WAL-mode header means ambrogio's
 * (sql.js never writes WAL), so such a file is never opened as the writable store and clobbered.
 */
export function detectStateKind(file: string): StateKind {
  if (fs.existsSync(`${file}-wal`)) return 'ambrogio';
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const header = Buffer.alloc(20);
    const n = fs.readSync(fd, header, 0, 20, 0);
    if (n === 20 && header.toString('latin1', 0, 16) === 'SQLite format 3\u0000' && (header[18] === 2 || header[19] === 2)) return 'ambrogio';
  } catch { /* missing or unreadable: the product's store (created on first write) */ }
  finally { if (fd !== undefined) fs.closeSync(fd); }
  return 'own';
}
