// Finds artifacts in a profile root or a collection: skills are directories under skills/, commands are
// .md files under commands/ (namespaces as sub-directories), agents are .md files under agents/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ARTIFACT_TYPES, TYPE_DIRS, isSafeArtifactName, type ArtifactType } from '../model';
import { DEFAULT_EXCLUSIONS, type ExclusionMatcher } from './hashing';

export interface FoundArtifact {
  type: ArtifactType;
  /** `review`, or `ns/name` for namespaced commands. */
  name: string;
  /** Relative to the root: `skills/review`, `commands/ns/name.md`. */
  relPath: string;
  absPath: string;
}

function listDir(dir: string): fs.Dirent[] {
  try { return fs.readdirSync(dir, { withFileTypes: true }); } catch { return []; }
}

function isDirEntry(dir: string, d: fs.Dirent): boolean {
  if (d.isDirectory()) return true;
  if (!d.isSymbolicLink()) return false;
  try { return fs.statSync(path.join(dir, d.name)).isDirectory(); } catch { return false; }
}

function isFileEntry(dir: string, d: fs.Dirent): boolean {
  if (d.isFile()) return true;
  if (!d.isSymbolicLink()) return false;
  try { return fs.statSync(path.join(dir, d.name)).isFile(); } catch { return false; }
}

/**
 * `dir` + separator + a name read from `dir` (no `.`, `..` or separator in it): what path.join would give for an
 * already normal `dir`, without normalising it again for each of 1 000 entries (a tenth of a warm check's discovery).
 */
const child = (dir: string, name: string): string => (dir.endsWith(path.sep) ? dir + name : dir + path.sep + name);

/** Lists every skill, command and agent under `baseDir` (a profile root or a collection). */
export function discoverArtifacts(baseDir: string, exclusions: ExclusionMatcher = DEFAULT_EXCLUSIONS): FoundArtifact[] {
  const out: FoundArtifact[] = [];
  for (const type of ARTIFACT_TYPES) {
    const typeDir = path.join(baseDir, TYPE_DIRS[type]);
    if (type === 'skill') {
      for (const d of listDir(typeDir)) {
        // A folder whose name is no safe artifact name (a newline, a backslash…) is not an artifact: no path is built from it.
        if (d.name.startsWith('.') || !isSafeArtifactName(type, d.name) || !isDirEntry(typeDir, d) || exclusions.isJunkDir(d.name, d.name)) continue;
        out.push({ type, name: d.name, relPath: `${TYPE_DIRS[type]}/${d.name}`, absPath: child(typeDir, d.name) });
      }
      continue;
    }
    // commands may be namespaced (commands/<ns>/<name>.md); agents are read the same way for symmetry
    const walk = (dir: string, prefix: string, depth: number): void => {
      for (const d of listDir(dir)) {
        if (d.name.startsWith('.')) continue;
        if (isDirEntry(dir, d)) {
          if (depth < 4 && !exclusions.isJunkDir(d.name, prefix + d.name)) walk(child(dir, d.name), `${prefix}${d.name}/`, depth + 1);
        } else if (d.name.endsWith('.md') && isFileEntry(dir, d) && !exclusions.isJunkFile(d.name, prefix + d.name)) {
          const name = prefix + d.name.slice(0, -3);
          if (!isSafeArtifactName(type, name)) continue;
          out.push({ type, name, relPath: `${TYPE_DIRS[type]}/${name}.md`, absPath: child(dir, d.name) });
        }
      }
    };
    walk(typeDir, '', 0);
  }
  return out;
}

/** A name that would lead a path out of its folder (from a crafted record, or a bug upstream). */
export class UnsafeNameError extends Error {
  readonly code = 'bad-name';
  constructor(readonly type: ArtifactType, readonly artifactName: string, baseDir: string) {
    super(`${JSON.stringify(artifactName)} is not a valid ${type} name: it would lead outside ${path.join(baseDir, TYPE_DIRS[type])}. Nothing was written; fix the name (in the deployment record, if it came from one).`);
  }
}

/** Where an artifact of this type and name lives under `baseDir`; throws {@link UnsafeNameError} for an unsafe name. */
export function artifactPath(baseDir: string, type: ArtifactType, name: string): { relPath: string; absPath: string } {
  // The last line of defence for every path built from a name: whatever let an unsafe one through, nothing
  // is read or written outside `baseDir/<type dir>`.
  if (!isSafeArtifactName(type, name)) throw new UnsafeNameError(type, name, baseDir);
  const relPath = type === 'skill' ? `${TYPE_DIRS[type]}/${name}` : `${TYPE_DIRS[type]}/${name}.md`;
  return { relPath, absPath: path.join(baseDir, ...relPath.split('/')) };
}
