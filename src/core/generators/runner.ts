// Runs a SYNC.json generator with ambrogio's contract (cwd = skill dir; SYNC_OUTPUT_FILE, SYNC_PATTERNS
// comma-joined, SKILL_DIR; exit 0 = success, an empty output included) and what ambrogio lacks: the generator
// writes a temp file beside the output — a copy of the current output, since ambrogio's SYNC_OUTPUT_FILE is
// the output itself and generators may read or append to it — that replaces the output only on success, so a
// failing, timed-out or killed generator leaves the previous output byte-identical; a timeout; one run at a
// time per output file; nothing runs in an untrusted workspace; a hand-edited output is not overwritten
// without `force`. The `ambrogioctl` shim goes last on PATH, so a real ambrogioctl is used when there is one.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LockTimeoutError, acquireLock, siblingTemp, writeFileAtomic } from '../store/fsutil';
import { realpathOfNearestAncestor, validateManifest } from './manifest';
import type { ManifestValidationOptions, ValidatedManifest } from './manifest';
import { shortHash, skillmeatHome } from './paths';
import { fileHash, generatorStatus, manifestHash, outputHash, rowsHash, updateRunRecord } from './runRecords';
import type { GeneratorStatus, LastRun, RunOutcome } from './runRecords';
import { ensureAmbrogioctlShim } from './shim';
import type { ShimCommand } from './shim';
import { StateError } from './state';
import type { StateEntry, StateSource } from './state';

/** Default generator timeout (SPEC §7 setting). */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Options of {@link runGenerator}. */
export interface RunGeneratorOptions {
  /** The open state database; its path and kind are also what the `ambrogioctl` shim answers from. */
  state: StateSource;
  /** How the shim starts the product CLI. */
  shim: ShimCommand;
  /** Workspace Trust: an untrusted workspace never runs a generator. Asked again right before spawning. */
  isTrusted: () => boolean;
  /** The run-record file (stale / hand-edit detection); see `runRecordFileFor`. */
  runRecordFile: string;
  /** Allowed directories for absolute outputFile paths (the manifest is re-validated before running). */
  allowedOutputDirs?: readonly string[];
  /** The folder standing for ambrogio's `/data` (see {@link ManifestValidationOptions.dataRoot}). */
  dataRoot?: string;
  /** Run generators outside their skill directory, as ambrogio does. */
  allowGeneratorsOutsideSkill?: boolean;
  /**
   * Overwrite an output that was edited by hand or not generated here. Without it such an output is replaced
   * only when the new output is byte-identical to it (ambrogio regenerated it from the same state).
   */
  force?: boolean;
  /** Default 60 000 ms. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL once the timeout fires (default 2 000 ms). */
  killGraceMs?: number;
  /** Base environment of the generator (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Receives the generator's output as it arrives, and the runner's own notes (`info`). */
  log?: (text: string, stream: 'stdout' | 'stderr' | 'info') => void;
  /** Cancels the run (the generator's process group is killed; the output stays as it was). */
  signal?: AbortSignal;
  /** Where the shim is written (default under the SkillMeat home). */
  shimDir?: string;
  /** How long to wait for another process generating the same output (default 2 × timeout + 10 s). */
  lockWaitMs?: number;
  /** Where the per-output lock files live (default `<home>/sync/locks`, shared by the extension and the CLI). */
  lockDir?: string;
  now?: () => Date;
}

/** The result of one generator run; `message` names the files involved and what to do. */
export interface GeneratorRunResult {
  ok: boolean;
  outcome: RunOutcome;
  message: string;
  manifestFile: string;
  skillDir: string;
  outputPath?: string;
  /** False when the run was refused before the generator started. */
  ran: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** sha256 of the output written (on success). */
  outputHash?: string;
  /** Number of state rows the patterns matched when the run started. */
  rowCount?: number;
}

/** What the runner needs to know about a generator: its manifest file and workspace folder. */
export type GeneratorRef = Pick<ValidatedManifest, 'file' | 'workspaceFolder'>;

/** How long stdout/stderr may stay open after the generator exited (held by a process it left behind). */
const PIPE_GRACE_MS = 1_000;
const MAX_CAPTURE = 1 << 20;
const LOG_TAIL = 4000;

const queues = new Map<string, Promise<unknown>>();

function validationOptions(opts: RunGeneratorOptions): ManifestValidationOptions {
  return { allowedOutputDirs: opts.allowedOutputDirs, dataRoot: opts.dataRoot, allowGeneratorsOutsideSkill: opts.allowGeneratorsOutsideSkill };
}

/** The first `ambrogioctl` on a PATH that is executable, or undefined. */
export function findOnPath(name: string, pathValue: string | undefined): string | undefined {
  for (const dir of (pathValue ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (fs.statSync(candidate).isFile()) { fs.accessSync(candidate, fs.constants.X_OK); return candidate; }
    } catch { /* not here */ }
  }
  return undefined;
}

/** Chains `task` after every earlier task for the same key (in this process). */
function enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const tail = next.then(() => undefined, () => undefined);
  queues.set(key, tail);
  void tail.then(() => { if (queues.get(key) === tail) queues.delete(key); });
  return next;
}

/** The output's cross-process lock, waited for without blocking the event loop; undefined when still held after `waitMs`. */
async function acquireOutputLock(lockBase: string, waitMs: number, staleMs: number): Promise<(() => void) | undefined> {
  try {
    return await acquireLock(lockBase, { timeoutMs: waitMs, staleMs });
  } catch (e) {
    if (e instanceof LockTimeoutError) return undefined;
    throw e;
  }
}

function removeQuietly(p: string): void {
  try { fs.rmSync(p, { force: true }); } catch { /* best effort: a leftover temp is harmless */ }
}

class Capture {
  text = '';
  truncated = false;
  add(chunk: string): void {
    this.text += chunk;
    if (this.text.length > MAX_CAPTURE) {
      this.text = this.text.slice(this.text.length - MAX_CAPTURE);
      this.truncated = true;
    }
  }
}

/**
 * Runs one generator. Resolves (never rejects for a generator's own failure) with a result whose
 * `outcome` says what happened; the previous output is replaced only when `ok` is true.
 */
export async function runGenerator(gen: GeneratorRef, opts: RunGeneratorOptions): Promise<GeneratorRunResult> {
  const started = Date.now();
  const skillDir = path.dirname(path.resolve(gen.file));
  const base = { manifestFile: path.resolve(gen.file), skillDir, exitCode: null, signal: null, stdout: '', stderr: '', ran: false };
  const refuse = (outcome: RunOutcome, message: string, outputPath?: string): GeneratorRunResult =>
    ({ ...base, ok: false, outcome, message, outputPath, durationMs: Date.now() - started });

  if (!opts.isTrusted()) {
    return refuse('untrusted', `Not run: the workspace ${gen.workspaceFolder} is not trusted and ${gen.file} would execute a script. Trust the workspace to run generators.`);
  }
  // the manifest may have changed since it was listed: run what is on disk now, checked again
  const v = validateManifest(gen.file, gen.workspaceFolder, validationOptions(opts));
  if (!v.valid || !v.manifest || !v.outputPath || !v.command || !v.generatorPath) {
    const first = v.errors[0];
    return refuse('invalid-manifest', `Not run: ${v.file} is invalid${first ? ` (${first.pointer || 'document'}: ${first.message}; fix: ${first.fix})` : ''}. Run "skillmeat-sync sync validate" to see every error.`);
  }
  const outputPath = v.outputPath;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const graceMs = opts.killGraceMs ?? 2_000;
  // one key per real file, whichever path (symlinked folder, absolute vs relative) a manifest names it by
  const outputKey = realpathOfNearestAncestor(outputPath) ?? outputPath;
  const lockBase = path.join(opts.lockDir ?? path.join(skillmeatHome(opts.env ?? process.env), 'sync', 'locks'), shortHash(outputKey));

  return enqueue(outputKey, async () => {
    const release = await acquireOutputLock(lockBase, opts.lockWaitMs ?? 2 * timeoutMs + 10_000, timeoutMs + graceMs + 60_000);
    if (!release) {
      return refuse('busy', `Not run: another SkillMeat Sync process is generating ${outputPath} (lock ${lockBase}.lock). Try again when it finishes.`, outputPath);
    }
    try {
      return await runLocked(v, outputPath, opts, started, timeoutMs, graceMs, refuse);
    } finally {
      release();
    }
  });
}

async function runLocked(
  v: ValidatedManifest,
  outputPath: string,
  opts: RunGeneratorOptions,
  started: number,
  timeoutMs: number,
  graceMs: number,
  refuse: (outcome: RunOutcome, message: string, outputPath?: string) => GeneratorRunResult,
): Promise<GeneratorRunResult> {
  const manifest = v.manifest as NonNullable<ValidatedManifest['manifest']>;
  const command = v.command as NonNullable<ValidatedManifest['command']>;
  let rows: StateEntry[];
  try {
    rows = opts.state.list(manifest.patterns);
  } catch (e) {
    const fix = e instanceof StateError ? e.fix : 'check the state database setting';
    return refuse('state-error', `Not run: cannot read the state database ${opts.state.path} for ${v.file}: ${(e as Error).message}. ${fix}`, outputPath);
  }
  const status: GeneratorStatus = generatorStatus(v, { state: opts.state, runRecordFile: opts.runRecordFile, rows });
  // An output changed since our last run (or never written by us) may hold a hand edit, or be what ambrogio
  // itself regenerated (it writes the same file without asking). The generator still runs; its new output
  // replaces the file only when forced or when it is byte-identical to the file as it is (nothing is lost).
  const guarded = (status.editedByHand || status.foreignOutput) && !opts.force;
  if (!opts.isTrusted()) {
    return refuse('untrusted', `Not run: the workspace ${v.workspaceFolder} is no longer trusted; ${v.file} was not executed.`, outputPath);
  }

  const log = (text: string, stream: 'stdout' | 'stderr' | 'info'): void => { try { opts.log?.(text, stream); } catch { /* a log sink must not break a run */ } };
  const temp = siblingTemp(outputPath, 'gen');
  const stdout = new Capture();
  const stderr = new Capture();
  let combined = '';
  const tail = (s: string): void => { combined = (combined + s).slice(-LOG_TAIL); };
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  let timedOut = false;
  let cancelled = false;
  let spawnError: Error | undefined;
  let result: GeneratorRunResult;

  try {
    fs.mkdirSync(path.dirname(outputPath), { recursive: true });
    const shimDir = ensureAmbrogioctlShim(opts.shim, { path: opts.state.path, kind: opts.state.kind }, opts.shimDir, opts.env ?? process.env);
    const baseEnv = opts.env ?? process.env;
    // ambrogio's SYNC_OUTPUT_FILE is the output itself: the temp starts as a copy, for generators that read it
    const before = readRegularFile(outputPath);
    if (before) fs.writeFileSync(temp, before.bytes, { flag: 'wx', mode: before.mode });
    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      SYNC_OUTPUT_FILE: temp,
      SYNC_PATTERNS: manifest.patterns.join(','),
      SKILL_DIR: v.skillDir,
      // last: a real ambrogioctl earlier on the PATH answers instead (it talks to the running ambrogio)
      PATH: [baseEnv.PATH ?? '', shimDir].filter((p) => p !== '').join(path.delimiter),
      SKILLMEAT_SYNC_STATE_DB: opts.state.path,
      SKILLMEAT_SYNC_STATE_KIND: opts.state.kind,
      // An encrypted own store: the shim needs its key (the generator runs only in a trusted workspace).
      ...('childEnv' in opts.state ? (opts.state as { childEnv: NodeJS.ProcessEnv }).childEnv : {}),
    };
    const realCtl = findOnPath('ambrogioctl', baseEnv.PATH);
    if (realCtl) log(`ambrogioctl: ${realCtl} is on the PATH and answers the generator (the SkillMeat Sync shim comes after it, for state ${opts.state.path} only when none is found)\n`, 'info');
    log(`$ ${[command.command, ...command.args].join(' ')}  (cwd ${v.skillDir}, SYNC_OUTPUT_FILE=${temp})\n`, 'info');

    await new Promise<void>((resolve) => {
      let child: ReturnType<typeof spawn>;
      try {
        // its own process group, so a timeout or cancel also stops what the script started (python, sqlite3 …)
        child = spawn(command.command, command.args, { cwd: v.skillDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
      } catch (e) {
        spawnError = e as Error;
        resolve();
        return;
      }
      const killGroup = (sig: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
          else child.kill(sig);
        } catch { /* already gone */ }
      };
      let graceTimer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        killGroup('SIGTERM');
        graceTimer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      };
      const timer = setTimeout(() => { timedOut = true; stop(); }, timeoutMs);
      const onAbort = (): void => { cancelled = true; stop(); };
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout?.setEncoding('utf8');
      child.stderr?.setEncoding('utf8');
      child.stdout?.on('data', (d: string) => { stdout.add(d); tail(d); log(d, 'stdout'); });
      child.stderr?.on('data', (d: string) => { stderr.add(d); tail(d); log(d, 'stderr'); });
      child.on('error', (e) => { spawnError = e; });
      let settled = false;
      const settle = (code: number | null, sig: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        if (pipesTimer) clearTimeout(pipesTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        exitCode = code;
        exitSignal = sig;
        resolve();
      };
      // The run ends when the generator exits: a background child it left holding stdout or stderr open
      // (a daemon, a `setsid` helper) gets a short grace to flush, then our ends of the pipes are closed.
      let pipesTimer: NodeJS.Timeout | undefined;
      child.on('exit', (code, sig) => {
        pipesTimer = setTimeout(() => { child.stdout?.destroy(); child.stderr?.destroy(); settle(code, sig); }, PIPE_GRACE_MS);
      });
      child.on('close', (code, sig) => settle(code, sig));
    });

    const durationMs = Date.now() - started;
    const ranBase = {
      manifestFile: v.file, skillDir: v.skillDir, outputPath, ran: spawnError === undefined, exitCode, signal: exitSignal, durationMs,
      stdout: stdout.text, stderr: stderr.text, rowCount: rows.length,
    };
    const fail = (outcome: RunOutcome, message: string): GeneratorRunResult => ({ ...ranBase, ok: false, outcome, message });
    const stderrHint = stderr.text.trim() ? ` Last error output: ${stderr.text.trim().split('\n').slice(-3).join(' | ')}` : '';
    if (spawnError) {
      result = fail('spawn-error', `Could not start ${command.command} for ${v.file}: ${spawnError.message}. Check that the generator (and its interpreter) exists and is executable.`);
    } else if (cancelled) {
      result = fail('cancelled', `Cancelled: ${v.generatorPath} was stopped; ${outputPath} was left as it was.`);
    } else if (timedOut) {
      result = fail('timeout', `Timed out after ${timeoutMs} ms: ${v.generatorPath} was stopped; ${outputPath} was left as it was. Make the generator faster or raise the timeout setting (--timeout).`);
    } else if (exitSignal) {
      result = fail('killed', `Killed by ${exitSignal}: ${v.generatorPath} did not finish; ${outputPath} was left as it was.${stderrHint}`);
    } else if (exitCode !== 0) {
      result = fail('failed', `${v.generatorPath} exited with code ${exitCode}; ${outputPath} was left as it was. Fix the generator and run it again.${stderrHint}`);
    } else {
      const st = (() => { try { return fs.lstatSync(temp); } catch { return undefined; } })();
      if (!st) {
        result = fail('no-output', `${v.generatorPath} exited 0 but wrote nothing: it must write its output to the file named by $SYNC_OUTPUT_FILE (not to ${manifest.outputFile} directly). ${outputPath} was left as it was.`);
      } else if (!st.isFile()) {
        result = fail('no-output', `${v.generatorPath} left something other than a regular file at $SYNC_OUTPUT_FILE (a symlink or directory); ${outputPath} was left as it was. Write the output as a plain file.`);
      } else if (st.nlink > 1) {
        // A hard link would make the published output (and its mode) another file's, possibly outside the workspace.
        result = fail('no-output', `${v.generatorPath} left a file with other names (a hard link) at $SYNC_OUTPUT_FILE; ${outputPath} was left as it was. Write the output as a new plain file.`);
      } else if (guarded && !sameBytes(fs.readFileSync(temp), readRegularFile(outputPath)?.bytes)) {
        result = fail('edited-by-hand', status.editedByHand
          ? `Not overwritten: ${outputPath} changed since SkillMeat Sync generated it from ${v.file} (edited by hand, or regenerated by another program such as ambrogio from other state), and the new output differs from it. Save your edits elsewhere or regenerate with --force (Generate anyway) to replace them.`
          : `Not overwritten: ${outputPath} exists, was not generated by SkillMeat Sync from ${v.file}, and differs from what the generator writes now. Move it aside, or regenerate with --force (Generate anyway) to replace it.`);
      } else {
        // an empty file is a result too: ambrogio writes it (e.g. once the last todo is deleted)
        result = publish(v, temp, outputPath, ranBase, opts, rows, manifest);
      }
    }
  } catch (e) {
    result = { ...refuse('write-error', `Could not run ${v.file}: ${(e as Error).message}. ${outputPath} was left as it was.`, outputPath), stdout: stdout.text, stderr: stderr.text };
  } finally {
    removeQuietly(temp);
    // ambrogio-style generators stage their own "$SYNC_OUTPUT_FILE.tmp"; do not leave it behind either
    removeQuietly(`${temp}.tmp`);
  }

  if (result.ran || result.outcome === 'spawn-error') recordRun(opts, v, result, combined);
  log(`${result.ok ? 'ok' : result.outcome}: ${result.message}\n`, 'info');
  return result;
}

function readRegularFile(p: string): { bytes: Buffer; mode: number } | undefined {
  try {
    const st = fs.lstatSync(p);
    return st.isFile() ? { bytes: fs.readFileSync(p), mode: st.mode & 0o777 } : undefined;
  } catch {
    return undefined;
  }
}

function sameBytes(a: Buffer, b: Buffer | undefined): boolean {
  return b !== undefined && a.equals(b);
}

function publish(
  v: ValidatedManifest,
  temp: string,
  outputPath: string,
  ranBase: Omit<GeneratorRunResult, 'ok' | 'outcome' | 'message'>,
  opts: RunGeneratorOptions,
  rows: readonly StateEntry[],
  manifest: NonNullable<ValidatedManifest['manifest']>,
): GeneratorRunResult {
  // the output path was checked before the run; a symlink planted meanwhile must not redirect the rename
  const again = validateManifest(v.file, v.workspaceFolder, validationOptions(opts));
  if (!again.valid || again.outputPath !== outputPath) {
    return { ...ranBase, ok: false, outcome: 'write-error', message: `Not written: ${v.file} or the path to ${outputPath} changed while the generator ran (${again.errors[0]?.message ?? 'different output'}). Run it again.` };
  }
  // The output is a new file written from the temp's bytes, not the temp renamed: a process the generator left
  // running keeps writing to the temp's inode (removed after the run), never to the published output, and no
  // mode change reaches whatever the temp might have become meanwhile.
  const bytes = fs.readFileSync(temp);
  // an unchanged output is left alone (same inode, no change event for watchers and editors)
  if (!sameBytes(bytes, readRegularFile(outputPath)?.bytes)) {
    let mode: number;
    try { mode = fs.statSync(outputPath).mode & 0o7777; } catch { mode = fs.statSync(temp).mode & 0o777; }
    writeFileAtomic(outputPath, bytes, {}, mode);
  }
  const hash = outputHash(bytes);
  updateRunRecord(opts.runRecordFile, path.resolve(v.skillDir), (r) => ({
    ...r,
    generated: {
      at: (opts.now?.() ?? new Date()).toISOString(),
      outputPath,
      rowsHash: rowsHash(manifest.patterns, rows),
      manifestHash: manifestHash(manifest, outputPath),
      generatorHash: fileHash(v.generatorPath as string),
      outputHash: hash,
    },
  }));
  return { ...ranBase, ok: true, outcome: 'ok', outputHash: hash, message: `Generated ${outputPath} from ${rows.length} state row(s) in ${ranBase.durationMs} ms.` };
}

function recordRun(opts: RunGeneratorOptions, v: ValidatedManifest, result: GeneratorRunResult, logTail: string): void {
  const lastRun: LastRun = {
    at: (opts.now?.() ?? new Date()).toISOString(),
    ok: result.ok,
    outcome: result.outcome,
    durationMs: result.durationMs,
    exitCode: result.exitCode,
    signal: result.signal,
    message: result.message,
    logTail,
  };
  try {
    updateRunRecord(opts.runRecordFile, path.resolve(v.skillDir), (r) => ({ ...r, lastRun }));
  } catch (e) {
    opts.log?.(`could not record the run in ${opts.runRecordFile}: ${(e as Error).message}\n`, 'info');
  }
}

/** Which generators a batch runs. */
export type GenerateSelection = 'all' | 'stale';

/** One generator of a batch: run, or skipped because it is up to date. */
export interface BatchItem<G> {
  generator: G;
  result?: GeneratorRunResult;
  skipped?: 'up-to-date';
}

/**
 * Runs generators one after another (`stale`: only those whose status is stale). Invalid manifests
 * are reported as failed runs, never skipped silently. `ok` is false when any run failed.
 */
export async function runGenerators<G extends ValidatedManifest>(gens: readonly G[], selection: GenerateSelection, opts: RunGeneratorOptions): Promise<{ ok: boolean; items: BatchItem<G>[] }> {
  const items: BatchItem<G>[] = [];
  for (const g of gens) {
    if (selection === 'stale' && g.valid) {
      let stale = true;
      try { stale = generatorStatus(g, { state: opts.state, runRecordFile: opts.runRecordFile }).stale; } catch { /* let the run report it */ }
      if (!stale) { items.push({ generator: g, skipped: 'up-to-date' }); continue; }
    }
    items.push({ generator: g, result: await runGenerator(g, opts) });
  }
  return { ok: items.every((i) => !i.result || i.result.ok), items };
}
