// Generator output cut into log lines (issue 12, item 8): whole lines as they come, and a line without end in
// bounded pieces, however the chunks fall.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { LineSplitter } from '../../../src/core/generators/lines';

function split(chunks: string[], maxLine: number): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l), maxLine);
  for (const c of chunks) s.write(c);
  s.flush();
  return out;
}

describe('LineSplitter', () => {
  it('passes on whole lines however the chunks fall, and the unfinished last line on flush', () => {
    assert.deepEqual(split(['a', 'b\nc', 'd\n\ne', 'f'], 100), ['ab', 'cd', '', 'ef']);
  });

  it('passes a line longer than the limit on in pieces of the limit (10 MB without a newline: 160 pieces)', () => {
    const chunk = 'x'.repeat(64 * 1024);
    const out: number[] = [];
    const s = new LineSplitter((l) => out.push(l.length));
    for (let i = 0; i < 160; i++) s.write(chunk);
    s.write('y\n');
    s.flush();
    assert.equal(out.length, 161);
    assert.ok(out.slice(0, 160).every((n) => n === 64 * 1024));
    assert.equal(out[160], 1);
  });

  it('property: the pieces put back together are the input, and none is longer than the limit', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', '\n'), maxLength: 20 }), { maxLength: 20 }), fc.integer({ min: 1, max: 8 }), (chunks, max) => {
      const text = chunks.join('');
      const out: string[] = [];
      const s = new LineSplitter((l) => out.push(l), max);
      for (const c of chunks) s.write(c);
      s.flush();
      assert.ok(out.every((l) => l.length <= max && !l.includes('\n')));
      // Lines are the text's lines, long ones cut: re-cutting the text line by line gives the same pieces.
      const expected = text.split('\n').flatMap((line, i, all) => {
        if (i === all.length - 1 && line === '') return [];
        const pieces: string[] = [];
        let rest = line;
        while (rest.length >= max) { pieces.push(rest.slice(0, max)); rest = rest.slice(max); }
        if (rest || pieces.length === 0) pieces.push(rest);
        return pieces;
      });
      assert.deepEqual(out, expected);
    }), { numRuns: 500, seed: 15 });
  });
});
