// Bundles the extension and the CLI; copies the sql.js wasm next to the bundles (loaded explicitly by path).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
// secretlint (src/core/privacy/secretlintEngine.ts) is its own bundle, loaded by path when a sync scans files:
// compiling it at every start was a sixth of a warm `check`.
const splitSecretlint = {
  name: 'split-secretlint',
  setup(b) {
    b.onResolve({ filter: /\/secretlintEngine$/ }, (args) => (args.kind === 'require-call' ? { path: './secretlint.js', external: true } : undefined));
  },
};
// `import * as fs from 'node:fs'` in each of ~40 modules made esbuild copy fs's exports into a new object ~40
// times at start-up (__toESM): ~20 ms of every CLI run. One ESM re-export per builtin makes it one copy.
const BUILTINS = ['fs', 'path', 'crypto', 'os'];
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(b) {
    // Only our own sources (dependencies may import a builtin's default export in ways of their own).
    b.onResolve({ filter: new RegExp(`^node:(${BUILTINS.join('|')})$`) }, (args) => {
      if (args.namespace === 'builtin') return { path: args.path, external: true };
      return /[\\/]node_modules[\\/]/.test(args.importer) ? undefined : { path: args.path, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `import m from '${args.path}'; export * from '${args.path}'; export default m;`, resolveDir: '.' }));
  },
};
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', plugins: [splitSecretlint, sharedBuiltins] };
mkdirSync('dist', { recursive: true });
copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // The CLI: a small launcher (dist/cli.js, the `bin`) that runs the CLI bundle with V8's code cache (src/cli/launch.ts).
  { ...common, entryPoints: ['src/cli/launch.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli-main.js' },
  // The hash pool's worker (src/core/drift/hashPool.ts), loaded by path beside both bundles: small, so it starts fast.
  { ...common, entryPoints: ['src/core/drift/hashWorker.ts'], outfile: 'dist/hashWorker.js' },
  { ...common, entryPoints: ['src/core/privacy/secretlintEngine.ts'], outfile: 'dist/secretlint.js' },
];
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
