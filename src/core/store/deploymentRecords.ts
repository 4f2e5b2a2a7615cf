// `.skillmeat-deployed.toml`: SkillMeat's deployment records, read leniently and written back so that
// a file SkillMeat wrote round-trips byte for byte where nothing changed (SPEC §2).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, TomlError, TomlDate } from 'smol-toml';
import { writeFileAtomic, withFileLock, type AtomicWriteHooks, type LockOptions } from './fsutil';
import { ARTIFACT_TYPES, TYPE_DIRS, isContextType, isSafeArtifactName, type ArtifactType } from '../model';
import { isCollectionName } from './skillmeatHome';

export const RECORDS_FILE = '.skillmeat-deployed.toml';

/** The order SkillMeat writes keys in; unknown keys follow, `collection_sha` is always last. */
export const KEY_ORDER = [
  'artifact_name', 'artifact_type', 'from_collection', 'deployed_at', 'artifact_path', 'content_hash',
  'local_modifications', 'parent_hash', 'version_lineage', 'last_modified_check', 'modification_detected_at',
  'merge_base_snapshot', 'deployment_profile_id', 'platform', 'profile_root_dir', 'artifact_uuid',
] as const;

/** Extra key this product adds: its own unambiguous tree hash of the baseline (SPEC §3). */
export const TREE_HASH_KEY = 'skillmeat_sync_tree_hash';

/** One `[[deployed]]` table. `fields` keeps every key, known or not, in file order. */
export interface DeploymentRecord {
  fields: Record<string, unknown>;
  /** The exact text this record was read from; emitted unchanged unless `fields` was replaced. */
  sourceText?: string;
}

export interface RecordsFile {
  /** Absolute path of the `.skillmeat-deployed.toml`. */
  path: string;
  exists: boolean;
  /** Text before the first `[[deployed]]` (comments, other top-level keys), kept verbatim. */
  preamble: string;
  records: DeploymentRecord[];
  /** False when the file could not be split per record; then every record is re-serialised on write. */
  chunked: boolean;
  /** When not chunked: the top-level values other than `deployed`, written back before the records. */
  others?: Record<string, unknown>;
}

/** A records file that cannot be parsed. It is never overwritten while in this state. */
export class RecordsParseError extends Error {
  readonly code = 'ERECORDS';
  constructor(readonly file: string, readonly line: number | undefined, readonly column: number | undefined, readonly reason: string) {
    super(`${file}${line ? `:${line}${column ? `:${column}` : ''}` : ''}: ${reason}. Fix the file by hand (or restore it from version control); SkillMeat Sync will not write it while it cannot be parsed.`);
  }
}

const HEADER_RE = /^[ \t]*\[\[[ \t]*deployed[ \t]*\]\][ \t]*(#.*)?\r?$/;

function splitChunks(text: string): { preamble: string; chunks: string[] } {
  const lines = text.split(/(?<=\n)/);
  let preamble = '';
  const chunks: string[] = [];
  for (const line of lines) {
    if (HEADER_RE.test(line.replace(/\n$/, ''))) chunks.push(line);
    else if (chunks.length === 0) preamble += line;
    else chunks[chunks.length - 1] += line;
  }
  return { preamble, chunks };
}

function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof TomlDate);
}

/** Parses the text of a records file; throws {@link RecordsParseError} naming file and line. */
export function parseRecords(text: string, file: string): RecordsFile {
  const { doc, tables } = parseDocument(text, file);
  const { preamble, chunks } = splitChunks(text);
  // Each chunk must parse on its own to exactly the record at its index; otherwise fall back to
  // re-serialising (e.g. a top-level table placed after the records).
  let chunked = chunks.length === tables.length;
  if (chunked) {
    for (const chunk of chunks) {
      try {
        const one = parse(chunk) as Record<string, unknown>;
        if (Object.keys(one).length !== 1 || !Array.isArray(one.deployed) || one.deployed.length !== 1) { chunked = false; break; }
      } catch { chunked = false; break; }
    }
  }
  return {
    path: file,
    exists: true,
    preamble: chunked ? preamble : '',
    records: tables.map((fields, i) => ({ fields: { ...fields }, sourceText: chunked ? chunks[i] : undefined })),
    chunked,
    ...(chunked ? {} : { others: Object.fromEntries(Object.entries(doc).filter(([k]) => k !== 'deployed')) }),
  };
}

/** The TOML document and its `[[deployed]]` tables; {@link RecordsParseError} when either is malformed. */
function parseDocument(text: string, file: string): { doc: Record<string, unknown>; tables: Record<string, unknown>[] } {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new RecordsParseError(file, e.line, e.column, e.message.split('\n')[0].replace(/^Invalid TOML document: /, 'invalid TOML: '));
    throw e;
  }
  const deployed = doc.deployed;
  if (deployed !== undefined && !(Array.isArray(deployed) && deployed.every(isPlainTable))) {
    throw new RecordsParseError(file, undefined, undefined, '"deployed" must be an array of tables ([[deployed]])');
  }
  return { doc, tables: (deployed ?? []) as Record<string, unknown>[] };
}

/**
 * The records of a records file for reading only (a drift check): the same records as {@link parseRecords}, without
 * what a write needs to keep the file byte for byte (each record's own text, which parsed every record a second time).
 */
export function parseRecordsForReading(text: string, file: string): DeploymentRecord[] {
  return parseDocument(text, file).tables.map((fields) => ({ fields: { ...fields } }));
}

/** What the text of an unparseable records file still tells about one of its `[[deployed]]` tables. */
export interface SalvagedRecord {
  /** 1-based line of the table's `[[deployed]]` header. */
  line: number;
  type?: string;
  name?: string;
  /** Normalised like a readable record's (`skills/x`, `agents/x.md`), when type and name or path were found. */
  relPath?: string;
}

const SALVAGE_KEY_RE = /^[ \t]*(artifact_name|artifact_type|artifact_path)[ \t]*=[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)')[ \t]*(?:#.*)?\r?$/;

/**
 * Reads what it can of a records file TOML cannot parse: for each `[[deployed]]` header, the quoted
 * `artifact_name`, `artifact_type` and `artifact_path` lines of its table. Never throws. `complete` is true
 * when every table gave a type and a name, so no record can be hidden in the broken text.
 */
export function salvageRecords(text: string): { records: SalvagedRecord[]; complete: boolean } {
  const records: SalvagedRecord[] = [];
  let current: (SalvagedRecord & { path?: string }) | undefined;
  let lineNo = 0;
  let strayKeys = false;
  for (const line of text.split('\n')) {
    lineNo++;
    if (HEADER_RE.test(line)) { current = { line: lineNo }; records.push(current); continue; }
    const m = SALVAGE_KEY_RE.exec(line);
    if (!m) continue;
    if (!current) { strayKeys = true; continue; }
    let value = m[2] ?? m[3] ?? '';
    if (m[2] !== undefined) {
      try { value = JSON.parse(`"${m[2]}"`) as string; } catch { /* keep the raw text */ }
    }
    if (m[1] === 'artifact_name') current.name ??= value;
    else if (m[1] === 'artifact_type') current.type ??= value;
    else current.path ??= value;
  }
  for (const r of records) {
    const { path: rawPath } = r as { path?: string };
    delete (r as { path?: string }).path;
    if (!r.type || !(ARTIFACT_TYPES as readonly string[]).includes(r.type) || (!r.name && !rawPath)) continue;
    const view = viewRecord({ fields: { artifact_type: r.type, ...(r.name !== undefined ? { artifact_name: r.name } : {}), ...(rawPath !== undefined ? { artifact_path: rawPath } : {}) } }, 0);
    if (view.relPath && !view.relPath.split('/').includes('..')) r.relPath = view.relPath;
    if (view.name) r.name = view.name;
  }
  const complete = !strayKeys && records.every((r) => r.type && r.name);
  return { records, complete };
}

/** Reads `<rootDir>/.skillmeat-deployed.toml`; a missing file is an empty, non-existent records file. */
export function readRecords(rootDir: string): RecordsFile {
  const file = path.join(rootDir, RECORDS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path: file, exists: false, preamble: '', records: [], chunked: true };
    throw new RecordsParseError(file, undefined, undefined, `cannot read (${code ?? String(e)})`);
  }
  return parseRecords(text, file);
}

// ---- serialisation in SkillMeat's (tomli_w) style ----

/** A TOML basic string escaped byte for byte as tomli_w escapes it (SkillMeat's writer). */
export function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += ch; // tomli_w leaves a tab raw (TOML allows it in a basic string)
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

function tomlValue(v: unknown, indent = ''): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return String(v);
  }
  if (v instanceof TomlDate) return v.toISOString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const inner = indent + '    ';
    return '[\n' + v.map((x) => inner + tomlValue(x, inner) + ',\n').join('') + indent + ']';
  }
  if (isPlainTable(v)) {
    const parts = Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x, indent)}`);
    return parts.length ? `{ ${parts.join(', ')} }` : '{}';
  }
  throw new Error(`cannot write value of type ${typeof v} to TOML`);
}

/** Orders a record's keys as SkillMeat does: known keys, then unknown ones, `collection_sha` last. */
export function orderedKeys(fields: Record<string, unknown>): string[] {
  const keys = Object.keys(fields).filter((k) => fields[k] !== undefined && fields[k] !== null);
  const known = KEY_ORDER.filter((k) => keys.includes(k));
  const unknown = keys.filter((k) => !(KEY_ORDER as readonly string[]).includes(k) && k !== 'collection_sha');
  return [...known, ...unknown, ...(keys.includes('collection_sha') ? ['collection_sha'] : [])];
}

/** Serialises one record as a `[[deployed]]` table in SkillMeat's style. */
export function serializeRecord(rec: DeploymentRecord): string {
  return '[[deployed]]\n' + orderedKeys(rec.fields).map((k) => `${tomlKey(k)} = ${tomlValue(rec.fields[k])}\n`).join('');
}

/** The full text of a records file: unchanged records verbatim, changed or new ones re-serialised. */
export function serializeRecords(file: RecordsFile): string {
  let out = file.preamble;
  // Without a verbatim preamble, other top-level content is re-serialised so nothing is lost:
  // plain keys first (TOML needs them before any table), then tables.
  const others = Object.entries(file.others ?? {});
  for (const [k, v] of others) if (!isPlainTable(v)) out += `${tomlKey(k)} = ${tomlValue(v)}\n`;
  for (const [k, v] of others) {
    if (isPlainTable(v)) out += `${out ? '\n' : ''}[${tomlKey(k)}]\n` + Object.entries(v).map(([kk, x]) => `${tomlKey(kk)} = ${tomlValue(x)}\n`).join('');
  }
  let prevVerbatim = true;
  for (const rec of file.records) {
    // A blank line separates tables, as SkillMeat writes them; verbatim neighbours keep their own spacing.
    const needsGap = !(prevVerbatim && rec.sourceText !== undefined);
    if (needsGap && out.trim().length > 0) {
      if (!out.endsWith('\n')) out += '\n';
      if (!/\n[ \t]*\r?\n$/.test(out)) out += '\n';
    }
    out += rec.sourceText ?? serializeRecord(rec);
    prevVerbatim = rec.sourceText !== undefined;
  }
  return out;
}

/**
 * Re-reads the records file under its lock, applies `change`, and writes it atomically. The lock and the
 * fresh read are what keep two writers (extension and CLI) from losing each other's records; the lock is
 * taken without blocking the event loop, and writers of one process queue in memory.
 */
export async function updateRecords(rootDir: string, change: (file: RecordsFile) => void, opts: { lock?: LockOptions; hooks?: AtomicWriteHooks } = {}): Promise<RecordsFile> {
  const file = path.join(rootDir, RECORDS_FILE);
  return withFileLock(file, () => {
    const current = readRecords(rootDir);
    change(current);
    writeFileAtomic(file, serializeRecords(current), opts.hooks);
    return { ...current, exists: true };
  }, opts.lock);
}

// ---- lenient interpretation ----

/** A record interpreted for drift: names normalised, hash resolved, problems explained. */
export interface RecordView {
  index: number;
  record: DeploymentRecord;
  type: string;
  /** Normalised name (`.md` suffix stripped, namespaced commands as `ns/name`). */
  name: string;
  /** Normalised path relative to the profile root, POSIX separators (`skills/x`, `agents/x.md`). */
  relPath: string;
  /** Baseline hash: `content_hash`, falling back to `collection_sha`. */
  contentHash?: string;
  /** This product's tree hash of the baseline, when it wrote the record. */
  treeHash?: string;
  fromCollection?: string;
  deployedAt?: string;
  /** Why the record cannot be used, if it cannot. */
  invalid?: string;
}

const HEX64 = /^[0-9a-f]{64}$/i;

/** True when the hash looks like a SkillMeat SHA-256 (enterprise records may hold a version string). */
export function isHexHash(h: string | undefined): boolean {
  return !!h && HEX64.test(h);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof TomlDate) return v.toISOString();
  return undefined;
}

/** Strips SkillMeat's doubled `.md` (`x.md` stored at `agents/x.md.md`) and normalises separators. */
export function normaliseRecordPath(p: string): string {
  let rel = p.replace(/\\/g, '/').replace(/^\.\//, '');
  while (rel.endsWith('.md.md')) rel = rel.slice(0, -3);
  return rel.replace(/\/+$/, '');
}

/**
 * A context entity's record (`spec_file`, `project_config`…): one file, its `artifact_path` relative to the
 * profile root as SkillMeat's own context sync reads it (`<project>/.claude/<artifact_path>`), any folder.
 */
function viewContextRecord(view: RecordView, rawPath: string | undefined): RecordView {
  if (rawPath === undefined || rawPath.trim() === '') { view.invalid = 'the record has no artifact_path'; return view; }
  const relPath = rawPath.replace(/\\/g, '/').replace(/^\.\//, '');
  view.relPath = relPath;
  if (!view.name) view.name = relPath.split('/').pop()!.replace(/\.md$/, '');
  if (!view.contentHash) { view.invalid = 'the record has neither content_hash nor collection_sha'; return view; }
  const parts = relPath.split('/');
  if (path.isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath) || parts.some((x) => x === '' || x === '.' || x === '..' || /[\u0000-\u001f\u007f]/.test(x))) {
    view.invalid = `artifact_path "${rawPath}" escapes the profile root or is not a file path`;
    return view;
  }
  if (parts[parts.length - 1] === RECORDS_FILE) view.invalid = `artifact_path "${rawPath}" names the records file itself`;
  const coll = view.fromCollection;
  if (!view.invalid && coll && !isCollectionName(coll)) view.invalid = `from_collection "${coll}" is not a collection name (a directory of <SkillMeat home>/collections)`;
  return view;
}

/** Interprets a record leniently (SPEC §2). Never throws. */
export function viewRecord(rec: DeploymentRecord, index: number): RecordView {
  const f = rec.fields;
  const type = str(f.artifact_type) ?? '';
  let name = str(f.artifact_name) ?? '';
  const contentHash = str(f.content_hash) ?? str(f.collection_sha);
  const view: RecordView = {
    index, record: rec, type, name, relPath: '', contentHash,
    treeHash: str(f[TREE_HASH_KEY]), fromCollection: str(f.from_collection), deployedAt: str(f.deployed_at),
  };
  if (!type) { view.invalid = 'the record has no artifact_type'; return view; }
  if (isContextType(type)) return viewContextRecord(view, str(f.artifact_path));
  if (!(ARTIFACT_TYPES as readonly string[]).includes(type)) return view; // hook / mcp: kept, not synced
  const t = type as ArtifactType;
  if (t !== 'skill') name = name.replace(/\.md$/, '');
  const rawPath = str(f.artifact_path);
  let relPath = rawPath !== undefined ? normaliseRecordPath(rawPath) : `${TYPE_DIRS[t]}/${name}${t === 'skill' ? '' : '.md'}`;
  if (t !== 'skill' && !relPath.endsWith('.md')) relPath += '.md';
  view.relPath = relPath;
  if (!name) {
    const base = relPath.split('/').slice(1).join('/');
    name = t === 'skill' ? base : base.replace(/\.md$/, '');
  }
  view.name = name;
  if (!contentHash) { view.invalid = 'the record has neither content_hash nor collection_sha'; return view; }
  if (path.isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath) || relPath.split('/').includes('..')) {
    view.invalid = `artifact_path "${rawPath}" escapes the profile root`;
    return view;
  }
  const [dir, ...rest] = relPath.split('/');
  if (dir !== TYPE_DIRS[t] || rest.length === 0 || (t === 'skill' && rest.length !== 1)) {
    view.invalid = `artifact_path "${rawPath}" is not where a ${t} lives (${TYPE_DIRS[t]}/…)`;
    return view;
  }
  if (t !== 'skill') view.name = rest.join('/').replace(/\.md$/, '');
  // The name becomes a path (a fork's `<name>-fork`, an undeploy, a restore): it must stay in its folder too.
  const pathName = t === 'skill' ? rest[0] : rest.join('/').replace(/\.md$/, '');
  for (const [what, value] of [['artifact_path', pathName], ['artifact_name', view.name]] as const) {
    if (!isSafeArtifactName(t, value)) {
      view.invalid = `${what} ${JSON.stringify(what === 'artifact_path' ? rawPath : value)} does not name a ${t} inside ${TYPE_DIRS[t]}/ (an empty, "." or ".." part, a backslash or a control character)`;
      return view;
    }
  }
  // The collection is `<home>/collections/<from_collection>`: a name with separators or dots would point
  // the check (and a later pull, which writes there) outside the SkillMeat home.
  const coll = view.fromCollection;
  if (coll && !isCollectionName(coll)) {
    view.invalid = `from_collection "${coll}" is not a collection name (a directory of <SkillMeat home>/collections)`;
  }
  return view;
}
