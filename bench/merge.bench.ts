// Three-way merge speed: our mergeText against plain node-diff3 on generated files with scattered
// edits on both sides. Inputs come from a seeded PRNG so every run measures the same merges.
import { mergeText } from '../src/core/sync/merge3';
import { prng } from './prng';

// node-diff3 publishes its types only through package.json "exports", which this repo's
// moduleResolution ("node") does not read, so the one function used here is typed locally.
const { diff3Merge } = require('node-diff3') as { diff3Merge(a: string[], o: string[], b: string[]): unknown[] };


/** A base file of `lines` lines; `repeatedShare` of them are blank lines or closing braces, as in real code. */
function baseFile(lines: number, repeatedShare: number, random: () => number): string[] {
  return Array.from({ length: lines }, (_, i) => {
    const x = random();
    if (x < repeatedShare / 2) return '';
    if (x < repeatedShare) return '  }';
    return `  const value${i} = compute(${Math.floor(random() * 1e9).toString(36)});`;
  });
}

/** A copy with roughly one edit (delete, replace or insert) every `every` lines. */
function edited(base: string[], every: number, tag: string, random: () => number): string[] {
  const out: string[] = [];
  base.forEach((line, i) => {
    if (random() >= 1 / every) { out.push(line); return; }
    const kind = random();
    if (kind < 1 / 3) return;
    if (kind < 2 / 3) { out.push(`  // ${tag} rewrote line ${i}`); return; }
    out.push(`  // ${tag} added before line ${i}`, line);
  });
  return out;
}

function medianMs(runs: number, work: () => unknown): number {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Reports mergeText and node-diff3 times (ms) and their ratio at 1 000, 10 000 and 50 000 lines. */
export async function run(report: (label: string, value: number, unit: string) => void): Promise<void> {
  // Warm both up so the first measured size does not pay for JIT compilation.
  const warm = baseFile(2000, 0, prng(1));
  mergeText(warm.join('\n'), warm.join('\n'), warm.slice(1).join('\n'));
  diff3Merge(warm, warm, warm.slice(1));

  for (const lines of [1_000, 10_000, 50_000]) {
    const random = prng(lines);
    // node-diff3's cost grows with every pair of equal lines, so the head-to-head files use distinct
    // lines (as its authors' own benchmarks do); repeated lines get their own mergeText-only row.
    const base = baseFile(lines, 0, random);
    const ours = edited(base, 200, 'ours', random);
    const theirs = edited(base, 200, 'theirs', random);
    const [o, b, t] = [ours, base, theirs].map((file) => file.join('\n') + '\n');
    const code = baseFile(lines, 0.15, random);
    const [co, cb, ct] = [edited(code, 200, 'ours', random), code, edited(code, 200, 'theirs', random)].map((file) => file.join('\n') + '\n');

    // Medians over more runs where a run is short, so a GC pause does not decide the figure; node-diff3
    // goes last because its garbage would otherwise be collected during our runs.
    const oursMs = medianMs(lines <= 1_000 ? 15 : lines <= 10_000 ? 7 : 5, () => mergeText(o, b, t));
    const codeMs = medianMs(lines <= 1_000 ? 15 : lines <= 10_000 ? 7 : 5, () => mergeText(co, cb, ct));
    const plainMs = medianMs(lines <= 1_000 ? 15 : lines <= 10_000 ? 3 : 1, () => diff3Merge(ours, base, theirs));
    report(`merge ${lines} lines: mergeText`, round(oursMs), 'ms');
    report(`merge ${lines} lines: node-diff3 diff3Merge`, round(plainMs), 'ms');
    report(`merge ${lines} lines: node-diff3 / mergeText`, round(plainMs / oursMs), 'x');
    report(`merge ${lines} lines, 15% blank or brace lines: mergeText`, round(codeMs), 'ms');
  }
}
