// Runs the unit tests through Mocha's programmatic API, with the same spec, require and timeout as
// .mocharc.json (what `npm run test:unit` uses), printing mocha's own spec output, and records every test's
// outcome in artifacts/test-results/unit.json for scripts/test-summary.mjs.
//
//   node scripts/run-unit.mjs [file.test.ts ...]     (no files: the spec globs of .mocharc.json)
//
// Only .mocharc.json's `spec`, `require`, `timeout`, `ui` and `grep` are honoured; add handling here if it grows.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';
import picomatch from 'picomatch';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const rc = JSON.parse(readFileSync(join(root, '.mocharc.json'), 'utf8'));
const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // a spec folder that does not exist yet holds no tests
  }
  return entries.flatMap((e) => (e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(join(dir, e.name))) : [join(dir, e.name)]));
}

/** Files matching the globs, relative to the repository root, sorted for a stable order. */
function expand(globs) {
  const files = new Set();
  for (const g of globs) {
    const { base, isGlob } = picomatch.scan(g);
    if (!isGlob) { files.add(resolve(root, g)); continue; }
    const match = picomatch(g, { dot: false });
    for (const f of walk(join(root, base))) if (match(relative(root, f))) files.add(f);
  }
  return [...files].sort();
}

for (const r of list(rc.require)) require(r); // e.g. tsx/cjs, which lets require() load the .ts tests
const files = expand(process.argv.length > 2 ? process.argv.slice(2) : list(rc.spec));
const mocha = new Mocha({ ui: rc.ui ?? 'bdd', timeout: rc.timeout ?? 2000, reporter: 'spec', color: Boolean(process.stdout.isTTY) });
if (rc.grep) mocha.grep(rc.grep);
for (const f of files) mocha.addFile(f);

const results = [];
let failures = 0;
try {
  await mocha.loadFilesAsync();
  failures = await new Promise((done) => {
    const runner = mocha.run(done);
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), file: t.file && relative(root, t.file), ok: true, durationMs: t.duration }));
    // 'fail' fires for hooks as well, so a broken before() is counted instead of hiding its tests.
    runner.on('fail', (t, err) => results.push({ title: t.fullTitle(), file: t.file && relative(root, t.file), ok: false, err: String(err?.stack ?? err) }));
    runner.on('pending', (t) => results.push({ title: t.fullTitle(), file: t.file && relative(root, t.file), ok: true, pending: true }));
  });
} catch (e) {
  // A test file that throws while loading (syntax error, missing import) never reaches the runner.
  console.error(e);
  results.push({ title: 'loading the unit tests', ok: false, err: String(e?.stack ?? e) });
  failures += 1;
}

const passed = results.filter((r) => r.ok && !r.pending).length;
const failed = results.filter((r) => !r.ok).length;
const pending = results.filter((r) => r.pending).length;
mkdirSync(join(root, 'artifacts/test-results'), { recursive: true });
writeFileSync(join(root, 'artifacts/test-results/unit.json'), JSON.stringify({ files: files.length, passed, failed, pending, results }, null, 2));
console.log(`unit tests: ${passed} passed, ${failed} failed${pending ? `, ${pending} pending` : ''} (${files.length} file(s))`);
process.exitCode = failures > 0 || failed > 0 ? 1 : 0;
