// What a history listing shows beside each version (SPEC §6): how much it changed compared with the version
// before it. Read from the version store; pure apart from reading blobs, and cached per pair of trees
// because a history view asks for the same pairs on every refresh.
import type { StoredTree, VersionEntry, VersionStore } from '../store/versionStore';

/** Size of the change between two versions of an artifact. Text files count lines, binary files bytes. */
export interface ChangeSize {
  /** Lines added / removed over all text files. */
  linesAdded: number;
  linesRemoved: number;
  /** Byte difference over binary files (new size minus old size, summed as absolute values). */
  binaryBytes: number;
  filesAdded: number;
  filesRemoved: number;
  filesChanged: number;
}

/** One history row as views and the CLI show it. */
export interface HistoryEntry extends VersionEntry {
  /** Whether the content of this version is in the store (rate-limited entries never are). */
  stored: boolean;
  /** Change compared with the previous stored version; undefined for the first one or when not stored. */
  change?: ChangeSize;
  /** Id of the stored version this one is compared with. */
  previousId?: number;
}

const BINARY_SNIFF = 8000;

function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, BINARY_SNIFF).includes(0);
}

function lines(buf: Buffer): string[] {
  const text = buf.toString('utf8').replace(/\r\n/g, '\n');
  if (text === '') return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop(); // a final newline ends the last line, it does not start another
  return out;
}

/**
 * Lines added and removed between two texts. The common head and tail are matched exactly (that is where
 * almost every edit of a skill leaves things); the middle is compared as a multiset, which counts a line that
 * moved as unchanged. Linear time, so a listing never stalls on a large file.
 */
export function countLineChanges(before: Buffer, after: Buffer): { added: number; removed: number } {
  const a = lines(before);
  const b = lines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const counts = new Map<string, number>();
  for (let i = head; i < a.length - tail; i++) counts.set(a[i], (counts.get(a[i]) ?? 0) + 1);
  let added = 0;
  for (let i = head; i < b.length - tail; i++) {
    const n = counts.get(b[i]) ?? 0;
    if (n > 0) counts.set(b[i], n - 1);
    else added++;
  }
  let removed = 0;
  for (const n of counts.values()) removed += n;
  return { added, removed };
}

/** Size of the change from tree `before` to tree `after` (both in the store). */
export function changeBetween(store: VersionStore, before: StoredTree, after: StoredTree): ChangeSize {
  const size: ChangeSize = { linesAdded: 0, linesRemoved: 0, binaryBytes: 0, filesAdded: 0, filesRemoved: 0, filesChanged: 0 };
  const old = new Map(before.files.map((f) => [f.rel, f]));
  const empty = Buffer.alloc(0);
  const read = (blob: string): Buffer => store.readBlob(blob);
  const add = (a: Buffer, b: Buffer): void => {
    if (isBinary(a) || isBinary(b)) { size.binaryBytes += Math.abs(b.length - a.length) || (a.equals(b) ? 0 : b.length); return; }
    const c = countLineChanges(a, b);
    size.linesAdded += c.added;
    size.linesRemoved += c.removed;
  };
  for (const f of after.files) {
    const o = old.get(f.rel);
    old.delete(f.rel);
    if (!o) { size.filesAdded++; add(empty, read(f.blob)); continue; }
    if (o.norm === f.norm) continue; // same content up to line endings
    size.filesChanged++;
    add(read(o.blob), read(f.blob));
  }
  for (const o of old.values()) { size.filesRemoved++; add(read(o.blob), empty); }
  return size;
}

/** Reads history from the store with change sizes, caching the sizes per pair of trees. */
export class HistoryReader {
  private readonly cache = new Map<string, ChangeSize | null>();

  constructor(private readonly store: VersionStore) {}

  /** The versions of `artifactKey` (one project's captures plus shared versions), newest first, with change sizes. */
  list(artifactKey: string, opts: { project?: string; limit?: number } = {}): HistoryEntry[] {
    const rows = this.store.history(artifactKey, opts);
    const trees = new Map<string, StoredTree | undefined>();
    const tree = (h: string): StoredTree | undefined => {
      if (!trees.has(h)) trees.set(h, this.store.getTree(h));
      return trees.get(h);
    };
    const out: HistoryEntry[] = rows.map((r) => ({ ...r, stored: r.status !== 'rate_limited' && tree(r.treeHash) !== undefined }));
    // Oldest to newest, remembering the last stored version: that is what each version changed.
    let prev: HistoryEntry | undefined;
    for (let i = out.length - 1; i >= 0; i--) {
      const e = out[i];
      if (!e.stored) continue;
      if (prev) {
        e.previousId = prev.id;
        e.change = this.change(prev.treeHash, e.treeHash, tree);
      }
      prev = e;
    }
    return out;
  }

  private change(before: string, after: string, tree: (h: string) => StoredTree | undefined): ChangeSize | undefined {
    const key = `${before}:${after}`;
    if (!this.cache.has(key)) {
      const a = tree(before);
      const b = tree(after);
      let size: ChangeSize | null = null;
      // A missing or corrupt blob makes the size unknown; it must not make the whole listing fail.
      try { if (a && b) size = changeBetween(this.store, a, b); } catch { size = null; }
      if (this.cache.size > 5_000) this.cache.clear();
      this.cache.set(key, size);
    }
    return this.cache.get(key) ?? undefined;
  }
}

/** "+3 −1 lines", "+120 bytes", "no change" — the short form views and the CLI print. */
export function formatChange(c: ChangeSize | undefined): string {
  if (!c) return '';
  const parts: string[] = [];
  if (c.linesAdded || c.linesRemoved) parts.push(`+${c.linesAdded} −${c.linesRemoved}`);
  if (c.binaryBytes) parts.push(`±${c.binaryBytes} bytes`);
  if (c.filesAdded) parts.push(`${c.filesAdded} file${c.filesAdded === 1 ? '' : 's'} added`);
  if (c.filesRemoved) parts.push(`${c.filesRemoved} file${c.filesRemoved === 1 ? '' : 's'} removed`);
  return parts.length ? parts.join(', ') : 'no change';
}
