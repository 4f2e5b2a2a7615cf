// Where a merge base comes from when the version store does not hold the deployed baseline and neither side
// still equals it: other places that kept the baseline's content (SkillMeat's own collection snapshots, the
// collection's git history). Each finder answers with content that hashes to the record's baseline — it
// checks this itself — and says where it found it, in words for the user ("SkillMeat snapshot …",
// "commit abc123"). Finders are tried in order; the first answer wins.
import type { SyncedType } from '../model';
import type { ArtifactHasher } from '../drift/hashing';
import type { ArtifactContent } from './content';
import { SkillmeatSnapshotBaseFinder } from '../store/skillmeatSnapshotBase';
import { gitHistoryBaseFinder } from '../git/historyBase';

/** What the merge looks for: the artifact, where its collection copy lives, and the recorded baseline. */
export interface BaseQuery {
  type: SyncedType;
  name: string;
  /** Path relative to the profile root / the collection, POSIX separators (`skills/x`, `agents/x.md`). */
  relPath: string;
  kind: 'dir' | 'file';
  collectionDir: string;
  collectionName: string;
  /** The record's SkillMeat content hash (`content_hash`), when it is one. */
  contentHash?: string;
  /** Our tree hash of the baseline, when we wrote the record. */
  treeHash?: string;
  /** Raw record, for fields a finder may use (`merge_base_snapshot`, `deployed_at`). */
  record: Readonly<Record<string, unknown>>;
  /** Reports a problem that did not stop the search (a corrupt snapshot skipped…) among the sync's warnings. */
  warn?: (message: string, file?: string) => void;
}

/** A base a finder found. */
export interface FoundBase {
  source: 'skillmeat-snapshot' | 'git';
  content: ArtifactContent;
  /** Where it came from, for the user: "SkillMeat snapshot 20261130-101500-123456", "commit abc1234". */
  origin: string;
}

export interface BaseFinder {
  /** Short name for logs and tests. */
  readonly name: string;
  find(q: BaseQuery, hasher: ArtifactHasher): Promise<FoundBase | undefined>;
}

/** The finders a sync uses unless told otherwise. Each source registers itself here. */
export function defaultBaseFinders(env: NodeJS.ProcessEnv = process.env): BaseFinder[] {
  return [
    new SkillmeatSnapshotBaseFinder({ env }),
    gitHistoryBaseFinder({ env }),
  ];
}
