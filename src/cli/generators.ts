// `skillmeat-sync sync …` and `skillmeat-sync state …`: SYNC.json generators and the key-value state they
// read. `state` is also what the `ambrogioctl` shim on a generator's PATH runs. Exit codes: 0 ok,
// 1 a generator or a validation failed (unlike ambrogio, whose `generate --all` always exits 0),
// 2 usage or other error, 3 missing key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import {
  DEFAULT_TIMEOUT_MS, LineSplitter, StateError, isTrustedFolder, readTrustedFolders, setTrustedFolder, trustFile, defaultStateDbPath, detectStateKind, discoverGenerators, generatorStatus, isWritable,
  openStateSource, parseSkillsDirs, parseStateKind, patternsOfArgument, runGenerator, runGenerators, runRecordFileFor, selectGenerators,
} from '../core/generators';
import type {
  BatchItem, DiscoveredGenerator, WritableStateSource, GeneratorRunResult, GeneratorStatus, ManifestError, ShimCommand, StateConfig, StateEntry, StateSource,
} from '../core/generators';
import type { CliIO } from './output';
import { keyPrompt } from './prompt';
import { defaultStoreDir } from '../core/store/versionStore';
import { cliStoreKeys } from '../core/store/storeKeys';
import type { OpenStateOptions } from '../core/generators/stateOpen';
import { skillmeatHome } from '../core/store/skillmeatHome';
import { writeFileAtomic } from '../core/store/fsutil';
import { KEY_ENV, KeyError, newKdfParams, resolveKey, writeNewKeyFile, type KdfParams } from '../core/privacy/keys';
import { BackupError, IMPORT_STRATEGIES, decodeBackup, encodeBackup, importCounts, importWrites, planImport, readBackupHeader, type ImportStrategy } from '../core/privacy/backup';
import { UsageError, flagList, flagString, resolveCommand, usageHint, type CommandGroup, type OptionTable, type ParsedArgs } from './args';

export type { CliIO };

/** Effects the sync commands take from outside, so tests and the extension can supply them. */
export interface GeneratorCommandDeps {
  /** How the `ambrogioctl` shim starts this CLI (default: this process's node, script and node flags). */
  shim?: ShimCommand;
  /** Workspace Trust; a terminal user who runs the CLI has chosen to run it (default: trusted). */
  isTrusted?: () => boolean;
}

/** Exit codes of the `sync` and `state` commands. */
export const EXIT = { ok: 0, failed: 1, usage: 2, missingKey: 3 } as const;

/** A `sync …` or `state …` command. */
type GeneratorHandler = (args: ParsedArgs, io: CliIO, deps: GeneratorCommandDeps) => Promise<number> | number;

function projectOf(args: ParsedArgs, io: CliIO): string {
  const dir = path.resolve(io.cwd, flagString(args, 'project') ?? '.');
  let st: fs.Stats | undefined;
  try { st = fs.statSync(dir); } catch { /* reported below */ }
  if (!st?.isDirectory()) throw new UsageError(`project folder ${dir} does not exist or is not a directory; pass --project DIR`);
  return dir;
}

/**
 * How a command opens the product's own state: encrypted with the version store when it is, the key from
 * SKILLMEAT_SYNC_KEY or SKILLMEAT_SYNC_PASSPHRASE (these commands keep stdin and stdout for scripts: no prompt).
 */
export function stateOpenOptions(io: CliIO): OpenStateOptions {
  return { encryption: { storeDir: defaultStoreDir(skillmeatHome(io.env)), keys: cliStoreKeys({ env: io.env }) } };
}

/** The state database of a command: --state-db, SKILLMEAT_SYNC_STATE_DB, else the workspace default. */
function stateConfigOf(args: ParsedArgs, io: CliIO, project: string): Required<StateConfig> {
  const explicit = flagString(args, 'state-db') ?? (io.env.SKILLMEAT_SYNC_STATE_DB || undefined);
  const file = explicit ? path.resolve(io.cwd, explicit) : defaultStateDbPath(project, io.env);
  const kindText = flagString(args, 'state-kind') ?? (io.env.SKILLMEAT_SYNC_STATE_KIND || undefined);
  const kind = kindText === undefined ? detectStateKind(file) : parseStateKind(kindText);
  if (!kind) throw new UsageError(`unknown state kind "${kindText}"; use --state-kind own (the product's store) or ambrogio (a runtime/state.db, read-only)`);
  return { path: file, kind };
}

/** What ambrogio compatibility the command line asks for: its data root, generators outside their skill. */
interface CompatOptions { allowedOutputDirs: string[]; dataRoot?: string; allowGeneratorsOutsideSkill: boolean }

/** Skills and outputs beyond the workspace: flags first-class, environment (ambrogio's SKILLS_DIRS, DATA_ROOT) too. */
function discover(args: ParsedArgs, io: CliIO, project: string): { gens: DiscoveredGenerator[] } & CompatOptions {
  const fromEnvAndFlag = (envValue: string | undefined, flag: string): string[] =>
    [...parseSkillsDirs(envValue), ...flagList(args, flag)].map((d) => path.resolve(io.cwd, d));
  const extraSkillDirs = fromEnvAndFlag(io.env.SKILLS_DIRS, 'skills-dir');
  const allowedOutputDirs = fromEnvAndFlag(io.env.SKILLMEAT_SYNC_OUTPUT_DIRS, 'allow-output');
  const dataRootText = flagString(args, 'data-root') ?? (io.env.DATA_ROOT || undefined);
  const compat: CompatOptions = {
    allowedOutputDirs,
    dataRoot: dataRootText === undefined ? undefined : path.resolve(io.cwd, dataRootText),
    allowGeneratorsOutsideSkill: args.flags.has('allow-generator-outside-skill'),
  };
  return { gens: discoverGenerators([project], { extraSkillDirs, ...compat }), ...compat };
}

function formatManifestError(e: ManifestError): string {
  const where = e.line !== undefined ? `${e.file}:${e.line}:${e.column}` : e.file;
  const field = e.pointer === '' ? '' : ` ${e.pointer}:`;
  return `${where}:${field} ${e.message}. Fix: ${e.fix}.`;
}

function defaultShim(): ShimCommand {
  const script = process.argv[1] ? path.resolve(process.argv[1]) : '';
  let cliPath = script;
  try { cliPath = fs.realpathSync(script); } catch { /* keep as given */ }
  return { nodePath: process.execPath, cliPath, nodeArgs: process.execArgv };
}

/** Reports an error of a `group` command (exit 2); a usage error gets the command's synopsis and a pointer to its --help. */
function reportError(e: unknown, io: CliIO, json: boolean, group: CommandGroup<GeneratorHandler>, command: string | undefined): number {
  const usage = e instanceof UsageError;
  const message = e instanceof StateError || e instanceof KeyError || e instanceof BackupError || usage ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
  io.err(`skillmeat-sync: ${message}`);
  if (usage && !json) io.err(usageHint(group, command));
  if (json) io.out(JSON.stringify({ error: message }));
  return EXIT.usage;
}

/** Runs a `sync …` or `state …` command line; `json` is whether errors go to stdout as JSON too. */
async function runGroup(group: CommandGroup<GeneratorHandler>, argv: string[], io: CliIO, deps: GeneratorCommandDeps, json: boolean): Promise<number> {
  try {
    const r = resolveCommand(group, argv);
    if ('text' in r) { io[r.stream](r.text); return r.code; }
    return await r.run(r.args, io, deps);
  } catch (e) {
    return reportError(e, io, json, group, argv[0]);
  }
}

interface ListedGenerator {
  id: string;
  name: string;
  root: string | null;
  manifest: string;
  skillDir: string;
  valid: boolean;
  outputFile: string | null;
  outputPath: string | null;
  patterns: string[] | null;
  generator: string | null;
  description: string | null;
  errors: ManifestError[];
  status: GeneratorStatus | null;
  statusError?: string;
}

function describeGenerator(g: DiscoveredGenerator, state: StateSource | undefined, runRecordFile: string, stateProblem: string | undefined): ListedGenerator {
  let status: GeneratorStatus | null = null;
  let statusError = stateProblem;
  if (g.valid && state) {
    try { status = generatorStatus(g, { state, runRecordFile }); } catch (e) { statusError = (e as Error).message; }
  }
  return {
    id: g.id, name: g.name, root: g.root, manifest: g.file, skillDir: g.skillDir, valid: g.valid,
    outputFile: g.manifest?.outputFile ?? null, outputPath: g.outputPath ?? null, patterns: g.manifest?.patterns ?? null,
    generator: g.manifest?.generator ?? null, description: g.manifest?.description ?? null, errors: g.errors, status,
    ...(statusError ? { statusError } : {}),
  };
}

function statusText(l: ListedGenerator): string {
  if (!l.valid) return `INVALID (${l.errors.length} error${l.errors.length === 1 ? '' : 's'}; run "sync validate")`;
  if (!l.status) return l.statusError ? `status unknown: ${l.statusError}` : 'status unknown';
  const parts: string[] = [];
  if (l.status.stale) parts.push(`stale (${l.status.staleReasons.join(', ')})`);
  else parts.push('up to date');
  if (l.status.editedByHand) parts.push('edited by hand');
  if (l.status.foreignOutput) parts.push('output not generated here');
  const r = l.status.lastRun;
  if (r) parts.push(`last run ${r.at} ${r.ok ? 'ok' : r.outcome} ${r.durationMs} ms`);
  return parts.join(', ');
}

async function openStateQuietly(config: Required<StateConfig>, io: CliIO): Promise<{ state?: StateSource; problem?: string }> {
  try { return { state: await openStateSource(config, stateOpenOptions(io)) }; } catch (e) { return { problem: (e as Error).message }; }
}

function resultJson(id: string, r: GeneratorRunResult): Record<string, unknown> {
  return {
    id, ok: r.ok, outcome: r.outcome, message: r.message, manifest: r.manifestFile, outputPath: r.outputPath ?? null,
    ran: r.ran, exitCode: r.exitCode, signal: r.signal, durationMs: r.durationMs, rowCount: r.rowCount ?? null,
    outputHash: r.outputHash ?? null, stdout: r.stdout, stderr: r.stderr,
  };
}

async function listGenerators(args: ParsedArgs, io: CliIO): Promise<number> {
  if (args.positionals.length) throw new UsageError(`sync list takes no arguments (got ${args.positionals.join(' ')})`);
  const project = projectOf(args, io);
  const config = stateConfigOf(args, io, project);
  const { gens } = discover(args, io, project);
  const { state, problem } = await openStateQuietly(config, io);
  const listed = gens.map((g) => describeGenerator(g, state, runRecordFileFor(config, project, io.env), problem));
  if (args.flags.has('json')) {
    io.out(JSON.stringify({ project, stateDb: config, generators: listed }, null, 2));
    return EXIT.ok;
  }
  if (listed.length === 0) {
    io.out(`No SYNC.json found in the skills of ${project} (${['.claude', '.codex', '.gemini', '.cursor'].map((r) => `${r}/skills/*`).join(', ')}${flagList(args, 'skills-dir').length || io.env.SKILLS_DIRS ? ', extra skill directories' : ''}).`);
    return EXIT.ok;
  }
  for (const l of listed) {
    io.out(`${l.id}\n  output: ${l.outputFile ?? '?'}${l.outputPath ? ` (${l.outputPath})` : ''}\n  patterns: ${l.patterns?.join(', ') ?? '?'}\n  status: ${statusText(l)}`);
  }
  return EXIT.ok;
}

function validateGenerators(args: ParsedArgs, io: CliIO): number {
  if (args.positionals.length) throw new UsageError(`sync validate takes no arguments (got ${args.positionals.join(' ')}); use --skill X`);
  const project = projectOf(args, io);
  const { gens: all } = discover(args, io, project);
  const skill = flagString(args, 'skill');
  const gens = skill === undefined ? all : selectGenerators(all, skill);
  if (skill !== undefined && gens.length === 0) throw new UsageError(`no skill "${skill}" with a SYNC.json in ${project}${all.length ? ` (found: ${all.map((g) => g.id).join(', ')})` : ''}`);
  const invalid = gens.filter((g) => !g.valid);
  if (args.flags.has('json')) {
    io.out(JSON.stringify({ project, ok: invalid.length === 0, results: gens.map((g) => ({ id: g.id, manifest: g.file, valid: g.valid, errors: g.errors, warnings: g.warnings })) }, null, 2));
  } else {
    if (gens.length === 0) io.out(`No SYNC.json found in the skills of ${project}.`);
    for (const g of gens) {
      if (g.valid) io.out(`ok       ${g.id} (${path.relative(project, g.file) || g.file})`);
      else {
        io.out(`invalid  ${g.id}`);
        for (const e of g.errors) io.out(`  ${formatManifestError(e)}`);
      }
      for (const w of g.warnings) io.out(`  warning: ${formatManifestError(w)}`);
    }
    if (invalid.length) io.err(`${invalid.length} of ${gens.length} SYNC.json file(s) invalid.`);
  }
  return invalid.length ? EXIT.failed : EXIT.ok;
}

async function generate(args: ParsedArgs, io: CliIO, deps: GeneratorCommandDeps): Promise<number> {
  if (args.positionals.length) throw new UsageError(`sync generate takes no arguments (got ${args.positionals.join(' ')}); use --skill X, --all or --stale`);
  const skill = flagString(args, 'skill');
  const modes = [skill !== undefined, args.flags.has('all'), args.flags.has('stale')].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('sync generate needs exactly one of --skill X, --all, --stale');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  const timeoutText = flagString(args, 'timeout');
  if (timeoutText !== undefined) {
    const s = Number(timeoutText);
    if (!Number.isFinite(s) || s <= 0) throw new UsageError(`--timeout takes a positive number of seconds (got "${timeoutText}")`);
    timeoutMs = Math.round(s * 1000);
  }
  const json = args.flags.has('json');
  const project = projectOf(args, io);
  // Generators are code from the repository: the CLI runs them only in a trusted folder (as VS Code's Workspace Trust).
  const home = skillmeatHome(io.env);
  const isTrusted = deps.isTrusted ?? (() => args.flags.has('trust') || io.env.SKILLMEAT_SYNC_TRUST === '1' || isTrustedFolder(home, project));
  if (!isTrusted()) {
    const problem = readTrustedFolders(home).problem;
    io.err(`error: ${project} is not a trusted folder, so its SYNC.json generators were not run (they execute code from the repository). Review them, then run "skillmeat-sync sync trust ${project}" — or pass --trust for this run, or set SKILLMEAT_SYNC_TRUST=1 in CI.${problem ? ` (${problem})` : ''}`);
    return EXIT.usage;
  }
  const config = stateConfigOf(args, io, project);
  const { gens: all, ...compat } = discover(args, io, project);
  let gens = all;
  if (skill !== undefined) {
    gens = selectGenerators(all, skill);
    if (gens.length === 0) throw new UsageError(`no skill "${skill}" with a SYNC.json in ${project}${all.length ? ` (found: ${all.map((g) => g.id).join(', ')})` : ''}`);
    if (gens.length > 1) throw new UsageError(`"${skill}" names ${gens.length} skills (${gens.map((g) => g.id).join(', ')}); pass one of these ids to --skill`);
  }
  let state: StateSource;
  try {
    state = await openStateSource(config, stateOpenOptions(io));
  } catch (e) {
    if (e instanceof StateError) throw e;
    throw new StateError('unreadable', config.path, `cannot open the state database ${config.path}: ${(e as Error).message}`, 'check --state-db');
  }
  // the generator's output goes to stderr (stdout carries the results), re-cut into lines for the io
  const generatorLog = new LineSplitter((line) => io.err(line));
  const opts = {
    state,
    shim: deps.shim ?? defaultShim(),
    isTrusted,
    runRecordFile: runRecordFileFor(config, project, io.env),
    ...compat,
    force: args.flags.has('force'),
    timeoutMs,
    env: io.env,
    log: json ? undefined : (text: string, stream: 'stdout' | 'stderr' | 'info'): void => { if (stream !== 'info') generatorLog.write(text); },
  };
  const batch = skill !== undefined
    ? { items: [{ generator: gens[0], result: await runGenerator(gens[0], opts) }] as BatchItem<DiscoveredGenerator>[] }
    : await runGenerators(gens, args.flags.has('stale') ? 'stale' : 'all', opts);
  generatorLog.flush();
  const ok = batch.items.every((i) => !i.result || i.result.ok);
  const generated = batch.items.filter((i) => i.result?.ok).length;
  const failed = batch.items.filter((i) => i.result && !i.result.ok).length;
  const upToDate = batch.items.filter((i) => i.skipped).length;
  if (json) {
    io.out(JSON.stringify({
      project, ok, generated, failed, upToDate,
      results: batch.items.map((i) => (i.result ? resultJson(i.generator.id, i.result) : { id: i.generator.id, ok: true, outcome: 'up-to-date', skipped: true })),
    }, null, 2));
  } else {
    if (batch.items.length === 0) io.out(`No SYNC.json found in the skills of ${project}.`);
    for (const i of batch.items) {
      if (i.skipped) io.out(`up to date  ${i.generator.id}`);
      else if (i.result?.ok) io.out(`generated   ${i.generator.id} → ${i.result.outputPath} (${i.result.rowCount ?? 0} rows, ${i.result.durationMs} ms)`);
      else if (i.result) {
        io.out(`FAILED      ${i.generator.id}`);
        io.err(`skillmeat-sync: ${i.generator.id}: ${i.result.message}`);
        if (i.result.outcome === 'invalid-manifest') for (const e of i.generator.errors) io.err(`  ${formatManifestError(e)}`);
      }
    }
    io.out(`${generated} generated, ${failed} failed, ${upToDate} up to date.`);
  }
  return ok ? EXIT.ok : EXIT.failed;
}

let fastStart = false;

/**
 * `state` runs as a short process, often several times per generator run. At exit V8 waits for its
 * background optimizing compile of sql.js's wasm, which costs ~250 ms on a 2-core machine for a query
 * that takes a few ms; the baseline compiler alone is plenty for these queries.
 */
export function preferFastWasmStartup(): void {
  if (fastStart) return;
  fastStart = true;
  try { v8.setFlagsFromString('--liftoff-only'); } catch { /* an engine without the flag: only slower */ }
}

/** `state list|get|set|delete` after their positionals are checked: the state database is open. */
async function withState(args: ParsedArgs, io: CliIO, command: string, positionals: readonly string[], fn: (state: StateSource) => number): Promise<number> {
  if (args.positionals.length !== positionals.length) {
    throw new UsageError(`state ${command} takes ${positionals.length ? positionals.join(' ') : 'no arguments'} (got ${args.positionals.length})`);
  }
  const project = projectOf(args, io);
  return fn(await openStateSource(stateConfigOf(args, io, project), stateOpenOptions(io)));
}

function missingKey(io: CliIO, state: StateSource, key: string): number {
  io.err(`skillmeat-sync: no state key "${key}" in ${state.path}`);
  return EXIT.missingKey;
}

function writable(state: StateSource): WritableStateSource {
  if (!isWritable(state)) {
    throw new StateError('read-only', state.path, `${state.path} is ambrogio's state database, which SkillMeat Sync only reads`, 'change it with ambrogio itself, or point --state-db at the product\'s own store');
  }
  return state;
}

const entryJson = (e: StateEntry): string => JSON.stringify({ key: e.key, value: e.value, updatedAt: e.updatedAt });

const stateList: GeneratorHandler = (args, io) => withState(args, io, 'list', [], (state) => {
  // several --pattern flags and comma-joined lists (SYNC_PATTERNS) both mean "any of these"
  const patterns = flagList(args, 'pattern').flatMap(patternsOfArgument);
  const entries = state.list(patterns.length ? patterns : ['*']);
  if (args.flags.has('json')) io.out(JSON.stringify({ entries: entries.map((e) => ({ key: e.key, value: e.value, updatedAt: e.updatedAt })) }));
  else if (entries.length) io.out(entries.map((e) => `${e.key}\t${e.value}`).join('\n'));
  return EXIT.ok;
});

const stateGet: GeneratorHandler = (args, io) => withState(args, io, 'get', ['KEY'], (state) => {
  const entry = state.get(args.positionals[0]);
  if (!entry) return missingKey(io, state, args.positionals[0]);
  io.out(args.flags.has('json') ? entryJson(entry) : entry.value);
  return EXIT.ok;
});

const stateSet: GeneratorHandler = (args, io) => withState(args, io, 'set', ['KEY', 'VALUE'], (state) => {
  const entry = writable(state).set(args.positionals[0], args.positionals[1]);
  if (args.flags.has('json')) io.out(entryJson(entry));
  return EXIT.ok;
});

const stateDelete: GeneratorHandler = (args, io) => withState(args, io, 'delete', ['KEY'], (state) => {
  if (!writable(state).delete(args.positionals[0])) return missingKey(io, state, args.positionals[0]);
  if (args.flags.has('json')) io.out(JSON.stringify({ deleted: args.positionals[0] }));
  return EXIT.ok;
});

// ---- encrypted backups of the state (SPEC §8): state export / state import ----

const stateExport: GeneratorHandler = async (args, io) => {
  if (args.positionals.length !== 1) throw new UsageError('state export takes FILE (the backup to write)');
  const file = path.resolve(io.cwd, args.positionals[0]);
  if (fs.existsSync(file)) throw new UsageError(`${file} exists; choose another FILE (a backup is never overwritten)`);
  const project = projectOf(args, io);
  const state = await openStateSource(stateConfigOf(args, io, project), stateOpenOptions(io));
  const entries = state.list(['*']);
  const keyFile = flagString(args, 'key-file');
  const newKey = flagString(args, 'new-key');
  let key: string;
  let kdf: KdfParams | undefined;
  if (newKey) {
    const out = path.resolve(io.cwd, newKey);
    key = writeNewKeyFile(out);
    io.err(`a new key was written to ${out} (readable by you only); keep it safe: the backup cannot be read without it`);
  } else if (keyFile || io.env[KEY_ENV]) {
    key = await resolveKey({ keyFile: keyFile && path.resolve(io.cwd, keyFile), env: io.env }, undefined);
  } else {
    kdf = newKdfParams();
    key = await resolveKey({ env: io.env, prompt: await keyPrompt(io) }, kdf);
  }
  writeFileAtomic(file, encodeBackup(entries, key, { kdf }), {}, 0o600);
  if (args.flags.has('json')) io.out(JSON.stringify({ file, entries: entries.length, passphrase: !!kdf }));
  else io.out(`exported ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} of ${state.path} to ${file} (encrypted with ${kdf ? 'a passphrase' : 'a key'})`);
  return EXIT.ok;
};

const stateImport: GeneratorHandler = async (args, io) => {
  if (args.positionals.length !== 1) throw new UsageError('state import takes FILE (a backup written by state export)');
  const file = path.resolve(io.cwd, args.positionals[0]);
  const strategy = (flagString(args, 'strategy') ?? 'timestamp') as ImportStrategy;
  if (!IMPORT_STRATEGIES.includes(strategy)) throw new UsageError(`--strategy must be one of ${IMPORT_STRATEGIES.join(', ')}, not "${strategy}"`);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new BackupError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? e})`); }
  const header = readBackupHeader(text, file);
  const keyFile = flagString(args, 'key-file');
  const key = await resolveKey({ keyFile: keyFile && path.resolve(io.cwd, keyFile), env: io.env, prompt: await keyPrompt(io) }, header.kdf);
  const { entries } = decodeBackup(text, file, key);
  const project = projectOf(args, io);
  const state = await openStateSource(stateConfigOf(args, io, project), stateOpenOptions(io));
  const steps = planImport(state.list(['*']), entries, strategy);
  const dryRun = args.flags.has('dry-run');
  const writes = importWrites(steps);
  if (!dryRun && writes.length) writable(state).setMany(writes);
  const n = importCounts(steps);
  if (args.flags.has('json')) {
    io.out(JSON.stringify({ file, strategy, dryRun, steps: steps.map((x) => ({ key: x.key, action: x.action, reason: x.reason, ...(x.conflicts ? { conflicts: x.conflicts } : {}) })) }, null, 2));
  } else {
    for (const x of steps) io.out(`${(dryRun && x.value !== undefined ? `would ${x.action}` : x.action).padEnd(18)} ${x.key}: ${x.reason}`);
    io.out(`${dryRun ? 'Dry run, nothing written: ' : ''}${n.written} ${dryRun ? 'would be ' : ''}written, ${n.same} same, ${n.kept} kept, ${n.conflicts} conflict${n.conflicts === 1 ? '' : 's'}${n.conflicts ? ` (left as they are here; choose with "state set KEY VALUE", or import again with another --strategy)` : ''}.`);
  }
  return n.conflicts ? EXIT.failed : EXIT.ok;
};

/** Options of every `sync` and `state` command. */
const STATE_DB_OPTIONS: OptionTable = {
  project: { type: 'string', value: 'DIR', help: 'the workspace folder (default: current directory)' },
  json: { type: 'boolean', help: 'machine-readable output on stdout' },
  'state-db': { type: 'string', value: 'PATH', help: "state database (also SKILLMEAT_SYNC_STATE_DB; default: the workspace's own store)" },
  'state-kind': { type: 'string', value: 'K', help: "own (the product's store) or ambrogio (a runtime/state.db, read-only); default: detected" },
};

const SKILL_DIRS: OptionTable = {
  'skills-dir': { type: 'string', value: 'DIR', multiple: true, help: 'more skills to look in (also SKILLS_DIRS, colon-separated)' },
  'allow-output': { type: 'string', value: 'DIR', multiple: true, help: 'a folder outside the workspace generators may write to (also SKILLMEAT_SYNC_OUTPUT_DIRS)' },
  'data-root': { type: 'string', value: 'DIR', help: "the folder that stands for ambrogio's /data in an outputFile such as /data/MEMORY.md (also DATA_ROOT)" },
  'allow-generator-outside-skill': { type: 'boolean', help: 'run a generator that lies outside its skill directory, as ambrogio does' },
};

/** `skillmeat-sync sync …`: the SYNC.json generator commands. */
export const GENERATORS_GROUP: CommandGroup<GeneratorHandler> = {
  prefix: 'sync',
  summary: 'SYNC.json generators: skill state rendered to markdown',
  common: STATE_DB_OPTIONS,
  details: 'Exit: 0 ok, 1 a generator or validation failed, 2 usage or other error.',
  commands: {
    list: { synopsis: '', summary: 'skills with a SYNC.json, their output and status', options: SKILL_DIRS, run: listGenerators },
    validate: {
      synopsis: '[--skill X]', summary: 'check SYNC.json files; prints every error', run: validateGenerators,
      options: { skill: { type: 'string', value: 'X', help: 'only this skill (its name or id)' }, ...SKILL_DIRS },
    },
    generate: {
      synopsis: '--skill X | --all | --stale [--force]', summary: 'run generators, writing their outputs', run: generate,
      options: {
        skill: { type: 'string', value: 'X', help: "run this skill's generator (its name or id)" },
        all: { type: 'boolean', help: 'run every generator' },
        stale: { type: 'boolean', help: 'run the generators whose output is stale' },
        force: { type: 'boolean', help: 'overwrite an output edited by hand or not generated here' },
        timeout: { type: 'string', value: 'SECONDS', help: `stop a generator after this long (default ${DEFAULT_TIMEOUT_MS / 1000})` },
        trust: { type: 'boolean', help: 'run even though the folder is not trusted (this run only; see sync trust)' },
        ...SKILL_DIRS,
      },
    },
    trust: {
      synopsis: '[DIR] [--remove | --list]', summary: 'trust a folder to run its generators from the CLI', run: trustFolders,
      options: {
        remove: { type: 'boolean', help: 'stop trusting the folder' },
        list: { type: 'boolean', help: 'list the trusted folders' },
      },
      details: 'DIR defaults to --project (the current directory). A trusted folder trusts everything below it. The list is $SKILLMEAT_HOME/sync/trusted-folders.json; SKILLMEAT_SYNC_TRUST=1 trusts every folder (CI).',
    },
  },
};

/** `sync trust [DIR] [--remove | --list]`: the folders whose generators the CLI may run. */
async function trustFolders(args: ParsedArgs, io: CliIO): Promise<number> {
  const home = skillmeatHome(io.env);
  const json = args.flags.has('json');
  if (args.flags.has('list')) {
    if (args.flags.has('remove') || args.positionals.length) throw new UsageError('sync trust --list takes no folder and no --remove');
    const { folders, problem } = readTrustedFolders(home);
    if (problem) io.err(`warning: ${problem}`);
    if (json) io.out(JSON.stringify({ file: trustFile(home), folders }, null, 2));
    else io.out(folders.length ? folders.join('\n') : `No trusted folder (${trustFile(home)}).`);
    return EXIT.ok;
  }
  if (args.positionals.length > 1) throw new UsageError(`sync trust takes one folder (got ${args.positionals.length})`);
  const dir = path.resolve(io.cwd, args.positionals[0] ?? flagString(args, 'project') ?? '.');
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  const remove = args.flags.has('remove');
  const folders = await setTrustedFolder(home, dir, !remove);
  if (json) io.out(JSON.stringify({ file: trustFile(home), folders }, null, 2));
  else io.out(remove ? `No longer trusted: ${dir}` : `Trusted: ${dir} (its SYNC.json generators may run from the CLI)`);
  return EXIT.ok;
}

/** `skillmeat-sync state …`: the key-value state generators read (also `ambrogioctl state …` through the shim). */
export const STATE_GROUP: CommandGroup<GeneratorHandler> = {
  prefix: 'state',
  summary: 'the key-value state SYNC.json generators read',
  common: STATE_DB_OPTIONS,
  details: 'Exit: 0 ok, 2 usage or other error, 3 missing key.',
  commands: {
    list: {
      synopsis: '[--pattern P]', summary: 'rows whose key matches P (default: all)', run: stateList,
      options: { pattern: { type: 'string', value: 'P', multiple: true, help: '* or % any run, ? or _ one char (SQL LIKE, as ambrogio), ASCII-case-insensitive; several comma-separated' } },
      details: '--json prints {"entries":[{"key","value","updatedAt"}]}.',
    },
    get: { synopsis: 'KEY', summary: 'the value of KEY (exit 3 when missing)', run: stateGet },
    set: { synopsis: 'KEY VALUE', summary: "store a value (the product's own store only)", run: stateSet },
    delete: { synopsis: 'KEY', summary: 'remove a key (exit 3 when missing)', run: stateDelete },
    export: {
      synopsis: 'FILE [--key-file F | --new-key F]', summary: 'write an encrypted backup of every entry', run: stateExport,
      options: {
        'key-file': { type: 'string', value: 'F', help: 'encrypt with the key in F (private to you: mode 600); else SKILLMEAT_SYNC_KEY, else a passphrase' },
        'new-key': { type: 'string', value: 'F', help: 'make a new random key, write it to F (mode 600), and encrypt with it' },
      },
      details: 'Without a key, a passphrase is asked on the terminal (or read from SKILLMEAT_SYNC_PASSPHRASE) and stretched with scrypt; its salt and parameters go in the backup, never the key. The backup is a Fernet token (Python\'s cryptography.Fernet reads it with the same key).',
    },
    import: {
      synopsis: 'FILE [--strategy S] [--dry-run] [--key-file F]', summary: 'import a backup into a store that may have changed since', run: stateImport,
      options: {
        strategy: { type: 'string', value: 'S', help: 'timestamp (default: newer wins), priority (higher "priority" field wins), merge (JSON objects merged key by key), user-choice' },
        'dry-run': { type: 'boolean', help: 'print the plan; write nothing' },
        'key-file': { type: 'string', value: 'F', help: 'the key the backup was made with (else SKILLMEAT_SYNC_KEY, else its passphrase)' },
      },
      details: 'Per key: new (only in the backup: added), same, kept (only here, or this side won), take-backup, merged, conflict. An import never deletes. Conflicts (user-choice, equal priorities, scalar differences of merge) are left as they are here and listed; exit 1. A wrong key, a changed file or a damaged one is refused before anything is written (exit 2).',
    },
  },
};

/** `skillmeat-sync sync list | validate | generate`; returns the exit code. */
export async function generatorsCommand(argv: string[], io: CliIO, deps: GeneratorCommandDeps = {}): Promise<number> {
  return runGroup(GENERATORS_GROUP, argv, io, deps, argv.includes('--json'));
}

/** `skillmeat-sync state list | get | set | delete` (also `ambrogioctl state …` through the shim); returns the exit code. */
export async function stateCommand(argv: string[], io: CliIO): Promise<number> {
  preferFastWasmStartup();
  // state commands keep stdout for data only: a generator parsing it must never read an error as a row
  return runGroup(STATE_GROUP, argv, io, {}, false);
}
