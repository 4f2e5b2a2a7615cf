// Finishing writes an earlier process did not finish (killed, Ctrl-C, power loss). Every writer stages beside its
// target with a name that carries its pid (fsutil: `.X.<tag>-<pid>-<hex>`, `.X.<pid>.<hex>.tmp`), so the next
// writer can tell what a dead process left and make each artifact entirely old or entirely new again:
//   - a copy set aside (old, prev, presync, del, undeploy) whose original is gone goes back in place: the
//     interrupted write is rolled back, and nothing is lost (what the write was putting there is in the store);
//   - a copy set aside whose original is back, staged new content, and temp files are removed.
// Leftovers of a live process (a write in progress) are never touched.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { snapshotsDirFor } from './skillmeatSnapshot';
import { PROFILE_ROOTS } from '../model';
import { pidAlive } from './fsutil';

/** Tags of copies that hold what was there before a write (see siblingTemp's callers). */
const ASIDE_TAGS: ReadonlySet<string> = new Set(['old', 'prev', 'presync', 'del', 'undeploy']);

const SIBLING = /^\.(.+)\.([a-z]+)-(\d+)-[0-9a-f]{8}$/;
const TEMP_FILE = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;
const STALE_LOCK = /\.lock\.stale-(\d+)-[0-9a-f]{8}$/;

/** What a recovery did, path by path. */
export interface RecoveryReport {
  /** Originals put back from the copy an interrupted write had set aside. */
  restored: string[];
  /** Leftovers removed (staged content, temp files, copies whose original is in place). */
  removed: string[];
  /** Leftovers kept because they could not be handled (named with the reason). */
  problems: string[];
}

/**
 * Looks in `dirs` (and, for `recursiveDirs`, their subfolders a few levels down, as command namespaces are) for
 * what dead writers left, and rolls each artifact back to a whole state. Cheap when there is nothing: one
 * directory listing per folder.
 */
export function recoverInterruptedWrites(dirs: readonly string[], recursiveDirs: readonly string[] = []): RecoveryReport {
  const report: RecoveryReport = { restored: [], removed: [], problems: [] };
  const visit = (dir: string, depth: number): void => {
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return; }
    const asides = new Map<string, string[]>();
    for (const n of names) {
      // Staging names start with a dot (stale locks excepted); a blob folder holds ~100 names that do not, and
      // this runs at every start: they cost one character test each.
      const staging = n.startsWith('.') || n.includes('.lock.stale-');
      if (!staging && depth === 0) continue;
      const abs = path.join(dir, n);
      const sibling = staging ? SIBLING.exec(n) : null;
      const temp = sibling ? undefined : TEMP_FILE.exec(n);
      const stale = sibling || temp ? undefined : STALE_LOCK.exec(n);
      const pid = Number((sibling?.[3] ?? temp?.[2] ?? stale?.[1]) || NaN);
      if (Number.isFinite(pid)) {
        if (pid === process.pid || pidAlive(pid)) continue;
        if (sibling && ASIDE_TAGS.has(sibling[2])) { asides.set(sibling[1], [...(asides.get(sibling[1]) ?? []), n]); continue; }
        remove(abs, report);
        continue;
      }
      if (depth > 0 && !n.startsWith('.')) {
        let st: fs.Stats | undefined;
        try { st = fs.lstatSync(abs); } catch { st = undefined; }
        if (st?.isDirectory()) visit(abs, depth - 1);
      }
    }
    for (const [original, copies] of asides) {
      const target = path.join(dir, original);
      // The oldest copy is what was there before the interrupted write began.
      const ordered = copies.map((n) => path.join(dir, n)).sort((a, b) => mtime(a) - mtime(b));
      if (!exists(target) && copies.some((n) => Buffer.byteLength(n) >= 252)) {
        // A staging name this long may have had its original name shortened (fsutil's fitName): put back by hand.
        report.problems.push(`${ordered[0]}: an interrupted write set this aside; its original name may be longer than shown. Rename it back by hand.`);
        continue;
      }
      if (!exists(target)) {
        try { fs.renameSync(ordered[0], target); report.restored.push(target); ordered.shift(); } catch (e) {
          report.problems.push(`${ordered[0]}: could not be put back at ${target} (${(e as NodeJS.ErrnoException).code ?? e}); move it there by hand`);
          continue;
        }
      }
      for (const p of ordered) remove(p, report);
    }
  };
  for (const d of dirs) visit(d, 0);
  for (const d of recursiveDirs) visit(d, 4);
  return report;
}

function exists(p: string): boolean {
  try { fs.lstatSync(p); return true; } catch { return false; }
}

function mtime(p: string): number {
  try { return fs.lstatSync(p).mtimeMs; } catch { return 0; }
}

function remove(p: string, report: RecoveryReport): void {
  try { fs.rmSync(p, { recursive: true, force: true }); report.removed.push(p); } catch (e) {
    report.problems.push(`${p}: could not be removed (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** The folders a project's and a collection's writers stage in: profile roots, their type folders, the collection. */
function stagingDirs(bases: readonly string[]): { dirs: string[]; recursive: string[] } {
  const dirs: string[] = [];
  const recursive: string[] = [];
  for (const b of bases) {
    dirs.push(b, path.join(b, 'skills'), path.join(b, 'agents'));
    recursive.push(path.join(b, 'commands'));
  }
  return { dirs, recursive };
}


/** Recovers everything the writers of these projects, collections and version store stage in (CLI and extension alike). */
export function recoverProjectWrites(o: { projects: readonly string[]; collections: readonly string[]; storeDir: string }): RecoveryReport {
  const { dirs, recursive } = stagingDirs([...o.projects.flatMap((p) => PROFILE_ROOTS.map((r) => path.join(p, r))), ...o.collections]);
  // The SkillMeat snapshots written beside a collection (`<home>/snapshots/<name>/`) are staged there too.
  const snapshots = o.collections.map((c) => snapshotsDirFor(c)?.dir).filter((d): d is string => !!d);
  return recoverInterruptedWrites([...dirs, ...snapshots, o.storeDir], recursive);
}
