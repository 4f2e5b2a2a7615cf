// Team collections on git, for the CLI: `update --fetch` fetches and fast-forwards the collection before
// planning; `pull --commit [--push] [--message M]` commits exactly what the pull wrote into the collection.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commitPulled, fastForwardCollection, pullCommitMessage, pulledByRepo } from '../core/git/collectionGit';
import { GitError } from '../core/git/git';
import { PROFILE_ROOTS } from '../core/model';
import { readRecords, viewRecord } from '../core/store/deploymentRecords';
import { collectionResolver } from '../core/store/skillmeatHome';
import type { SyncResult } from '../core/sync';
import { flagString } from './args';
import type { CommandContext } from './context';

/** Lines for the text output, fields for the JSON one, and whether anything asked for failed. */
export interface GitStep {
  lines: string[];
  json: Record<string, unknown>[];
  failed: boolean;
}

/** The collections an update of this project reads: `--collection`, else each record's and the default one. */
function collectionsOf(ctx: CommandContext): string[] {
  const resolver = collectionResolver({ env: ctx.io.env, collection: flagString(ctx.args, 'collection') });
  const dirs = new Set<string>([resolver.resolve(undefined).path]);
  if (!resolver.override) {
    for (const root of PROFILE_ROOTS) {
      try {
        for (const v of readRecords(path.join(ctx.project, root)).records.map(viewRecord)) if (v.fromCollection) dirs.add(resolver.resolve(v.fromCollection).path);
      } catch { /* an unreadable records file is the sync's to report */ }
    }
  }
  return [...dirs].filter((d) => fs.existsSync(d));
}

/**
 * `update --fetch`: fetch and fast-forward (only) each collection that is a git work tree, before the sync plans.
 * A refusal (diverged, uncommitted changes in what the fast-forward changes, no upstream, auth) stops the update.
 */
export async function fetchCollections(ctx: CommandContext): Promise<GitStep> {
  const step: GitStep = { lines: [], json: [], failed: false };
  for (const dir of collectionsOf(ctx)) {
    try {
      const r = await fastForwardCollection(dir, { env: ctx.io.env });
      if (r.notARepo) {
        step.lines.push(`--fetch: the collection ${dir} is not in a git work tree; nothing fetched.`);
        step.json.push({ collection: dir, status: 'not-a-repo' });
        continue;
      }
      step.lines.push(r.commits
        ? `Fetched and fast-forwarded the collection ${dir} to ${r.upstream}: ${r.commits} commit${r.commits === 1 ? '' : 's'} (${r.from?.slice(0, 7)}..${r.to?.slice(0, 7)}).`
        : `Fetched: the collection ${dir} is up to date with ${r.upstream}.`);
      step.json.push({ collection: dir, status: r.commits ? 'fast-forwarded' : 'up-to-date', upstream: r.upstream, commits: r.commits, from: r.from ?? null, to: r.to ?? null });
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      step.failed = true;
      step.lines.push(`error: ${e.message}`);
      step.json.push({ collection: dir, status: 'refused', code: e.code, message: e.message });
      break;
    }
  }
  return step;
}

/**
 * `pull --commit [--push]`: stages exactly the files the pull wrote into the collection (its artifacts, forks
 * included) and commits only them, with a generated message (or `--message`); then pushes with `--push`. The
 * pull itself is done either way: a refusal here leaves it written (and, for a rejected push, committed locally).
 */
export async function commitPull(ctx: CommandContext, result: SyncResult): Promise<GitStep> {
  const step: GitStep = { lines: [], json: [], failed: false };
  const synced = result.artifacts.filter((a) => a.status === 'synced');
  const { byRepo, notInRepo } = await pulledByRepo([result], { env: ctx.io.env, onError: (_file, e) => { step.lines.push(`error: ${e.message}`); step.failed = true; } });
  if (synced.length === 0 || (byRepo.size === 0 && notInRepo.length === 0)) {
    if (!step.failed) step.lines.push('--commit: the pull wrote nothing into the collection; nothing to commit.');
    return step;
  }
  for (const p of notInRepo) {
    step.failed = true;
    step.lines.push(`error: not committed: ${p} is not in a git work tree (run "git init" in the collection, or leave out --commit).`);
    step.json.push({ path: p, status: 'not-a-repo' });
  }
  const push = ctx.args.flags.has('push');
  for (const [root, g] of byRepo) {
    const message = flagString(ctx.args, 'message') ?? pullCommitMessage(g.items, ctx.project);
    const dir = path.dirname(g.paths[0]);
    try {
      const c = await commitPulled(dir, g.paths, message, { env: ctx.io.env, push, timeoutMs: 120_000 });
      step.lines.push(`Committed ${c.commit.slice(0, 7)} in ${root}: ${message.split('\n')[0]} (${c.files.length} file${c.files.length === 1 ? '' : 's'}; nothing else staged).`);
      if (c.pushed) step.lines.push(`Pushed to ${c.pushed.remote} (${c.pushed.ref.replace(/^refs\/heads\//, '')}).`);
      step.json.push({ repository: root, status: c.pushed ? 'pushed' : 'committed', commit: c.commit, files: c.files.map((f) => path.relative(root, path.join(dir, f)).split(path.sep).join('/')), ...(c.pushed ? { pushed: c.pushed } : {}) });
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      step.failed = true;
      step.lines.push(`error: ${e.message}`);
      step.json.push({ repository: root, status: e.code === 'push-rejected' ? 'push-rejected' : 'refused', code: e.code, message: e.message });
    }
  }
  return step;
}
