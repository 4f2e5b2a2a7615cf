// Shared test fixtures for the generator tests: temp workspaces, skills, a bundled stand-in CLI for the
// ambrogioctl shim, and a live `sqlite3` process to produce real WAL databases.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { ShimCommand } from '../../../src/core/generators';
import type { CliIO } from '../../../src/cli/generators';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const EXAMPLE_SKILL = path.join(REPO, 'examples', 'generators', 'structured-notes');

const made: string[] = [];

/** A fresh temp directory (realpath, so comparisons with resolved paths hold), removed by {@link cleanupTemp}. */
export function tempDir(tag = 'gen'): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `smsync-${tag}-`)));
  made.push(d);
  return d;
}

/** Removes every directory {@link tempDir} made. */
export function cleanupTemp(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Writes a file, creating its directory; `mode` e.g. 0o755 for a script. */
export function write(file: string, content: string | Uint8Array, mode?: number): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  if (mode !== undefined) fs.chmodSync(file, mode);
  return file;
}

/** A skill directory `<ws>/<root>/skills/<name>` with SKILL.md, SYNC.json and (optionally) its generator. */
export function makeSkill(ws: string, name: string, manifest: unknown, generator?: string, root = '.claude'): string {
  const dir = path.join(ws, root, 'skills', name);
  write(path.join(dir, 'SKILL.md'), `---\nname: ${name}\n---\n`);
  write(path.join(dir, 'SYNC.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  if (generator !== undefined) write(path.join(dir, 'scripts', 'sync.sh'), generator, 0o755);
  return dir;
}

/** A valid manifest, with overrides. */
export function manifestOf(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { version: '1', outputFile: 'OUT.md', patterns: ['notes:*'], generator: './scripts/sync.sh', ...over };
}

let built: Promise<ShimCommand> | undefined;

/** Bundles test/fixtures/generators/state-cli.ts once per run (with the sql.js wasm beside it), for the shim. */
export function testCli(): Promise<ShimCommand> {
  built ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smsync-cli-'));
    const outfile = path.join(dir, 'cli.js');
    await esbuild.build({
      entryPoints: [path.join(REPO, 'test', 'fixtures', 'generators', 'state-cli.ts')],
      bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error',
    });
    fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dir, 'sql-wasm.wasm'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return { nodePath: process.execPath, cliPath: outfile };
  })();
  return built;
}

/** An in-memory CliIO that records what a command printed (one line per call, like the real one). */
export function captureIO(cwd: string, env: NodeJS.ProcessEnv): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', cwd, env, isTTY: false,
    out(s: string) { io.stdout += `${s}\n`; },
    err(s: string) { io.stderr += `${s}\n`; },
  };
  return io;
}

/** Environment for a test: a private SKILLMEAT_HOME and nothing inherited that points at real state. */
/** The environment of a CLI run in these tests: its own SkillMeat home, and every folder trusted (unless `extra` says otherwise). */
export function testEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SKILLMEAT_HOME: home, SKILLMEAT_SYNC_TRUST: '1', ...extra };
  for (const k of ['SKILLMEAT_SYNC_STATE_DB', 'SKILLMEAT_SYNC_STATE_KIND', 'SKILLS_DIRS', 'SKILLMEAT_SYNC_OUTPUT_DIRS', 'DATA_ROOT']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/** A long-lived `sqlite3` process: its connection stays open, so committed rows stay in the -wal file. */
export class Sqlite3 {
  private proc: ChildProcessWithoutNullStreams;
  private buffer = '';
  private errors = '';
  private seq = 0;
  private waiters: { marker: string; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(readonly file: string) {
    this.proc = spawn('sqlite3', ['-batch', file]);
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => { this.buffer += d; this.settle(); });
    this.proc.stderr.on('data', (d: string) => { this.errors += d; });
    this.proc.on('close', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`sqlite3 exited (${code}): ${this.errors}`));
    });
  }

  private settle(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!this.buffer.includes(w.marker)) return true;
      if (this.errors) w.reject(new Error(`sqlite3: ${this.errors}`));
      else w.resolve();
      return false;
    });
  }

  /** Runs SQL and resolves once sqlite3 has executed it (a marker SELECT echoes back). */
  exec(sql: string): Promise<void> {
    const marker = `__done_${++this.seq}__`;
    return new Promise((resolve, reject) => {
      this.waiters.push({ marker, resolve, reject });
      this.proc.stdin.write(`${sql}\nSELECT '${marker}';\n`);
    });
  }

  /** Closes the connection (sqlite3 then checkpoints and removes the -wal file). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null) { resolve(); return; }
      this.proc.on('close', () => resolve());
      this.proc.stdin.end();
    });
  }
}

/** The runtime_kv table of ambrogio, in WAL mode with automatic checkpoints off. */
export const AMBROGIO_DDL = `PRAGMA journal_mode=WAL;
PRAGMA wal_autocheckpoint=0;
CREATE TABLE IF NOT EXISTS runtime_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);`;

/** SQL inserting rows (values quoted for SQL). */
export function insertSql(rows: readonly [string, string][], updatedAt = '2026-02-13 10:00:00'): string {
  const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  return rows.map(([k, v]) => `INSERT OR REPLACE INTO runtime_kv VALUES (${q(k)}, ${q(v)}, ${q(updatedAt)});`).join('\n');
}

/** Copies a directory tree (for the example skill). */
export function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** Polls `check` until it returns true or the deadline passes (no fixed sleeps in tests). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
