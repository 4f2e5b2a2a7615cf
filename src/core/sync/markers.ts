// `--markers` (SPEC §10): a merge that conflicts is written into the project copy the git way — the clean files
// merged, each conflicting text file with `<<<<<<<` / `|||||||` / `=======` / `>>>>>>>` blocks, a binary one as
// the project has it — and remembered as a merge in progress (core/store/pendingMerges) until `resolve` finishes
// it or `resolve --abort` puts the project copy back. The collection never receives markers. The write is an
// ordinary sync write (versions stored first, journalled, undoable); the merge in progress is remembered in the
// same store transaction that commits the journal, so a crash leaves either both or neither.
import * as path from 'node:path';
import { artifactKey } from '../model';
import { setPendingMerge, type MetaWriter, type StoredPendingMerge } from '../store/pendingMerges';
import { readContent, sortFiles, type ArtifactContent, type ContentFile } from './content';
import type { ConflictFile } from './artifactMerge';
import { addWrite } from './plan';
import type { ArtifactPlan, Ctx, PendingMerge } from './types';

/** The project's side of a conflicting file (update: ours; pull: theirs). */
export function projectSideOf(pm: Pick<PendingMerge, 'direction'>, c: Pick<ConflictFile, 'ours' | 'theirs'>): Buffer | null {
  return pm.direction === 'update' ? c.ours : c.theirs;
}

/**
 * The project copy of a merge in progress: the clean files merged, each text conflict rendered with markers,
 * each binary conflict (or one without a rendering) as the project has it — absent where the project has none.
 */
export function markersContent(pm: PendingMerge, project: ArtifactContent): ArtifactContent {
  const files: ContentFile[] = [];
  const modeOf = (rel: string) => project.files.find((f) => f.rel === rel)?.mode ?? pm.modes[rel] ?? 0o644;
  for (const f of pm.clean) if (f.content !== null) files.push({ rel: f.path, data: f.content, mode: f.mode });
  for (const c of pm.conflicts) {
    const data = !c.binary && c.rendered !== undefined ? Buffer.from(c.rendered, 'utf8') : projectSideOf(pm, c);
    if (data !== null) files.push({ rel: c.path, data, mode: modeOf(c.path) });
  }
  return { kind: pm.kind, files: sortFiles(files), ...(project.extras ? { extras: project.extras } : {}) };
}

/** Adds the markers write to the plan of an artifact whose merge conflicts (the project copy only). */
export function planMarkers(ctx: Ctx, plan: ArtifactPlan): void {
  const pm = plan.result.pendingMerge!;
  const before = readContent(pm.projectPath, ctx.exclusions);
  if (!before) return; // the verify step reports the project copy gone
  const content = markersContent(pm, before);
  const key = artifactKey(pm.artifact.root, pm.artifact.type, pm.artifact.name);
  const h = addWrite(plan, { side: 'project', root: ctx.project, path: pm.projectPath, content, before, beforeTree: pm.expect.projectTree, key });
  plan.result.markers = { beforeTree: pm.expect.projectTree, markersTree: h.treeHash };
}

// ---- the pending merge, serialised for the store's meta table ----

const b64 = (b: Buffer | null): string | null => (b === null ? null : b.toString('base64'));
const unb64 = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'base64'));

/** A PendingMerge as JSON (file contents base64). */
export function serializePending(pm: PendingMerge): unknown {
  return {
    ...pm,
    clean: pm.clean.map((f) => ({ ...f, content: b64(f.content) })),
    conflicts: pm.conflicts.map((c) => ({ ...c, base: b64(c.base), ours: b64(c.ours), theirs: b64(c.theirs) })),
  };
}

type Json<T> = { [K in keyof T]: T[K] extends Buffer | null ? string | null : T[K] };

/** The PendingMerge {@link serializePending} wrote. */
export function deserializePending(v: unknown): PendingMerge {
  const j = v as Omit<PendingMerge, 'clean' | 'conflicts'> & { clean: Json<PendingMerge['clean'][number]>[]; conflicts: Json<ConflictFile>[] };
  return {
    ...j,
    clean: j.clean.map((f) => ({ ...f, content: unb64(f.content) })),
    conflicts: j.conflicts.map((c) => ({ ...c, base: unb64(c.base), ours: unb64(c.ours), theirs: unb64(c.theirs) })),
  };
}

/** Remembers the merge in progress a plan's markers write started (inside the transaction committing its journal). */
export function rememberMarkers(store: MetaWriter, ctx: Ctx, plan: ArtifactPlan, journalId: string): void {
  const pm = plan.result.pendingMerge!;
  const entry: StoredPendingMerge = {
    version: 1, key: artifactKey(pm.artifact.root, pm.artifact.type, pm.artifact.name), project: ctx.project, direction: pm.direction, at: ctx.at.toISOString(), journalId,
    beforeTree: plan.result.markers!.beforeTree, markersTree: plan.result.markers!.markersTree, files: pm.conflicts.map((c) => c.path),
    pending: serializePending(pm),
  };
  setPendingMerge(store, entry);
}

/** Lines (1-based) of a text that hold conflict markers: `<<<<<<<`, `|||||||`, `=======` inside a block, `>>>>>>>`. */
export function markerLines(text: string): number[] {
  const out: number[] = [];
  let inside = false;
  text.split('\n').forEach((line, i) => {
    const l = line.replace(/\r$/, '');
    if (/^<{7}( |$)/.test(l)) { inside = true; out.push(i + 1); }
    else if (/^>{7}( |$)/.test(l)) { inside = false; out.push(i + 1); }
    else if (inside && (/^\|{7}( |$)/.test(l) || l === '=======')) out.push(i + 1);
  });
  return out;
}

/** Where a file of an artifact is (the artifact itself for a command or agent). */
export function fileIn(artifactAbs: string, rel: string): string {
  return rel ? path.join(artifactAbs, ...rel.split('/')) : artifactAbs;
}
