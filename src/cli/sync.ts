// `skillmeat-sync update|pull [NAME…] --strategy S [--dry-run]` and `skillmeat-sync undo` (SPEC §10):
// the sync engine for terminals and CI. Exit codes: 0 done (or nothing to do), 1 conflicts left
// unresolved (listed, nothing written for those artifacts) or undo refused, 2 error (nothing changed).
import * as path from 'node:path';
import * as readline from 'node:readline';
import { runSync, undoLastSync, type ArtifactSyncResult, type PromptChoice, type SyncDirection, type SyncResult, type SyncStrategy, type UndoResult } from '../core/sync';
import { ARTIFACT_TYPES, CONTEXT_TYPES, PROFILE_ROOTS, type ArtifactDrift, type FileChange, type SyncedType } from '../core/model';
import { VersionStore } from '../core/store/versionStore';
import { flagString, UsageError } from './args';
import { colours, type CliIO } from './output';
import { storeDir, type CommandContext } from './context';

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
  return async (a: ArtifactDrift, preview: { merge: { clean: boolean; conflictFiles: string[]; baseUnknown: boolean } }): Promise<PromptChoice> => {
    const merge = preview.merge.clean
      ? 'a merge would be clean'
      : `a merge would leave ${preview.merge.conflictFiles.length} conflicting file${preview.merge.conflictFiles.length === 1 ? '' : 's'}${preview.merge.baseUnknown ? ' (the baseline is unknown)' : ''}: ${preview.merge.conflictFiles.map((f) => f || path.basename(a.relPath)).join(', ')}`;
    const [mine, theirs] = direction === 'update'
      ? ['leave the project as it is', "replace the project with the collection's version"]
      : ["put the project's version into the collection", 'leave the collection as it is'];
    ctx.io.err(`${a.type} ${a.name} (${a.root}) is ${a.state}; ${merge}.`);
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
      ...(a.baseSource ? { baseSource: a.baseSource } : {}), ...(a.baseUnknown ? { baseUnknown: true } : {}), ...(a.reason ? { reason: a.reason } : {}),
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
    lines.push(a.status === 'conflict' || a.status === 'failed' ? c('red', line) : a.status === 'skipped' ? c('gray', line) : line);
  }
  const conflicts = r.artifacts.filter((a) => a.status === 'conflict');
  if (conflicts.length) {
    lines.push('');
    lines.push(c('yellow', `Conflicts left unresolved${r.dryRun ? '' : ' (nothing was written for these artifacts)'}:`));
    for (const a of conflicts) for (const f of a.conflicts!) lines.push(`  ${f.targetPath}  (${f.reason}${f.binary ? ', binary' : ''})`);
    lines.push('Resolve them with "SkillMeat: Merge…" in VS Code, or choose --strategy overwrite or fork for these artifacts.');
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
    const store = await VersionStore.open(storeDir(ctx));
    let result: SyncResult;
    try {
      result = await runSync({
        project: ctx.project, direction, strategy, store, names: ctx.args.positionals, ...filters(ctx),
        collection: flagString(ctx.args, 'collection'), env: ctx.io.env, dryRun, deployFork: ctx.args.flags.has('deploy-fork'), ...(choose ? { choose } : {}),
      });
    } finally { store.close(); }
    for (const w of result.warnings) ctx.io.err(`warning: ${w.message}`);
    if (ctx.json) ctx.io.out(JSON.stringify(toJson(result), null, 2));
    else ctx.io.out(render(result, ctx.io));
    if (result.status === 'failed') return 2;
    // A conflict waits for the user; a refusal (a context entity's pull) did nothing that was asked.
    return result.artifacts.some((a) => a.status === 'conflict' || a.status === 'failed') ? 1 : 0;
  };
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
  const store = await VersionStore.open(storeDir(ctx));
  let u: UndoResult;
  try { u = await undoLastSync({ project: ctx.project, store, force: ctx.args.flags.has('force') }); } finally { store.close(); }
  for (const w of u.warnings) ctx.io.err(`warning: ${w.message}`);
  if (ctx.json) ctx.io.out(JSON.stringify(u, null, 2));
  else ctx.io.out(renderUndo(u, ctx.io));
  return u.status === 'failed' ? 2 : u.status === 'refused' ? 1 : 0;
}
