// `collection.lock`: SkillMeat's lock file in a collection (TOML). SkillMeat 0.9 writes it with tomli_w as
//
//   [lock]
//   version = "1.0.0"
//
//   [lock.entries."<name>::<type>"]
//   content_hash = "<SkillMeat content hash of the artifact in the collection>"
//   fetched = "<datetime.utcnow().isoformat()>"        # required by its reader
//   upstream = "…"  resolved_sha = "…"  resolved_version = "…"   # optional
//
// A pull changes an artifact in the collection, so its `content_hash` must follow (SkillMeat's own sync
// never manages to: §12). The file may carry things this product does not understand, so it is edited as
// text: only the one value changes and every other byte stays. Each edit is re-parsed and compared with
// the original before it is written; a lock in a shape the edit cannot handle is left alone and the
// caller is told why, so this never writes a file SkillMeat could not read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, TomlError, TomlDate } from 'smol-toml';
import { writeFileAtomic, withFileLock, type LockOptions } from './fsutil';
import type { ArtifactType } from '../model';

export const COLLECTION_LOCK_FILE = 'collection.lock';

/** A `collection.lock` that cannot be parsed; it is never written while in this state. */
export class CollectionLockError extends Error {
  readonly code = 'ECOLLECTIONLOCK';
  constructor(readonly file: string, readonly line: number | undefined, reason: string) {
    super(`${file}${line ? `:${line}` : ''}: ${reason}. Fix the file by hand (or restore it from version control); SkillMeat Sync does not write it while it cannot be parsed.`);
  }
}

/** One change to a lock entry: set its `content_hash`, or remove the entry (`contentHash: null`). */
export interface LockEntryChange {
  name: string;
  type: ArtifactType;
  contentHash: string | null;
  /** `fetched` for an entry that has to be added (SkillMeat's reader requires it). */
  fetched?: string;
}

/** What an edit did; `skipped` leaves the text as it was and says why. */
export type LockEditOutcome =
  | { kind: 'updated' | 'added' | 'removed' | 'unchanged'; key: string; text: string }
  | { kind: 'skipped'; key: string; text: string; reason: string };

/** Python's `datetime.utcnow().isoformat()` (naive UTC, microseconds), the form SkillMeat writes `fetched` in. */
export function pythonUtcTimestamp(d: Date = new Date()): string {
  return d.toISOString().replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000');
}

type Doc = Record<string, unknown>;

/** True for a TOML table (not an array, not a date). */
export function isTable(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TomlDate);
}

function parseLock(text: string, file: string): Doc {
  try {
    return parse(text) as Doc;
  } catch (e) {
    if (e instanceof TomlError) throw new CollectionLockError(file, e.line, `invalid TOML: ${e.message.split('\n')[0].replace(/^Invalid TOML document: /, '')}`);
    throw e;
  }
}

function entriesOf(doc: Doc): Doc | undefined {
  const lock = doc.lock;
  if (!isTable(lock)) return undefined;
  return isTable(lock.entries) ? lock.entries : undefined;
}

/** Keys SkillMeat may have used for this artifact: commands and agents sometimes keep their `.md`. */
function candidateKeys(name: string, type: ArtifactType): string[] {
  const keys = [`${name}::${type}`];
  if (type !== 'skill') keys.push(`${name}.md::${type}`);
  return keys;
}

/** The `content_hash` of an artifact's entry: undefined when the file has no such entry. */
export function lockEntryHash(text: string, file: string, name: string, type: ArtifactType): string | undefined {
  const entries = entriesOf(parseLock(text, file));
  for (const k of candidateKeys(name, type)) {
    const e = entries?.[k];
    if (isTable(e)) return typeof e.content_hash === 'string' ? e.content_hash : undefined;
  }
  return undefined;
}

/** Canonical JSON with sorted keys, to compare two parsed documents regardless of key order. */
export function canonical(v: unknown): string {
  if (v instanceof TomlDate || v instanceof Date) return JSON.stringify(v.toISOString());
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (isTable(v)) return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

function basicString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

const HEADER_RE = /^[ \t]*\[[ \t]*lock[ \t]*\.[ \t]*entries[ \t]*\.[ \t]*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)[ \t]*\][ \t]*(#.*)?$/;
const ANY_HEADER_RE = /^[ \t]*\[/;

function decodeKey(raw: string): string | undefined {
  if (raw.startsWith('"')) { try { return JSON.parse(raw) as string; } catch { return undefined; } }
  if (raw.startsWith("'")) return raw.slice(1, -1);
  return raw;
}

/** Line ranges [start, end) of the `[lock.entries."<key>"]` table in `lines`, header included. */
function findSection(lines: string[], key: string): { start: number; end: number } | undefined {
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER_RE.exec(lines[i].replace(/\r?\n$/, ''));
    if (!m || decodeKey(m[1]) !== key) continue;
    let end = i + 1;
    while (end < lines.length && !ANY_HEADER_RE.test(lines[end])) end++;
    return { start: i, end };
  }
  return undefined;
}

const VALUE_LINE = (field: string) => new RegExp(`^([ \\t]*${field}[ \\t]*=[ \\t]*)("(?:[^"\\\\]|\\\\.)*"|'[^']*')([ \\t]*(#.*)?\\r?\\n?)$`);

/**
 * Applies one change to the text of a `collection.lock` and returns the new text. Throws
 * {@link CollectionLockError} when the text cannot be parsed; returns `skipped` (text unchanged) when the
 * lock is in a shape that cannot be edited without rewriting it.
 */
export function editLockText(text: string, file: string, change: LockEntryChange): LockEditOutcome {
  const before = parseLock(text, file);
  const entries = entriesOf(before);
  const key = candidateKeys(change.name, change.type).find((k) => isTable(entries?.[k])) ?? `${change.name}::${change.type}`;
  const entry = entries?.[key];
  const lines = text.split(/(?<=\n)/);
  const skip = (reason: string): LockEditOutcome => ({ kind: 'skipped', key, text, reason });

  // The expected document after the change; the edited text must parse to exactly this.
  const expected = parseLock(text, file);
  let candidate: string;
  let kind: 'updated' | 'added' | 'removed';
  if (isTable(entry)) {
    const section = findSection(lines, key);
    if (!section) return skip(`the entry "${key}" is not written as a [lock.entries."${key}"] table`);
    const expEntry = entriesOf(expected)![key] as Doc;
    if (change.contentHash === null) {
      delete entriesOf(expected)![key];
      // A section owns the blank lines after it; the last one also takes the blank lines before it, so
      // removing what was appended gives back the file as it was.
      let start = section.start;
      if (section.end === lines.length) while (start > 0 && lines[start - 1].trim() === '') start--;
      candidate = [...lines.slice(0, start), ...lines.slice(section.end)].join('');
      kind = 'removed';
    } else {
      if (entry.content_hash === change.contentHash && (entry.collection_sha === undefined || entry.collection_sha === change.contentHash)) {
        return { kind: 'unchanged', key, text };
      }
      const body = lines.slice(section.start + 1, section.end);
      let replaced = 0;
      for (const field of ['content_hash', 'collection_sha']) {
        if (entry[field] === undefined) continue;
        const re = VALUE_LINE(field);
        const at = body.findIndex((l) => re.test(l));
        if (at < 0) return skip(`the entry "${key}" has ${field} in a form this updater does not edit`);
        body[at] = body[at].replace(re, (_m, pre: string, _v: string, post: string) => `${pre}${basicString(change.contentHash!)}${post}`);
        expEntry[field] = change.contentHash;
        replaced++;
      }
      if (replaced === 0) return skip(`the entry "${key}" has no content_hash`);
      candidate = [...lines.slice(0, section.start + 1), ...body, ...lines.slice(section.end)].join('');
      kind = 'updated';
    }
  } else {
    if (change.contentHash === null) return { kind: 'unchanged', key, text };
    const lock = expected.lock;
    if (lock !== undefined && !isTable(lock)) return skip('"lock" is not a table');
    const lockTable = (lock ?? (expected.lock = {})) as Doc;
    if (lockTable.entries !== undefined && !isTable(lockTable.entries)) return skip('"lock.entries" is not a table');
    const ents = (lockTable.entries ?? (lockTable.entries = {})) as Doc;
    ents[key] = { content_hash: change.contentHash, fetched: change.fetched ?? pythonUtcTimestamp() };
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    let prefix = text;
    if (prefix.length && !prefix.endsWith('\n')) prefix += eol;
    if (prefix.trim().length) prefix += eol;
    candidate = `${prefix}[lock.entries.${basicString(key)}]${eol}content_hash = ${basicString(change.contentHash)}${eol}fetched = ${basicString(String((ents[key] as Doc).fetched))}${eol}`;
    kind = 'added';
  }
  let after: Doc;
  try { after = parse(candidate) as Doc; } catch { return skip('the edited file would not parse'); }
  if (canonical(after) !== canonical(expected)) return skip('the edit would change more than the entry');
  return { kind, key, text: candidate };
}

/**
 * Applies several changes at once: one parse, one textual pass, one verification — a sync of many
 * artifacts would otherwise re-parse the whole lock per entry. Falls back to {@link editLockText} one
 * change at a time for removals, or when the batch does not verify, so one odd entry blocks nothing else.
 */
export function editLockTextMany(text: string, file: string, changes: readonly LockEntryChange[]): { text: string; outcomes: LockEditOutcome[] } {
  const sequential = () => {
    let next = text;
    const outcomes = changes.map((c) => { const o = editLockText(next, file, c); next = o.text; return o; });
    return { text: next, outcomes };
  };
  if (changes.length < 2 || changes.some((c) => c.contentHash === null)) return sequential();
  const expected = parseLock(text, file);
  const entries = entriesOf(expected);
  const lines = text.split(/(?<=\n)/);
  const sections = new Map<string, { start: number; end: number }>();
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER_RE.exec(lines[i].replace(/\r?\n$/, ''));
    const key = m ? decodeKey(m[1]) : undefined;
    if (key === undefined || sections.has(key)) continue;
    let end = i + 1;
    while (end < lines.length && !ANY_HEADER_RE.test(lines[end])) end++;
    sections.set(key, { start: i, end });
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const outcomes: LockEditOutcome[] = [];
  let appended = '';
  for (const c of changes) {
    const key = candidateKeys(c.name, c.type).find((k) => isTable(entries?.[k])) ?? `${c.name}::${c.type}`;
    const entry = entries?.[key];
    if (!isTable(entry)) {
      const lock = expected.lock;
      if ((lock !== undefined && !isTable(lock)) || (isTable(lock) && lock.entries !== undefined && !isTable(lock.entries))) return sequential();
      const lockTable = (lock ?? (expected.lock = {})) as Doc;
      const ents = (lockTable.entries ?? (lockTable.entries = {})) as Doc;
      const fetched = c.fetched ?? pythonUtcTimestamp();
      ents[key] = { content_hash: c.contentHash, fetched };
      appended += `${eol}[lock.entries.${basicString(key)}]${eol}content_hash = ${basicString(c.contentHash!)}${eol}fetched = ${basicString(fetched)}${eol}`;
      outcomes.push({ kind: 'added', key, text: '' });
      continue;
    }
    if (entry.content_hash === c.contentHash && (entry.collection_sha === undefined || entry.collection_sha === c.contentHash)) {
      outcomes.push({ kind: 'unchanged', key, text: '' });
      continue;
    }
    const section = sections.get(key);
    if (!section) return sequential();
    for (const field of ['content_hash', 'collection_sha']) {
      if (entry[field] === undefined) continue;
      const re = VALUE_LINE(field);
      let at = -1;
      for (let i = section.start + 1; i < section.end; i++) if (re.test(lines[i])) { at = i; break; }
      if (at < 0) return sequential();
      lines[at] = lines[at].replace(re, (_m, pre: string, _v: string, post: string) => `${pre}${basicString(c.contentHash!)}${post}`);
      entry[field] = c.contentHash;
    }
    outcomes.push({ kind: 'updated', key, text: '' });
  }
  let candidate = lines.join('');
  if (appended) {
    if (candidate.length && !candidate.endsWith('\n')) candidate += eol;
    candidate = candidate.trim().length ? candidate + appended : appended.slice(eol.length);
  }
  let after: Doc;
  try { after = parse(candidate) as Doc; } catch { return sequential(); }
  if (canonical(after) !== canonical(expected)) return sequential();
  return { text: candidate, outcomes: outcomes.map((o) => ({ ...o, text: candidate })) };
}

/** Result of updating a collection's lock file. */
export interface LockUpdateResult {
  file: string;
  /** False when the collection has no `collection.lock` (it is not created). */
  exists: boolean;
  /** The text before and after (equal when nothing changed). */
  before?: string;
  after?: string;
  outcomes: LockEditOutcome[];
}

/**
 * Applies changes to `<collectionDir>/collection.lock` under its lock and writes it atomically when
 * anything changed. A missing file stays missing: a collection without a lock is not SkillMeat-managed.
 * `guard` (optional) sees the current text first and may return replacement text instead of the edits
 * (used to restore a whole file byte for byte when nobody else touched it).
 */
export async function updateCollectionLock(
  collectionDir: string, changes: readonly LockEntryChange[], opts: { lock?: LockOptions; guard?: (current: string) => string | undefined } = {},
): Promise<LockUpdateResult> {
  const file = path.join(collectionDir, COLLECTION_LOCK_FILE);
  return withFileLock(file, (): LockUpdateResult => {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, outcomes: [] };
      throw new CollectionLockError(file, undefined, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const replacement = opts.guard?.(text);
    if (replacement !== undefined) {
      if (replacement !== text) writeFileAtomic(file, replacement);
      return { file, exists: true, before: text, after: replacement, outcomes: [] };
    }
    const { text: next, outcomes } = editLockTextMany(text, file, changes);
    if (next !== text) writeFileAtomic(file, next);
    return { file, exists: true, before: text, after: next, outcomes };
  }, opts.lock);
}
