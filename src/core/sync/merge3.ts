// Three-way merge of text and of whole files, used by the `merge` strategy of update and pull (SPEC §5).
//
// What is guaranteed: `mergeLines(ours, base, theirs)` returns exactly what node-diff3 3.2.1's
// `diff3Merge(ours, base, theirs)` returns with default options (false conflicts excluded), minus
// its `aIndex`/`oIndex`/`bIndex` fields — the same chunks in the same order with the same lines,
// for every input, clean or conflicting. No weaker notion of equivalence is needed. The property
// tests in test/unit/merge3.test.ts check that deep equality on random inputs.
// `mergeText` is `mergeLines` on the line model described below, rendered with markers.
//
// Why not call node-diff3 directly: its Hunt–McIlroy LCS finds the slot for each match with a
// linear scan of the candidate list, so near-identical files cost O(n²) (seconds at 50 000 lines)
// and every extra pair of equal lines (blank lines, closing braces) makes it worse. This file runs
// the same algorithm — same candidate list, same tie-breaking, hence the same LCS — with a binary
// search for the slot, a jump over columns the scan would reject, and a bit set that skips columns
// tied with an existing candidate. A prefix common to both buffers is trimmed first; that provably
// leaves the LCS unchanged (the prefix fills the first slots at their least possible columns, so no
// later row can displace them). What remains costs O(log n) per match that improves the candidate
// list: near-linear for real files, quadratic only for long runs over a few distinct lines (20 000
// lines drawn from 4 distinct ones take ~1 s; node-diff3 needs ~27 s for 5 000 such lines).
//
// Why not split the files at lines unique in all three versions (patience anchors) and merge the
// pieces with node-diff3, nor trim the common suffix: node-diff3's LCS prefers the earliest column,
// so it need not pass through such anchors or keep the suffix aligned, and a different LCS gives
// different hunks. Smallest case found: ours ["b","b"], base ["b"], theirs ["a","b"] merges
// cleanly to ["a","b","b"] in node-diff3, but with the common suffix "b" trimmed both sides insert
// at the same place and it conflicts.
//
// mergeText's line model (what makes the output byte-exact): a line keeps its terminator ("\n" or
// "\r\n"; a lone "\r" is ordinary text). A last line without a terminator is merged as if it had
// the terminator of the line above (or the dominant one of the three texts), followed by a marker
// element meaning "no newline at end of file". So appending to a file that lacks a final newline is
// an insertion, not a change of its last line, and a clean result round-trips byte for byte. Inside
// a rendered conflict block the marker is dropped, because conflict markers need their own lines:
// the rendered sides always end with a newline.

/** A run of merged lines both sides agree on. */
export interface MergeChunkOk { ok: string[] }
/** Lines the two sides changed differently: a = ours, o = base, b = theirs. */
export interface MergeChunkConflict { conflict: { a: string[]; o: string[]; b: string[] } }
/** One piece of a line-level merge result. */
export type MergeChunk = MergeChunkOk | MergeChunkConflict;

/** Names written after the conflict markers. */
export interface MergeLabels { ours?: string; base?: string; theirs?: string }

/** Result of merging three texts; `text` holds conflict markers when `clean` is false. */
export interface TextMergeResult { clean: boolean; text: string; conflicts: number }

/** A file's bytes on one side of a merge; null = the file is absent on that side. */
export type FileSide = Buffer | null;

/** Why a file could not be merged automatically. */
export type FileConflictReason = 'text' | 'binary' | 'add-add' | 'modify-delete' | 'delete-modify';

/** Outcome of merging one file of an artifact. */
export type FileMergeOutcome =
  | { kind: 'clean'; content: FileSide } // null = delete the file
  | { kind: 'conflict'; reason: FileConflictReason; ours: FileSide; base: FileSide; theirs: FileSide; rendered?: string };

// ---------------------------------------------------------------------------------------------
// LCS: node-diff3's Hunt–McIlroy, same choices, without the linear scan.

/** Matched index pairs of an LCS, ascending; `x[k]` in buffer1 equals `y[k]` in buffer2. */
interface Matches { x: Int32Array; y: Int32Array; count: number }

class GrowableInt32 {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) { this.data = new Int32Array(Math.max(16, capacity)); }
  push(v: number): number {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}

/** A set of integers in [0, size), initially full, with next-member search in O(log32 size); exported for its unit test. */
export class BitSet {
  // levels[0] holds the members; a bit at level k+1 says word k of level k is non-zero.
  private readonly levels: Uint32Array[] = [];
  constructor(size: number) {
    let words = Math.max(1, Math.ceil(size / 32));
    for (;;) {
      this.levels.push(new Uint32Array(words));
      if (words === 1) break;
      words = Math.ceil(words / 32);
    }
    for (let v = 0; v < size; v++) this.set(v);
  }
  set(v: number): void {
    for (const level of this.levels) {
      const w = v >>> 5;
      const was = level[w];
      level[w] = was | (1 << (v & 31));
      if (was !== 0) return;
      v = w;
    }
  }
  clear(v: number): void {
    for (const level of this.levels) {
      const w = v >>> 5;
      level[w] &= ~(1 << (v & 31));
      if (level[w] !== 0) return;
      v = w;
    }
  }
  /** Smallest member >= v, or -1. */
  next(v: number): number {
    let k = 0;
    // Climb while the rest of the current word is empty, then descend along lowest set bits.
    for (;;) {
      const level = this.levels[k];
      const w = v >>> 5;
      if (w >= level.length) return -1;
      const bits = level[w] & (~0 << (v & 31));
      if (bits !== 0) {
        v = (w << 5) + lowestBit(bits);
        break;
      }
      if (k + 1 === this.levels.length) return -1;
      k++;
      v = w + 1;
    }
    for (; k > 0; k--) v = (v << 5) + lowestBit(this.levels[k - 1][v]);
    return v;
  }
}

function lowestBit(bits: number): number {
  return 31 - Math.clz32(bits & -bits);
}

/**
 * The LCS node-diff3's `LCS(buffer1, buffer2)` returns, for lines already interned to ids.
 * `thresholds` is its `candidates` array: slot k holds the match ending a common subsequence of
 * length k at the smallest column seen so far, so the slots' columns strictly increase.
 */
function lcs(buf1: Int32Array, buf2: Int32Array, idCount: number): Matches {
  const n = buf1.length;
  const m = buf2.length;
  let prefix = 0;
  while (prefix < n && prefix < m && buf1[prefix] === buf2[prefix]) prefix++;

  // Candidate nodes of the chain node-diff3 builds; node 0 is its NULLRESULT.
  const nodeRow = new GrowableInt32(prefix + 64);
  const nodeCol = new GrowableInt32(prefix + 64);
  const nodeChain = new GrowableInt32(prefix + 64);
  nodeRow.push(-1); nodeCol.push(-1); nodeChain.push(-1);
  let base = 0;
  for (let k = 0; k < prefix; k++) {
    nodeRow.push(k); nodeCol.push(k);
    base = nodeChain.push(base);
  }

  // Columns of buffer2 grouped by line id, ascending (node-diff3's equivalenceClasses).
  const classStart = new Int32Array(idCount + 1);
  for (let j = prefix; j < m; j++) classStart[buf2[j] + 1]++;
  for (let id = 0; id < idCount; id++) classStart[id + 1] += classStart[id];
  const classPos = new Int32Array(m - prefix);
  const fill = classStart.slice(0, idCount);
  for (let j = prefix; j < m; j++) classPos[fill[buf2[j]]++] = j;

  const cap = Math.min(n, m) - prefix + 2;
  const slotNode = new Int32Array(cap);
  const slotCol = new Int32Array(cap);
  // A column equal to some slot's column can never extend the list (node-diff3's
  // `candidates[s + 1].buffer2index > j` test fails), and in files with many repeated lines
  // (blank lines, closing braces) almost every earlier occurrence is such a column. Tracking the
  // other columns in a bit set lets each row jump straight to the next one that can matter,
  // instead of visiting every occurrence of its line.
  const qOfCol = new Int32Array(m);
  for (let q = 0; q < classPos.length; q++) qOfCol[classPos[q]] = q;
  const free = new BitSet(classPos.length);
  slotNode[0] = base;
  slotCol[0] = prefix - 1;
  let len = 1;

  const writeSlot = (slot: number, node: number): void => {
    if (slot < len) {
      if (slotNode[slot] === node) return;
      const old = slotCol[slot];
      if (old >= prefix) free.set(qOfCol[old]);
    } else {
      len = slot + 1;
    }
    slotNode[slot] = node;
    const col = nodeCol.data[node];
    slotCol[slot] = col;
    if (col >= prefix) free.clear(qOfCol[col]);
  };

  for (let i = prefix; i < n; i++) {
    const id = buf1[i];
    let q = classStart[id];
    const end = classStart[id + 1];
    if (q === end) continue;
    let r = 0;
    let pending = slotNode[0];
    // Invariant: every column from q on is greater than slotCol[r], so a tie can only be with a
    // slot above r, and the scan's answer is the largest slot below the column.
    while ((q = free.next(q)) >= 0 && q < end) {
      const j = classPos[q];
      let lo = r;
      let hi = len - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (slotCol[mid] < j) lo = mid; else hi = mid - 1;
      }
      const s = lo;
      nodeRow.push(i); nodeCol.push(j);
      const created = nodeChain.push(slotNode[s]);
      writeSlot(r, pending);
      r = s + 1;
      pending = created;
      if (r === len) break;
      // Columns up to slotCol[r] would land on a slot below r, which the scan never looks at.
      const limit = slotCol[r];
      let a = q + 1;
      let b = end;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (classPos[mid] <= limit) a = mid + 1; else b = mid;
      }
      q = a;
    }
    writeSlot(r, pending);
  }

  let count = 0;
  for (let node = slotNode[len - 1]; node > 0; node = nodeChain.data[node]) count++;
  const x = new Int32Array(count);
  const y = new Int32Array(count);
  let k = count;
  for (let node = slotNode[len - 1]; node > 0; node = nodeChain.data[node]) {
    k--;
    x[k] = nodeRow.data[node];
    y[k] = nodeCol.data[node];
  }
  return { x, y, count };
}

/** A hunk of node-diff3's `diffIndices(o, side)`: o[oStart, +oLength) became side[sStart, +sLength). */
interface Hunk { side: 'a' | 'b'; oStart: number; oLength: number; sStart: number; sLength: number }

function hunksOf(matches: Matches, n1: number, n2: number, side: 'a' | 'b'): Hunk[] {
  const hunks: Hunk[] = [];
  let prev1 = -1;
  let prev2 = -1;
  for (let k = 0; k <= matches.count; k++) {
    const at1 = k < matches.count ? matches.x[k] : n1;
    const at2 = k < matches.count ? matches.y[k] : n2;
    const len1 = at1 - prev1 - 1;
    const len2 = at2 - prev2 - 1;
    if (len1 || len2) hunks.push({ side, oStart: prev1 + 1, oLength: len1, sStart: prev2 + 1, sLength: len2 });
    prev1 = at1;
    prev2 = at2;
  }
  return hunks;
}

function intern(buffers: string[][]): { ids: Int32Array[]; count: number } {
  const table = new Map<string, number>();
  const ids = buffers.map((buf) => {
    const out = new Int32Array(buf.length);
    for (let i = 0; i < buf.length; i++) {
      let id = table.get(buf[i]);
      if (id === undefined) { id = table.size; table.set(buf[i], id); }
      out[i] = id;
    }
    return out;
  });
  return { ids, count: table.size };
}

function sameLines(x: string[], y: string[]): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Line-level three-way merge; the same chunks as node-diff3's `diff3Merge(ours, base, theirs)`, in near-linear time. */
export function mergeLines(ours: string[], base: string[], theirs: string[]): MergeChunk[] {
  const a = ours;
  const o = base;
  const b = theirs;
  const { ids, count } = intern([a, o, b]);
  const hunksA = hunksOf(lcs(ids[1], ids[0], count), o.length, a.length, 'a');
  const hunksB = hunksOf(lcs(ids[1], ids[2], count), o.length, b.length, 'b');
  // node-diff3 concatenates a's hunks then b's and runs a stable sort on oStart: a merge of the
  // two sorted lists that takes a's hunk first on a tie gives the same order.
  const hunks: Hunk[] = [];
  for (let p = 0, q = 0; p < hunksA.length || q < hunksB.length;) {
    if (q === hunksB.length || (p < hunksA.length && hunksA[p].oStart <= hunksB[q].oStart)) hunks.push(hunksA[p++]);
    else hunks.push(hunksB[q++]);
  }

  const chunks: MergeChunk[] = [];
  let ok: string[] = [];
  const keep = (buf: string[], from: number, to: number): void => {
    for (let i = from; i < to; i++) ok.push(buf[i]);
  };
  let offset = 0;
  let h = 0;
  while (h < hunks.length) {
    const first = hunks[h++];
    const regionStart = first.oStart;
    let regionEnd = first.oStart + first.oLength;
    const region = [first];
    keep(o, offset, regionStart);
    // node-diff3 joins hunks that overlap or merely touch in o into one region.
    while (h < hunks.length && hunks[h].oStart <= regionEnd) {
      regionEnd = Math.max(regionEnd, hunks[h].oStart + hunks[h].oLength);
      region.push(hunks[h++]);
    }
    if (region.length === 1) {
      keep(first.side === 'a' ? a : b, first.sStart, first.sStart + first.sLength);
    } else {
      // Span of each side covering the region, corrected for the skew between the part of o a
      // side's hunks touch and the whole region (node-diff3's `bounds`).
      const bounds = { a: [a.length, -1, o.length, -1], b: [b.length, -1, o.length, -1] };
      for (const hunk of region) {
        const bd = bounds[hunk.side];
        bd[0] = Math.min(hunk.sStart, bd[0]);
        bd[1] = Math.max(hunk.sStart + hunk.sLength, bd[1]);
        bd[2] = Math.min(hunk.oStart, bd[2]);
        bd[3] = Math.max(hunk.oStart + hunk.oLength, bd[3]);
      }
      const aPart = a.slice(bounds.a[0] + (regionStart - bounds.a[2]), bounds.a[1] + (regionEnd - bounds.a[3]));
      const bPart = b.slice(bounds.b[0] + (regionStart - bounds.b[2]), bounds.b[1] + (regionEnd - bounds.b[3]));
      if (sameLines(aPart, bPart)) {
        ok.push(...aPart);
      } else {
        if (ok.length) chunks.push({ ok });
        ok = [];
        chunks.push({ conflict: { a: aPart, o: o.slice(regionStart, regionEnd), b: bPart } });
      }
    }
    offset = regionEnd;
  }
  keep(o, offset, o.length);
  if (ok.length) chunks.push({ ok });
  return chunks;
}

/** Two-way merge with no known base: common lines kept, every difference a conflict with an empty base part. */
function mergeLinesNoBase(ours: string[], theirs: string[]): MergeChunk[] {
  const { ids, count } = intern([ours, theirs]);
  const chunks: MergeChunk[] = [];
  let ok: string[] = [];
  let offset = 0;
  for (const hunk of hunksOf(lcs(ids[0], ids[1], count), ours.length, theirs.length, 'b')) {
    for (let i = offset; i < hunk.oStart; i++) ok.push(ours[i]);
    if (ok.length) chunks.push({ ok });
    ok = [];
    chunks.push({
      conflict: { a: ours.slice(hunk.oStart, hunk.oStart + hunk.oLength), o: [], b: theirs.slice(hunk.sStart, hunk.sStart + hunk.sLength) },
    });
    offset = hunk.oStart + hunk.oLength;
  }
  for (let i = offset; i < ours.length; i++) ok.push(ours[i]);
  if (ok.length) chunks.push({ ok });
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// Text: lines with their terminators, rendered with diff3-style markers.

// Never equal to a real line: after splitting, every real line ends with "\n".
const NO_EOL_LF = '\\ No newline at end of file';
const NO_EOL_CRLF = '\\ No newline at end of file\r';

function dominantEol(texts: string[]): string {
  let crlf = 0;
  let lf = 0;
  for (const text of texts) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++; else lf++;
    }
  }
  return crlf > lf ? '\r\n' : '\n';
}

function splitLines(text: string, fallbackEol: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) {
    const above = lines.length ? lines[lines.length - 1] : '';
    const eol = above ? (above.endsWith('\r\n') ? '\r\n' : '\n') : fallbackEol;
    lines.push(text.slice(start) + eol);
    lines.push(eol === '\r\n' ? NO_EOL_CRLF : NO_EOL_LF);
  }
  return lines;
}

function isNoEol(line: string): boolean {
  return line === NO_EOL_LF || line === NO_EOL_CRLF;
}

function renderChunks(chunks: MergeChunk[], eol: string, labels: Required<MergeLabels>): TextMergeResult {
  const marker = (sign: string, label: string): string => (label ? `${sign} ${label}${eol}` : `${sign}${eol}`);
  const out: string[] = [];
  let lastIsContent = false;
  let conflicts = 0;
  const emitSide = (lines: string[]): void => {
    for (const line of lines) if (!isNoEol(line)) out.push(line);
  };
  for (const chunk of chunks) {
    if ('ok' in chunk) {
      for (const line of chunk.ok) {
        if (!isNoEol(line)) {
          out.push(line);
          lastIsContent = true;
        } else if (lastIsContent) {
          const above = out[out.length - 1];
          const eol = line === NO_EOL_CRLF && above.endsWith('\r\n') ? '\r\n' : '\n';
          out[out.length - 1] = above.endsWith(eol) ? above.slice(0, -eol.length) : above;
          lastIsContent = false;
        }
      }
    } else {
      conflicts++;
      out.push(marker('<<<<<<<', labels.ours));
      emitSide(chunk.conflict.a);
      out.push(marker('|||||||', labels.base));
      emitSide(chunk.conflict.o);
      out.push(marker('=======', ''));
      emitSide(chunk.conflict.b);
      out.push(marker('>>>>>>>', labels.theirs));
      lastIsContent = false;
    }
  }
  return { clean: conflicts === 0, text: out.join(''), conflicts };
}

function withDefaults(labels: MergeLabels | undefined, baseDefault: string): Required<MergeLabels> {
  return { ours: labels?.ours ?? 'ours', base: labels?.base ?? baseDefault, theirs: labels?.theirs ?? 'theirs' };
}

/** Splits text into lines keeping line endings so the merged text round-trips byte for byte. */
export function mergeText(ours: string, base: string, theirs: string, labels?: MergeLabels): TextMergeResult {
  const eol = dominantEol([ours, base, theirs]);
  const chunks = mergeLines(splitLines(ours, eol), splitLines(base, eol), splitLines(theirs, eol));
  return renderChunks(chunks, eol, withDefaults(labels, 'base'));
}

/** Two-way text merge for an unknown base: identical lines kept, every difference rendered as a conflict. */
export function mergeTextNoBase(ours: string, theirs: string, labels?: MergeLabels): TextMergeResult {
  const eol = dominantEol([ours, theirs]);
  const chunks = mergeLinesNoBase(splitLines(ours, eol), splitLines(theirs, eol));
  return renderChunks(chunks, eol, withDefaults(labels, 'no common base'));
}

// ---------------------------------------------------------------------------------------------
// Files: whole artifacts are merged file by file.

/** True when the buffer has a NUL byte in its first 8000 bytes (git's test for binary content). */
export function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8000).includes(0);
}

// Text is handled as latin1 (one char per byte) so any byte sequence, valid UTF-8 or not,
// survives the merge unchanged; "\n" and "\r" are single bytes in every encoding we meet.
const asBytes = (buf: Buffer): string => buf.toString('latin1');
const fromBytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const labelBytes = (labels: MergeLabels | undefined): MergeLabels => ({
  ours: labels?.ours === undefined ? undefined : asBytes(Buffer.from(labels.ours, 'utf8')),
  base: labels?.base === undefined ? undefined : asBytes(Buffer.from(labels.base, 'utf8')),
  theirs: labels?.theirs === undefined ? undefined : asBytes(Buffer.from(labels.theirs, 'utf8')),
});
const renderedText = (bytes: string): string => fromBytes(bytes).toString('utf8');

/** Same content, counting a CRLF↔LF-only difference of two text files as no difference. */
function sameContent(x: FileSide, y: FileSide): boolean {
  if (x === null || y === null) return x === y;
  if (x.equals(y)) return true;
  if (isBinary(x) || isBinary(y)) return false;
  return asBytes(x).replace(/\r\n/g, '\n') === asBytes(y).replace(/\r\n/g, '\n');
}

type EolStyle = 'lf' | 'crlf' | 'mixed' | 'none';

function eolStyle(text: string): EolStyle {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  if (crlf === 0) return lf === 0 ? 'none' : 'lf';
  return lf === 0 ? 'crlf' : 'mixed';
}

/**
 * Runs a text merge on sides given ours first. When the sides use different line-ending styles,
 * a line-by-line merge would see every line as changed, so they are merged as LF and the result is
 * written in ours's style (the first side that has line breaks, if ours has none).
 */
function mergeAcrossLineEndings(sides: string[], merge: (sides: string[]) => TextMergeResult): TextMergeResult {
  const styles = new Set(sides.map(eolStyle));
  styles.delete('none');
  if (styles.size <= 1) return merge(sides);
  const merged = merge(sides.map((text) => text.replace(/\r\n/g, '\n')));
  const styleSource = sides.find((text) => eolStyle(text) !== 'none') ?? '';
  return dominantEol([styleSource]) === '\r\n' ? { ...merged, text: merged.text.replace(/\n/g, '\r\n') } : merged;
}

/** Merges one file of an artifact (null = absent on that side); CRLF↔LF-only edits count as no change. */
export function mergeFile(ours: FileSide, base: FileSide, theirs: FileSide, labels?: MergeLabels): FileMergeOutcome {
  const conflict = (reason: FileConflictReason, rendered?: string): FileMergeOutcome =>
    rendered === undefined ? { kind: 'conflict', reason, ours, base, theirs } : { kind: 'conflict', reason, ours, base, theirs, rendered };

  if (base === null) {
    if (ours === null) return { kind: 'clean', content: theirs };
    if (theirs === null || sameContent(ours, theirs)) return { kind: 'clean', content: ours };
    if (isBinary(ours) || isBinary(theirs)) return conflict('add-add');
    return conflict('add-add', renderedText(mergeText(asBytes(ours), '', asBytes(theirs), labelBytes(labels)).text));
  }
  // A side whose content equals the base (line endings aside) made no change: the other side wins.
  if (sameContent(theirs, base)) return { kind: 'clean', content: ours };
  if (sameContent(ours, base)) return { kind: 'clean', content: theirs };
  if (ours === null && theirs === null) return { kind: 'clean', content: null };
  if (ours === null) return conflict('delete-modify');
  if (theirs === null) return conflict('modify-delete');
  if (sameContent(ours, theirs)) return { kind: 'clean', content: ours };
  if (isBinary(ours) || isBinary(base) || isBinary(theirs)) return conflict('binary');
  const merged = mergeAcrossLineEndings([asBytes(ours), asBytes(theirs), asBytes(base)], ([o, t, b]) => mergeText(o, b, t, labelBytes(labels)));
  return merged.clean ? { kind: 'clean', content: fromBytes(merged.text) } : conflict('text', renderedText(merged.text));
}

/** Merges one file when the base is unknown: identical (line endings aside) is clean, any difference is a conflict. */
export function mergeFileNoBase(ours: FileSide, theirs: FileSide, labels?: MergeLabels): FileMergeOutcome {
  const conflict = (reason: FileConflictReason, rendered?: string): FileMergeOutcome =>
    rendered === undefined ? { kind: 'conflict', reason, ours, base: null, theirs } : { kind: 'conflict', reason, ours, base: null, theirs, rendered };
  if (sameContent(ours, theirs)) return { kind: 'clean', content: ours };
  if (ours === null) return conflict('delete-modify');
  if (theirs === null) return conflict('modify-delete');
  if (isBinary(ours) || isBinary(theirs)) return conflict('binary');
  const merged = mergeAcrossLineEndings([asBytes(ours), asBytes(theirs)], ([o, t]) => mergeTextNoBase(o, t, labelBytes(labels)));
  return conflict('text', renderedText(merged.text));
}
