// `npm run bench` (after the build): runs bench/run.ts under tsx in a child process, passing any
// arguments through (`npm run bench -- core` runs bench/core.bench.ts only), with its exit code.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
if (r.error) {
  console.error(`could not start the bench runner: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? 1);
