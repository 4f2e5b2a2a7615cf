import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { BitSet, isBinary, mergeFile, mergeFileNoBase, mergeLines, mergeText, type MergeChunk } from '../../../src/core/sync/merge3';

// node-diff3 publishes its types only through package.json "exports", which this repo's
// moduleResolution ("node") does not read, so the one function used here is typed locally.
type Diff3Chunk =
  | { ok: string[] }
  | { conflict: { a: string[]; aIndex: number; o: string[]; oIndex: number; b: string[]; bIndex: number } };
const { diff3Merge } = require('node-diff3') as { diff3Merge(a: string[], o: string[], b: string[]): Diff3Chunk[] };

const RUNS = 1000;

/** node-diff3's answer in mergeLines's shape (the index fields are not part of our API). */
function reference(ours: string[], base: string[], theirs: string[]): MergeChunk[] {
  return diff3Merge(ours, base, theirs).map((chunk) =>
    'ok' in chunk ? { ok: chunk.ok } : { conflict: { a: chunk.conflict.a, o: chunk.conflict.o, b: chunk.conflict.b } });
}

// Small alphabets so that repeats, ties and conflicts are common; the prototype names catch
// lookups in a plain object.
const line = fc.constantFrom('a', 'b', 'c', 'd', '', 'constructor', '__proto__');
const lines = (max: number) => fc.array(line, { maxLength: max });

/** A copy of `base` with a few random deletions, replacements and insertions. */
const editsOf = (base: string[]) =>
  fc.array(fc.tuple(fc.nat(base.length), fc.nat(3), lines(3)), { maxLength: 4 }).map((edits) => {
    const out = base.slice();
    for (const [at, remove, insert] of edits) out.splice(Math.min(at, out.length), remove, ...insert);
    return out;
  });
const derived = (max: number) => lines(max).chain((base) => fc.tuple(editsOf(base), fc.constant(base), editsOf(base)));

/** Repeated lines and unique lines mixed, long enough for many columns per line. */
const longDerived = fc
  .array(fc.oneof(fc.constantFrom('', '}', 'end'), fc.integer({ min: 0, max: 200 }).map((k) => `line ${k}`)), { minLength: 100, maxLength: 300 })
  .chain((base) => fc.tuple(editsOf(base), fc.constant(base), editsOf(base)));

describe('mergeLines', () => {
  it('gives node-diff3 diff3Merge\'s chunks for unrelated random inputs', () => {
    fc.assert(fc.property(lines(12), lines(12), lines(12), (a, o, b) => {
      assert.deepEqual(mergeLines(a, o, b), reference(a, o, b));
    }), { numRuns: RUNS });
  });

  it('gives node-diff3 diff3Merge\'s chunks when both sides edit a common base', () => {
    fc.assert(fc.property(derived(30), ([a, o, b]) => {
      assert.deepEqual(mergeLines(a, o, b), reference(a, o, b));
    }), { numRuns: RUNS });
  });

  it('gives node-diff3 diff3Merge\'s chunks on long inputs with many repeated lines', () => {
    fc.assert(fc.property(longDerived, ([a, o, b]) => {
      assert.deepEqual(mergeLines(a, o, b), reference(a, o, b));
    }), { numRuns: 500 });
  });

  it('gives node-diff3 diff3Merge\'s chunks when any side is empty', () => {
    fc.assert(fc.property(lines(8), lines(8), fc.integer({ min: 0, max: 6 }), (x, y, mask) => {
      const [a, o, b] = [mask & 1 ? [] : x, mask & 2 ? [] : y, mask & 4 ? [] : x.concat(y)];
      assert.deepEqual(mergeLines(a, o, b), reference(a, o, b));
    }), { numRuns: 500 });
  });

  it('returns no chunks for three empty inputs', () => {
    assert.deepEqual(mergeLines([], [], []), []);
  });

  it('merges a 40 000-line file with edits at both ends to both edits', () => {
    const base = Array.from({ length: 40_000 }, (_, i) => (i % 7 === 0 ? '' : i % 11 === 0 ? '}' : `line ${i}`));
    const ours = base.slice();
    ours.splice(100, 1, 'ours 100');
    const theirs = base.slice();
    theirs.splice(39_000, 0, 'theirs inserted');
    const expected = ours.slice();
    expected.splice(39_000, 0, 'theirs inserted');
    assert.deepEqual(mergeLines(ours, base, theirs), [{ ok: expected }]);
  });
});

/** Texts over a small alphabet with LF or CRLF line ends, with or without a final newline. */
const text = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c', ''), { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([ls, eol, finalNewline]) => ls.join(eol) + (finalNewline && ls.length ? eol : ''));

const NO_EOL = Symbol('no newline at end of file');
type ModelLine = string | typeof NO_EOL;

/** The line model mergeText documents, written out independently of it. */
function modelLines(t: string, fallbackEol: string): ModelLine[] {
  const out: ModelLine[] = t.match(/[^\n]*\n/g) ?? [];
  const rest = t.slice(out.join('').length);
  if (rest) {
    const above = out.length ? (out[out.length - 1] as string) : '';
    out.push(rest + (above ? (above.endsWith('\r\n') ? '\r\n' : '\n') : fallbackEol), NO_EOL);
  }
  return out;
}

function dominant(...texts: string[]): string {
  const crlf = texts.join('\u0000').split('\r\n').length - 1;
  const lf = texts.join('\u0000').split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** What mergeText should print, from node-diff3 run on the line model. */
function referenceText(ours: string, base: string, theirs: string): { clean: boolean; text: string; conflicts: number } {
  const eol = dominant(ours, base, theirs);
  // node-diff3 compares elements with ===, so the marker is passed as a string nobody writes.
  const key = (l: ModelLine): string => (l === NO_EOL ? '\u0000NO_EOL' : l);
  const [a, o, b] = [ours, base, theirs].map((t) => modelLines(t, eol).map(key));
  let out = '';
  let conflicts = 0;
  let lastIsContent = false;
  const side = (ls: string[]): string => ls.filter((l) => l !== '\u0000NO_EOL').join('');
  for (const chunk of diff3Merge(a, o, b)) {
    if ('ok' in chunk) {
      for (const l of chunk.ok) {
        if (l !== '\u0000NO_EOL') { out += l; lastIsContent = true; } else if (lastIsContent) { out = out.replace(/\r?\n$/, ''); lastIsContent = false; }
      }
    } else {
      conflicts++;
      lastIsContent = false;
      out += `<<<<<<< ours${eol}${side(chunk.conflict.a)}||||||| base${eol}${side(chunk.conflict.o)}=======${eol}${side(chunk.conflict.b)}>>>>>>> theirs${eol}`;
    }
  }
  return { clean: conflicts === 0, text: out, conflicts };
}

describe('mergeText', () => {
  it('agrees with node-diff3 on the documented line model, including CRLF, empty texts and missing final newlines', () => {
    fc.assert(fc.property(text, text, text, (a, o, b) => {
      assert.deepEqual(mergeText(a, o, b), referenceText(a, o, b));
    }), { numRuns: RUNS });
  });

  it('returns the text itself, byte for byte, when all three sides are equal', () => {
    fc.assert(fc.property(text, (t) => {
      assert.deepEqual(mergeText(t, t, t), { clean: true, text: t, conflicts: 0 });
    }), { numRuns: 500 });
  });

  it('returns the changed side byte for byte when only one side changed', () => {
    fc.assert(fc.property(text, text, (base, changed) => {
      assert.deepEqual(mergeText(changed, base, base), { clean: true, text: changed, conflicts: 0 });
      assert.deepEqual(mergeText(base, base, changed), { clean: true, text: changed, conflicts: 0 });
    }), { numRuns: 500 });
  });

  it('renders a conflict with diff3-style markers and the given labels', () => {
    const result = mergeText('a\nours\nc\n', 'a\nbase\nc\n', 'a\ntheirs\nc\n', { ours: 'project', base: 'deployed', theirs: 'collection' });
    assert.deepEqual(result, {
      clean: false,
      conflicts: 1,
      text: 'a\n<<<<<<< project\nours\n||||||| deployed\nbase\n=======\ntheirs\n>>>>>>> collection\nc\n',
    });
  });

  it('writes conflict markers with the dominant line ending of the texts', () => {
    const result = mergeText('a\r\nours\r\n', 'a\r\nbase\r\n', 'a\r\ntheirs\r\n');
    assert.equal(result.text, 'a\r\n<<<<<<< ours\r\nours\r\n||||||| base\r\nbase\r\n=======\r\ntheirs\r\n>>>>>>> theirs\r\n');
  });

  it('counts each conflict block', () => {
    const result = mergeText('1\nx\n2\n3\n4\ny\n', '1\na\n2\n3\n4\nb\n', '1\nX\n2\n3\n4\nY\n');
    assert.equal(result.conflicts, 2);
    assert.equal(result.clean, false);
  });

  it('takes an identical change made on both sides without a conflict', () => {
    assert.deepEqual(mergeText('a\nsame\n', 'a\nold\n', 'a\nsame\n'), { clean: true, text: 'a\nsame\n', conflicts: 0 });
  });

  it('merges edits to separate lines from both sides', () => {
    assert.deepEqual(mergeText('A\nb\nc\nd\n', 'a\nb\nc\nd\n', 'a\nb\nc\nD\n'), { clean: true, text: 'A\nb\nc\nD\n', conflicts: 0 });
  });

  it('appends to a file without a final newline without conflicting with an edit of the line above', () => {
    const result = mergeText('x\nA\nb', 'x\na\nb', 'x\na\nb\nc');
    assert.deepEqual(result, { clean: true, text: 'x\nA\nb\nc', conflicts: 0 });
  });

  it('keeps a missing final newline when the other side edits elsewhere', () => {
    assert.deepEqual(mergeText('A\nb', 'a\nb', 'a\nb'), { clean: true, text: 'A\nb', conflicts: 0 });
    assert.deepEqual(mergeText('A\nb\nc', 'a\nb\nc', 'a\nb\nC'), { clean: true, text: 'A\nb\nC', conflicts: 0 });
  });

  it('keeps a lone carriage return at the end of a file', () => {
    assert.deepEqual(mergeText('A\nb\r', 'a\nb\r', 'a\nb\r'), { clean: true, text: 'A\nb\r', conflicts: 0 });
  });

  it('keeps conflict markers on their own lines when a conflicting side has no final newline', () => {
    const result = mergeText('a\nours', 'a\nbase', 'a\ntheirs');
    assert.equal(result.text, 'a\n<<<<<<< ours\nours\n||||||| base\nbase\n=======\ntheirs\n>>>>>>> theirs\n');
  });

  it('writes bare markers for empty labels', () => {
    const result = mergeText('o\n', 'b\n', 't\n', { ours: '', base: '', theirs: '' });
    assert.equal(result.text, '<<<<<<<\no\n|||||||\nb\n=======\nt\n>>>>>>>\n');
  });
});

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const content = (outcome: ReturnType<typeof mergeFile>): string | null => {
  assert.equal(outcome.kind, 'clean');
  return outcome.kind === 'clean' && outcome.content ? outcome.content.toString('utf8') : null;
};

describe('mergeFile', () => {
  it('keeps a file all three sides agree on', () => {
    assert.equal(content(mergeFile(buf('x\n'), buf('x\n'), buf('x\n'))), 'x\n');
  });

  it('takes ours when only ours changed', () => {
    assert.equal(content(mergeFile(buf('new\n'), buf('old\n'), buf('old\n'))), 'new\n');
  });

  it('takes theirs when only theirs changed', () => {
    assert.equal(content(mergeFile(buf('old\n'), buf('old\n'), buf('new\n'))), 'new\n');
  });

  it('deletes a file deleted on one side and unchanged on the other', () => {
    assert.deepEqual(mergeFile(null, buf('x\n'), buf('x\n')), { kind: 'clean', content: null });
    assert.deepEqual(mergeFile(buf('x\n'), buf('x\n'), null), { kind: 'clean', content: null });
  });

  it('deletes a file deleted on both sides', () => {
    assert.deepEqual(mergeFile(null, buf('x\n'), null), { kind: 'clean', content: null });
  });

  it('keeps a file added on one side only', () => {
    assert.equal(content(mergeFile(buf('new\n'), null, null)), 'new\n');
    assert.equal(content(mergeFile(null, null, buf('new\n'))), 'new\n');
  });

  it('reports nothing to write when the file is absent everywhere', () => {
    assert.deepEqual(mergeFile(null, null, null), { kind: 'clean', content: null });
  });

  it('accepts a file added on both sides with identical content', () => {
    assert.equal(content(mergeFile(buf('same\n'), null, buf('same\n'))), 'same\n');
  });

  it('reports add-add with a two-way rendering and an empty base for different added text', () => {
    const outcome = mergeFile(buf('mine\n'), null, buf('yours\n'));
    assert.equal(outcome.kind, 'conflict');
    assert.equal(outcome.kind === 'conflict' && outcome.reason, 'add-add');
    assert.equal(outcome.kind === 'conflict' && outcome.rendered, '<<<<<<< ours\nmine\n||||||| base\n=======\nyours\n>>>>>>> theirs\n');
  });

  it('reports delete-modify when ours deleted a file theirs changed', () => {
    const outcome = mergeFile(null, buf('old\n'), buf('new\n'));
    assert.deepEqual(outcome, { kind: 'conflict', reason: 'delete-modify', ours: null, base: buf('old\n'), theirs: buf('new\n') });
  });

  it('reports modify-delete when ours changed a file theirs deleted', () => {
    const outcome = mergeFile(buf('new\n'), buf('old\n'), null);
    assert.deepEqual(outcome, { kind: 'conflict', reason: 'modify-delete', ours: buf('new\n'), base: buf('old\n'), theirs: null });
  });

  it('reports a binary conflict when both sides changed a binary file differently', () => {
    const outcome = mergeFile(Buffer.from([0, 1]), Buffer.from([0, 2]), Buffer.from([0, 3]));
    assert.deepEqual(outcome, { kind: 'conflict', reason: 'binary', ours: Buffer.from([0, 1]), base: Buffer.from([0, 2]), theirs: Buffer.from([0, 3]) });
  });

  it('accepts the same change made to a binary file on both sides', () => {
    const outcome = mergeFile(Buffer.from([0, 1]), Buffer.from([0, 2]), Buffer.from([0, 1]));
    assert.deepEqual(outcome, { kind: 'clean', content: Buffer.from([0, 1]) });
  });

  it('line-merges text changed on both sides in different places', () => {
    assert.equal(content(mergeFile(buf('A\nb\nc\n'), buf('a\nb\nc\n'), buf('a\nb\nC\n'))), 'A\nb\nC\n');
  });

  it('reports a text conflict with the rendered markers when both sides changed the same line', () => {
    const outcome = mergeFile(buf('x\nmine\n'), buf('x\nold\n'), buf('x\nyours\n'), { ours: 'project', base: 'baseline', theirs: 'collection' });
    assert.equal(outcome.kind === 'conflict' && outcome.reason, 'text');
    assert.equal(outcome.kind === 'conflict' && outcome.rendered,
      'x\n<<<<<<< project\nmine\n||||||| baseline\nold\n=======\nyours\n>>>>>>> collection\n');
  });

  it('treats a CRLF-only change as no change and takes the side that changed content', () => {
    const outcome = mergeFile(buf('a\r\nb\r\n'), buf('a\nb\n'), buf('a\nB\n'));
    assert.deepEqual(outcome, { kind: 'clean', content: buf('a\nB\n') });
  });

  it('keeps ours when the sides differ only in line endings', () => {
    assert.deepEqual(mergeFile(buf('a\r\nb\r\n'), buf('a\nb\n'), buf('a\nb\n')), { kind: 'clean', content: buf('a\r\nb\r\n') });
    assert.deepEqual(mergeFile(buf('a\nb\n'), buf('a\nb\n'), buf('a\r\nb\r\n')), { kind: 'clean', content: buf('a\nb\n') });
  });

  it('merges sides with different line endings and writes the result in ours\'s line ending', () => {
    const outcome = mergeFile(buf('A\r\nb\r\nc\r\n'), buf('a\nb\nc\n'), buf('a\nb\nC\n'));
    assert.deepEqual(outcome, { kind: 'clean', content: buf('A\r\nb\r\nC\r\n') });
  });

  it('keeps bytes that are not valid UTF-8 through a clean merge', () => {
    const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
    const outcome = mergeFile(latin1('caf\xe9\nb\nc\n'), latin1('cafe\nb\nc\n'), latin1('cafe\nb\n\xff\n'));
    assert.deepEqual(outcome, { kind: 'clean', content: latin1('caf\xe9\nb\n\xff\n') });
  });

  it('renders UTF-8 text and labels in a conflict unchanged', () => {
    const outcome = mergeFile(buf('café ☕\n'), buf('cafe\n'), buf('café 🍵\n'), { ours: 'projet é' });
    assert.equal(outcome.kind === 'conflict' && outcome.rendered, '<<<<<<< projet é\ncafé ☕\n||||||| base\ncafe\n=======\ncafé 🍵\n>>>>>>> theirs\n');
  });
});

describe('mergeFileNoBase', () => {
  it('is clean when both sides are identical', () => {
    assert.deepEqual(mergeFileNoBase(buf('x\n'), buf('x\n')), { kind: 'clean', content: buf('x\n') });
  });

  it('is clean, keeping ours, when the sides differ only in line endings', () => {
    assert.deepEqual(mergeFileNoBase(buf('x\r\n'), buf('x\n')), { kind: 'clean', content: buf('x\r\n') });
  });

  it('marks every difference as a conflict and keeps the common lines', () => {
    const outcome = mergeFileNoBase(buf('same\nmine\nsame too\nonly mine\n'), buf('same\nyours\nsame too\n'));
    assert.equal(outcome.kind === 'conflict' && outcome.reason, 'text');
    assert.equal(outcome.kind === 'conflict' && outcome.rendered,
      'same\n<<<<<<< ours\nmine\n||||||| no common base\n=======\nyours\n>>>>>>> theirs\nsame too\n' +
      '<<<<<<< ours\nonly mine\n||||||| no common base\n=======\n>>>>>>> theirs\n');
  });

  it('reports a file present on one side only as a conflict', () => {
    assert.deepEqual(mergeFileNoBase(null, buf('x\n')), { kind: 'conflict', reason: 'delete-modify', ours: null, base: null, theirs: buf('x\n') });
    assert.deepEqual(mergeFileNoBase(buf('x\n'), null), { kind: 'conflict', reason: 'modify-delete', ours: buf('x\n'), base: null, theirs: null });
  });

  it('reports differing binary files as a binary conflict', () => {
    const outcome = mergeFileNoBase(Buffer.from([0, 1]), Buffer.from([0, 2]));
    assert.equal(outcome.kind === 'conflict' && outcome.reason, 'binary');
  });
});

describe('BitSet (the column bookkeeping behind mergeLines)', () => {
  it('finds the same next member as a plain array after random clears and sets, across all levels', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('clear' as const), fc.nat(70_000), fc.nat(3000)),
      fc.tuple(fc.constant('set' as const), fc.nat(70_000), fc.constant(1)),
      fc.tuple(fc.constant('next' as const), fc.nat(70_000), fc.constant(0)),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 70_000 }), fc.array(op, { maxLength: 40 }), (size, ops) => {
      const bits = new BitSet(size);
      const plain = new Uint8Array(size).fill(1);
      for (const [kind, at, span] of ops) {
        const v = at % size;
        if (kind === 'clear') {
          for (let k = v; k < Math.min(size, v + span); k++) { bits.clear(k); plain[k] = 0; }
        } else if (kind === 'set') {
          bits.set(v);
          plain[v] = 1;
        } else {
          assert.equal(bits.next(v), plain.indexOf(1, v));
        }
      }
      for (let v = 0; v < size; v += 997) assert.equal(bits.next(v), plain.indexOf(1, v));
    }), { numRuns: 500 });
  });
});

describe('isBinary', () => {
  it('is true for a NUL byte within the first 8000 bytes', () => {
    const data = Buffer.alloc(8000, 0x61);
    data[7999] = 0;
    assert.equal(isBinary(data), true);
  });

  it('is false when the only NUL byte comes after the first 8000 bytes', () => {
    const data = Buffer.alloc(9000, 0x61);
    data[8000] = 0;
    assert.equal(isBinary(data), false);
  });

  it('is false for an empty file', () => {
    assert.equal(isBinary(Buffer.alloc(0)), false);
  });
});
