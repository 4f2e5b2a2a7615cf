// Artifact content in memory for sync: what one side holds (junk left out), its hashes, and how a new
// version is staged next to the artifact it replaces so that a rename puts it in place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { comparePathParts, hashNormalised, skillmeatHashOf, treeHashOf, walkArtifact, type ExclusionMatcher } from '../drift/hashing';
import { siblingTemp, ensureDir } from '../store/fsutil';
import { SyncError } from './deploy';
import type { StoredTree, VersionStore } from '../store/versionStore';

/** One file of an artifact; `rel` is '' for a single-file artifact (command, agent). */
export interface ContentFile { rel: string; data: Buffer; mode: number }

/** All files of one version of an artifact, in Python `Path` order (as SkillMeat hashes them). */
export interface ArtifactContent { kind: 'dir' | 'file'; files: ContentFile[] }

/** The two hashes a version is known by: the product's tree hash and SkillMeat's content hash. */
export interface ContentHashes { treeHash: string; contentHash: string }

/** Reads the non-junk files of an artifact on disk; undefined when it does not exist. */
export function readContent(absPath: string, exclusions: ExclusionMatcher): ArtifactContent | undefined {
  const entries = walkArtifact(absPath, exclusions);
  if (!entries) return undefined;
  const kind: 'dir' | 'file' = entries.length === 1 && entries[0].rel === '' ? 'file' : 'dir';
  const files: ContentFile[] = [];
  for (const e of entries) {
    if (e.junk) continue;
    try {
      files.push({ rel: e.rel, data: fs.readFileSync(e.abs), mode: e.mode & 0o777 });
    } catch (err) {
      // A sync must not drop a file it cannot read: the new version would silently lose it.
      throw new SyncError('io', `${e.abs}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix its permissions and sync again.`);
    }
  }
  return { kind, files };
}

/** A stored version as content (blobs verified against their hashes). */
export function contentFromStore(store: VersionStore, tree: StoredTree): ArtifactContent {
  return { kind: tree.kind, files: tree.files.map((f) => ({ rel: f.rel, data: store.readBlob(f.blob), mode: f.mode || 0o644 })) };
}

/** Sorts files the way SkillMeat and the store do. */
export function sortFiles(files: ContentFile[]): ContentFile[] {
  return [...files].sort((a, b) => comparePathParts(a.rel, b.rel));
}

/** Tree hash and SkillMeat content hash of content in memory. */
export function hashContent(c: ArtifactContent): ContentHashes {
  const files = sortFiles(c.files);
  return {
    treeHash: treeHashOf(files.map((f) => ({ rel: f.rel, norm: hashNormalised(f.data) }))),
    contentHash: skillmeatHashOf(files, c.kind),
  };
}

/**
 * Writes `content` to a fresh sibling of `target` and returns its path. For a directory the junk files
 * of the current target (editor and tool files the product never syncs) are copied along, so replacing
 * a skill does not delete, say, a `.venv/` or `.DS_Store` the user keeps there.
 */
export function stageContent(target: string, content: ArtifactContent, exclusions: ExclusionMatcher, tag = 'sync'): string {
  const staged = siblingTemp(target, tag);
  try {
    if (content.kind === 'file') {
      const f = content.files[0];
      ensureDir(path.dirname(staged));
      fs.writeFileSync(staged, f?.data ?? Buffer.alloc(0));
      fs.chmodSync(staged, (f?.mode ?? 0o644) & 0o777);
      return staged;
    }
    ensureDir(staged);
    for (const f of content.files) {
      const to = path.join(staged, ...f.rel.split('/'));
      ensureDir(path.dirname(to));
      fs.writeFileSync(to, f.data);
      fs.chmodSync(to, f.mode & 0o777);
    }
    for (const e of walkArtifact(target, exclusions) ?? []) {
      if (!e.junk || e.rel === '') continue;
      const to = path.join(staged, ...e.rel.split('/'));
      if (fs.existsSync(to)) continue;
      ensureDir(path.dirname(to));
      fs.copyFileSync(e.abs, to);
    }
    return staged;
  } catch (e) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw e;
  }
}

/** `<name>-fork`, then `<name>-fork-2`, … : the first name `taken` says is free. */
export function freeForkName(name: string, taken: (candidate: string) => boolean): string {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? `${name}-fork` : `${name}-fork-${i}`;
    if (!taken(candidate)) return candidate;
  }
}

/** True when the text has a conflict marker line left by a merge (`=======` alone is a Markdown heading underline). */
export function hasConflictMarkers(data: Buffer): boolean {
  return /^(<{7}|>{7})( |\r?$)/m.test(data.toString('latin1'));
}
