// The `merge` strategy for one artifact: find the true base (the deployed baseline), then merge file by
// file — line-level for text, whole-file for binary files and for files added or deleted inside a skill.
// SkillMeat merged against the current collection, which silently drops collection edits (§12); here the
// base is always the baseline, and when it cannot be found every difference is a conflict.
import { isHexHash, type RecordView } from '../store/deploymentRecords';
import { comparePathParts, type ArtifactHasher } from '../drift/hashing';
import { mergeFile, mergeFileNoBase, isBinary, type FileConflictReason, type MergeLabels } from './merge3';
import { StoreError, type VersionStore } from '../store/versionStore';
import { contentFromStore, hashContent, type ArtifactContent } from './content';
import type { BaseFinder, BaseQuery } from './baseFinders';

/**
 * Where the merge base came from. `collection` / `project`: that side still equals the recorded baseline.
 * `skillmeat-snapshot` / `git`: found by a {@link BaseFinder} (its `origin` says exactly where).
 */
export type BaseSource = 'store' | 'collection' | 'project' | 'skillmeat-snapshot' | 'git' | 'unknown';

/** The merge base of an artifact, or why there is none. */
export interface ResolvedBase {
  source: BaseSource;
  content?: ArtifactContent;
  /** SkillMeat content hash of the base (what `merge_base_snapshot` records). */
  contentHash?: string;
  treeHash?: string;
  /** Why the base is unknown, in words for the user. */
  why?: string;
  /** Where a finder found the base ("SkillMeat snapshot …", "commit abc1234"). */
  origin?: string;
}

/** One side of an artifact as the merge sees it. */
export interface MergeSide { abs: string; content: ArtifactContent }

/**
 * Finds the deployed baseline: from the version store by the record's tree hash or content hash; failing
 * that, a side that still equals the baseline (by our tree hash, or by SkillMeat's hash for records
 * SkillMeat wrote) is the base exactly; failing that, each finder in turn (SkillMeat's snapshots, git history).
 * Otherwise the base is unknown.
 */
export async function resolveBase(o: {
  store: VersionStore; view: RecordView; baselineUnknown?: boolean; project: MergeSide; collection: MergeSide; hasher: ArtifactHasher;
  finders?: readonly BaseFinder[]; query?: Omit<BaseQuery, 'contentHash' | 'treeHash' | 'record'>;
}): Promise<ResolvedBase> {
  const { view, store } = o;
  if (o.baselineUnknown || (!view.treeHash && !isHexHash(view.contentHash))) {
    return { source: 'unknown', contentHash: view.contentHash, why: `the record's baseline "${view.contentHash ?? ''}" is not a content hash (an enterprise version string?)` };
  }
  const tree = (view.treeHash && store.getTree(view.treeHash)) || (view.contentHash && isHexHash(view.contentHash) && store.treeByContentHash(view.contentHash)) || undefined;
  let storeProblem: string | undefined;
  if (tree) {
    try {
      return { source: 'store', content: contentFromStore(store, tree), contentHash: tree.contentHash, treeHash: tree.treeHash };
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      storeProblem = e.message;
    }
  }
  for (const side of ['collection', 'project'] as const) {
    const s = o[side];
    const hashes = hashContent(s.content);
    let equal: boolean;
    if (view.treeHash) equal = hashes.treeHash === view.treeHash;
    else {
      const sm = o.hasher.hash(s.abs, { skillmeat: true })?.skillmeat;
      equal = !!sm && [sm.all, sm.clean, sm.cleanLf].includes(view.contentHash!.toLowerCase());
    }
    if (equal) return { source: side, content: s.content, contentHash: view.contentHash, treeHash: hashes.treeHash };
  }
  if (o.query) {
    const q: BaseQuery = {
      ...o.query, record: view.record as unknown as Record<string, unknown>,
      ...(isHexHash(view.contentHash) ? { contentHash: view.contentHash!.toLowerCase() } : {}), ...(view.treeHash ? { treeHash: view.treeHash } : {}),
    };
    for (const f of o.finders ?? []) {
      const found = await f.find(q, o.hasher);
      if (found) {
        const h = hashContent(found.content);
        return { source: found.source, content: found.content, contentHash: view.contentHash ?? h.contentHash, treeHash: h.treeHash, origin: found.origin };
      }
    }
  }
  return {
    source: 'unknown', contentHash: view.contentHash,
    why: storeProblem ?? `the deployed baseline ${(view.treeHash ?? view.contentHash ?? '').slice(0, 12)} is not in the version store and neither side still equals it`,
  };
}

/** A file both sides changed in ways that cannot be merged automatically. */
export interface ConflictFile {
  /** Path inside the artifact, POSIX separators; '' for a command or agent (a single file). */
  path: string;
  reason: FileConflictReason;
  /** The baseline; the target side's current content (ours); the incoming side's (theirs). null = absent. */
  base: Buffer | null;
  ours: Buffer | null;
  theirs: Buffer | null;
  /** True when any side is binary: no line merge, one side has to be chosen. */
  binary: boolean;
  /** Conflict-marker rendering (text conflicts only): what the merge editor's result starts from. */
  rendered?: string;
  /** Absolute path of this file in the project, in the collection, and on the side the sync writes. */
  projectPath: string;
  collectionPath: string;
  targetPath: string;
}

/** A file merged without conflict; `content: null` means it is deleted. */
export interface MergedFile { path: string; content: Buffer | null; mode: number }

/** The file-by-file merge of one artifact. Every file of any side is in `clean` or in `conflicts`. */
export interface ArtifactMergeResult {
  kind: 'dir' | 'file';
  clean: MergedFile[];
  conflicts: ConflictFile[];
}

/**
 * Merges an artifact file by file. `ours` is the target side (what the sync writes into), `theirs` the
 * incoming one. `base` undefined: two-way merge, every difference a conflict.
 */
export function mergeArtifact(o: {
  ours: ArtifactContent; theirs: ArtifactContent; base: ArtifactContent | undefined; labels: MergeLabels;
  fileOn: (side: 'ours' | 'theirs', rel: string) => string; projectIs: 'ours' | 'theirs';
}): ArtifactMergeResult {
  const index = (c: ArtifactContent | undefined) => new Map((c?.files ?? []).map((f) => [f.rel, f]));
  const ours = index(o.ours);
  const theirs = index(o.theirs);
  const base = index(o.base);
  const rels = [...new Set([...ours.keys(), ...theirs.keys(), ...base.keys()])].sort(comparePathParts);
  const clean: MergedFile[] = [];
  const conflicts: ConflictFile[] = [];
  for (const rel of rels) {
    const a = ours.get(rel);
    const b = theirs.get(rel);
    const oursData = a?.data ?? null;
    const theirsData = b?.data ?? null;
    const baseData = o.base ? (base.get(rel)?.data ?? null) : null;
    const outcome = o.base ? mergeFile(oursData, baseData, theirsData, o.labels) : mergeFileNoBase(oursData, theirsData, o.labels);
    if (outcome.kind === 'clean') {
      const content = outcome.content;
      const mode = content && b && content.equals(b.data) && !(a && content.equals(a.data)) ? b.mode : (a?.mode ?? b?.mode ?? 0o644);
      clean.push({ path: rel, content, mode });
      continue;
    }
    const projectSide = o.projectIs;
    const collectionSide = projectSide === 'ours' ? 'theirs' : 'ours';
    conflicts.push({
      path: rel, reason: outcome.reason, base: outcome.base, ours: outcome.ours, theirs: outcome.theirs,
      binary: [outcome.base, outcome.ours, outcome.theirs].some((x) => x !== null && isBinary(x)),
      ...(outcome.rendered !== undefined ? { rendered: outcome.rendered } : {}),
      projectPath: o.fileOn(projectSide, rel), collectionPath: o.fileOn(collectionSide, rel), targetPath: o.fileOn('ours', rel),
    });
  }
  return { kind: o.ours.kind, clean, conflicts };
}
