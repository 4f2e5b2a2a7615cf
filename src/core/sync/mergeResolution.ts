// Which conflicts a merge result still leaves unresolved. No `vscode` import: plain logic, unit-tested.
//
// Why this is needed: VS Code's merge editor, given a result that holds conflict markers, replaces it with
// its own starting point — the base text with every non-conflicting change applied and, for each conflict,
// the base lines (neither side's change). So once the editor has opened, the result has no markers left to
// find, and accepting it untouched would silently drop both sides' edits of every conflict. The extension
// cannot read the editor's own "conflicts remaining" count, so it recognises that starting point itself:
// a conflict whose place in the result still holds exactly the base lines was not resolved.
import { mergeLines } from './merge3';

/** Lines without terminators; CRLF and LF compare equal (the editor normalises line endings). */
export function textLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function matchAt(hay: readonly string[], at: number, needle: readonly string[]): boolean {
  if (at < 0 || at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

function indexOf(hay: readonly string[], needle: readonly string[], from: number): number {
  for (let at = from; at + needle.length <= hay.length; at++) if (matchAt(hay, at, needle)) return at;
  return -1;
}

/**
 * Indexes (0-based, in order) of the conflicts of the three-way merge of `ours` / `base` / `theirs` that
 * `result` leaves at their base text. `base` is '' when the baseline is unknown (then the whole file is one
 * conflict, as the merge editor shows it). Returns [] when it cannot tell — the user also changed lines
 * both sides agree on — so a hand-made resolution is never second-guessed.
 */
export function conflictsLeftAtBase(o: { base: string; ours: string; theirs: string; result: string }): number[] {
  const chunks = mergeLines(textLines(o.ours), textLines(o.base), textLines(o.theirs));
  const result = textLines(o.result);
  const left: number[] = [];
  let p = 0;
  let index = -1;
  // The conflicts (usually one) whose resolution runs up to the next run of agreed lines.
  let open: { indexes: number[]; base: string[] } | undefined;
  for (const chunk of chunks) {
    if ('conflict' in chunk) {
      index++;
      open = open ? { indexes: [...open.indexes, index], base: [...open.base, ...chunk.conflict.o] } : { indexes: [index], base: chunk.conflict.o };
      continue;
    }
    if (!open) {
      if (!matchAt(result, p, chunk.ok)) return [];
      p += chunk.ok.length;
      continue;
    }
    // Prefer the reading in which the conflict still holds its base lines: an agreed line that also
    // occurs inside the base lines would otherwise end the conflict early.
    const at = matchAt(result, p, open.base) && matchAt(result, p + open.base.length, chunk.ok) ? p + open.base.length : indexOf(result, chunk.ok, p);
    if (at < 0) return [];
    if (at - p === open.base.length && matchAt(result, p, open.base)) left.push(...open.indexes);
    p = at + chunk.ok.length;
    open = undefined;
  }
  if (open) {
    if (result.length - p === open.base.length && matchAt(result, p, open.base)) left.push(...open.indexes);
  } else if (p !== result.length) {
    return [];
  }
  return left;
}
