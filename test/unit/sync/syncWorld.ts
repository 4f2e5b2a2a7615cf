// Helpers for the sync tests: a SkillMeat home with a collection, a project and a real version store, and
// short ways to run update / pull and to compare directory contents before and after.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { VersionStore } from '../../../src/core/store/versionStore';
import { runSync, type SyncOptions, type SyncResult, type SyncStrategy } from '../../../src/core/sync';
import type { ArtifactType, DriftReport } from '../../../src/core/model';
import { makeWorld, deploy as deployHelper, check as checkHelper, type World } from '../helpers';

/** A {@link World} with a version store in `<home>/sync`. */
export interface SyncWorld extends World {
  store: VersionStore;
  storeDir: string;
}

/** Builds a world and opens its store; the store is closed by the temp-dir cleanup (files removed). */
export async function makeSyncWorld(tmp: (tag?: string) => string): Promise<SyncWorld> {
  const w = makeWorld(tmp);
  const storeDir = path.join(w.home, 'sync');
  return { ...w, storeDir, store: await VersionStore.open(storeDir) };
}

/** Deploys with the world's store (so the baseline is in the version store). */
export async function deploy(w: SyncWorld, type: ArtifactType, name: string): Promise<void> {
  await deployHelper(w, type, name, { store: w.store });
}

/** Drift check using the store. */
export function check(w: SyncWorld): DriftReport {
  return checkHelper(w, { store: w.store });
}

type Extra = Partial<Omit<SyncOptions, 'project' | 'direction' | 'strategy' | 'store'>>;

/** `pull` for the named artifacts (all eligible when none). */
export function pull(w: SyncWorld, strategy: SyncStrategy, names: string[] = [], extra: Extra = {}): Promise<SyncResult> {
  return runSync({ project: w.project, env: w.env, store: w.store, direction: 'pull', strategy, names, ...extra });
}

/** `update` for the named artifacts (all eligible when none). */
export function update(w: SyncWorld, strategy: SyncStrategy, names: string[] = [], extra: Extra = {}): Promise<SyncResult> {
  return runSync({ project: w.project, env: w.env, store: w.store, direction: 'update', strategy, names, ...extra });
}

/** Text of a file. */
export function read(...parts: string[]): string {
  return fs.readFileSync(path.join(...parts), 'utf8');
}

/** Overwrites a file with text. */
export function write(file: string, text: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/**
 * Every path below `dir` with its kind, mode and content hash (no timestamps: renames that put a tree back
 * change directory mtimes, not content). Paths matching `ignore` are left out.
 */
export function contentSnapshot(dir: string, ignore?: RegExp): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string): void => {
    const st = fs.lstatSync(abs);
    if (rel && ignore?.test(rel)) return;
    if (st.isDirectory()) {
      out[rel || '.'] = `dir ${(st.mode & 0o777).toString(8)}`;
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(abs, e), rel ? `${rel}/${e}` : e);
    } else if (st.isFile()) {
      out[rel] = `file ${(st.mode & 0o777).toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    } else out[rel] = 'other';
  };
  walk(dir, '');
  return out;
}

/** Ten numbered lines, for edits at known places. */
export function lines(n = 10, prefix = 'line'): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`).join('\n') + '\n';
}

/** Replaces one whole line (1-based) of a file. */
export function editLine(file: string, lineNo: number, text: string): void {
  const ls = fs.readFileSync(file, 'utf8').split('\n');
  ls[lineNo - 1] = text;
  fs.writeFileSync(file, ls.join('\n'));
}
