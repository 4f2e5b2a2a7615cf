// `skillmeat-sync`: the product's core for terminals and CI (SPEC §10).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkDriftPrepared, baselineHashOf } from '../core/drift/drift';
import { startHashPool } from '../core/drift/hashPool';
import { ArtifactHasher } from '../core/drift/hashing';
import { StatCache, STAT_CACHE_DIR } from '../core/drift/statCache';
import { isInside } from '../core/store/fsutil';
import { divergedCount, isDiverged, countStates, incompleteCheck, DRIFT_STATES, UNCHECKED_STATES, ARTIFACT_TYPES, CONTEXT_TYPES, DEFAULT_ROOT, PROFILE_ROOTS, type ArtifactType, type DriftReport, type DriftState } from '../core/model';
import { collectionResolver, skillmeatHome } from '../core/store/skillmeatHome';
import { initCollection, InitError } from '../core/store/initHome';
import { openStoreForCheck, VersionStore } from '../core/store/versionStore';
import { loadSqlJs } from '../core/store/sqlite';
import { deployArtifact, undeployArtifact, SyncError } from '../core/sync/deploy';
import { readRecords, viewRecord, salvageRecords, RecordsParseError, RECORDS_FILE } from '../core/store/deploymentRecords';
import { discoverArtifacts } from '../core/drift/discovery';
import { PROGRAM, UsageError, commandHelp, commandList, commonOptionList, findCommand, flagString, parseCommandArgs, usageHint, type CommandGroup, type OptionSpec } from './args';
import { colours, table, terminalSafe, STATE_COLOUR, type CliIO } from './output';
import * as sync from './sync';
import { generatorsCommand, stateCommand, GENERATORS_GROUP, STATE_GROUP } from './generators';
import { ambrogioctlCommand } from './ambrogioctl';
import * as historyOps from './history';
import { watch, WATCH_INTERVAL_MS } from './watch';
import { openStore, recoverInterrupted, storeDir, storeKeys, type CommandContext } from './context';
import { KEY_FILE_OPTION, STORE_GROUP, storeCommand } from './store';
import { addCollectionGit } from '../core/git/collectionGit';
import type { CollectionGitState } from '../core/model';

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
  for (const col of report.collections) {
    lines.push(`Collection: ${col.name} (${col.path})${col.reachable ? '' : c('red', ' — unreachable')}`);
    if (col.git) lines.push(`Git:        ${gitLine(col.git)}`);
  }
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
  lines.push('');
  for (const l of summaryLines(report, strict)) lines.push(c(l.colour, l.text));
  return lines.join('\n');
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * A collection's git state in one line: "branch main, behind origin/main by 2 (as of last fetch), 1 uncommitted
 * change". Ahead / behind are against the remote-tracking ref: a check never fetches.
 */
export function gitLine(g: CollectionGitState): string {
  const parts = [g.branch ? `branch ${g.branch}` : `detached HEAD${g.head ? ` at ${g.head.slice(0, 7)}` : ''}`];
  if (!g.upstream) parts.push(g.branch ? 'tracks no remote branch' : '');
  else if (!g.upstreamKnown) parts.push(`${g.upstream} not fetched yet`);
  else if (g.ahead === 0 && g.behind === 0) parts.push(`up to date with ${g.upstream} (as of last fetch)`);
  else {
    const ab = [g.behind ? `behind ${g.upstream} by ${g.behind}` : '', g.ahead ? `${g.behind ? 'ahead by' : `ahead of ${g.upstream} by`} ${g.ahead}` : ''].filter(Boolean).join(', ');
    parts.push(`${ab} (as of last fetch)`);
  }
  parts.push(g.dirty.length ? `${plural(g.dirty.length, 'uncommitted change', 'uncommitted changes')} (${g.dirty.slice(0, 3).join(', ')}${g.dirty.length > 3 ? ', …' : ''})` : 'no uncommitted changes');
  return parts.filter(Boolean).join(', ');
}

/**
 * The summary under the table. Each line counts exactly the states it names: what could not be checked,
 * what diverged (with --strict, added / untracked / converged too), and what is not counted as drift.
 */
export function summaryLines(report: DriftReport, strict: boolean): { colour: 'red' | 'yellow' | 'green' | 'gray'; text: string }[] {
  const counts = countStates(report);
  const list = (states: DriftState[]) => states.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ');
  const counted = DRIFT_STATES.filter((s) => isDiverged(s, strict));
  const others = DRIFT_STATES.filter((s) => !isDiverged(s, strict) && !UNCHECKED_STATES.has(s));
  const diverged = divergedCount(report, strict);
  const incomplete = incompleteCheck(report);
  const out: { colour: 'red' | 'yellow' | 'green' | 'gray'; text: string }[] = [];
  if (incomplete) {
    const why = [
      incomplete.unreachable ? `${plural(incomplete.unreachable, 'artifact', 'artifacts')} unreachable` : '',
      incomplete.collections.length ? `collection not reachable: ${incomplete.collections.join(', ')}` : '',
      incomplete.errors ? plural(incomplete.errors, 'error', 'errors') + ' (above)' : '',
    ].filter(Boolean).join('; ');
    out.push({ colour: 'red', text: `Check incomplete: ${why}.` });
  }
  if (diverged > 0) out.push({ colour: 'yellow', text: `${plural(diverged, 'artifact', 'artifacts')} diverged: ${list(counted)}.` });
  else out.push(incomplete ? { colour: 'yellow', text: 'No drift among the artifacts that could be checked.' } : { colour: 'green', text: 'Nothing diverged.' });
  const rest = list(others);
  if (rest) out.push({ colour: 'gray', text: `Not counted as drift${strict ? '' : ' (--strict counts added, untracked and converged)'}: ${rest}.` });
  return out;
}

/** `check`'s exit code (SPEC §10): 2 when the check could not look everywhere, 1 when anything diverged, else 0. */
export function checkExitCode(report: DriftReport, strict: boolean): number {
  if (incompleteCheck(report)) return 2;
  return report.artifacts.some((a) => isDiverged(a.state, strict)) ? 1 : 0;
}

const check: Handler = async (ctx) => {
  const strict = ctx.args.flags.has('strict');
  const { store, problem } = await openStoreForCheck(storeDir(ctx), { keys: await storeKeys(ctx) });
  // What was hashed is remembered between runs in the store's folder (never inside the project: a check writes
  // nothing there), so a check where nothing changed reads no file.
  const cacheDir = path.join(storeDir(ctx), STAT_CACHE_DIR);
  const statCache = isInside(path.resolve(ctx.project), cacheDir) ? undefined : StatCache.open(cacheDir, { trustFolders: ctx.io.env.SKILLMEAT_SYNC_TRUST_FOLDERS !== '0' });
  const hasher = new ArtifactHasher(undefined, { persistent: statCache });
  // sql.js is loaded only when a records file names a context entity. A project the cache knows is checked
  // directly; an unknown one gets the dry run that lets a large tree be hashed on all cores.
  const prepare = !statCache?.knowsUnder(path.resolve(ctx.project));
  const report = await checkDriftPrepared({ project: ctx.project, collection: flagString(ctx.args, 'collection'), env: ctx.io.env, store, hasher, recordsCache: statCache, loadSqlJs, pool: startHashPool, prepare });
  store?.close();
  statCache?.save();
  // A collection in a git work tree: its branch, ahead/behind (as of the last fetch: a check never fetches) and
  // uncommitted changes, and what its upstream changed counts as outdated.
  await addCollectionGit(report, { env: ctx.io.env, exclusions: hasher.exclusions, log: (m) => ctx.io.err(`warning: ${m}`) });
  if (problem) report.warnings.push({ code: 'store-unavailable', message: `${problem} (drift is checked without it)` });
  for (const e of report.errors) ctx.io.err(`error: ${e.message}`);
  // A collection the check needed and could not read is an error (exit 2), not a warning.
  const needed = new Set(report.collections.filter((col) => col.required && !col.reachable).map((col) => col.path));
  for (const w of report.warnings) ctx.io.err(`${w.code === 'collection-missing' && w.file && needed.has(w.file) ? 'error' : 'warning'}: ${w.message}`);
  if (report.errors.some((e) => e.code === 'project-missing')) return 2; // nothing was looked at: no report
  if (ctx.json) {
    ctx.io.out(JSON.stringify({
      project: report.project,
      artifacts: report.artifacts.map((a) => ({
        type: a.type, name: a.name, root: a.root, state: a.state, collectionHash: a.collectionHash, projectHash: a.projectHash, baselineHash: a.baselineHash, recommendation: a.recommendation,
        ...(a.upstream ? { upstream: a.upstream } : {}),
      })),
      // Collections that are git work trees; ahead / behind are as of the last fetch (`asOf`).
      ...(report.collections.some((col) => col.git) ? {
        git: report.collections.filter((col) => col.git).map((col) => ({
          collection: col.name, path: col.path, branch: col.git!.branch ?? null, upstream: col.git!.upstream ?? null,
          ahead: col.git!.upstreamKnown ? col.git!.ahead : null, behind: col.git!.upstreamKnown ? col.git!.behind : null, asOf: 'last-fetch', dirty: col.git!.dirty,
        })),
      } : {}),
      // Records of types SkillMeat Sync does not sync (hook, mcp): listed, kept byte for byte, never drift.
      ...(report.unmanaged.length ? { notSynced: report.unmanaged.map((u) => ({ type: u.type, name: u.name, root: u.root })) } : {}),
    }, null, 2));
  } else ctx.io.out(renderReport(report, ctx.io, strict));
  return checkExitCode(report, strict);
};

const status: Handler = async (ctx) => {
  type Row = { root: string; type: string; name: string; path: string; deployedAt: string; collection: string; baselineHash: string; contentHash: string; problem?: string };
  const rows: Row[] = [];
  let failed = false;
  if (!isDirectory(ctx.project)) {
    ctx.io.err(`error: ${ctx.project}: no such folder. Check the path (--project DIR), or run the command inside the project.`);
    return 2;
  }
  // The same store lookup as `check`, so both show the same baseline hash for an artifact.
  const { store } = await openStoreForCheck(storeDir(ctx), { keys: await storeKeys(ctx) });
  try {
    for (const root of PROFILE_ROOTS) {
      const rootDir = path.join(ctx.project, root);
      try {
        for (const v of readRecords(rootDir).records.map(viewRecord)) {
          rows.push({
            root, type: v.type || '?', name: v.name, path: v.relPath ? path.join(rootDir, v.relPath) : '', deployedAt: v.deployedAt ?? '', collection: v.fromCollection ?? '',
            baselineHash: baselineHashOf(v, store) ?? '', contentHash: v.contentHash ?? '', ...(v.invalid ? { problem: v.invalid } : {}),
          });
        }
      } catch (e) {
        if (!(e instanceof RecordsParseError)) throw e;
        ctx.io.err(`error: ${e.message}`);
        failed = true;
        // What the broken text still names is listed, as `check` lists it: invalid, by name.
        let text = '';
        try { text = fs.readFileSync(e.file, 'utf8'); } catch { /* unreadable: nothing to salvage */ }
        for (const r of salvageRecords(text).records) {
          rows.push({
            root, type: r.type ?? '?', name: r.name ?? `record at line ${r.line}`, path: r.relPath ? path.join(rootDir, r.relPath) : path.join(rootDir, RECORDS_FILE),
            deployedAt: '', collection: '', baselineHash: '', contentHash: '', problem: `the records file cannot be parsed (record at line ${r.line})`,
          });
        }
      }
    }
  } finally { store?.close(); }
  if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, records: rows }, null, 2));
  else if (rows.length === 0 && !failed) ctx.io.out(`No deployment records under ${ctx.project} (${PROFILE_ROOTS.map((r) => r + '/' + RECORDS_FILE).join(', ')}).`);
  else if (rows.length) ctx.io.out(table(['ROOT', 'TYPE', 'NAME', 'DEPLOYED AT', 'COLLECTION', 'BASE', 'PATH'], rows.map((r) => [r.root, r.type, r.name, r.deployedAt, r.collection, shortHash(r.baselineHash || null), r.problem ? `${r.path} (invalid: ${r.problem})` : r.path])));
  return failed ? 2 : 0;
};

function isDirectory(p: string): boolean {
  try { return fs.statSync(p).isDirectory(); } catch { return false; }
}

async function withStore<T>(ctx: Context, fn: (store: VersionStore) => Promise<T>): Promise<T> {
  const store = await openStore(ctx);
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
    if (r.warning) ctx.io.err(`warning: ${r.warning}`);
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

const DRY_RUN: OptionSpec = { type: 'boolean', help: 'print the plan; write nothing' };
const QUEUE: OptionSpec = { type: 'boolean', help: 'when the collection is unreachable, queue the operation to run when it is back (skillmeat-sync watch)' };
const ALLOW_SECRETS: OptionSpec = { type: 'boolean', help: 'write files into the collection even when the secret scan finds something in them' };
const SECRETS_DETAILS = 'Every file about to be written into the collection (pull, fork, a resolved pull) is first scanned for secrets with secretlint\'s recommended rules (cloud keys, tokens, private keys, database URLs, .env files). A finding stops the whole command before anything is written: each is listed as file:line:column and kind (never the value), exit 1. Running the command is your consent to write into the collection; --allow-secrets writes the findings too.';
const STRATEGY: OptionSpec = { type: 'string', value: 'S', help: 'merge (default), overwrite, fork, or prompt (asks per artifact; on a terminal only)' };
const SYNC_EXIT = 'Exit: 0 done (or nothing to do), 1 conflicts left unresolved or artifacts refused (listed with why; nothing written for those artifacts, or with --markers / --tool left merging in the project copy), 2 error (nothing changed).';
const MARKERS: OptionSpec = { type: 'boolean', help: 'with --strategy merge: write a conflicting merge into the project copy with git-style conflict markers (never into the collection); finish with "resolve NAME"' };
const TOOL: OptionSpec = { type: 'string', value: 'CMD', help: 'with --strategy merge: like --markers, then run the merge tool CMD on each conflicting file and resolve when it exits 0 leaving no markers' };
const TOOL_DETAILS = '--tool CMD runs like git mergetool: BASE, LOCAL (the side written into: the project for update, the collection for pull) and REMOTE (the incoming side) are temporary files, MERGED is the project file with the markers. $BASE $LOCAL $REMOTE $MERGED in CMD are replaced by the quoted paths (and set in its environment); without them the paths are appended as LOCAL REMOTE BASE MERGED, the order of `code --wait --merge`. Examples: --tool "code --wait --merge", --tool \'meld $LOCAL $MERGED $REMOTE\', --tool \'vimdiff $LOCAL $MERGED $REMOTE\'.';

const FETCH: OptionSpec = { type: 'boolean', help: 'in a git collection: fetch and fast-forward it first (never a merge or rebase)' };
const FETCH_DETAILS = '--fetch: each collection the update reads that is a git work tree is fetched and fast-forwarded to its upstream before anything is planned. Refused (exit 2, nothing changed) when the collection has commits of its own as well (diverged: merge or rebase it with git yourself), when uncommitted changes sit in files the fast-forward would change, when the branch tracks nothing, or when the remote needs credentials git cannot find without asking.';
const COMMIT_DETAILS = '--commit: after the pull wrote into a collection that is a git work tree, exactly the files of the artifacts it wrote are staged and committed (other changes in the collection stay as they were), with a message naming the artifacts, the strategy and the project (or --message). --push then pushes to the upstream; a push the remote refuses (it has commits you do not have) is explained and the commit stays local: bring those commits in with "git pull --rebase", then push (and next time run "update --fetch" before pulling). Exit 1 when the commit or the push was refused (the pull itself is done).';

/** `init [NAME]`: a collection to deploy from (created, or SkillMeat's existing one) and a config.toml naming it. */
async function init(ctx: CommandContext): Promise<number> {
  if (ctx.args.positionals.length > 1) throw new UsageError(`init takes one collection NAME, got ${ctx.args.positionals.length}`);
  const home = skillmeatHome(ctx.io.env);
  let r;
  try {
    r = initCollection(home, ctx.args.positionals[0]);
  } catch (e) {
    if (!(e instanceof InitError)) throw e;
    ctx.io.err(`error: ${e.message}`);
    return 2;
  }
  if (ctx.json) { ctx.io.out(JSON.stringify(r, null, 2)); return 0; }
  const lines = [r.existingCollection
    ? `Using the existing collection ${r.collection}; nothing in it was changed.`
    : `Created the collection ${r.collection} (skills/, commands/, agents/, ${'collection.toml'}).`];
  for (const f of r.created) if (f.endsWith('config.toml')) lines.push(`Created ${f}: [settings] default-collection = "${r.name}".`);
  if (r.configProblem) lines.push(`warning: ${r.configProblem}`);
  else if (r.otherDefault !== undefined) {
    lines.push(`${path.join(home, 'config.toml')} makes "${r.otherDefault}" the default collection and was left as it is: set default-collection = "${r.name}" there, or pass --collection ${r.collection}.`);
  }
  if (r.created.length === 0 && r.otherDefault === undefined) lines.push('Nothing to do: everything was already in place.');
  lines.push('', `Next: put a skill in ${path.join(r.collection, 'skills', '<name>', 'SKILL.md')}, then in your project run`,
    `  ${PROGRAM} deploy <name>     # copies it into .claude/skills/`, `  ${PROGRAM} check             # shows what drifted`);
  ctx.io.out(lines.join('\n'));
  return 0;
}

/** The top-level commands: their synopsis and options (for parsing and --help) and their handlers. `sync` and `state` are groups of their own. */
/** Commands that write, and so first recover from an interrupted write. */
const WRITING_COMMANDS: ReadonlySet<string> = new Set(['deploy', 'undeploy', 'update', 'pull', 'resolve', 'undo', 'restore', 'capture', 'prune', 'watch']);

export const COMMANDS: CommandGroup<Handler> = {
  prefix: '',
  summary: 'keep Claude Code skills, commands and agents in sync with your collection',
  common: {
    project: { type: 'string', value: 'DIR', help: 'the project (default: current directory)' },
    collection: { type: 'string', value: 'PATH', help: "collection directory (default: each record's collection, or the default one in $SKILLMEAT_HOME/config.toml)" },
    root: { type: 'string', value: 'R', help: `profile root (${PROFILE_ROOTS.join(', ')}): where deploy/undeploy work (default ${DEFAULT_ROOT}); limits the other commands to it` },
    type: { type: 'string', value: 'T', help: `artifact type: ${ARTIFACT_TYPES.join(', ')}; update and pull also take SkillMeat's context entity types (${CONTEXT_TYPES.join(', ')})` },
    store: { type: 'string', value: 'DIR', help: 'version store (default: $SKILLMEAT_HOME/sync)' },
    'key-file': KEY_FILE_OPTION,
    json: { type: 'boolean', help: 'machine-readable output on stdout' },
  },
  commands: {
    init: {
      synopsis: '[NAME]', summary: 'create a collection to deploy from (or use SkillMeat\'s) and a config.toml naming it', run: init,
      details: 'Creates $SKILLMEAT_HOME/collections/NAME (SKILLMEAT_HOME defaults to ~/.skillmeat; NAME defaults to the default-collection of an existing config.toml, else "default") with skills/, commands/, agents/ and a collection.toml, and $SKILLMEAT_HOME/config.toml with [settings] default-collection = "NAME". Only what is missing is created: an existing collection (SkillMeat\'s own included) is used as it is and an existing config.toml is never rewritten (init says when it names another default). Running it again changes nothing. Exit: 0 done, 2 error.',
    },
    check: {
      synopsis: '[--strict]', summary: 'drift report (exit 0 no drift, 1 drift, 2 could not check)', run: check,
      options: { strict: { type: 'boolean', help: 'also count added, untracked and converged artifacts as drift' } },
      details: 'Exit: 0 nothing diverged, 1 anything diverged (modified, outdated, conflict, removed, deleted, invalid; with --strict also added, untracked, converged), 2 the check could not look everywhere: the project folder does not exist, a .skillmeat-deployed.toml cannot be parsed (its records are listed as invalid), or a collection cannot be read (its artifacts are listed as unreachable). Nothing is written, anywhere.',
    },
    status: { synopsis: '', summary: 'deployment records with their paths and dates', run: status },
    deploy: {
      synopsis: 'NAME... [--type T] [--force]', summary: 'copy artifacts from the collection into the project', run: deploy,
      options: { force: { type: 'boolean', help: 'replace a project copy with local changes (it is kept in the version store)' } },
      details: 'Exit: 0 deployed, 1 a NAME was refused (the others are still deployed), 2 error.',
    },
    undeploy: { synopsis: 'NAME... [--type T]', summary: 'remove deployed artifacts (kept in the version store)', run: undeploy },
    update: {
      synopsis: '[NAME...] [--strategy S] [--markers | --tool CMD] [--dry-run] [--fetch]', summary: 'bring collection changes into the project (outdated, conflict)', run: sync.update,
      options: { strategy: STRATEGY, markers: MARKERS, tool: TOOL, 'dry-run': DRY_RUN, queue: QUEUE, 'allow-secrets': ALLOW_SECRETS, fetch: FETCH }, details: `${SYNC_EXIT}\n\n${TOOL_DETAILS}\n\n${SECRETS_DETAILS}\n\n${FETCH_DETAILS}`,
    },
    pull: {
      synopsis: '[NAME...] [--strategy S] [--markers | --tool CMD] [--dry-run] [--deploy-fork] [--commit [--push]]', summary: 'bring project changes into the collection (modified, conflict)', run: sync.pull,
      options: {
        strategy: STRATEGY, markers: MARKERS, tool: TOOL, 'dry-run': DRY_RUN, 'deploy-fork': { type: 'boolean', help: 'with --strategy fork, deploy the fork into the project too' }, queue: QUEUE, 'allow-secrets': ALLOW_SECRETS,
        commit: { type: 'boolean', help: 'in a git collection: stage exactly the files the pull wrote and commit them (generated message)' },
        push: { type: 'boolean', help: 'with --commit (implied): push the commit to the branch\'s upstream' },
        message: { type: 'string', value: 'M', help: 'with --commit: the commit message instead of the generated one' },
      },
      details: `${SYNC_EXIT}\n\n${TOOL_DETAILS}\n\n${SECRETS_DETAILS}\n\n${COMMIT_DETAILS}`,
    },
    resolve: {
      synopsis: 'NAME [--type T] [--abort]', summary: 'finish a merge left with conflict markers (--markers)', run: sync.resolve,
      options: { abort: { type: 'boolean', help: 'put the project copy back as it was before the markers and forget the merge' }, 'allow-secrets': ALLOW_SECRETS },
      details: 'Takes the project copy as it is now as the resolution, once no conflict markers remain in it (a binary file: as it is in the project). A resolved update leaves the project as it is and makes the collection\'s version the baseline (your other local edits stay modified); a resolved pull writes the resolution into the collection and makes it the baseline. Exit: 0 resolved (or aborted), 1 refused: markers remain (each file and line is named) or the collection changed since the markers were written, 2 error (no such merge in progress).',
    },
    undo: {
      synopsis: '[--force]', summary: 'restore the last update/pull of the project, both sides', run: sync.undo,
      options: { force: { type: 'boolean', help: 'undo even what changed since (the current versions are kept in the version store)' } },
      details: 'Exit: 0 undone (or nothing to undo), 1 refused because something changed since, 2 error.',
    },
    watch: {
      synopsis: '[--interval MS] [--once]', summary: 'follow the sync state; run queued updates/pulls when the collection is back', run: watch,
      options: {
        interval: { type: 'string', value: 'MS', help: `poll every MS milliseconds for what a file watcher cannot see: the collection coming back, retries due (default ${WATCH_INTERVAL_MS})` },
        once: { type: 'boolean', help: 'check once, run what is queued if the collection is reachable, print the state and exit' },
      },
      details: 'Prints one line per state change: Offline (the collection is unreachable; updates and pulls asked for meanwhile are queued), Syncing, Conflict, Up-to-Date, Error (with the next retry time; failures retry after 5 s, 10 s, 20 s … up to 15 min). When the collection is back, each queued operation is re-planned against the drift as it is then: if the side it writes changed since it was asked, it becomes a Conflict and nothing is written. Stops on Ctrl-C. Exit (--once): 0 up to date, 1 conflict, 2 offline or error; 0 after Ctrl-C.',
    },
    history: { synopsis: 'NAME [--type T]', summary: 'versions of an artifact, newest first (captures, deploys, syncs)', run: historyOps.history },
    restore: {
      synopsis: 'NAME VERSION', summary: 'put a version back (what it replaces is kept, to undo it)', run: historyOps.restore,
      details: 'VERSION: an id from "skillmeat-sync history NAME" (12 or #12), or a tree hash prefix of at least 7 hex digits.',
    },
    capture: { synopsis: '[NAME...]', summary: 'capture artifacts now (all of the project without NAME)', run: historyOps.capture },
    prune: {
      synopsis: '[--dry-run] [--retention-days N]', summary: 'drop capture records older than N days (default 7)', run: historyOps.prune,
      options: { 'dry-run': { type: 'boolean', help: 'list what would be pruned; change nothing' }, 'retention-days': { type: 'string', value: 'N', help: 'keep capture records this many days (default 7)' } },
      details: 'Baselines, sync snapshots, pinned and newest versions are always kept.',
    },
  },
};

/** `skillmeat-sync --help`: every command of every group, from the same tables as each command's --help. */
export function globalHelp(): string {
  return `${PROGRAM} — ${COMMANDS.summary}

Usage: ${PROGRAM} <command> [options]
       ${PROGRAM} <command> --help      the options of one command

Commands:
${commandList([COMMANDS, GENERATORS_GROUP, STATE_GROUP, STORE_GROUP])}

Options of every command but sync, state and store (see their --help):
${commonOptionList(COMMANDS)}

${PROGRAM} ambrogioctl state|memory … is what the ambrogioctl shim on a generator's PATH runs: ambrogio's own
commands, output and exit codes, on the workspace state database (see "Generators" in the README).`;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], rawIO: CliIO): Promise<number> {
  // What the generators' ambrogioctl shim runs: data for a script, printed byte for byte as ambrogio prints it.
  if (argv[0] === 'ambrogioctl') return ambrogioctlCommand(argv.slice(1), rawIO);
  const io: CliIO = { ...rawIO, out: (s) => rawIO.out(terminalSafe(s)), err: (s) => rawIO.err(terminalSafe(s)) };
  const [cmd, ...rest] = argv;
  if (!cmd) { io.err(globalHelp()); return 2; }
  if (cmd === '--help' || cmd === '-h' || (cmd === 'help' && rest.length === 0)) { io.out(globalHelp()); return 0; }
  if (cmd === 'help') return main([...rest, '--help'], io);
  if (cmd === '--version') { io.out(require('../../package.json').version); return 0; }
  // SYNC.json generators and their key-value state have their own sub-commands (src/cli/generators.ts);
  // `state` is also what the ambrogioctl shim on a generator's PATH calls.
  if (cmd === 'sync') return generatorsCommand(rest, io);
  if (cmd === 'state') return stateCommand(rest, io);
  if (cmd === 'store') return storeCommand(rest, io);
  const spec = findCommand(COMMANDS, cmd);
  if (!spec) { io.err(`error: unknown command "${cmd}"\n\nRun "${PROGRAM} --help" for the list of commands.`); return 2; }
  try {
    const args = parseCommandArgs(COMMANDS, cmd, rest);
    if (args.flags.has('help')) { io.out(commandHelp(COMMANDS, cmd)); return 0; }
    const project = path.resolve(io.cwd, flagString(args, 'project') ?? '.');
    // Paths on the command line are relative to the caller's directory, whichever process runs the CLI.
    for (const f of ['collection', 'store']) { const v = flagString(args, f); if (v !== undefined) args.flags.set(f, path.resolve(io.cwd, v)); }
    const ctx: CommandContext = { io, args, project, json: args.flags.has('json') };
    // A command that writes first finishes what an interrupted one left (a check and a dry run stay read-only).
    if (WRITING_COMMANDS.has(cmd) && !args.flags.has('dry-run')) await recoverInterrupted(ctx);
    // The store recovery opened is the command's (openStore); one the command did not take is closed here.
    try { return await spec.run(ctx); } finally { ctx.store?.close(); }
  } catch (e) {
    if (e instanceof UsageError) { io.err(`error: ${e.message}\n\n${usageHint(COMMANDS, cmd)}`); return 2; }
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
}

/** The current directory, or undefined when it was deleted under the shell (process.cwd() throws ENOENT). */
function currentDirectory(): string | undefined {
  try { return process.cwd(); } catch { return undefined; }
}

/** Runs the CLI as the program: the arguments and streams of this process, its exit code (dist/cli.js, launch.ts). */
export function runAsProgram(): void {
  const cwd = currentDirectory();
  if (cwd === undefined) {
    process.stderr.write('error: the current directory no longer exists (deleted or moved). cd into an existing folder, then run the command again.\n');
    process.exit(2);
  }
  const io: CliIO = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n'), env: process.env, cwd, isTTY: !!process.stdout.isTTY };
  main(process.argv.slice(2), io).then(exitWhenWritten, (e) => { process.stderr.write(`error: ${(e as Error).stack ?? e}\n`); exitWhenWritten(2); });
}

/**
 * Exits once what the command printed is written. Letting the event loop run dry waited for V8's background work
 * as well (~10 ms of a 300 ms `check`); everything a command writes to disk is written before it returns.
 */
function exitWhenWritten(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => { if (--pending === 0) process.exit(code); };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

if (require.main === module) runAsProgram();
