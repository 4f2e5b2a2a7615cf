// The runtime_kv table both backends share (ambrogio's layout), and the queries over an open sql.js database.
import type { Database } from 'sql.js';
import { compileKeyPatterns } from './state';
import type { StateEntry } from './state';

/** ambrogio's table, kept identical so either database can back `ambrogioctl state`. */
export const RUNTIME_KV_DDL = 'CREATE TABLE IF NOT EXISTS runtime_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)';

/** True when the database has the runtime_kv table. */
export function hasRuntimeKv(db: Database): boolean {
  const res = db.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runtime_kv'");
  return res.length > 0 && res[0].values.length > 0;
}

/** Rows matching any pattern, in SQLite's key order (binary, as ambrogio's ORDER BY key). */
export function listRows(db: Database, patterns: readonly string[]): StateEntry[] {
  if (patterns.length === 0 || !hasRuntimeKv(db)) return [];
  const matches = compileKeyPatterns(patterns);
  const out: StateEntry[] = [];
  const stmt = db.prepare('SELECT key, value, updated_at FROM runtime_kv ORDER BY key');
  try {
    while (stmt.step()) {
      const [key, value, updatedAt] = stmt.get() as [unknown, unknown, unknown];
      const k = String(key);
      if (matches(k)) out.push({ key: k, value: value === null ? '' : String(value), updatedAt: updatedAt === null ? '' : String(updatedAt) });
    }
  } finally {
    stmt.free();
  }
  return out;
}

/** One row by exact key (case-sensitive, as a PRIMARY KEY lookup is). */
export function getRow(db: Database, key: string): StateEntry | undefined {
  if (!hasRuntimeKv(db)) return undefined;
  const stmt = db.prepare('SELECT key, value, updated_at FROM runtime_kv WHERE key = ?');
  try {
    stmt.bind([key]);
    if (!stmt.step()) return undefined;
    const [k, value, updatedAt] = stmt.get() as [unknown, unknown, unknown];
    return { key: String(k), value: value === null ? '' : String(value), updatedAt: updatedAt === null ? '' : String(updatedAt) };
  } finally {
    stmt.free();
  }
}
