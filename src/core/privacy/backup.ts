// Encrypted backups of key-value entries (the generators' state, SPEC §7/§8) and importing them into a store that
// changed since: a sync, entry by entry, resolved by strategy.
//
// File: one line `SKILLMEAT-SYNC-BACKUP 1`, one line of JSON header ({ kdf?, created, entries }), one line holding a
// Fernet token of the gzipped JSON payload. The payload repeats the header line, so a header changed on its own
// (say, to other KDF parameters) is detected as tampering, not silently trusted. Readable by Python's
// cryptography.Fernet with the same key (then gunzip, then JSON).
import * as zlib from 'node:zlib';
import { Fernet, InvalidToken } from './fernet';
import type { KdfParams } from './keys';

export const BACKUP_MAGIC = 'SKILLMEAT-SYNC-BACKUP 1';

/** One entry: a key, its value (text; JSON where the strategies need structure) and when it last changed. */
export interface BackupEntry { key: string; value: string; updatedAt: string }

export interface BackupHeader { kdf?: KdfParams; created: string; entries: number }

/** A backup that cannot be read: not a backup, damaged, tampered with, or another key. */
export class BackupError extends Error {
  constructor(readonly file: string, message: string) { super(`${file}: ${message}`); }
}

/** Writes a backup's text for `entries`, encrypted with `key` (from a passphrase with `kdf`, when given). */
export function encodeBackup(entries: readonly BackupEntry[], key: string, o: { kdf?: KdfParams; now?: Date } = {}): string {
  const header: BackupHeader = { ...(o.kdf ? { kdf: o.kdf } : {}), created: (o.now ?? new Date()).toISOString(), entries: entries.length };
  const headerLine = JSON.stringify(header);
  const payload = zlib.gzipSync(Buffer.from(JSON.stringify({ header: headerLine, entries }), 'utf8'));
  return `${BACKUP_MAGIC}\n${headerLine}\n${new Fernet(key).encrypt(payload)}\n`;
}

/** The header of a backup, readable without the key (to know whether a passphrase is needed). */
export function readBackupHeader(text: string, file: string): BackupHeader {
  const lines = text.split('\n');
  if (lines[0] !== BACKUP_MAGIC) throw new BackupError(file, `not a SkillMeat Sync backup (the first line is not "${BACKUP_MAGIC}")`);
  try {
    const h = JSON.parse(lines[1] ?? '') as BackupHeader;
    if (!h || typeof h !== 'object' || typeof h.created !== 'string' || typeof h.entries !== 'number') throw new Error('fields missing');
    return h;
  } catch (e) {
    throw new BackupError(file, `its header is damaged (${(e as Error).message})`);
  }
}

/** The entries of a backup; every check (signature, header, shape) before anything is returned. */
export function decodeBackup(text: string, file: string, key: string): { header: BackupHeader; entries: BackupEntry[] } {
  const header = readBackupHeader(text, file);
  const lines = text.split('\n');
  let payload: { header: string; entries: BackupEntry[] };
  try {
    payload = JSON.parse(zlib.gunzipSync(new Fernet(key).decrypt(lines[2] ?? '')).toString('utf8'));
  } catch (e) {
    if (e instanceof InvalidToken && e.reason === 'signature') throw new BackupError(file, 'wrong key or passphrase, or the file was changed since it was written; nothing was imported');
    throw new BackupError(file, `the backup is damaged (${(e as Error).message}); nothing was imported`);
  }
  if (payload.header !== lines[1]) throw new BackupError(file, 'its header was changed after it was written; nothing was imported');
  const ok = Array.isArray(payload.entries) && payload.entries.every((x) => x && typeof x.key === 'string' && typeof x.value === 'string' && typeof x.updatedAt === 'string');
  if (!ok || payload.entries.length !== header.entries) throw new BackupError(file, 'its entries are not what its header announces; nothing was imported');
  return { header, entries: payload.entries };
}

// ---- importing: a sync per entry ----

export type ImportStrategy = 'timestamp' | 'priority' | 'merge' | 'user-choice';
export const IMPORT_STRATEGIES: readonly ImportStrategy[] = ['timestamp', 'priority', 'merge', 'user-choice'];

/**
 * What importing does with one key. `new`: only in the backup (added). `same`: equal values. `kept-local`: only in
 * the store (a backup never deletes), or the store's side won. `take-backup`: the backup's side won. `merged`: a
 * structural merge of both (JSON objects). `conflict`: needs the user (scalar conflicts of `merge`, every
 * difference of `user-choice` until answered).
 */
export interface ImportStep {
  key: string;
  action: 'new' | 'same' | 'kept-local' | 'take-backup' | 'merged' | 'conflict';
  /** The value written (new, take-backup, merged). */
  value?: string;
  local?: BackupEntry;
  backup?: BackupEntry;
  /** Why this action, in words (the plan printed by --dry-run). */
  reason: string;
  /** For `merge`: the JSON paths whose scalar values differ on both sides. */
  conflicts?: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function parseJson(s: string): Json | undefined {
  try { return JSON.parse(s) as Json; } catch { return undefined; }
}

const isObject = (v: Json | undefined): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Recursive structural merge of two JSON values: keys of both objects are kept, values equal on both sides or
 * present on one side only are taken, objects are merged key by key; anything else that differs (scalars, arrays,
 * different types) is a true conflict, listed by path and left as the local value.
 */
export function mergeJson(local: Json, backup: Json, at = '$', conflicts: string[] = []): { value: Json; conflicts: string[] } {
  if (JSON.stringify(local) === JSON.stringify(backup)) return { value: local, conflicts };
  if (isObject(local) && isObject(backup)) {
    const out: { [k: string]: Json } = {};
    for (const k of [...new Set([...Object.keys(local), ...Object.keys(backup)])].sort()) {
      if (!(k in backup)) out[k] = local[k];
      else if (!(k in local)) out[k] = backup[k];
      else out[k] = mergeJson(local[k], backup[k], `${at}.${k}`, conflicts).value;
    }
    return { value: out, conflicts };
  }
  conflicts.push(at);
  return { value: local, conflicts };
}

function priorityOf(v: string): number | undefined {
  const j = parseJson(v);
  return isObject(j) && typeof j.priority === 'number' && Number.isFinite(j.priority) ? j.priority : undefined;
}

/** Plans importing `backup` into a store holding `local`: one step per key of either, sorted by key. */
export function planImport(local: readonly BackupEntry[], backup: readonly BackupEntry[], strategy: ImportStrategy): ImportStep[] {
  const mine = new Map(local.map((e) => [e.key, e]));
  const theirs = new Map(backup.map((e) => [e.key, e]));
  const keys = [...new Set([...mine.keys(), ...theirs.keys()])].sort();
  return keys.map((key): ImportStep => {
    const l = mine.get(key);
    const b = theirs.get(key);
    if (!b) return { key, action: 'kept-local', local: l, reason: 'only in this store (an import never deletes)' };
    if (!l) return { key, action: 'new', value: b.value, backup: b, reason: 'only in the backup' };
    if (l.value === b.value) return { key, action: 'same', local: l, backup: b, reason: 'equal on both sides' };
    const pair = { local: l, backup: b };
    switch (strategy) {
      case 'timestamp': {
        const newer = Date.parse(b.updatedAt) > Date.parse(l.updatedAt);
        return newer
          ? { key, action: 'take-backup', value: b.value, ...pair, reason: `the backup's value is newer (${b.updatedAt} > ${l.updatedAt})` }
          : { key, action: 'kept-local', ...pair, reason: `this store's value is as new or newer (${l.updatedAt} ≥ ${b.updatedAt})` };
      }
      case 'priority': {
        const [pl, pb] = [priorityOf(l.value), priorityOf(b.value)];
        if (pl === undefined && pb === undefined) return { key, action: 'conflict', ...pair, reason: 'neither value has a numeric "priority" field' };
        if ((pb ?? -Infinity) > (pl ?? -Infinity)) return { key, action: 'take-backup', value: b.value, ...pair, reason: `the backup's priority is higher (${pb} > ${pl ?? 'none'})` };
        if ((pl ?? -Infinity) > (pb ?? -Infinity)) return { key, action: 'kept-local', ...pair, reason: `this store's priority is higher (${pl} > ${pb ?? 'none'})` };
        return { key, action: 'conflict', ...pair, reason: `equal priorities (${pl}) with different values` };
      }
      case 'merge': {
        const [jl, jb] = [parseJson(l.value), parseJson(b.value)];
        if (jl === undefined || jb === undefined) return { key, action: 'conflict', ...pair, reason: 'not JSON on both sides: nothing to merge structurally' };
        const m = mergeJson(jl, jb);
        if (m.conflicts.length) return { key, action: 'conflict', ...pair, conflicts: m.conflicts, reason: `different values at ${m.conflicts.join(', ')}` };
        return { key, action: 'merged', value: JSON.stringify(m.value), ...pair, reason: 'merged key by key' };
      }
      case 'user-choice':
        return { key, action: 'conflict', ...pair, reason: 'different values: choose' };
    }
  });
}

/** The user's answer to a conflict: keep this store's value, take the backup's, or leave it unresolved. */
export type EntryChoice = 'local' | 'backup' | 'skip';

/** A conflict step answered by the user (other steps come back unchanged). */
export function answerConflict(step: ImportStep, choice: EntryChoice): ImportStep {
  if (step.action !== 'conflict' || choice === 'skip') return step;
  return choice === 'backup'
    ? { ...step, action: 'take-backup', value: step.backup!.value, reason: 'your choice: the backup\'s value' }
    : { ...step, action: 'kept-local', reason: 'your choice: this store\'s value' };
}

/** What importing writes: the values of new, take-backup and merged steps (a merged value is new: no backup time). */
export function importWrites(steps: readonly ImportStep[]): { key: string; value: string; updatedAt?: string }[] {
  return steps
    .filter((x) => x.value !== undefined && (x.action === 'new' || x.action === 'take-backup' || x.action === 'merged'))
    .map((x) => ({ key: x.key, value: x.value!, ...(x.action !== 'merged' && x.backup ? { updatedAt: x.backup.updatedAt } : {}) }));
}

/** Counts of a plan, for summaries. */
export function importCounts(steps: readonly ImportStep[]): { written: number; same: number; kept: number; conflicts: number } {
  return {
    written: importWrites(steps).length, same: steps.filter((x) => x.action === 'same').length,
    kept: steps.filter((x) => x.action === 'kept-local').length, conflicts: steps.filter((x) => x.action === 'conflict').length,
  };
}

/** A value as the user reads it: JSON pretty-printed, anything else as it is. */
export function displayValue(value: string): string {
  const j = parseJson(value);
  return j === undefined ? value : JSON.stringify(j, null, 2);
}
