// Finds every SYNC.json next to a SKILL.md: each profile root of each workspace folder, plus extra skill
// directories (a setting; the CLI also reads SKILLS_DIRS, as ambrogio does). Invalid manifests are
// returned with their errors so the user sees them, never silently dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILE_ROOTS } from '../model';
import { isInside } from '../store/fsutil';
import { validateManifest } from './manifest';
import type { ManifestValidationOptions, ValidatedManifest } from './manifest';

/** A skill that carries a SYNC.json, with its validation result. */
export interface DiscoveredGenerator extends ValidatedManifest {
  /** Stable id: the skill directory relative to its workspace folder, POSIX separators (`.claude/skills/notes`). */
  id: string;
  /** The skill's directory name. */
  name: string;
  /** Profile root (`.claude`, …) or null for a skill found in an extra skill directory. */
  root: string | null;
  /** False when SYNC.json has no SKILL.md beside it (still listed: the manifest is what runs). */
  hasSkillMd: boolean;
}

/** Options of {@link discoverGenerators}. */
export interface DiscoveryOptions extends ManifestValidationOptions {
  /**
   * Extra directories holding skill directories (or being one). Relative paths resolve against the first
   * workspace folder; a skill found there writes relative outputs into the folder that contains it, else
   * into the first folder.
   */
  extraSkillDirs?: readonly string[];
}

/** Splits a colon-separated `SKILLS_DIRS` value (empty entries ignored). */
export function parseSkillsDirs(value: string | undefined): string[] {
  return (value ?? '').split(path.delimiter).map((s) => s.trim()).filter((s) => s !== '');
}

function isDir(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

function isFile(p: string): boolean {
  try { return fs.statSync(p).isFile(); } catch { return false; }
}

function childDirs(dir: string): string[] {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  return names.sort().map((n) => path.join(dir, n)).filter(isDir);
}

function toId(skillDir: string, workspaceFolder: string): string {
  return isInside(workspaceFolder, skillDir) ? path.relative(workspaceFolder, skillDir).split(path.sep).join('/') : skillDir;
}

/** Discovers and validates the SYNC.json manifests of the given workspace folders and extra skill directories. */
export function discoverGenerators(workspaceFolders: readonly string[], opts: DiscoveryOptions = {}): DiscoveredGenerator[] {
  const folders = workspaceFolders.map((f) => path.resolve(f));
  const found: DiscoveredGenerator[] = [];
  const seen = new Set<string>();
  const consider = (skillDir: string, workspaceFolder: string, root: string | null): void => {
    const manifest = path.join(skillDir, 'SYNC.json');
    if (!isFile(manifest)) return;
    // the same skill may be reachable twice (an extra dir that is also a profile root, a symlinked skill)
    let key = skillDir;
    try { key = fs.realpathSync(skillDir); } catch { /* keep lexical */ }
    if (seen.has(key)) return;
    seen.add(key);
    const v = validateManifest(manifest, workspaceFolder, opts);
    found.push({ ...v, id: toId(skillDir, workspaceFolder), name: path.basename(skillDir), root, hasSkillMd: isFile(path.join(skillDir, 'SKILL.md')) });
  };
  for (const folder of folders) {
    for (const root of PROFILE_ROOTS) {
      for (const skillDir of childDirs(path.join(folder, root, 'skills'))) consider(skillDir, folder, root);
    }
  }
  for (const extra of opts.extraSkillDirs ?? []) {
    const dir = path.resolve(folders[0] ?? process.cwd(), extra);
    const owner = folders.find((f) => isInside(f, dir)) ?? folders[0] ?? dir;
    if (isFile(path.join(dir, 'SYNC.json'))) consider(dir, owner, null);
    else for (const skillDir of childDirs(dir)) consider(skillDir, owner, null);
  }
  return found;
}

/**
 * Generators matching a `--skill` selector: its id (`.claude/skills/notes`), its absolute skill directory,
 * or its name (`notes`, which may match one skill in several roots).
 */
export function selectGenerators<T extends DiscoveredGenerator>(all: readonly T[], selector: string): T[] {
  const trimmed = selector.replace(/[\\/]+$/, '');
  const exact = all.filter((g) => g.id === trimmed || (path.isAbsolute(trimmed) && (g.skillDir === path.resolve(trimmed) || g.file === path.resolve(trimmed))));
  return exact.length > 0 ? exact : all.filter((g) => g.name === trimmed);
}
