// Which folders the CLI may run SYNC.json generators in. A generator is code from the repository; VS Code asks
// through Workspace Trust, the CLI through this list: `$SKILLMEAT_HOME/sync/trusted-folders.json`, a JSON array
// of absolute folders (a folder trusts everything below it), edited with `skillmeat-sync sync trust`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside, withFileLock, writeFileAtomic } from '../store/fsutil';

/** Where the list lives. */
export function trustFile(home: string): string {
  return path.join(home, 'sync', 'trusted-folders.json');
}

/** The trusted folders; an unreadable or malformed list trusts nothing (and says why). */
export function readTrustedFolders(home: string): { folders: string[]; problem?: string } {
  const file = trustFile(home);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return { folders: [] }; }
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && path.isAbsolute(x))) throw new Error('not an array of absolute folder paths');
    return { folders: v as string[] };
  } catch (e) {
    return { folders: [], problem: `${file}: ${(e as Error).message}; no folder is trusted until it is fixed (or removed and trusted again)` };
  }
}

function real(p: string): string {
  try { return fs.realpathSync(p); } catch { return path.resolve(p); }
}

/** True when `dir` (after resolving links) is a trusted folder or inside one. */
export function isTrustedFolder(home: string, dir: string): boolean {
  const d = real(dir);
  return readTrustedFolders(home).folders.some((f) => isInside(real(f), d));
}

/** Adds or removes a folder; returns the list as written. */
export async function setTrustedFolder(home: string, dir: string, trusted: boolean): Promise<string[]> {
  const file = trustFile(home);
  const d = real(dir);
  return withFileLock(file, () => {
    const { folders, problem } = readTrustedFolders(home);
    if (problem && fs.existsSync(file)) throw new Error(problem);
    const next = trusted ? [...new Set([...folders, d])].sort() : folders.filter((f) => real(f) !== d);
    writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n');
    return next;
  });
}
