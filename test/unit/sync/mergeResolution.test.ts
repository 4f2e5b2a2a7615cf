// The check behind "Accept Merge": a conflict whose place in the merge editor's result still holds the
// base lines (VS Code's starting point for an unresolved conflict) is reported; resolved ones are not.
import * as assert from 'node:assert/strict';
import { conflictsLeftAtBase, textLines } from '../../../src/core/sync/mergeResolution';

const base = 'title\n\nintro\n';
const ours = 'title\n\nintro\nproject line\n';
const theirs = 'title\n\nintro\ncollection line\n';

describe('conflictsLeftAtBase (merge editor results)', () => {
  it('reports a conflict left at the base text, as the merge editor first shows it', () => {
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: base }), [0]);
  });

  it('accepts either side or both sides', () => {
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: ours }), []);
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: theirs }), []);
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: 'title\n\nintro\ncollection line\nproject line\n' }), []);
  });

  it('accepts a hand-written resolution', () => {
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: 'title\n\nintro\nsomething else entirely\n' }), []);
  });

  it('tells resolved and unresolved conflicts of one file apart', () => {
    const b = 'a\nb\nc\nd\ne\n';
    const o = 'a\nB1\nc\nd\nE1\n';
    const t = 'a\nB2\nc\nd\nE2\n';
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: b }), [0, 1]);
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: 'a\nB1\nc\nd\ne\n' }), [1]);
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: 'a\nb\nc\nd\nE2\n' }), [0]);
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: 'a\nB1\nB2\nc\nd\nE1\n' }), []);
  });

  it('keeps non-conflicting changes of either side out of the question', () => {
    const b = 'a\nb\nc\nd\ne\nf\ng\n';
    const o = 'a\nb\nc\nd\ne\nf\nOURS\n';
    const t = 'A\nb\nc\nd\ne\nf\nTHEIRS\n';
    // the editor's starting point: their change to line 1 applied, the conflict at the end left at base
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: 'A\nb\nc\nd\ne\nf\ng\n' }), [0]);
    assert.deepEqual(conflictsLeftAtBase({ base: b, ours: o, theirs: t, result: 'A\nb\nc\nd\ne\nf\nOURS\n' }), []);
  });

  it('does not second-guess a result edited outside the conflicts', () => {
    assert.deepEqual(conflictsLeftAtBase({ base, ours, theirs, result: 'new title\n\nintro\n' }), []);
  });

  it('treats CRLF and LF alike, and a missing final newline as no change', () => {
    assert.deepEqual(conflictsLeftAtBase({ base: base.replace(/\n/g, '\r\n'), ours, theirs, result: 'title\n\nintro' }), [0]);
    assert.deepEqual(textLines('a\r\nb'), ['a', 'b']);
    assert.deepEqual(textLines(''), []);
  });

  it('with an unknown base, an empty result leaves the one whole-file conflict unresolved', () => {
    assert.deepEqual(conflictsLeftAtBase({ base: '', ours, theirs, result: '' }), [0]);
    assert.deepEqual(conflictsLeftAtBase({ base: '', ours, theirs, result: ours }), []);
  });
});
