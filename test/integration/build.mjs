// Bundles the integration tests for the extension host, which loads plain CommonJS on Node 24:
// test/integration/index.ts and every **/*.test.ts become out/integration/<same path>.js.
// `vscode` is provided by the host and `mocha` is required at run time from the repository's node_modules,
// so both stay external; everything else (util.ts, src/ modules a test imports) is bundled into each test.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '../../out/integration');

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []);
}

// Start clean: a test deleted from the sources must not keep running from a stale bundle.
rmSync(outdir, { recursive: true, force: true });
const entryPoints = [join(here, 'index.ts'), ...testFiles(here)];
await esbuild.build({
  entryPoints,
  outbase: here,
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'mocha'],
  // Inline maps: scripts/run-vscode-tests.js maps failure stacks back to the .ts lines with them (the
  // extension host installs its own Error.prepareStackTrace, so Node's --enable-source-maps cannot).
  sourcemap: 'inline',
  sourcesContent: false,
  logLevel: 'warning',
});
console.log(`bundled ${entryPoints.length - 1} integration test file(s) into ${relative(process.cwd(), outdir) || outdir}`);
