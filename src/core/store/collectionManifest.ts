// `collection.toml`: SkillMeat's manifest of a collection. `skillmeat list` and `skillmeat deploy` know an
// artifact only through its `[[artifacts]]` table, so an artifact this product adds to a collection (a fork,
// a pull of an artifact the collection did not have) is registered the way SkillMeat's own `add` does:
//
//   [[artifacts]]
//   name = "review-fork"
//   type = "skill"
//   path = "skills/review-fork"
//   origin = "local"
//   added = "<datetime.utcnow().isoformat()>"
//
// As with collection.lock, the file is edited as text: the table is appended (or removed again by undo) and
// every other byte stays; each edit is re-parsed and compared with what it should give before it is written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { writeFileAtomic, withFileLock, type LockOptions } from './fsutil';
import { tomlString } from './deploymentRecords';
import { canonical, isTable } from './collectionLock';
import { TYPE_DIRS, type ArtifactType } from '../model';

export const COLLECTION_MANIFEST_FILE = 'collection.toml';

/** An artifact to register in (or, with `remove`, take out of) a collection's manifest. */
export interface ManifestEntry {
  name: string;
  type: ArtifactType;
  /** Python `utcnow().isoformat()` of the registration, as SkillMeat's `add` writes `added`. */
  added: string;
}

/** What an edit did; `skipped` leaves the text as it was and says why. */
export type ManifestEditOutcome =
  | { kind: 'added' | 'removed' | 'unchanged'; text: string }
  | { kind: 'skipped'; text: string; reason: string };

type Doc = Record<string, unknown>;

/** The `path` SkillMeat gives an artifact of this type in its collection. */
export function manifestPath(type: ArtifactType, name: string): string {
  return type === 'skill' ? `${TYPE_DIRS[type]}/${name}` : `${TYPE_DIRS[type]}/${name}.md`;
}

/** SkillMeat refuses names with a separator, `..` or a leading dot (`Artifact.__post_init__`): such artifacts are not registered. */
export function isRegistrableName(name: string): boolean {
  return name !== '' && !/[\\/]/.test(name) && !name.includes('..') && !name.startsWith('.');
}

function parseManifest(text: string, file: string): Doc {
  try {
    return parse(text) as Doc;
  } catch (e) {
    if (e instanceof TomlError) throw new Error(`${file}:${e.line}: invalid TOML: ${e.message.split('\n')[0].replace(/^Invalid TOML document: /, '')}`);
    throw e;
  }
}

function sameEntry(a: unknown, e: { name: string; type: string }): boolean {
  return isTable(a) && a.name === e.name && a.type === e.type;
}

/** True when the manifest text lists the artifact. */
export function manifestHasArtifact(text: string, file: string, e: { name: string; type: ArtifactType }): boolean {
  const arts = parseManifest(text, file).artifacts;
  return Array.isArray(arts) && arts.some((a) => sameEntry(a, e));
}

/** The table this product appends for an artifact (in SkillMeat's key order, tomli_w's escaping). */
export function artifactTable(e: ManifestEntry, eol = '\n'): string {
  return ['[[artifacts]]', `name = ${tomlString(e.name)}`, `type = ${tomlString(e.type)}`, `path = ${tomlString(manifestPath(e.type, e.name))}`,
    'origin = "local"', `added = ${tomlString(e.added)}`].join(eol) + eol;
}

const EMPTY_INLINE = /^artifacts[ \t]*=[ \t]*\[[ \t]*\][ \t]*(#.*)?\r?\n?$/;

/**
 * Registers an artifact in the text of a `collection.toml` (or removes the table this product appended for
 * it, with `remove`). Throws when the text cannot be parsed; `skipped` (text unchanged) when the manifest is
 * in a shape that cannot be edited without rewriting it.
 */
export function editManifestText(text: string, file: string, e: ManifestEntry, remove = false): ManifestEditOutcome {
  const before = parseManifest(text, file);
  const skip = (reason: string): ManifestEditOutcome => ({ kind: 'skipped', text, reason });
  const arts = before.artifacts;
  if (arts !== undefined && !Array.isArray(arts)) return skip('"artifacts" is not an array of tables');
  const present = Array.isArray(arts) && arts.some((a) => sameEntry(a, e));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/(?<=\n)/);
  let candidate: string;
  const expected = parseManifest(text, file);
  if (remove) {
    if (!present) return { kind: 'unchanged', text };
    // Only a table exactly as this product appends it is taken out; anything else was SkillMeat's or the user's.
    const re = new RegExp(`${eol}\\[\\[artifacts\\]\\]${eol}name = ${escapeRe(tomlString(e.name))}${eol}type = ${escapeRe(tomlString(e.type))}${eol}path = [^\\r\\n]*${eol}origin = "local"${eol}added = "[^"\\r\\n]*"${eol}`);
    const m = re.exec(text);
    if (!m) return skip(`the table of ${e.type} "${e.name}" is not the one SkillMeat Sync appended`);
    candidate = text.slice(0, m.index) + text.slice(m.index + m[0].length);
    if (!candidate.endsWith('\n') && text.endsWith('\n')) candidate += eol;
    (expected.artifacts as unknown[]).splice((expected.artifacts as unknown[]).findIndex((a) => sameEntry(a, e)), 1);
    // SkillMeat writes an empty list inline; an emptied array of tables simply disappears.
    if ((expected.artifacts as unknown[]).length === 0) delete expected.artifacts;
  } else {
    if (present) return { kind: 'unchanged', text };
    let body = text;
    if (Array.isArray(arts) && arts.length === 0) {
      // `artifacts = []` (a fresh `skillmeat init`) cannot be followed by an [[artifacts]] table: drop the line.
      const at = lines.findIndex((l) => EMPTY_INLINE.test(l));
      if (at < 0) return skip('"artifacts" is an empty array written in a form this updater does not edit');
      const next = at + 1 < lines.length && lines[at + 1].trim() === '' ? at + 2 : at + 1; // and the blank line tomli_w put after it
      body = [...lines.slice(0, at), ...lines.slice(next)].join('');
    } else if (Array.isArray(arts) && !arts.every(isTable)) {
      return skip('"artifacts" is not an array of tables');
    }
    if (body.length && !body.endsWith('\n')) body += eol;
    candidate = (body.trim().length ? body + eol : '') + artifactTable(e, eol);
    expected.artifacts = [...((expected.artifacts as unknown[]) ?? []), { name: e.name, type: e.type, path: manifestPath(e.type, e.name), origin: 'local', added: e.added }];
  }
  let after: Doc;
  try { after = parse(candidate) as Doc; } catch { return skip('the edited file would not parse'); }
  if (canonical(after) !== canonical(expected)) return skip('the edit would change more than the one artifact');
  return { kind: remove ? 'removed' : 'added', text: candidate };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Result of registering artifacts in a collection's manifest. */
export interface ManifestUpdateResult {
  file: string;
  /** False when the collection has no `collection.toml` (it is not created: the folder is not SkillMeat's). */
  exists: boolean;
  before?: string;
  after?: string;
  outcomes: ManifestEditOutcome[];
}

/**
 * Registers (or removes) artifacts in `<collectionDir>/collection.toml` under its lock, written atomically
 * when anything changed. `guard` sees the current text first (for the caller's journal).
 */
export async function updateCollectionManifest(
  collectionDir: string, entries: readonly ManifestEntry[], opts: { remove?: boolean; lock?: LockOptions; guard?: (current: string) => void } = {},
): Promise<ManifestUpdateResult> {
  const file = path.join(collectionDir, COLLECTION_MANIFEST_FILE);
  return withFileLock(file, (): ManifestUpdateResult => {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, outcomes: [] };
      throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    opts.guard?.(text);
    let next = text;
    const outcomes = entries.map((e) => { const o = editManifestText(next, file, e, opts.remove); next = o.text; return o; });
    if (next !== text) writeFileAtomic(file, next);
    return { file, exists: true, before: text, after: next, outcomes };
  }, opts.lock);
}
