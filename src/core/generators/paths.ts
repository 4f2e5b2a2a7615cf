// Where the generator machinery keeps its per-workspace files (state DB, run records, locks, shims).
// All of it lives under the SkillMeat home, never in the workspace, so nothing lands in version control.
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';

/** The SkillMeat home: `$SKILLMEAT_HOME`, else `~/.skillmeat`. */
export function skillmeatHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.SKILLMEAT_HOME;
  return fromEnv && fromEnv.trim() !== '' ? path.resolve(fromEnv) : path.join(os.homedir(), '.skillmeat');
}

/** Per-workspace directory: `<home>/sync/workspaces/<first 16 hex of sha256(abs workspace path)>`. */
export function workspaceDataDir(workspaceFolder: string, env: NodeJS.ProcessEnv = process.env): string {
  const abs = path.resolve(workspaceFolder);
  const id = crypto.createHash('sha256').update(abs, 'utf8').digest('hex').slice(0, 16);
  return path.join(skillmeatHome(env), 'sync', 'workspaces', id);
}

/** Default location of the product's own state database for a workspace folder. */
export function defaultStateDbPath(workspaceFolder: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(workspaceDataDir(workspaceFolder, env), 'state.db');
}

/** Default location of the per-skill run records (stale / hand-edit detection) for a workspace folder. */
export function defaultRunRecordFile(workspaceFolder: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(workspaceDataDir(workspaceFolder, env), 'generators.json');
}

/** Short stable hex id of a string, for file names derived from paths. */
export function shortHash(s: string): string {
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 16);
}

/**
 * Where run records live: beside the product's own state database, or — for ambrogio's database, which
 * the product never writes next to — in the workspace's data directory.
 */
export function runRecordFileFor(state: { path: string; kind: 'own' | 'ambrogio' }, workspaceFolder: string, env: NodeJS.ProcessEnv = process.env): string {
  return state.kind === 'own' ? path.join(path.dirname(path.resolve(state.path)), 'generators.json') : defaultRunRecordFile(workspaceFolder, env);
}
