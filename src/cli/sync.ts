// `skillmeat-sync update|pull [NAME…] --strategy S [--dry-run]` and `skillmeat-sync undo` (SPEC §10):
// the sync engine for terminals and CI. Exit codes: 0 done (or nothing to do), 1 conflicts left
// unresolved (listed, nothing written for those artifacts) or undo refused, 2 error (nothing changed).
import * as path from 'node:path';
import * as readline from 'node:readline';
import {
  runSync, undoLastSync, findMergeInProgress, markersLeft, resolveMergeInProgress, abortMergeInProgress, SyncFailure, type MergeInProgress,
} from '../core/sync';
import { runMergeTool } from './mergeTool';
import { type ArtifactSyncResult, type PromptChoice, type SyncDirection, type SyncResult, type SyncStrategy, type UndoResult } from '../core/sync';
import { ARTIFACT_TYPES, CONTEXT_TYPES, PROFILE_ROOTS, type ArtifactDrift, type ArtifactType, type FileChange, type SyncedType } from '../core/model';
import { VersionStore } from '../core/store/versionStore';
import { flagString, UsageError } from './args';
import { colours, type CliIO } from './output';
import { openStore, storeDir, storeKeys, type CommandContext } from './context';
import { checkDrift } from '../core/drift/drift';
import { openStoreForCheck } from '../core/store/versionStore';
import { OfflineQueue, type QueuedStrategy } from '../core/offline/queue';
import { queuedRequest } from '../core/offline/offlineSync';
import { describeFinding, type SecretFinding } from '../core/privacy/secrets';
import { commitPull, fetchCollections, type GitStep } from './git';

/** What a handler gets from `main` (the same shape as its own context). */
export type SyncOpsContext = CommandContext;

/**
 * Input for `--strategy prompt`. An IO may carry it (tests do); otherwise the process's stdin is used,
 * and only when it is a terminal: a script or CI job must never hang on a question.
 */
export interface PromptIO {
  stdinIsTTY?: boolean;
  /** Shows `question` and resolves with the answer, or undefined at end of input. */
  ask?: (question: string) => Promise<string | undefined>;
}

const STRATEGIES: readonly SyncStrategy[] = ['overwrite', 'merge', 'fork', 'prompt'];


function strategyFlag(ctx: SyncOpsContext): SyncStrategy {
  const s = flagString(ctx.args, 'strategy') ?? 'merge';
  if (!(STRATEGIES as readonly string[]).includes(s)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}`);
  return s as SyncStrategy;
}

function filters(ctx: SyncOpsContext): { type?: SyncedType; root?: string } {
  const type = flagString(ctx.args, 'type');
  // SkillMeat's context entities (spec_file, project_config…) are synced too: update only, pull is refused.
  const types: readonly string[] = [...ARTIFACT_TYPES, ...CONTEXT_TYPES];
  if (type !== undefined && !types.includes(type)) throw new UsageError(`--type must be one of ${types.join(', ')}`);
  const root = flagString(ctx.args, 'root');
  if (root !== undefined && !PROFILE_ROOTS.includes(root)) throw new UsageError(`--root must be one of ${PROFILE_ROOTS.join(', ')}`);
  return { ...(type ? { type: type as SyncedType } : {}), ...(root ? { root } : {}) };
}

function terminalAsk(question: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.question(question, (a) => { answered = true; rl.close(); resolve(a); });
    rl.on('close', () => { if (!answered) resolve(undefined); });
  });
}

const ANSWERS: Record<string, PromptChoice> = {
  m: 'merge', merge: 'merge', k: 'keep-mine', 'keep-mine': 'keep-mine', mine: 'keep-mine',
  t: 'take-theirs', 'take-theirs': 'take-theirs', theirs: 'take-theirs', f: 'fork', fork: 'fork', s: 'skip', skip: 'skip', '': 'skip',
};

/** Builds the per-artifact question of `--strategy prompt`; what "mine" and "theirs" do depends on the direction. */
function chooser(ctx: SyncOpsContext, direction: SyncDirection, ask: (q: string) => Promise<string | undefined>) {
  return async (a: ArtifactDrift, preview: { merge: { clean: boolean; conflictFiles: string[]; baseUnknown: boolean; baseOrigin?: string } }): Promise<PromptChoice> => {
    const merge = preview.merge.clean
      ? 'a merge would be clean'
      : `a merge would leave ${preview.merge.conflictFiles.length} conflicting file${preview.merge.conflictFiles.length === 1 ? '' : 's'}${preview.merge.baseUnknown ? ' (the baseline is unknown)' : ''}: ${preview.merge.conflictFiles.map((f) => f || path.basename(a.relPath)).join(', ')}`;
    const [mine, theirs] = direction === 'update'
      ? ['leave the project as it is', "replace the project with the collection's version"]
      : ["put the project's version into the collection", 'leave the collection as it is'];
    ctx.io.err(`${a.type} ${a.name} (${a.root}) is ${a.state}; ${merge}${preview.merge.baseOrigin ? ` (base found in ${preview.merge.baseOrigin})` : ''}.`);
    ctx.io.err(`  [m]erge · [k]eep mine: ${mine} · [t]ake theirs: ${theirs} · [f]ork · [s]kip`);
    for (;;) {
      const answer = await ask('  choice [m/k/t/f/s]: ');
      if (answer === undefined) { ctx.io.err('  (end of input: skipped)'); return 'skip'; }
      const choice = ANSWERS[answer.trim().toLowerCase()];
      if (choice) return choice;
      ctx.io.err(`  "${answer.trim()}" is not one of m, k, t, f, s.`);
    }
  };
}

function fileList(files: FileChange[]): string {
  return files.map((f) => `${f.change === 'added' ? '+' : f.change === 'deleted' ? '-' : '~'}${f.path || '(file)'}`).join(' ');
}

const VERB: Record<ArtifactSyncResult['action'], [done: string, planned: string]> = {
  overwrite: ['overwritten', 'would overwrite'], merge: ['merged', 'would merge'], fork: ['forked', 'would fork'],
  keep: ['kept', 'would keep'], rebaseline: ['re-baselined', 'would re-baseline'], skip: ['skipped', 'would skip'], prompt: ['asked', 'would ask'],
};

function describe(a: ArtifactSyncResult, dryRun: boolean): string {
  const what = `${a.type} ${a.name} (${a.root})`;
  if (a.status === 'failed') return `failed      ${what}: ${a.reason}`;
  if (a.status === 'merging') return `merging     ${what}: ${a.conflicts!.length} conflicting file${a.conflicts!.length === 1 ? '' : 's'} written into the project copy with conflict markers${a.baseUnknown ? ' (baseline unknown: every difference is a conflict)' : ''}`;
  if (a.status === 'conflict') return `conflict    ${what}: ${a.conflicts!.length} conflicting file${a.conflicts!.length === 1 ? '' : 's'}${a.baseUnknown ? ' (baseline unknown: every difference is a conflict)' : ''}`;
  if (a.status === 'skipped') return `skipped     ${what}: ${a.reason}`;
  const verb = VERB[a.action][dryRun ? 1 : 0].padEnd(11);
  const writes = a.writes.map((x) => `${x.side} ${fileList(x.files) || '(no file changes)'}`).join('; ');
  switch (a.action) {
    case 'fork': return `${verb} ${what} → ${a.forkName} in ${a.writes.map((x) => x.side).join(' and ')}`;
    case 'keep': return `${verb} ${what}: the target keeps its version; the other side's becomes the baseline`;
    case 'rebaseline': return `${verb} ${what}: both sides already agree`;
    case 'prompt': return `${verb} ${what}: ${a.reason}`;
    default: return `${verb} ${what}: ${writes}${a.choice ? ` (you chose ${a.choice})` : ''}`;
  }
}

function toJson(r: SyncResult): unknown {
  return {
    project: r.project, direction: r.direction, strategy: r.strategy, dryRun: r.dryRun, status: r.status, journalId: r.journalId ?? null,
    artifacts: r.artifacts.map((a) => ({
      type: a.type, name: a.name, root: a.root, state: a.state, action: a.action, status: a.status,
      ...(a.choice ? { choice: a.choice } : {}), ...(a.forkName ? { forkName: a.forkName } : {}),
      ...(a.baseSource ? { baseSource: a.baseSource } : {}), ...(a.baseOrigin ? { baseOrigin: a.baseOrigin } : {}), ...(a.baseUnknown ? { baseUnknown: true } : {}), ...(a.reason ? { reason: a.reason } : {}),
      writes: a.writes, recordChanges: a.recordChanges, lockFiles: a.lockFiles,
      ...(a.conflicts ? { conflicts: a.conflicts.map((c) => ({ path: c.path, reason: c.reason, binary: c.binary, projectPath: c.projectPath, collectionPath: c.collectionPath, targetPath: c.targetPath })) } : {}),
      ...(a.baseline ? { baseline: a.baseline } : {}),
    })),
    unknownNames: r.unknownNames, warnings: r.warnings, ...(r.error ? { error: r.error } : {}), ...(r.rollbackProblems?.length ? { rollbackProblems: r.rollbackProblems } : {}),
  };
}

function render(r: SyncResult, io: CliIO): string {
  const c = colours(io);
  const lines: string[] = [];
  const arrow = r.direction === 'update' ? 'collection → project' : 'project → collection';
  lines.push(`${r.direction} --strategy ${r.strategy} (${arrow})${r.dryRun ? ' — dry run, nothing is written' : ''}`);
  if (r.artifacts.length === 0 && !r.error) lines.push(`  nothing to ${r.direction}: no artifact is ${r.direction === 'update' ? 'outdated, in conflict or converged' : 'modified, in conflict or converged'}`);
  for (const a of r.artifacts) {
    const line = '  ' + describe(a, r.dryRun);
    lines.push(a.status === 'conflict' || a.status === 'failed' ? c('red', line) : a.status === 'merging' ? c('yellow', line) : a.status === 'skipped' ? c('gray', line) : line);
    if (a.baseOrigin) lines.push(`              base found in ${a.baseOrigin}`);
  }
  const conflicts = r.artifacts.filter((a) => a.status === 'conflict');
  if (conflicts.length) {
    lines.push('');
    lines.push(c('yellow', `Conflicts left unresolved${r.dryRun ? '' : ' (nothing was written for these artifacts)'}:`));
    for (const a of conflicts) for (const f of a.conflicts!) lines.push(`  ${f.targetPath}  (${f.reason}${f.binary ? ', binary' : ''})`);
    lines.push('Resolve them with "SkillMeat: Merge…" in VS Code, or here: add --markers to write the conflicts into the project copy (git-style) and finish with "skillmeat-sync resolve NAME", or --tool CMD to run a merge tool; or choose --strategy overwrite or fork for these artifacts.');
  }
  const merging = r.artifacts.filter((a) => a.status === 'merging');
  if (merging.length) {
    lines.push('');
    lines.push(c('yellow', 'Conflict markers written into the project copy (the collection is unchanged):'));
    for (const a of merging) for (const f of a.conflicts!) lines.push(`  ${f.projectPath}  (${f.reason}${f.binary ? ', binary: the project\'s version is kept; replace it with the version you want' : ''})`);
    lines.push(`Edit them (remove every <<<<<<< ======= >>>>>>> block), then run "skillmeat-sync resolve NAME" for ${merging.map((a) => a.name).join(', ')}; "skillmeat-sync resolve NAME --abort" puts the project copy back as it was.`);
  }
  if (r.error) {
    lines.push('');
    lines.push(c('red', `Nothing was changed: ${r.error.message}`));
    for (const p of r.rollbackProblems ?? []) lines.push(c('red', `  could not restore: ${p}`));
  } else if (!r.dryRun) {
    const synced = r.artifacts.filter((a) => a.status === 'synced').length;
    if (synced) lines.push('', c('green', `${synced} artifact${synced === 1 ? '' : 's'} synced. Undo with "skillmeat-sync undo".`));
  }
  return lines.join('\n');
}

function directionalCommand(direction: SyncDirection) {
  return async (ctx: SyncOpsContext): Promise<number> => {
    const strategy = strategyFlag(ctx);
    const dryRun = ctx.args.flags.has('dry-run');
    if (ctx.args.flags.has('queue') && !dryRun) {
      const queued = await queueIfOffline(ctx, direction, strategy);
      if (queued !== undefined) return queued;
    }
    const pio = ctx.io as CliIO & PromptIO;
    let choose;
    if (strategy === 'prompt' && !dryRun) {
      const tty = pio.stdinIsTTY ?? !!process.stdin.isTTY;
      if (!tty) {
        ctx.io.err('error: --strategy prompt asks about each artifact on the terminal, but stdin is not a terminal. In scripts and CI choose --strategy merge, overwrite or fork (or run the command in a terminal).');
        return 2;
      }
      choose = chooser(ctx, direction, pio.ask ?? terminalAsk);
    }
    const tool = flagString(ctx.args, 'tool');
    const markers = ctx.args.flags.has('markers') || tool !== undefined;
    if (markers && strategy !== 'merge') throw new UsageError(`--${tool !== undefined ? 'tool' : 'markers'} goes with --strategy merge`);
    const wantsCommit = direction === 'pull' && (ctx.args.flags.has('commit') || ctx.args.flags.has('push'));
    if (flagString(ctx.args, 'message') !== undefined && !wantsCommit) throw new UsageError('--message goes with --commit');
    // `update --fetch`: the collection is fetched and fast-forwarded (never merged) before anything is planned.
    let fetched: GitStep | undefined;
    if (direction === 'update' && ctx.args.flags.has('fetch')) {
      if (dryRun) ctx.io.err('--fetch with --dry-run: nothing fetched (a dry run writes nothing); the plan is against the last fetch.');
      else {
        fetched = await fetchCollections(ctx);
        if (fetched.failed) {
          if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, direction, status: 'failed', fetch: fetched.json }, null, 2));
          for (const l of fetched.lines) ctx.io.err(l.startsWith('error: ') ? `${l} The update did not run.` : l);
          return 2;
        }
      }
    }
    const store = await openStore(ctx);
    let result: SyncResult;
    const toolLines: string[] = [];
    let stillMerging = false;
    try {
      result = await runSync({
        project: ctx.project, direction, strategy, store, names: ctx.args.positionals, ...filters(ctx),
        collection: flagString(ctx.args, 'collection'), env: ctx.io.env, dryRun, deployFork: ctx.args.flags.has('deploy-fork'), ...(choose ? { choose } : {}),
        ...(markers ? { markers: true } : {}),
        ...(ctx.args.flags.has('allow-secrets') ? { allowSecrets: true } : {}),
      });
      for (const a of result.artifacts.filter((x) => x.status === 'merging')) {
        if (tool === undefined) { stillMerging = true; continue; }
        const done = await withTool(ctx, store, tool, a);
        toolLines.push(...done.lines);
        if (done.resolved) a.status = 'synced'; else stillMerging = true;
      }
    } finally { store.close(); }
    // What was run now replaces what was queued for the same artifacts while the collection was unreachable.
    if (!dryRun && result.status !== 'failed') {
      const queue = new OfflineQueue(storeDir(ctx), ctx.project);
      let dropped = 0;
      try { dropped = await queue.settled(direction, result.artifacts); } catch (e) { ctx.io.err(`warning: ${(e as Error).message}`); }
      if (dropped) ctx.io.err(`${dropped} queued ${direction}${dropped === 1 ? '' : 's'} of the same artifact${dropped === 1 ? '' : 's'} dropped: replaced by this run`);
    }
    for (const w of result.warnings) ctx.io.err(`warning: ${w.message}`);
    // `pull --commit`: only after the pull wrote (consent and the secret scan ran before any write).
    const committed = wantsCommit && !dryRun && result.status !== 'failed' ? await commitPull(ctx, result) : undefined;
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ ...(toJson(result) as object), ...(fetched ? { fetch: fetched.json } : {}), ...(committed ? { commit: committed.json } : {}) }, null, 2));
    } else {
      ctx.io.out([...(fetched?.lines ?? []), render(result, ctx.io), ...(toolLines.length ? ['', ...toolLines] : []), ...(committed?.lines.length ? ['', ...committed.lines.filter((l) => !l.startsWith('error: '))] : [])].join('\n'));
    }
    for (const l of committed?.lines ?? []) if (l.startsWith('error: ')) ctx.io.err(l);
    if (result.error?.code === 'secrets-found') { printFindings(ctx, result.secretFindings ?? []); return 1; }
    if (result.status === 'failed') return 2;
    if (committed?.failed) return 1;
    // A conflict waits for the user; a refusal (a context entity's pull) did nothing that was asked.
    return result.artifacts.some((a) => a.status === 'conflict' || a.status === 'failed') || stillMerging ? 1 : 0;
  };
}

/**
 * `--queue`: when the collection of the artifacts asked for is unreachable, queue the update / pull for
 * `skillmeat-sync watch` (or the extension) to run once it is back, re-planned then. Undefined when nothing asked
 * for is unreachable: the command runs as usual.
 */
async function queueIfOffline(ctx: SyncOpsContext, direction: SyncDirection, strategy: SyncStrategy): Promise<number | undefined> {
  if (strategy === 'prompt') throw new UsageError('--queue cannot use --strategy prompt (nobody may be there to answer when it runs); choose merge, overwrite or fork');
  const { store } = await openStoreForCheck(storeDir(ctx), { keys: await storeKeys(ctx) });
  let report;
  try { report = checkDrift({ project: ctx.project, collection: flagString(ctx.args, 'collection'), env: ctx.io.env, store }); } finally { store?.close(); }
  const names = new Set(ctx.args.positionals);
  const { type, root } = filters(ctx);
  const offline = report.artifacts.filter((a) => a.state === 'unreachable' && (!names.size || names.has(a.name)) && (!type || a.type === type) && (!root || a.root === root));
  if (offline.length === 0) return undefined;
  const queue = new OfflineQueue(storeDir(ctx), ctx.project);
  const queued = [];
  for (const a of offline) queued.push(await queue.add(queuedRequest(direction, strategy as QueuedStrategy, a, Date.now())));
  if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, queued }, null, 2));
  else {
    for (const q of queued) ctx.io.out(`queued      ${q.direction} ${q.artifact.type} ${q.artifact.name} (${q.artifact.root}) --strategy ${q.strategy}`);
    ctx.io.out(`The collection is unreachable: ${queued.length === 1 ? 'it' : 'they'} will run when it is back ("skillmeat-sync watch", or VS Code with SkillMeat Sync open).`);
  }
  return 0;
}

/** The secret scan's findings on stderr, one per line, and what to do (SPEC §8). Values are never printed. */
function printFindings(ctx: SyncOpsContext, findings: SecretFinding[]): void {
  ctx.io.err(`Possible secrets in files about to be written into the collection (nothing was written):`);
  for (const f of findings) ctx.io.err(`  ${describeFinding(f)}: ${f.message}`);
  ctx.io.err('Remove or redact them and run the command again, or pass --allow-secrets to write them anyway.');
}

/** `--tool CMD` on one artifact just written with markers: runs the tool per file, then resolves when it can. */
async function withTool(ctx: SyncOpsContext, store: VersionStore, tool: string, a: ArtifactSyncResult): Promise<{ resolved: boolean; lines: string[] }> {
  const m = await findMergeInProgress(store, ctx.project, { name: a.name, type: a.type as ArtifactType, root: a.root });
  const lines: string[] = [];
  const runs = await runMergeTool(tool, m, ctx.io.env);
  for (const r of runs) lines.push(`merge tool: ${r.file}: ${r.exitCode === 0 ? 'exit 0' : `exit ${r.exitCode}`}`);
  const binary = m.pending.conflicts.filter((c) => c.binary);
  const left = markersLeft(m);
  const failed = runs.filter((r) => r.exitCode !== 0);
  if (failed.length || left.length || binary.length) {
    const why = [
      ...failed.map((r) => `the tool exited ${r.exitCode} on ${r.file}`),
      ...left.map((l) => `${l.file} still has conflict markers (line${l.lines.length === 1 ? '' : 's'} ${l.lines.join(', ')})`),
      ...binary.map((c) => `${c.projectPath} is binary (the tool is not run on it): keep or replace the project's version`),
    ];
    lines.push(`${a.type} ${a.name} is still merging: ${why.join('; ')}.`, `Finish it by hand, then run "skillmeat-sync resolve ${a.name}" (or "skillmeat-sync resolve ${a.name} --abort").`);
    return { resolved: false, lines };
  }
  try {
    const r = await resolveMergeInProgress({ project: ctx.project, store, merge: m });
    if (r.status === 'failed') { lines.push(`${a.type} ${a.name} is still merging: ${r.error?.message ?? 'the merge could not be completed'}`); return { resolved: false, lines }; }
    lines.push(`resolved    ${a.type} ${a.name} (${a.root}) with the merge tool: ${describeResolution(m, r)}`);
    return { resolved: true, lines };
  } catch (e) {
    if (!(e instanceof SyncFailure)) throw e;
    lines.push(`${a.type} ${a.name} is still merging: ${e.message}`);
    return { resolved: false, lines };
  }
}

function describeResolution(m: MergeInProgress, r: SyncResult): string {
  const a = r.artifacts[0];
  const wrote = a?.writes.map((w) => w.side) ?? [];
  return m.pending.direction === 'update'
    ? `the project keeps the resolution; the collection's version is the new baseline${wrote.length ? ` (written: ${wrote.join(', ')})` : ''}`
    : `the resolution was written into the collection and is the new baseline`;
}

/** `update [NAME…] --strategy S [--dry-run]`: collection → project. */
export const update = directionalCommand('update');
/** `pull [NAME…] --strategy S [--dry-run] [--deploy-fork]`: project → collection. */
export const pull = directionalCommand('pull');

function renderUndo(u: UndoResult, io: CliIO): string {
  const c = colours(io);
  if (u.status === 'nothing') return 'Nothing to undo: no sync of this project is recorded (or it was already undone).';
  const what = `the ${u.interrupted ? 'interrupted ' : ''}${u.operation} of ${u.syncedAt} (${u.artifacts.map((a) => `${a.type} ${a.name}`).join(', ')})`;
  if (u.status === 'refused') {
    return [c('yellow', `Not undoing ${what}: these changed after it, and undoing would discard those changes:`),
      ...u.changedSince.map((p) => `  ${p.side}: ${p.path}`),
      'Run "skillmeat-sync undo --force" to undo anyway (the current versions are kept in the version store).'].join('\n');
  }
  if (u.status === 'failed') return c('red', `Could not undo ${what}: ${u.error?.message ?? 'unknown error'}`);
  return [`Undid ${what}:`, ...u.restored.map((r) => `  ${r.action.padEnd(9)} ${r.side}: ${r.path}`), '  deployment records and collection.lock entries restored'].join('\n');
}

/** `undo [--force]`: restores the last sync of the project. */
export async function undo(ctx: SyncOpsContext): Promise<number> {
  const store = await openStore(ctx);
  let u: UndoResult;
  try { u = await undoLastSync({ project: ctx.project, store, force: ctx.args.flags.has('force') }); } finally { store.close(); }
  for (const w of u.warnings) ctx.io.err(`warning: ${w.message}`);
  if (ctx.json) ctx.io.out(JSON.stringify(u, null, 2));
  else ctx.io.out(renderUndo(u, ctx.io));
  return u.status === 'failed' ? 2 : u.status === 'refused' ? 1 : 0;
}

/** `resolve NAME [--type T] [--root R] [--abort]`: finishes (or abandons) a merge left with conflict markers. */
export async function resolve(ctx: SyncOpsContext): Promise<number> {
  const [name, ...extra] = ctx.args.positionals;
  if (!name || extra.length) throw new UsageError('resolve takes exactly one NAME');
  const abort = ctx.args.flags.has('abort');
  const store = await openStore(ctx);
  try {
    let m: MergeInProgress;
    // A context entity is never left merging (its conflicts are skipped), so its type simply matches nothing.
    try { const f = filters(ctx); m = await findMergeInProgress(store, ctx.project, { name, ...(f.root ? { root: f.root } : {}), ...(f.type ? { type: f.type as ArtifactType } : {}) }); } catch (e) {
      if (!(e instanceof SyncFailure)) throw e;
      ctx.io.err(`error: ${e.message}`);
      return 2;
    }
    const what = `${m.pending.artifact.type} ${m.pending.artifact.name} (${m.pending.artifact.root})`;
    let r: SyncResult;
    try {
      r = abort ? await abortMergeInProgress({ project: ctx.project, store, merge: m }) : await resolveMergeInProgress({ project: ctx.project, store, merge: m, allowSecrets: ctx.args.flags.has('allow-secrets') });
    } catch (e) {
      if (!(e instanceof SyncFailure)) throw e;
      if (ctx.json) ctx.io.out(JSON.stringify({ status: 'refused', code: e.code, message: e.message }, null, 2));
      if (e.code === 'markers-left') {
        ctx.io.err(`Not resolving ${what}: conflict markers remain in the project copy:`);
        for (const l of e.message.split('\n')) ctx.io.err(`  ${l}`);
        ctx.io.err(`Remove every <<<<<<< ======= >>>>>>> block, keeping the lines you want, then run "skillmeat-sync resolve ${name}" again (or "skillmeat-sync resolve ${name} --abort").`);
      } else ctx.io.err(`Not resolving ${what}: ${e.message}`);
      return 1;
    }
    for (const w of r.warnings) ctx.io.err(`warning: ${w.message}`);
    if (r.error?.code === 'secrets-found') { printFindings(ctx, r.secretFindings ?? []); return 1; }
    if (r.status === 'failed') {
      ctx.io.err(`error: ${r.error?.message ?? 'failed'}${(r.rollbackProblems ?? []).map((p) => `\n  could not restore: ${p}`).join('')}`);
      return 2;
    }
    if (ctx.json) ctx.io.out(JSON.stringify({ ...(toJson(r) as object), status: abort ? 'aborted' : 'resolved' }, null, 2));
    else if (abort) ctx.io.out(`Aborted the ${m.pending.direction} merge of ${what}: the project copy is back as it was before the conflict markers; nothing else changed.`);
    else ctx.io.out(`Resolved ${what}: ${describeResolution(m, r)}. Undo with "skillmeat-sync undo".`);
    return 0;
  } finally { store.close(); }
}
