// `history`, `restore`, `capture` and `prune` (SPEC §6, §10): the version history of the project's artifacts
// from a terminal, on the same capture service the extension runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaptureError, CaptureService, type ArtifactLocation } from '../core/history/capture';
import { validateCaptureSettings, DEFAULT_CAPTURE_SETTINGS } from '../core/history/capturePolicy';
import { formatChange } from '../core/history/history';
import { discoverArtifacts } from '../core/drift/discovery';
import { artifactKey, ARTIFACT_TYPES, PROFILE_ROOTS, type ArtifactType } from '../core/model';
import { VersionStore, StoreError } from '../core/store/versionStore';
import { flagString, UsageError } from './args';
import { colours, table } from './output';
import { openStore, type CommandContext } from './context';

/** The context main.ts gives every command handler. */
export type HistoryContext = CommandContext;


function roots(ctx: HistoryContext): readonly string[] {
  const r = flagString(ctx.args, 'root');
  if (r === undefined) return PROFILE_ROOTS;
  if (!PROFILE_ROOTS.includes(r)) throw new UsageError(`--root must be one of ${PROFILE_ROOTS.join(', ')}`);
  return [r];
}

function typeFilter(ctx: HistoryContext): ArtifactType | undefined {
  const t = flagString(ctx.args, 'type');
  if (t !== undefined && !(ARTIFACT_TYPES as readonly string[]).includes(t)) throw new UsageError(`--type must be one of ${ARTIFACT_TYPES.join(', ')}`);
  return t as ArtifactType | undefined;
}

async function withService<T>(ctx: HistoryContext, fn: (service: CaptureService, store: VersionStore) => Promise<T>, retentionDays?: number): Promise<T> {
  const store = await openStore(ctx);
  const settings = retentionDays === undefined ? DEFAULT_CAPTURE_SETTINGS : validated({ retentionDays });
  const service = new CaptureService({ project: ctx.project, roots: roots(ctx), store, settings });
  try { return await fn(service, store); } finally { service.dispose(); store.close(); }
}

function validated(raw: { retentionDays: number }) {
  const { settings, problems } = validateCaptureSettings(raw);
  if (problems.length) throw new UsageError(problems[0].replace('skillmeatSync.capture.retentionDays', '--retention-days'));
  return settings;
}

/**
 * The artifact NAME names: one present in the project, or (deleted since) one the store has versions of.
 * Several matches (a skill and a command of the same name, two roots) need --type / --root.
 */
function findArtifact(ctx: HistoryContext, service: CaptureService, store: VersionStore, name: string): ArtifactLocation {
  const type = typeFilter(ctx);
  const found = new Map<string, ArtifactLocation>();
  for (const root of roots(ctx)) {
    const rootDir = path.join(ctx.project, root);
    if (fs.existsSync(rootDir)) {
      for (const a of discoverArtifacts(rootDir)) {
        const loc = a.name === name && (!type || a.type === type) ? service.locate(artifactKey(root, a.type, a.name)) : undefined;
        if (loc) found.set(loc.key, loc);
      }
    }
    for (const t of type ? [type] : ARTIFACT_TYPES) {
      const key = artifactKey(root, t, name);
      if (!found.has(key) && store.history(key, { project: ctx.project, limit: 1 }).length) {
        const loc = service.locate(key);
        if (loc) found.set(key, loc);
      }
    }
  }
  const list = [...found.values()];
  if (list.length === 0) {
    throw new CaptureError('not-found', `no artifact named "${name}" in ${ctx.project} (${roots(ctx).join(', ')}) and no versions of one in ${store.indexFile}. Check the name (namespaced commands are ns/name), --type and --root.`);
  }
  if (list.length > 1) {
    throw new UsageError(`"${name}" names several artifacts (${list.map((l) => `${l.type} in ${l.root}`).join(', ')}); choose one with --type and/or --root`);
  }
  return list[0];
}

/** Local time as `YYYY-MM-DD HH:MM:SS`, for tables. */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function parseVersion(arg: string | undefined): { id?: number; hash?: string } {
  if (!arg) throw new UsageError('restore needs NAME and VERSION (an id from "skillmeat-sync history NAME", e.g. 12 or #12)');
  const m = /^#?(\d+)$/.exec(arg);
  if (m) return { id: Number(m[1]) };
  if (/^[0-9a-f]{7,64}$/i.test(arg)) return { hash: arg.toLowerCase() };
  throw new UsageError(`VERSION must be a version id (12 or #12) or a tree hash prefix of at least 7 hex digits, not "${arg}"`);
}

function failure(ctx: HistoryContext, e: unknown): number {
  if (!(e instanceof CaptureError || e instanceof StoreError)) throw e;
  if (ctx.json) ctx.io.out(JSON.stringify({ project: ctx.project, error: e.message, code: e.code }, null, 2));
  ctx.io.err(`error: ${e.message}`);
  return 1;
}

/** `history NAME [--json]`: every version, newest first, with origin, status and the size of its change. */
export async function history(ctx: HistoryContext): Promise<number> {
  const [name, ...extra] = ctx.args.positionals;
  if (!name || extra.length) throw new UsageError('history needs exactly one artifact NAME');
  return withService(ctx, async (service, store) => {
    let loc: ArtifactLocation;
    try { loc = findArtifact(ctx, service, store, name); } catch (e) { return failure(ctx, e); }
    const entries = await service.history(loc.key);
    if (ctx.json) {
      ctx.io.out(JSON.stringify({
        project: ctx.project,
        artifact: { key: loc.key, type: loc.type, name: loc.name, root: loc.root, path: loc.absPath },
        versions: entries.map((e) => ({
          id: e.id, at: e.at, origin: e.origin, status: e.status, stored: e.stored, pinned: e.pinned, treeHash: e.treeHash,
          supersedes: e.supersedes ?? null, note: e.note ?? null, previousId: e.previousId ?? null, change: e.change ?? null,
        })),
      }, null, 2));
      return 0;
    }
    const c = colours(ctx.io);
    ctx.io.out(`History of ${loc.type} ${loc.name} (${loc.root}) in ${ctx.project}, newest first:`);
    if (entries.length === 0) { ctx.io.out('No versions yet.'); return 0; }
    const rows = entries.map((e) => [
      `#${e.id}`, localTime(e.at), e.origin, e.status + (e.pinned ? ' (pinned)' : ''), e.stored ? formatChange(e.change) || 'first version' : 'not stored',
      [e.note, e.supersedes ? `supersedes #${e.supersedes}` : ''].filter(Boolean).join('; '),
    ]);
    ctx.io.out(table(['ID', 'TIME', 'ORIGIN', 'STATUS', 'CHANGE', 'NOTE'], rows, (ri, _ci, cell) => (entries[ri].stored ? cell : c('gray', cell))));
    return 0;
  });
}

/** `restore NAME VERSION`: puts a version back; what was there is kept first, so the restore can be undone. */
export async function restore(ctx: HistoryContext): Promise<number> {
  const [name, version, ...extra] = ctx.args.positionals;
  if (!name || extra.length) throw new UsageError('restore needs NAME and VERSION');
  const want = parseVersion(version);
  return withService(ctx, async (service, store) => {
    try {
      const loc = findArtifact(ctx, service, store, name);
      let id = want.id;
      if (id === undefined) {
        const hits = store.history(loc.key, { project: ctx.project }).filter((v) => v.treeHash.startsWith(want.hash!) && v.status !== 'rate_limited');
        if (hits.length === 0) throw new CaptureError('not-found', `no stored version of ${loc.name} has a hash starting with ${want.hash}`);
        id = hits[0].id;
      }
      const r = await service.restore(loc.key, id);
      if (ctx.json) {
        ctx.io.out(JSON.stringify({
          project: ctx.project, artifact: loc.key, path: loc.absPath, restoredFrom: r.restoredFrom, unchanged: r.unchanged,
          previousVersion: r.previousVersion ?? null, restoredVersion: r.restoredVersion ?? null,
        }, null, 2));
      }
      else if (r.unchanged) ctx.io.out(`${loc.type} ${loc.name} already has the content of #${id}; nothing changed.`);
      else {
        ctx.io.out(`restored ${loc.type} ${loc.name} to #${id} → ${loc.absPath}`);
        if (r.previousVersion !== undefined) ctx.io.out(`the content it replaced is kept as #${r.previousVersion} (undo: skillmeat-sync restore ${name} ${r.previousVersion})`);
      }
      return 0;
    } catch (e) {
      return failure(ctx, e);
    }
  });
}

/** `capture [NAME…]`: captures now, without waiting for a quiet window (the hourly limit still applies). */
export async function capture(ctx: HistoryContext): Promise<number> {
  return withService(ctx, async (service, store) => {
    let keys: string[] = [];
    try { keys = ctx.args.positionals.map((n) => findArtifact(ctx, service, store, n).key); } catch (e) { return failure(ctx, e); }
    const recorded = await service.captureNow(keys);
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ project: ctx.project, captures: recorded.map((r) => ({ artifact: r.artifact.key, type: r.artifact.type, name: r.artifact.name, root: r.artifact.root, id: r.versionId, status: r.entry.status, treeHash: r.entry.hash, supersedes: r.entry.supersedes ?? null })) }, null, 2));
      return 0;
    }
    if (recorded.length === 0) ctx.io.out(`Nothing to capture in ${ctx.project}.`);
    for (const r of recorded) {
      const what = `${r.artifact.type} ${r.artifact.name}${r.artifact.root !== '.claude' ? ` (${r.artifact.root})` : ''}`;
      if (r.entry.status === 'captured') ctx.io.out(`captured ${what} as #${r.versionId}`);
      else if (r.entry.status === 'skipped-duplicate') ctx.io.out(`${what}: unchanged, the version store already has this content (recorded as #${r.versionId})`);
      else ctx.io.out(`${what}: rate-limited (too many captures this hour); recorded as #${r.versionId} without its content, captured once the hour frees`);
    }
    return 0;
  });
}

/** `prune [--dry-run]`: applies retention to the project's capture records (baselines, snapshots, pins stay). */
export async function prune(ctx: HistoryContext): Promise<number> {
  if (ctx.args.positionals.length) throw new UsageError('prune takes no NAME; it applies retention to the whole project');
  const daysArg = flagString(ctx.args, 'retention-days');
  const days = daysArg === undefined ? undefined : Number(daysArg);
  if (daysArg !== undefined && !Number.isFinite(days)) throw new UsageError(`--retention-days must be a number of days, not "${daysArg}"`);
  const dryRun = ctx.args.flags.has('dry-run');
  return withService(ctx, async (service) => {
    let r;
    try { r = await service.prune({ dryRun }); } catch (e) { return failure(ctx, e); }
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ project: ctx.project, dryRun, retentionDays: service.getSettings().retentionMs / 86_400_000, entries: r.entries, deleted: r.deleted ?? null }, null, 2));
      return 0;
    }
    const days = service.getSettings().retentionMs / 86_400_000;
    if (r.entries.length === 0) {
      ctx.io.out(`Nothing to prune: no capture record of ${ctx.project} is older than ${days} days and unprotected.`);
      if (r.deleted?.blobs) ctx.io.out(`${r.deleted.blobs} stored file${r.deleted.blobs === 1 ? '' : 's'} (${r.deleted.blobBytes} bytes) no version uses any more (left by an interrupted write) were deleted.`);
      return 0;
    }
    ctx.io.out(table(['ID', 'TIME', 'ARTIFACT', 'ORIGIN', 'STATUS'], r.entries.map((e) => [`#${e.id}`, localTime(e.at), e.artifactKey, e.origin, e.status])));
    if (dryRun) ctx.io.out(`${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'} would be pruned (older than ${days} days; baselines, sync snapshots, pinned and newest versions are kept). Nothing was changed.`);
    else ctx.io.out(`pruned ${r.deleted?.versions ?? 0} entr${r.deleted?.versions === 1 ? 'y' : 'ies'}; ${r.deleted?.blobs ?? 0} blob${r.deleted?.blobs === 1 ? '' : 's'} (${r.deleted?.blobBytes ?? 0} bytes) no longer used were deleted.`);
    return 0;
  }, days);
}
