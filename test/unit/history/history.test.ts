// Sizes of change shown beside each version (SPEC §6): lines for text, bytes for binary files.
import { strict as assert } from 'node:assert';
import { countLineChanges, formatChange } from '../../../src/core/history/history';

const b = (s: string) => Buffer.from(s);

describe('history change sizes', () => {
  it('counts an edited line as one removed and one added', () => {
    assert.deepEqual(countLineChanges(b('a\nb\nc\n'), b('a\nB\nc\n')), { added: 1, removed: 1 });
  });

  it('counts appended and deleted lines, with or without a final newline', () => {
    assert.deepEqual(countLineChanges(b('a\nb\n'), b('a\nb\nc\nd\n')), { added: 2, removed: 0 });
    assert.deepEqual(countLineChanges(b('a\nb\nc'), b('a\n')), { added: 0, removed: 2 });
    assert.deepEqual(countLineChanges(b(''), b('x\n')), { added: 1, removed: 0 });
  });

  it('does not count a change of line endings only', () => {
    assert.deepEqual(countLineChanges(b('a\r\nb\r\n'), b('a\nb\n')), { added: 0, removed: 0 });
  });

  it('counts repeated lines by multiplicity', () => {
    assert.deepEqual(countLineChanges(b('x\nx\nx\n'), b('x\n')), { added: 0, removed: 2 });
  });

  it('formats a change the way the CLI prints it', () => {
    assert.equal(formatChange({ linesAdded: 3, linesRemoved: 1, binaryBytes: 0, filesAdded: 1, filesRemoved: 0, filesChanged: 1 }), '+3 −1, 1 file added');
    assert.equal(formatChange({ linesAdded: 0, linesRemoved: 0, binaryBytes: 120, filesAdded: 0, filesRemoved: 2, filesChanged: 1 }), '±120 bytes, 2 files removed');
    assert.equal(formatChange({ linesAdded: 0, linesRemoved: 0, binaryBytes: 0, filesAdded: 0, filesRemoved: 0, filesChanged: 0 }), 'no change');
    assert.equal(formatChange(undefined), '');
  });
});
