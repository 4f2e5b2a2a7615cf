// The bench runner behind `npm run bench` (through scripts/bench.mjs): loads every bench/*.bench.ts — each
// exports `run(report)` — runs them one after the other, keeps going when one throws (and says so), and
// prints a table of label / value / unit. Exit code 1 when any bench failed.
//
//   node --import tsx bench/run.ts [NAME...] [--json] [--peer skillmeat] [--scale F]
//   NAME filters by file name (e.g. `core`). `--peer skillmeat` runs bench/peer.bench.ts against the real
//   SkillMeat (alone, unless NAMEs are given); `--scale F` scales its data (0.1 for a quick run). The peer
//   bench runs only when named or asked for with --peer (it generates several GB of data); `--before FILE` also
//   measures an older build's dist/cli.js there, in the same run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

type Report = (label: string, value: number, unit: string) => void;
interface BenchModule { run?: (report: Report) => Promise<void> | void }
interface Row { bench: string; label: string; value: number; unit: string }
interface Failure { bench: string; error: string }

/** A value with as many digits as a reader needs: 1234 → "1234", 12.34 → "12.3", 0.8123 → "0.812". */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (Number.isInteger(v) || a >= 100) return Math.round(v).toString();
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Rows as an aligned text table (values right-aligned). */
export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => [r.bench, r.label, formatValue(r.value), r.unit]);
  const head = ['BENCH', 'LABEL', 'VALUE', 'UNIT'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => [c[0].padEnd(w[0]), c[1].padEnd(w[1]), c[2].padStart(w[2]), c[3]].join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.map(line)].join('\n');
}

/** The bench modules in `dir`, sorted by name, optionally filtered by names (substring of the file name). */
export function benchFiles(dir: string, filters: string[] = []): string[] {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => (filters.length === 0 ? f !== 'peer.bench.ts' : filters.some((n) => f.includes(n))))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Runs the given bench files; returns every reported row and every failure. */
export async function runBenches(files: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<{ rows: Row[]; failures: Failure[] }> {
  const rows: Row[] = [];
  const failures: Failure[] = [];
  for (const file of files) {
    const bench = path.basename(file, '.bench.ts');
    log(`== ${bench} (${path.relative(process.cwd(), file)})`);
    const t0 = performance.now();
    try {
      const mod = (await import(pathToFileURL(file).href)) as BenchModule & { default?: BenchModule };
      const run = mod.run ?? mod.default?.run;
      if (typeof run !== 'function') throw new Error('exports no run(report) function');
      await run((label, value, unit) => {
        rows.push({ bench, label, value, unit });
        log(`   ${label}: ${formatValue(value)} ${unit}`);
      });
      log(`   (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      failures.push({ bench, error });
      log(`   FAILED: ${error}`);
    }
  }
  return { rows, failures };
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = [...argv];
  // `--peer NAME` and `--scale F` take a value: hand them to peer.bench.ts through its environment.
  for (const [flag, env] of [['--peer', 'SMSYNC_BENCH_PEER'], ['--scale', 'SMSYNC_BENCH_SCALE'], ['--runs', 'SMSYNC_BENCH_RUNS'], ['--before', 'SMSYNC_BENCH_BEFORE']] as const) {
    const i = rest.indexOf(flag);
    if (i >= 0) { process.env[env] = rest[i + 1]; rest.splice(i, 2); }
  }
  let filters = rest.filter((a) => !a.startsWith('--'));
  if (process.env.SMSYNC_BENCH_PEER && filters.length === 0) filters = ['peer'];
  const files = benchFiles(__dirname, filters);
  if (files.length === 0) {
    process.stderr.write(`no bench/*.bench.ts matches ${filters.join(', ') || '(any)'}\n`);
    return 2;
  }
  const { rows, failures } = await runBenches(files, json ? (s) => process.stderr.write(s + '\n') : undefined);
  if (json) process.stdout.write(JSON.stringify({ rows, failures }, null, 2) + '\n');
  else {
    process.stdout.write('\n' + formatTable(rows) + '\n');
    for (const f of failures) process.stdout.write(`\n${f.bench}: FAILED — ${f.error.split('\n')[0]}\n`);
  }
  return failures.length ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
    process.stderr.write(`bench runner failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  });
}
