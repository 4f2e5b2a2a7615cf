// `skillmeat-sync`: the product's core for terminals and CI (SPEC §10).
import * as path from 'node:path';
import { checkDrift } from '../core/drift';
import { divergedCount, isDiverged, countStates, DRIFT_STATES, ARTIFACT_TYPES, DEFAULT_ROOT, PROFILE_ROOTS, type ArtifactType, type DriftReport } from '../core/model';
import { collectionResolver } from '../core/skillmeatHome';
import { openStoreForCheck, VersionStore } from '../core/versionStore';
import { deployArtifact, undeployArtifact, SyncError } from '../core/deploy';
import { readRecords, viewRecord, RecordsParseError } from '../core/deploymentRecords';
import { discoverArtifacts } from '../core/discovery';
import { parseArgs, flagString, UsageError } from './args';
import { colours, table, STATE_COLOUR, type CliIO } from './output';
import * as syncOps from './syncOps';
import { syncCommand, stateCommand } from './syncCommands';
import * as historyOps from './historyCommands';
import { storeDir, type CommandContext } from './context';

const COMMON_VALUES = ['project', 'collection', 'root', 'type', 'store'] as const;
const COMMON_BOOLEANS = ['json', 'help'] as const;

export const USAGE = `skillmeat-sync — keep Claude Code skills, commands and agents in sync with your collection

Usage: skillmeat-sync <command> [options]

Commands:
  check [--strict]                 drift report (exit 0 nothing diverged, 1 drift, 2 error)
  status                           deployment records with their paths and dates
  deploy NAME... [--type T] [--force]
                                   copy artifacts from the collection into the project
  undeploy NAME... [--type T]      remove deployed artifacts (kept in the version store)
  update [NAME...] [--strategy S] [--dry-run]
                                   bring collection changes into the project (outdated,
                                   conflict); S: merge (default), overwrite, fork, prompt
  pull [NAME...] [--strategy S] [--dry-run] [--deploy-fork]
                                   bring project changes into the collection (modified,
                                   conflict); exit 1 when conflicts are left unresolved
  undo [--force]                   restore the last update/pull of the project, both sides
  history NAME [--type T]          versions of an artifact, newest first (captures, deploys, syncs)
  restore NAME VERSION             put a version back (what it replaces is kept, so it can be undone)
  capture [NAME...]                capture artifacts now (all of the project without NAME)
  prune [--dry-run] [--retention-days N]
                                   drop capture records older than N days (default 7); baselines,
                                   sync snapshots, pinned and newest versions are kept
  sync list | validate [--skill X] | generate --skill X|--all|--stale [--force]
                                   SYNC.json generators (skill state rendered to markdown)
  state list [--pattern P] [--json] | get KEY | set KEY VALUE | delete KEY
                                   the key-value state generators read

Options (all commands):
  --project DIR      the project (default: current directory)
  --collection PATH  collection directory (default: each record's collection, or the
                     default collection from $SKILLMEAT_HOME/config.toml)
  --root R           profile root for deploy/undeploy (default .claude); limits
                     update/pull to that root
  --store DIR        version store (default: $SKILLMEAT_HOME/sync)
  --json             machine-readable output on stdout
`;

type Context = CommandContext;

type Handler = (ctx: Context) => Promise<number>;


function typeFlag(ctx: Context): ArtifactType | undefined {
  const t = flagString(ctx.args, 'type');
  if (t !== undefined && !(ARTIFACT_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type must be one of ${ARTIFACT_TYPES.join(', ')}`);
  return t as ArtifactType | undefined;
}

function rootFlag(ctx: Context): string {
  const r = flagString(ctx.args, 'root') ?? DEFAULT_ROOT;
  if (!PROFILE_ROOTS.includes(r)) throw new UsageError(`--root must be one of ${PROFILE_ROOTS.join(', ')}`);
  return r;
}

function shortHash(h: string | null): string {
  return h ? h.slice(0, 8) : '-';
}

/** Renders a drift report for a terminal. */
export function renderReport(report: DriftReport, io: CliIO, strict: boolean): string {
  const c = colours(io);
  const order = new Map(DRIFT_STATES.map((s, i) => [s, i]));
  const arts = [...report.artifacts].sort((a, b) => order.get(a.state)! - order.get(b.state)! || a.root.localeCompare(b.root) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
  const lines: string[] = [`Project:    ${report.project}`];
  for (const col of report.collections) lines.push(`Collection: ${col.name} (${col.path})${col.reachable ? '' : c('red', ' — unreachable')}`);
  lines.push('');
  if (arts.length === 0) lines.push('No artifacts found (no .claude/ skills, commands or agents, and an empty collection).');
  else {
    const rows = arts.map((a) => [a.state, a.type, a.name, a.root, shortHash(a.collectionHash), shortHash(a.projectHash), shortHash(a.baselineHash), a.recommendation || (a.state === 'in-sync' ? '' : '-')]);
    lines.push(table(['STATE', 'TYPE', 'NAME', 'ROOT', 'COLL', 'PROJECT', 'BASE', 'RECOMMENDATION'], rows, (ri, ci, cell) => (ci === 0 ? c(STATE_COLOUR[arts[ri].state], cell) : cell)));
    for (const a of arts) {
      if (a.detail) lines.push(c('gray', `  ${a.name}: ${a.detail}`));
      if (a.files?.length) lines.push(c('gray', `  ${a.name}: ${a.files.map((f) => `${f.change === 'added' ? '+' : f.change === 'deleted' ? '-' : '~'}${f.path}`).join(' ')}`));
    }
  }
  for (const u of report.unmanaged) lines.push(c('gray', `  (${u.type} record "${u.name}" in ${u.root} kept as is; SkillMeat Sync does not sync ${u.type}s)`));
  const counts = countStates(report);
  const summary = DRIFT_STATES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ');
  const diverged = divergedCount(report, strict);
  lines.push('');
  lines.push(diverged === 0 ? c('green', `Nothing diverged${summary ? ` (${summary})` : ''}.`) : c('yellow', `${diverged} artifact${diverged === 1 ? '' : 's'} diverged: ${summary}.`));
  return lines.join('\n');
}

const check: Handler = async (ctx) => {
  const strict = ctx.args.flags.has('strict');
  const { store, problem } = await openStoreForCheck(storeDir(ctx));
  const report = checkDrift({ project: ctx.project, collection: flagString(ctx.args, 'collection'), env: ctx.io.env, store });
  store?.close();
  if (problem) report.warnings.push({ code: 'store-unavailable', message: `${problem} (drift is checked without it)` });
  for (const w of [...report.errors, ...report.warnings]) ctx.io.err(`warning: ${w.message}`);
  if (ctx.json) {
    ctx.io.out(JSON.stringify({
      project: report.project,
      artifacts: report.artifacts.map((a) => ({ type: a.type, name: a.name, root: a.root, state: a.state, collectionHash: a.collectionHash, projectHash: a.projectHash, baselineHash: a.baselineHash, recommendation: a.recommendation })),
    }, null, 2));
  } else ctx.io.out(renderReport(report, ctx.io, strict));
  if (report.errors.length) return 2;
  return report.artifacts.some((a) => isDiverged(a.state, strict)) ? 1 : 0;
};

const status: Handler = async (ctx) => {
  const rows: { root: string; type: string; name: string; path: string; deployedAt: string; collection: string; hash: string; problem?: string }[] = [];
  let failed = false;
  for (const root of PROFILE_ROOTS) {
    const rootDir = path.join(ctx.project, root);
    try {
      for (const v of readRecords(rootDir).records.map(viewRecord)) {
        rows.push({ root, type: v.type || '?', name: v.name, path: v.relPath ? path.join(rootDir, v.relPath) : '', deployedAt: v.deployedAt ?? '', collection: v.fromCollection ?? '', hash: v.contentHash ?? '', ...(v.invalid ? { problem: v.invalid } : {}) });
      }
    } catch (e) {
      if (!(e instanceof RecordsParseError)) throw e;
      ctx.io.err(`error: ${e.message}`);
      failed = true;
    }
  }
  if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, records: rows }, null, 2));
  else if (rows.length === 0) ctx.io.out(`No deployment records under ${ctx.project} (${PROFILE_ROOTS.map((r) => r + '/.skillmeat-deployed.toml').join(', ')}).`);
  else ctx.io.out(table(['ROOT', 'TYPE', 'NAME', 'DEPLOYED AT', 'COLLECTION', 'HASH', 'PATH'], rows.map((r) => [r.root, r.type, r.name, r.deployedAt, r.collection, r.hash.slice(0, 12), r.problem ? `${r.path} (invalid: ${r.problem})` : r.path])));
  return failed ? 2 : 0;
};

async function withStore<T>(ctx: Context, fn: (store: VersionStore) => Promise<T>): Promise<T> {
  const store = await VersionStore.open(storeDir(ctx));
  try { return await fn(store); } finally { store.close(); }
}

/**
 * Runs `op` for each NAME with the version store open: a refused name is reported and counted, the others
 * still run. Prints the JSON results at the end with --json. Exit 1 when any name failed.
 */
async function forEachName(ctx: Context, verb: string, op: (name: string, store: VersionStore) => Promise<{ json: Record<string, unknown>; line: string }>): Promise<number> {
  const names = ctx.args.positionals;
  if (names.length === 0) throw new UsageError(`${verb} needs at least one artifact NAME`);
  const results: unknown[] = [];
  let failed = 0;
  await withStore(ctx, async (store) => {
    for (const name of names) {
      try {
        const r = await op(name, store);
        results.push({ name, ...r.json });
        if (!ctx.json) ctx.io.out(r.line);
      } catch (e) {
        if (!(e instanceof SyncError)) throw e;
        failed++;
        results.push({ name, error: e.message, code: e.code });
        ctx.io.err(`error: ${e.message}`);
      }
    }
  });
  if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, results }, null, 2));
  return failed ? 1 : 0;
}

const deploy: Handler = async (ctx) => {
  const coll = collectionResolver({ env: ctx.io.env, collection: flagString(ctx.args, 'collection') }).resolve(undefined);
  const root = rootFlag(ctx);
  const type = typeFlag(ctx);
  const found = discoverArtifacts(coll.path);
  return forEachName(ctx, 'deploy', async (name, store) => {
    const candidates = found.filter((a) => a.name === name && (!type || a.type === type));
    if (candidates.length > 1 && !type) throw new SyncError('bad-name', `"${name}" exists as several types in the collection (${candidates.map((a) => a.type).join(', ')}); choose one with --type.`);
    const t = type ?? candidates[0]?.type ?? 'skill';
    const r = await deployArtifact({ project: ctx.project, root, collectionPath: coll.path, collectionName: coll.name, type: t, name, force: ctx.args.flags.has('force'), store });
    return { json: { type: t, action: r.action, path: r.projectPath, contentHash: r.contentHash }, line: `${r.action} ${t} ${name} → ${r.projectPath}` };
  });
};

const undeploy: Handler = async (ctx) => forEachName(ctx, 'undeploy', async (name, store) => {
  const r = await undeployArtifact({ project: ctx.project, root: rootFlag(ctx), type: typeFlag(ctx), name, store });
  return {
    json: { type: r.type, removed: r.removedPath, keptAs: r.treeHash ?? null },
    line: `undeployed ${r.type} ${name} (removed ${r.removedPath}${r.treeHash ? `; kept in the version store as ${r.treeHash.slice(0, 12)}` : ''})`,
  };
});

/** The CLI's commands: name → handler and the options it accepts beyond the common ones. */
export const COMMANDS: Record<string, { run: Handler; values?: string[]; booleans?: string[] }> = {
  check: { run: check, booleans: ['strict'] },
  status: { run: status },
  deploy: { run: deploy, booleans: ['force'] },
  undeploy: { run: undeploy },
  update: { run: syncOps.update, values: ['strategy'], booleans: ['dry-run'] },
  pull: { run: syncOps.pull, values: ['strategy'], booleans: ['dry-run', 'deploy-fork'] },
  undo: { run: syncOps.undo, booleans: ['force'] },
  history: { run: historyOps.history },
  restore: { run: historyOps.restore },
  capture: { run: historyOps.capture },
  prune: { run: historyOps.prune, values: ['retention-days'], booleans: ['dry-run'] },
};

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { io.out(USAGE); return cmd ? 0 : 2; }
  if (cmd === '--version') { io.out(require('../../package.json').version); return 0; }
  // SYNC.json generators and their key-value state have their own sub-commands (src/cli/syncCommands.ts);
  // `state` is also what the ambrogioctl shim on a generator's PATH calls.
  if (cmd === 'sync') return syncCommand(rest, io);
  if (cmd === 'state') return stateCommand(rest, io);
  const spec = COMMANDS[cmd];
  if (!spec) { io.err(`error: unknown command "${cmd}"\n\n${USAGE}`); return 2; }
  try {
    const args = parseArgs(rest, { values: [...COMMON_VALUES, ...(spec.values ?? [])], booleans: [...COMMON_BOOLEANS, ...(spec.booleans ?? [])] });
    if (args.flags.has('help')) { io.out(USAGE); return 0; }
    const project = path.resolve(io.cwd, flagString(args, 'project') ?? '.');
    // Paths on the command line are relative to the caller's directory, whichever process runs the CLI.
    for (const f of ['collection', 'store']) { const v = flagString(args, f); if (v !== undefined) args.flags.set(f, path.resolve(io.cwd, v)); }
    return await spec.run({ io, args, project, json: args.flags.has('json') });
  } catch (e) {
    if (e instanceof UsageError) { io.err(`error: ${e.message}\n\nRun "skillmeat-sync --help" for usage.`); return 2; }
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
}

if (require.main === module) {
  const io: CliIO = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), env: process.env, cwd: process.cwd(), isTTY: !!process.stdout.isTTY };
  main(process.argv.slice(2), io).then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`error: ${(e as Error).stack ?? e}\n`); process.exitCode = 2; });
}
