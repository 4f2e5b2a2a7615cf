// SkillMeat's context entities (spec_file, rule_file, context_file, project_config, progress_template), collection
// side. SkillMeat 0.9 keeps them only as rows of the `artifacts` table of `<SkillMeat home>/cache/cache.db` — no
// file in the collection folder — and deploys them through its API server: the row's `content` is written as
// UTF-8 to `path_pattern` (relative to the project: `.claude/specs/x.md`, `CLAUDE.md`), and its `content_hash` is
// sha256 of that UTF-8 text (recorded in test/fixtures/peers/skillmeat/context-entities).
//
// The database is in WAL mode and SkillMeat's server writes it while it runs (right after a write, the rows exist
// only in the -wal file): it is read read-only, as one consistent copy of the main file plus the committed WAL
// frames (no lock is taken, nothing is written). SkillMeat Sync never writes it.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { CONTEXT_TYPES, type ContextType } from '../model';
import { readWalSnapshot } from '../generators/stateAmbrogio';

/** One context entity of the collection, as SkillMeat's cache database holds it. */
export interface ContextRow {
  id: string;
  name: string;
  type: ContextType;
  /** Where SkillMeat deploys it, relative to the project (`.claude/specs/x.md`, `CLAUDE.md`). */
  pathPattern: string | null;
  /** What SkillMeat's deploy writes (UTF-8). */
  content: Buffer;
  /** sha256 of `content`, SkillMeat's `content_hash`. */
  contentHash: string;
}

/** The context entities of a SkillMeat home, or why they could not be read. */
export interface ContextCollection {
  /** Absolute path of the database. */
  db: string;
  rows: ContextRow[];
  /** Set when the database could not be read: its entities are then unknown (not absent). */
  problem?: string;
}

/** `<SkillMeat home>/cache/cache.db`. */
export function contextDbPath(home: string): string {
  return path.join(home, 'cache', 'cache.db');
}

/** SkillMeat's `content_hash` of a context entity: sha256 of the file's bytes (its UTF-8 text). */
export function contextHash(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Reads the context entities of `db` (read-only, WAL-aware). Never throws: a failure is `problem`. */
export function readContextCollection(sql: SqlJsStatic, db: string): ContextCollection {
  if (!fs.existsSync(db)) return { db, rows: [], problem: `SkillMeat's cache database ${db} does not exist (SkillMeat keeps context entities there)` };
  let image: Uint8Array;
  try {
    image = readWalSnapshot(db).image;
  } catch (e) {
    return { db, rows: [], problem: `SkillMeat's cache database ${db} cannot be read: ${(e as Error).message.replace(/ — .*$/, '')}` };
  }
  let handle: InstanceType<SqlJsStatic['Database']> | undefined;
  try {
    handle = new sql.Database(image);
    const placeholders = CONTEXT_TYPES.map(() => '?').join(', ');
    // A name may exist in several projects' scopes; the global one (SkillMeat's collection) is preferred.
    const stmt = handle.prepare(`SELECT id, name, type, path_pattern, content FROM artifacts WHERE type IN (${placeholders}) ORDER BY (project_id = 'ctx_project_global') DESC, id`);
    stmt.bind([...CONTEXT_TYPES]);
    const rows: ContextRow[] = [];
    const seen = new Set<string>();
    while (stmt.step()) {
      const r = stmt.getAsObject() as { id: string; name: string; type: ContextType; path_pattern: string | null; content: string | null };
      const key = `${r.type}:${r.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const content = Buffer.from(r.content ?? '', 'utf8');
      rows.push({ id: String(r.id), name: String(r.name), type: r.type, pathPattern: r.path_pattern ?? null, content, contentHash: contextHash(content) });
    }
    stmt.free();
    return { db, rows };
  } catch (e) {
    return { db, rows: [], problem: `SkillMeat's cache database ${db} has no readable artifacts table: ${(e as Error).message}` };
  } finally {
    handle?.close();
  }
}

/** The row a context record points at: same type and name. */
export function findContextRow(c: ContextCollection, type: ContextType, name: string): ContextRow | undefined {
  return c.rows.find((r) => r.type === type && r.name === name);
}

/**
 * Where a context record's file is. Its `artifact_path` is relative to the profile root, like every record
 * (`specs/x.md` → `<project>/.claude/specs/x.md`, as SkillMeat's own context sync reads it), with two forms
 * relative to the project, which is how SkillMeat's deploy names what it wrote (`deployed_paths`): a path that
 * starts with the profile root (`.claude/specs/x.md`), and a `project_config` without a folder (`CLAUDE.md`,
 * `AGENTS.md`), which SkillMeat deploys at the project root where Claude Code reads it.
 */
export function contextProjectPath(project: string, root: string, type: ContextType, relPath: string): string {
  const parts = relPath.split('/');
  if (parts[0] === root && parts.length > 1) return path.join(project, ...parts);
  if (type === 'project_config' && parts.length === 1) return path.join(project, relPath);
  return path.join(project, root, ...parts);
}
