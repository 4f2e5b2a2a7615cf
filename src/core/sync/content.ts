// Artifact content in memory for sync: what one side holds (junk left out), its hashes, and how a new
// version is staged next to the artifact it replaces so that a rename puts it in place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SkillmeatForms, comparePathParts, hashNormalised, isSkillmeatIgnored, skillmeatHashOf, treeHashOf, walkArtifact, type ExclusionMatcher } from '../drift/hashing';
import { siblingTemp, ensureDir } from '../store/fsutil';
import { SyncError } from './deploy';
import type { StoredTree, VersionStore } from '../store/versionStore';

/** One file of an artifact; `rel` is '' for a single-file artifact (command, agent). */
export interface ContentFile { rel: string; data: Buffer; mode: number }

/**
 * All files of one version of an artifact, in Python `Path` order (as SkillMeat hashes them). `extras` are
 * the files that are junk to this product but that SkillMeat copies (`notes.tmp`, `x.swp`…): never compared,
 * merged or stored, but written along so a sync copies what SkillMeat's deploy would.
 */
export interface ArtifactContent { kind: 'dir' | 'file'; files: ContentFile[]; extras?: ContentFile[] }

/** The two hashes a version is known by: the product's tree hash and SkillMeat's content hash. */
export interface ContentHashes { treeHash: string; contentHash: string }

/**
 * Reads the non-junk files of an artifact on disk (and, as `extras`, the junk files SkillMeat would copy);
 * undefined when it does not exist.
 */
export function readContent(absPath: string, exclusions: ExclusionMatcher): ArtifactContent | undefined {
  const entries = walkArtifact(absPath, exclusions);
  if (!entries) return undefined;
  const kind: 'dir' | 'file' = entries.length === 1 && entries[0].rel === '' ? 'file' : 'dir';
  const files: ContentFile[] = [];
  const extras: ContentFile[] = [];
  for (const e of entries) {
    const place = contentPlace(e.rel, e.junk);
    if (!place) continue;
    try {
      (place === 'extras' ? extras : files).push({ rel: e.rel, data: fs.readFileSync(e.abs), mode: e.mode & 0o777 });
    } catch (err) {
      if (e.junk) continue; // junk is never compared: one that cannot be read is simply not carried
      // A sync must not drop a file it cannot read: the new version would silently lose it.
      throw new SyncError('io', `${e.abs}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix its permissions and sync again.`);
    }
  }
  return { kind, files, ...(extras.length ? { extras } : {}) };
}

/**
 * Where a file of an artifact goes in its {@link ArtifactContent}: the product's files, the `extras` (junk to
 * this product, copied by SkillMeat), or nowhere (what SkillMeat never copies).
 */
export function contentPlace(rel: string, junk: boolean): 'files' | 'extras' | undefined {
  if (!junk) return 'files';
  return isSkillmeatIgnored(rel) ? undefined : 'extras';
}

/** The extras of a result written to both sides: the incoming side's, then the target's where the incoming has none. */
export function mergeExtras(incoming: ArtifactContent, target: ArtifactContent): ContentFile[] | undefined {
  const seen = new Set((incoming.extras ?? []).map((f) => f.rel));
  const all = [...(incoming.extras ?? []), ...(target.extras ?? []).filter((f) => !seen.has(f.rel))];
  return all.length ? all : undefined;
}

/** A stored version as content (blobs verified against their hashes). */
export function contentFromStore(store: VersionStore, tree: StoredTree): ArtifactContent {
  return { kind: tree.kind, files: tree.files.map((f) => ({ rel: f.rel, data: store.readBlob(f.blob), mode: f.mode || 0o644 })) };
}

/** Sorts files the way SkillMeat and the store do. */
export function sortFiles(files: ContentFile[]): ContentFile[] {
  return [...files].sort((a, b) => comparePathParts(a.rel, b.rel));
}

/** The forms a recorded baseline of some content can take: our tree hash, and SkillMeat's hash of all files, of the non-junk ones, and of those with CRLF normalised (see ArtifactHash.skillmeat). */
export interface BaselineForms { treeHash: string; skillmeat: { all: string; clean: string; cleanLf: string } }

/**
 * Files held in memory (a git tree, a tarball) as an artifact's content, the way {@link readContent} reads one
 * from disk: junk set aside as extras, what SkillMeat's copy leaves out dropped; with the baseline forms of it.
 */
export function contentOfFiles(raw: readonly ContentFile[], kind: 'dir' | 'file', exclusions: ExclusionMatcher): { content: ArtifactContent; forms: BaselineForms } {
  const files: ContentFile[] = [];
  const extras: ContentFile[] = [];
  const sm = new SkillmeatForms(kind);
  for (const f of [...raw].sort((a, b) => comparePathParts(a.rel, b.rel))) {
    const junk = kind === 'dir' && exclusions.isJunkPath(f.rel);
    const place = contentPlace(f.rel, junk);
    if (!place) continue; // what SkillMeat's copy leaves out is in no hash a record holds
    sm.add(f.rel, junk, f.data);
    (place === 'extras' ? extras : files).push(f);
  }
  const content: ArtifactContent = { kind, files, ...(extras.length ? { extras } : {}) };
  return { content, forms: { treeHash: treeHashOfSorted(files), skillmeat: sm.digest() } };
}

/** True when content with these forms is the baseline a record names (by our tree hash, else SkillMeat's hash). */
export function isRecordedBaseline(forms: BaselineForms, record: { treeHash?: string; contentHash?: string }): boolean {
  if (record.treeHash) return forms.treeHash === record.treeHash;
  const h = record.contentHash?.toLowerCase();
  return !!h && (forms.skillmeat.all === h || forms.skillmeat.clean === h || forms.skillmeat.cleanLf === h);
}

/** Tree hash and SkillMeat content hash of content in memory. */
export function hashContent(c: ArtifactContent): ContentHashes {
  const files = sortFiles(c.files);
  return { treeHash: treeHashOfSorted(files), contentHash: skillmeatHashOf(files, c.kind) };
}

/** Our tree hash of content's files (without SkillMeat's hash: a caller that has its forms already, or needs none). */
export function treeHashOfContent(c: ArtifactContent): string {
  return treeHashOfSorted(sortFiles(c.files));
}

const treeHashOfSorted = (files: readonly ContentFile[]): string => treeHashOf(files.map((f) => ({ rel: f.rel, norm: hashNormalised(f.data) })));

/**
 * Writes `content` (its extras too) to a fresh sibling of `target` and returns its path: what SkillMeat's
 * copy would give. For a directory, the files of the current target that SkillMeat never copies (a `.venv/`,
 * `node_modules/`, `.git/` the user keeps there) are carried over, so replacing a skill does not delete them.
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
    for (const f of [...content.files, ...(content.extras ?? [])]) {
      const to = path.join(staged, ...f.rel.split('/'));
      if (fs.existsSync(to)) continue; // an extra never replaces a file of the content
      ensureDir(path.dirname(to));
      fs.writeFileSync(to, f.data);
      fs.chmodSync(to, f.mode & 0o777);
    }
    for (const e of walkArtifact(target, exclusions) ?? []) {
      if (!e.junk || e.rel === '' || !isSkillmeatIgnored(e.rel)) continue;
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
